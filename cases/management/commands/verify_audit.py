"""manage.py verify_audit: walk the audit hash chain and its signed checkpoints.

Exit status 0 when every row matches its hash, follows its predecessor with no gap, and every
checkpoint is genuine and still matches its row; 1 with the first fault otherwise (the kind,
the sequence number and the row id: nothing of the row's content).
"""

from django.core.management.base import BaseCommand, CommandError

from cases.housekeeping import audit_verify
from config.errors import ApplicationError


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and signed checkpoints."

    def handle(self, *args, **options) -> None:
        try:
            result = audit_verify()
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if result.problem is not None:
            problem = result.problem
            raise CommandError(
                f"Audit trail broken: {problem.kind} at seq {problem.seq} "
                f"(event id {problem.event_id}): {problem.message}"
            )
        self.stdout.write(
            f"Audit trail verified: {result.chain.rows} rows, head seq {result.chain.head_seq}, "
            f"{result.checkpoints} checkpoints."
        )
