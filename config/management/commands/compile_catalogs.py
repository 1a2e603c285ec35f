"""manage.py compile_catalogs: build the .mo files of ``locale/`` from the committed .po files.

The .mo files are generated (never committed); ``make run``, the test session, CI and the image
build call this. Only Harbour's own ``locale/`` is compiled, never a virtualenv's packages.
"""

from django.core.management.base import BaseCommand

from config.catalogs import compile_catalogs


class Command(BaseCommand):
    help = "Compile Harbour's message catalogs (locale/*/LC_MESSAGES/django.po) to .mo files."

    def handle(self, *args, **options) -> None:
        compile_catalogs()
