"""Celery tasks of the intake app. Each wraps the service of the same name and takes ids."""

from __future__ import annotations

from celery import shared_task

from .services import import_expire, import_run, import_validate


@shared_task(name="intake.import_validate", acks_late=True, reject_on_worker_lost=True)
def import_validate_task(job_id: str) -> None:
    """Queued after an upload commits. A second delivery finds the job validated already."""
    import_validate(job_id=job_id)


@shared_task(name="intake.import_run", acks_late=True, reject_on_worker_lost=True)
def import_run_task(job_id: str) -> None:
    """Queued after a confirmation commits. A worker lost mid-import rolls its transaction
    back; the redelivery finds the job still importing and runs it again from the start."""
    import_run(job_id=job_id)


@shared_task(name="intake.import_expire")
def import_expire_task() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): delete uploads and rejected rows past their retention."""
    return import_expire()
