"""Rebuild every person's search tokens: backfill after upgrade, or after a new BLIND_INDEX_KEY."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.search import tokens_rebuild_all


class Command(BaseCommand):
    help = "Rebuild the keyed search tokens of every person."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        count = tokens_rebuild_all(batch_size=options["batch_size"])
        self.stdout.write(f"Wrote {count} search tokens.")
