"""django-axes' rows are kept only as long as HARBOUR_SIGN_IN_DATA_RETENTION_DAYS."""

import datetime

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.services import sign_in_data_purge
from accounts.tasks import sign_in_data_purge_task
from config.celery_app import app as celery_app
from tests import factories

pytestmark = pytest.mark.django_db

MODELS = (AccessAttempt, AccessFailureLog, AccessLog)
EXTRA_FIELDS = {AccessAttempt: {"failures_since_start": 1, "get_data": "", "post_data": ""}}


def _row(model, *, days_old, number):
    row = model.objects.create(
        username=f"someone{number}@harbour.test",
        ip_address=f"192.0.2.{number}",
        user_agent=f"agent-{number}",
        http_accept="*/*",
        path_info="/accounts/login/",
        **EXTRA_FIELDS.get(model, {}),
    )
    # attempt_time is auto_now_add: move it back afterwards.
    model.objects.filter(pk=row.pk).update(
        attempt_time=timezone.now() - datetime.timedelta(days=days_old)
    )
    return row


def _rows_of_every_kind(days_old, start):
    return [
        _row(model, days_old=days_old, number=start + index) for index, model in enumerate(MODELS)
    ]


def test_rows_older_than_the_retention_are_deleted_and_newer_kept():
    old = _rows_of_every_kind(31, start=1)
    recent = _rows_of_every_kind(29, start=10)

    removed = sign_in_data_purge(retention_days=30)

    assert removed == len(old)
    for row in old:
        assert not type(row).objects.filter(pk=row.pk).exists()
    for row in recent:
        assert type(row).objects.filter(pk=row.pk).exists()


def test_purging_twice_removes_nothing_more():
    _rows_of_every_kind(40, start=1)
    sign_in_data_purge(retention_days=30)

    assert sign_in_data_purge(retention_days=30) == 0


def test_task_uses_the_retention_setting(settings):
    settings.HARBOUR_SIGN_IN_DATA_RETENTION_DAYS = 5
    _rows_of_every_kind(6, start=1)
    kept = _rows_of_every_kind(4, start=10)

    removed = sign_in_data_purge_task.delay().get()

    assert removed == len(MODELS)
    assert sum(model.objects.count() for model in MODELS) == len(kept)


@pytest.mark.parametrize("retention_days", [0, -3])
def test_a_retention_below_one_day_is_refused_and_deletes_nothing(retention_days):
    _rows_of_every_kind(2, start=1)

    with pytest.raises(ValidationError):
        sign_in_data_purge(retention_days=retention_days)

    assert sum(model.objects.count() for model in MODELS) == len(MODELS)


def test_retention_defaults_to_thirty_days():
    assert settings.HARBOUR_SIGN_IN_DATA_RETENTION_DAYS == 30


def test_the_purge_runs_daily_from_the_beat_schedule():
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "accounts.sign_in_data_purge"
    ]

    assert len(entries) == 1
    assert "accounts.sign_in_data_purge" in celery_app.tasks


def test_a_successful_sign_in_leaves_no_axes_access_log(client):
    account = factories.UserFactory(email="kept-out-of-axes@harbour.test")

    response = client.post(
        reverse("accounts:login"),
        {"username": account.email, "password": factories.DEFAULT_PASSWORD},
    )

    assert response.status_code == 302
    assert not AccessLog.objects.exists()
