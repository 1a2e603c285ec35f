"""manage.py grant_app_role [--role NAME] [--check]: the application's database grants.

Run as the owner role (the one migrations run as) after every ``migrate``: the application
role (``HARBOUR_DATABASE_APP_ROLE``, default ``harbour_app``) gets SELECT, INSERT, UPDATE and
DELETE on every table but only SELECT and INSERT on the append-only ones, owns nothing and
cannot TRUNCATE or disable a trigger. ``--check`` changes nothing and exits 1 naming what is
wrong with the role.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.db_roles import app_role_grant, app_role_problems
from config.errors import ApplicationError


class Command(BaseCommand):
    help = "Grant the application's database role exactly what it needs (run as the owner)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--role", default=None, help="default: HARBOUR_DATABASE_APP_ROLE")
        parser.add_argument(
            "--check", action="store_true", help="only check the role's grants and ownership"
        )

    def handle(self, *args, **options) -> None:
        role = options["role"] or settings.HARBOUR_DATABASE_APP_ROLE
        if not options["check"]:
            try:
                counts = app_role_grant(role=role)
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(
                f"Granted {role} the application's privileges on {counts['tables']} tables "
                f"({counts['append_only']} append-only: SELECT and INSERT only)."
            )
        problems = app_role_problems(role=role)
        if problems:
            raise CommandError(f"Database role {role} is not fit: {', '.join(problems)}.")
        self.stdout.write(f"Database role {role}: owns nothing, append-only tables protected.")
