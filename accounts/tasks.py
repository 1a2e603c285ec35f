"""Celery tasks of the accounts app. Each wraps the service of the same name."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .passwords.services import RESET_EMAIL_TASK_NAME, password_reset_email_send
from .services import sign_in_data_purge


@shared_task(name="accounts.sign_in_data_purge")
def sign_in_data_purge_task() -> int:
    """Daily (CELERY_BEAT_SCHEDULE). Deleting what is already gone is a no-op: reruns are safe."""
    return sign_in_data_purge(retention_days=settings.HARBOUR_SIGN_IN_DATA_RETENTION_DAYS)


@shared_task(name=RESET_EMAIL_TASK_NAME)
def password_reset_email_send_task(user_id: int, base_url: str) -> bool:
    """Ids and the site's address only: the link is made, and mailed, inside the task."""
    return password_reset_email_send(user_id=user_id, base_url=base_url)
