"""The dashboard tells central administrators when the nightly integrity check failed or
stopped running (issue 12 §4: failures surfaced, without personal data)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.housekeeping import audit_integrity_check
from cases.models import AuditAction
from cases.selectors import audit_integrity_warning
from tests import factories

pytestmark = pytest.mark.django_db

URL = reverse("dashboard")


def test_a_failed_check_is_shown_to_central_administrators(central_admin, client_for, settings):
    settings.HARBOUR_DATABASE_ROLE_CHECK = True  # the suite connects as the owner: a failure
    audit_integrity_check()

    html = client_for(central_admin).get(URL).content.decode()

    assert "The nightly audit integrity check of" in html
    assert "failed" in html
    assert "role:owner_or_superuser" in html


def test_caseworkers_and_researchers_do_not_see_it(caseworker_a, researcher, settings):
    settings.HARBOUR_DATABASE_ROLE_CHECK = True
    audit_integrity_check()

    assert audit_integrity_warning(user=caseworker_a) is None
    assert audit_integrity_warning(user=researcher) is None


def test_a_passing_recent_check_shows_nothing(central_admin, client_for):
    assert audit_integrity_check().ok

    html = client_for(central_admin).get(URL).content.decode()

    assert "Audit trail integrity" not in html


def test_a_check_that_stopped_running_is_shown(central_admin):
    factories.AuditEventFactory(
        action=AuditAction.AUDIT_INTEGRITY_CHECKED,
        actor=None,
        occurred_at=timezone.now() - datetime.timedelta(days=3),
        detail={"ok": True},
    )

    warning = audit_integrity_warning(user=central_admin)

    assert (warning["failed"], warning["stale"], warning["problems"]) == (False, True, [])


def test_a_broken_chain_is_named_by_its_kind_only(central_admin):
    factories.AuditEventFactory(
        action=AuditAction.AUDIT_INTEGRITY_CHECKED,
        actor=None,
        detail={"ok": False, "chain_problem": "missing", "chain_problem_seq": 7},
    )

    assert audit_integrity_warning(user=central_admin)["problems"] == ["chain:missing"]


def test_the_warning_costs_one_query(central_admin, django_assert_num_queries):
    audit_integrity_check()

    with django_assert_num_queries(1):
        audit_integrity_warning(user=central_admin)
