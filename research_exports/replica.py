"""Where an extract's aggregate SQL runs: the research database (a replica) when configured.

A replica lags the primary. An extract names its snapshot, and a snapshot's rows are committed
in the same transaction that marks it ready (``mart.mart_rebuild``), so a replica that shows the
snapshot ready holds every one of its rows: it replays the primary's commits in order and never
goes back. The aggregate therefore waits up to ``RESEARCH_REPLICA_WAIT_SECONDS`` for the
snapshot to be ready on the replica, then reads the primary instead: an extract never fails and
never reads a part of a snapshot because of lag. If the replica cannot be reached the check
fails over to the primary at once. An error of the aggregate itself fails the attempt, which
is retried like any other (``extracts.extract_build``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from config.db_router import research_alias

from .models import MartSnapshot

logger = logging.getLogger(__name__)

# Seconds between two looks at the replica while a snapshot is not visible there yet.
POLL_SECONDS = 0.2


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _ready_on(alias: str, snapshot_id: int) -> bool:
    return (
        MartSnapshot.objects.using(alias)
        .filter(pk=snapshot_id, status=MartSnapshot.Status.READY)
        .exists()
    )


def snapshot_alias(*, snapshot_id: int) -> str:
    """The alias to read ``snapshot_id``'s rows from: the research one once the snapshot is
    ready there, the primary's when none is configured or the replica is still behind."""
    alias = research_alias()
    if alias == DEFAULT_DB_ALIAS:
        return alias
    deadline = time.monotonic() + settings.RESEARCH_REPLICA_WAIT_SECONDS
    try:
        while not _ready_on(alias, snapshot_id):
            if time.monotonic() >= deadline:
                logger.warning(
                    "Snapshot %d not on the research database after %.1fs; reading the primary",
                    snapshot_id,
                    settings.RESEARCH_REPLICA_WAIT_SECONDS,
                )
                return DEFAULT_DB_ALIAS
            _sleep(POLL_SECONDS)
    except DatabaseError as exc:
        # The class name only: a database error's text can quote values.
        logger.warning(
            "Research database unavailable (%s); reading the primary", type(exc).__name__
        )
        connections[alias].close_if_unusable_or_obsolete()
        return DEFAULT_DB_ALIAS
    return alias


@contextmanager
def snapshot_cursor(*, snapshot_id: int) -> Iterator:
    """A cursor for aggregate SQL over one snapshot's mart rows (see ``snapshot_alias``)."""
    with connections[snapshot_alias(snapshot_id=snapshot_id)].cursor() as cursor:
        yield cursor
