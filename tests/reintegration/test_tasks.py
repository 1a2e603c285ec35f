import datetime

import pytest
from django.conf import settings as django_settings

from cases.models import AuditAction, AuditEvent, Case
from cases.vocabularies import CaseStatus
from reintegration import services
from reintegration.models import MonitoringVisit
from reintegration.tasks import monitoring_mark_overdue_task
from tests import factories
from tests.reintegration.conftest import TODAY, record_kwargs

pytestmark = pytest.mark.django_db


def _visit(case, *, days_ago: int, **kwargs) -> MonitoringVisit:
    plan = case.reintegration_plan if hasattr(case, "reintegration_plan") else None
    plan = plan or factories.ReintegrationPlanFactory(case=case)
    return factories.MonitoringVisitFactory(
        plan=plan, planned_date=TODAY - datetime.timedelta(days=days_ago), **kwargs
    )


@pytest.fixture
def grace(settings):
    settings.HARBOUR_MONITORING_GRACE_DAYS = 7
    return 7


def test_a_visit_past_the_grace_period_is_marked_overdue(active_case_a, grace):
    late = _visit(active_case_a, days_ago=grace + 1)

    assert services.monitoring_mark_overdue(today=TODAY) == 1

    late.refresh_from_db()
    assert late.status == MonitoringVisit.Status.OVERDUE
    # A system change: a form opened before it can still be saved.
    assert late.version == 1


def test_a_visit_within_the_grace_period_is_not_overdue(active_case_a, grace):
    on_the_edge = _visit(active_case_a, days_ago=grace)
    upcoming = _visit(active_case_a, days_ago=-5)

    assert services.monitoring_mark_overdue(today=TODAY) == 0

    for visit in (on_the_edge, upcoming):
        visit.refresh_from_db()
        assert visit.status == MonitoringVisit.Status.SCHEDULED
    assert not AuditEvent.objects.filter(
        action=AuditAction.MONITORING_VISITS_MARKED_OVERDUE
    ).exists()


def test_the_grace_period_comes_from_the_settings(active_case_a, settings):
    settings.HARBOUR_MONITORING_GRACE_DAYS = 0
    visit = _visit(active_case_a, days_ago=1)

    assert services.monitoring_mark_overdue(today=TODAY) == 1

    visit.refresh_from_db()
    assert visit.status == MonitoringVisit.Status.OVERDUE


def test_marking_is_idempotent_with_one_audit_row_of_the_count(active_case_a, grace):
    _visit(active_case_a, days_ago=30)
    _visit(active_case_a, days_ago=60)

    first = services.monitoring_mark_overdue(today=TODAY)
    second = services.monitoring_mark_overdue(today=TODAY)

    assert (first, second) == (2, 0)
    event = AuditEvent.objects.get(action=AuditAction.MONITORING_VISITS_MARKED_OVERDUE)
    assert event.actor_id is None
    assert event.detail["count"] == 2


def test_visits_done_cancelled_or_of_closed_cases_are_left_alone(active_case_a, grace, mission_a):
    _visit(active_case_a, days_ago=30, status=MonitoringVisit.Status.CANCELLED)
    closed = factories.CaseFactory(mission=mission_a, status=CaseStatus.CLOSED)
    of_closed = _visit(closed, days_ago=30)

    assert services.monitoring_mark_overdue(today=TODAY) == 0

    of_closed.refresh_from_db()
    assert of_closed.status == MonitoringVisit.Status.SCHEDULED


def test_an_overdue_visit_can_still_be_recorded(active_case_a, caseworker_a, grace):
    visit = _visit(active_case_a, days_ago=30)
    services.monitoring_mark_overdue(today=TODAY)

    visit = services.visit_record(
        actor=caseworker_a, visit_id=visit.pk, version=visit.version, **record_kwargs()
    )

    assert visit.status == MonitoringVisit.Status.DONE


def test_the_task_runs_the_service(active_case_a, grace):
    visit = _visit(active_case_a, days_ago=grace + 3)

    assert monitoring_mark_overdue_task.apply().get() == 1

    visit.refresh_from_db()
    assert visit.status == MonitoringVisit.Status.OVERDUE
    assert Case.objects.get(pk=active_case_a.pk).status == CaseStatus.ACTIVE


def test_the_task_is_scheduled_daily():
    entry = django_settings.CELERY_BEAT_SCHEDULE["reintegration-monitoring-mark-overdue"]

    assert entry["task"] == monitoring_mark_overdue_task.name
    schedule = entry["schedule"]
    # Once a day: one hour and one minute, every day of the week and of the month.
    assert (len(schedule.hour), len(schedule.minute)) == (1, 1)
    assert (len(schedule.day_of_week), len(schedule.day_of_month)) == (7, 31)
