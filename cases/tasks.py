"""Celery tasks of the cases app. Each wraps the service of the same name."""

from __future__ import annotations

from celery import shared_task

from .housekeeping import audit_checkpoint_sign, audit_integrity_check


@shared_task(name="cases.audit_integrity_check")
def audit_integrity_check_task() -> dict[str, bool]:
    """Nightly (CELERY_BEAT_SCHEDULE): triggers, hash chain and checkpoints (verify_audit),
    and the database role's grants and ownership. Takes no arguments, so a retried run just
    checks again."""
    result = audit_integrity_check()
    return {
        "ok": result.ok,
        "trigger_installed": result.trigger_installed,
        "trigger_enabled": result.trigger_enabled,
        "truncate_trigger_enabled": result.truncate_trigger_enabled,
        "chain_ok": result.chain_problem is None,
        "role_ok": not result.role_problems,
    }


@shared_task(name="cases.audit_checkpoint_sign")
def audit_checkpoint_sign_task() -> dict[str, int]:
    """Hourly (CELERY_BEAT_SCHEDULE). A retried run signs the head again, which is harmless."""
    checkpoint = audit_checkpoint_sign()
    return {"checkpoint_id": checkpoint.pk, "seq": checkpoint.seq}
