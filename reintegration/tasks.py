"""Celery tasks of the reintegration app. Each wraps the service of the same name."""

from __future__ import annotations

from celery import shared_task

from .services import monitoring_mark_overdue


@shared_task(name="reintegration.monitoring_mark_overdue")
def monitoring_mark_overdue_task() -> int:
    """Daily (CELERY_BEAT_SCHEDULE). Takes no arguments; a retried run marks nothing twice."""
    return monitoring_mark_overdue()
