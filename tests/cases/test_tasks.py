import pytest
from django.conf import settings
from django.db import connection

from cases.housekeeping import AUDIT_TRIGGER_NAME, audit_integrity_check
from cases.models import AuditAction, AuditEvent
from cases.tasks import audit_integrity_check_task
from config.celery_app import app

pytestmark = pytest.mark.django_db


def test_audit_integrity_check_finds_the_trigger_enabled():
    result = audit_integrity_check()

    assert (result.ok, result.trigger_installed, result.trigger_enabled) == (True, True, True)


def test_audit_integrity_check_records_its_result():
    audit_integrity_check()

    event = AuditEvent.objects.get(action=AuditAction.AUDIT_INTEGRITY_CHECKED)
    assert event.detail == {
        "ok": True,
        "trigger_installed": True,
        "trigger_enabled": True,
        "truncate_trigger_enabled": True,
        "chain_ok": True,
        "chain_problem": "",
        "chain_problem_seq": None,
        # The suite connects as the owner; the role check is tested in tests/test_db_roles.py.
        "role_checked": False,
        "role_problems": [],
    }


def test_audit_integrity_check_reports_a_disabled_trigger():
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE cases_auditevent DISABLE TRIGGER {AUDIT_TRIGGER_NAME}")

    result = audit_integrity_check()

    assert (result.ok, result.trigger_installed, result.trigger_enabled) == (False, True, False)


def test_audit_integrity_check_reports_a_missing_trigger():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {AUDIT_TRIGGER_NAME} ON cases_auditevent")

    result = audit_integrity_check()

    assert (result.ok, result.trigger_installed) == (False, False)
    assert AuditEvent.objects.get(action=AuditAction.AUDIT_INTEGRITY_CHECKED).detail["ok"] is False


def test_task_runs_the_check_and_records_it():
    outcome = audit_integrity_check_task.delay().get()

    assert outcome["ok"] is True
    assert AuditEvent.objects.filter(action=AuditAction.AUDIT_INTEGRITY_CHECKED).count() == 1


def test_task_can_run_twice():
    audit_integrity_check_task.delay()
    audit_integrity_check_task.delay()

    assert AuditEvent.objects.filter(action=AuditAction.AUDIT_INTEGRITY_CHECKED).count() == 2


def test_beat_schedule_declares_the_task():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert audit_integrity_check_task.name in scheduled


def test_every_scheduled_task_is_registered():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    app.loader.import_default_modules()

    assert scheduled <= set(app.tasks)
