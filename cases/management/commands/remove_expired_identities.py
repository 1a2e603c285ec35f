"""List, and with --apply remove, identities whose retention period after closure has ended.

The listing shows counts and case references only, never a name. Removal clears the person's
identity and every encrypted free-text field of the case's records; coded fields stay, so the
case is still counted in research data.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.retention import (
    DEFAULT_BATCH_SIZE,
    case_owned_text,
    identity_removal_due,
    identity_remove_expired,
)

LISTED_REFERENCES = 50


class Command(BaseCommand):
    help = "List cases past their identity removal date; --apply removes their identities."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--apply", action="store_true", help="Remove the identities (default: list only)."
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        due = identity_removal_due()
        total = due.count()
        self.stdout.write(f"{total} case(s) past their identity removal date.")
        for case in due[:LISTED_REFERENCES]:
            self.stdout.write(
                f"  {case.reference} ({case.mission.code}), due {case.identity_removal_due_on}"
            )
        if total > LISTED_REFERENCES:
            self.stdout.write(f"  … and {total - LISTED_REFERENCES} more.")
        if not options["apply"]:
            fields = sum(len(item.fields) for item in case_owned_text())
            self.stdout.write(
                f"Nothing removed. With --apply, identity and {fields} free-text field(s) "
                "of each case's records would be cleared."
            )
            return
        removed = identity_remove_expired(batch_size=options["batch_size"])
        self.stdout.write(f"Removed the identity of {removed} case(s).")
