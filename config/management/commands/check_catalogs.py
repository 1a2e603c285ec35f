"""manage.py check_catalogs: what the message catalogs still lack before they may ship.

Exits 1 listing, per catalog, untranslated and fuzzy entries, placeholders lost or altered in a
translation, and msgids that ``makemessages`` (the catalogs' options) would add.
"""

from django.core.management.base import BaseCommand, CommandError

from config.catalogs import (
    catalog_paths,
    catalog_problems,
    extracted_keys,
    missing_keys,
    read_catalog,
)


class Command(BaseCommand):
    help = "Check that every catalog is complete, unfuzzy and in step with the source."

    def handle(self, *args, **options) -> None:
        extracted = extracted_keys()
        failures = 0
        for path in catalog_paths():
            catalog = read_catalog(path)
            problems = catalog_problems(catalog)
            problems += [
                f"missing msgid: {msgid!r}" for _ctx, msgid in missing_keys(catalog, extracted)
            ]
            failures += len(problems)
            self.stdout.write(f"{path}: {len(problems)} problem(s)")
            for problem in problems:
                self.stdout.write(f"  {problem}")
        if failures:
            raise CommandError(f"{failures} catalog problem(s).")
