"""Research reads off the primary (issue 16 §6).

When ``RESEARCH_DATABASE_URL`` is set, the settings add a ``research`` database (a streaming
replica of the primary in production) and ``RESEARCH_DATABASE_ALIAS`` names it. The research
mart's rows are then read there, through this router for the ORM and through
``research_alias()`` for the raw aggregate SQL and the mart rebuild's read of the case tables.
Everything else (every write, every lock, every case read) stays on the primary, and the
research database is never migrated: a replica receives the primary's schema by replication.
Without the setting every alias is the primary's and nothing changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

RESEARCH_ALIAS = "research"
# Models whose reads go to the research database: the mart's de-identified rows only.
RESEARCH_READ_MODELS = frozenset({("research_exports", "martrow")})


def research_alias() -> str:
    """The alias research reads go to: the replica's when one is configured, else the primary's."""
    return getattr(settings, "RESEARCH_DATABASE_ALIAS", DEFAULT_DB_ALIAS) or DEFAULT_DB_ALIAS


def research_configured() -> bool:
    return research_alias() != DEFAULT_DB_ALIAS


class ResearchRouter:
    """Sends reads of the mart's rows to the research alias; never migrates it."""

    def db_for_read(self, model, **hints):
        if (model._meta.app_label, model._meta.model_name) in RESEARCH_READ_MODELS:
            return research_alias()
        return None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: objects of either are the same database's.
        primary = {DEFAULT_DB_ALIAS, research_alias()}
        if obj1._state.db in primary and obj2._state.db in primary:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == RESEARCH_ALIAS:
            return False
        return None
