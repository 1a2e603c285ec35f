"""Celery tasks of the cases app. Each wraps the service of the same name."""

from __future__ import annotations

from celery import shared_task

from .housekeeping import audit_integrity_check


@shared_task(name="cases.audit_integrity_check")
def audit_integrity_check_task() -> dict[str, bool]:
    """Daily (CELERY_BEAT_SCHEDULE). Takes no arguments, so a retried run just checks again."""
    result = audit_integrity_check()
    return {
        "ok": result.ok,
        "trigger_installed": result.trigger_installed,
        "trigger_enabled": result.trigger_enabled,
    }
