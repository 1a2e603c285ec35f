"""Celery tasks of the research exports app. Each wraps the service of the same name."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from accounts.models import User

from .extracts import ExtractAttemptFailed, extract_build, extract_expire, extract_sweep
from .mart import mart_rebuild
from .models import MartSnapshot


@shared_task(name="research_exports.mart_rebuild")
def mart_rebuild_task(actor_id: int | None = None, snapshot_id: int | None = None) -> int | None:
    """Daily (CELERY_BEAT_SCHEDULE), or queued by a central administrator with their id and
    the pending snapshot their request recorded.

    A second delivery finds the advisory lock taken (scheduled) or its snapshot already
    built (requested) and does nothing.
    """
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    source = (
        MartSnapshot.Source.ADMINISTRATOR if actor_id is not None else MartSnapshot.Source.SCHEDULE
    )
    snapshot = mart_rebuild(actor=actor, source=source, snapshot_id=snapshot_id)
    return snapshot.pk if snapshot is not None else None


# Retries back off from 30 seconds; the job's attempts counter (not Celery's) bounds them.
EXTRACT_RETRY_SECONDS = 30


@shared_task(
    bind=True,
    name="research_exports.extract_build",
    acks_late=True,
    reject_on_worker_lost=True,
)
def extract_build_task(self, extract_id: str) -> None:
    """Queued by extract_request / extract_retry / the sweeper. Safe to deliver twice."""
    try:
        extract_build(extract_id=extract_id)
    except ExtractAttemptFailed as exc:
        raise self.retry(
            exc=exc,
            countdown=EXTRACT_RETRY_SECONDS * 2**self.request.retries,
            max_retries=settings.RESEARCH_EXTRACT_MAX_ATTEMPTS,
        ) from None


@shared_task(name="research_exports.extract_sweep")
def extract_sweep_task() -> int:
    """Every five minutes (CELERY_BEAT_SCHEDULE): requeue jobs whose worker died."""
    return extract_sweep()


@shared_task(name="research_exports.extract_expire")
def extract_expire_task() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): delete files past their retention period."""
    return extract_expire()
