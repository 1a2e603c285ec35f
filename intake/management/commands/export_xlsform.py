"""Write the Screening Interview Form as an XLSForm, for KoBoToolbox or ODK Central."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from intake.xlsform import screening_xlsform, xlsform_filename


class Command(BaseCommand):
    help = (
        "Write Harbour's Screening Interview Form as an XLSForm (XLSX) to upload to "
        "KoBoToolbox or ODK Central. '-o -' writes it to standard output."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "-o",
            "--output",
            help=f"File to write (default: {xlsform_filename()} in the current directory).",
        )

    def handle(self, *args, output: str | None = None, **options) -> None:
        data = screening_xlsform()
        if output == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        path = Path(output or xlsform_filename())
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}.") from None
        self.stdout.write(f"Wrote {path} ({len(data)} bytes).")
