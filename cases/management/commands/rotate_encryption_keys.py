"""Re-encrypt every encrypted field with the current (first) key of FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first and keep the old one after it, deploy, run this command, then
remove the old key.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.housekeeping import encryption_keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        counts = encryption_keys_rotate(batch_size=options["batch_size"])
        self.stdout.write(
            f"Re-encrypted {counts['values']} values in {counts['rows']} rows with the current key."
        )
