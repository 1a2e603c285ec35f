"""manage.py audit_retention --before YYYY-MM-DD [--confirm]: remove audit rows older than a date.

The only supported way to shorten the audit trail (cases migrations 0010 and 0011). Without
``--confirm`` it only says how many rows would go. With it, as the owner role of the tables,
it removes them in one transaction and records a signed retention anchor and an
``audit_retention_applied`` row, so ``verify_audit`` still passes afterwards.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.housekeeping import audit_retention_apply, audit_retention_plan
from config.errors import ApplicationError


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--before must be a date as YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = "Remove audit rows older than a date (audited; run as the tables' owner role)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--before",
            required=True,
            help="remove rows that happened before this date (YYYY-MM-DD, 00:00 UTC)",
        )
        parser.add_argument(
            "--confirm",
            action="store_true",
            help="really remove them (without it, only report how many would go)",
        )

    def handle(self, *args, **options) -> None:
        day = _date(options["before"])
        if day > timezone.now().date():
            raise CommandError("--before must not be in the future.")
        before = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
        if not options["confirm"]:
            plan = audit_retention_plan(before=before)
            self.stdout.write(
                f"{plan.rows} audit rows before {day.isoformat()} would be removed "
                f"(up to seq {plan.last_seq}). Nothing was changed: add --confirm."
            )
            return
        try:
            result = audit_retention_apply(before=before)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if result.anchor is None:
            self.stdout.write(f"No audit rows before {day.isoformat()}: nothing removed.")
            return
        self.stdout.write(
            f"Removed {result.rows_removed} audit rows before {day.isoformat()}; the chain now "
            f"starts after seq {result.anchor.seq} (anchor {result.anchor.pk}, recorded as "
            f"event {result.event.pk})."
        )
