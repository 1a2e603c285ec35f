"""Import case records from a file, through the same service as the upload page.

    manage.py import_cases FILE --mission CODE
                           [--format htcds|ctdc|kobo-csv|kobo-xlsx|kobo-json|odk-csv]
                           [--source NAME]
                           [--dry-run] [--valid-rows] [--draft] [--actor EMAIL]

Validates the whole file first and prints the report (row, column, reason: never a value);
a file with errors imports nothing unless --valid-rows is given. Field submissions (the
KoBo / ODK formats) always arrive as draft screenings.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Mission, User
from config.errors import ApplicationError
from intake import messages, services
from intake.models import ImportJob

CHUNK_BYTES = 1024 * 1024
ERRORS_SHOWN = 50


def _chunks(path: Path):
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


class Command(BaseCommand):
    help = "Import case records (HTCDS CSV/XLSX, or a CTDC file as historical records)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--mission", required=True, help="Code of the mission")
        parser.add_argument(
            "--format",
            default="htcds",
            help="htcds (default), ctdc, or a field export: kobo-csv, kobo-xlsx, kobo-json, "
            "odk-csv",
        )
        parser.add_argument("--source", help="Where the records come from (default: the format)")
        parser.add_argument("--dry-run", action="store_true", help="Validate only")
        parser.add_argument("--valid-rows", action="store_true", help="Import the valid rows")
        parser.add_argument("--draft", action="store_true", help="Screenings as drafts")
        parser.add_argument("--actor", help="Email of the central administrator importing")

    def _actor(self, email: str | None) -> User:
        users = User.objects.filter(is_active=True, is_researcher=False)
        if email:
            actor = users.filter(email__iexact=email).first()
        else:
            actor = users.filter(is_superuser=True).order_by("pk").first()
        if actor is None or not actor.sees_all_missions:
            raise CommandError(
                "Name an active central administrator with --actor (no superuser was found)."
            )
        return actor

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        mission = Mission.objects.filter(code=options["mission"]).first()
        if mission is None:
            raise CommandError(f"No mission with code {options['mission']!r}.")
        actor = self._actor(options["actor"])
        try:
            job = services.import_job_create(
                actor=actor,
                mission=mission,
                format=options["format"],
                source=options["source"] or options["format"],
                file_name=path.name,
                file_size=path.stat().st_size,
                chunks=_chunks(path),
                screening_draft=options["draft"],
                enqueue=False,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        job = services.import_validate(job_id=job.pk)
        self._report(job)
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(str(messages.message(job.failure)))
        if options["dry_run"]:
            services.import_cancel(actor=actor, job_id=job.pk)
            self.stdout.write("Dry run: nothing was imported.")
            return
        try:
            services.import_confirm(
                actor=actor,
                job_id=job.pk,
                import_valid_rows=options["valid_rows"],
                enqueue=False,
            )
        except ApplicationError as exc:
            services.import_cancel(actor=actor, job_id=job.pk)
            raise CommandError(exc.message) from None
        job = services.import_run(job_id=job.pk)
        if job.status != ImportJob.Status.SUCCEEDED:
            raise CommandError(str(messages.message(job.failure or messages.INTERNAL)))
        self.stdout.write(
            f"Imported {job.rows_imported} case(s) into {mission.code} (import {job.pk})."
        )
        if job.rows_invalid:
            self.stdout.write(
                f"{job.rows_invalid} row(s) were rejected; download them from the import page."
            )

    def _report(self, job: ImportJob) -> None:
        if job.status == ImportJob.Status.FAILED:
            columns = ", ".join(job.report.get("columns", []))
            self.stderr.write(f"File refused: {messages.message(job.failure)} {columns}".strip())
            if job.report.get("detail"):
                self.stderr.write(job.report["detail"])
            return
        self.stdout.write(
            f"{job.rows_total} row(s): {job.rows_valid} valid, {job.rows_invalid} with errors, "
            f"{job.rows_existing} already imported, {job.rows_duplicate} possible duplicate(s)."
        )
        for row, column, code in job.report.get("errors", [])[:ERRORS_SHOWN]:
            self.stdout.write(f"row {row}, {column}: {messages.message(code)}")
        if job.rows_invalid and len(job.report.get("errors", [])) > ERRORS_SHOWN:
            self.stdout.write("... (more errors: see the import page)")
        for row in job.report.get("duplicates", [])[:ERRORS_SHOWN]:
            self.stdout.write(f"row {row}: possible duplicate of an existing person")
