import datetime
import re
import uuid

import pytest
from django.urls import reverse

from cases.models import AuditAction, AuditEvent, Case
from cases.vocabularies import CaseStatus
from reintegration import services
from reintegration.models import MonitoringVisit, ReintegrationAssistance, ReintegrationPlan
from reintegration.selectors import DASHBOARD_VISITS_SHOWN, reintegration_case_panel
from reintegration.views import (
    ITEM_RECORDED_MESSAGE,
    PLAN_CREATED_MESSAGE,
    VISIT_RECORDED_MESSAGE,
)
from tests import factories
from tests.reintegration.conftest import TODAY, plan_data, record_kwargs, scores
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db

MISSING = uuid.UUID(int=0)


def url(name: str, **kwargs) -> str:
    return reverse(f"reintegration:{name}", kwargs=kwargs)


@pytest.fixture
def cw(client_for, caseworker_a):
    return client_for(caseworker_a)


def _done_visit(plan, actor, month, economic, social, psychosocial):
    visit = plan.visits.get(schedule_month=month)
    return services.visit_record(
        actor=actor,
        visit_id=visit.pk,
        version=visit.version,
        **record_kwargs(
            # In order, and after the case's registration (three days ago in the factory).
            done_date=TODAY - datetime.timedelta(days=3 - month // 3),
            scores=scores(economic, social, psychosocial),
        ),
    )


# Case page section


def test_the_case_page_shows_plan_items_timeline_and_chart(cw, plan, caseworker_a):
    services.assistance_record(
        actor=caseworker_a,
        case_id=plan.case_id,
        option="business_start_up_grant",
        provider="iom",
        amount="250.00",
        currency="USD",
    )
    _done_visit(plan, caseworker_a, 3, 2, 3, 2)
    _done_visit(plan, caseworker_a, 6, 4, 3, 4)

    html = cw.get(reverse("cases:detail", kwargs={"case_id": plan.case_id})).content.decode()
    section = html[html.index('id="reintegration-title"') :]

    assert "Open a tailoring shop" in section
    assert "Business start-up grant" in section
    assert "250.00" in section and "USD" in section
    assert '<svg class="monitoring-chart" role="img"' in section
    assert '<title id="monitoring-chart-title">' in section
    assert '<desc id="monitoring-chart-desc">' in section
    assert section.count('<polyline class="chart-line"') == 3
    # The data table fallback gives the same scores.
    assert "Monitoring scores by visit" in section
    assert url("visit_record", visit_id=plan.visits.get(schedule_month=12).pk) in section
    assert not re.search(r"\sstyle=", section)
    assert "css/reintegration.css" in html


def test_a_case_without_a_plan_offers_to_make_one(cw, active_case_a):
    html = cw.get(reverse("cases:detail", kwargs={"case_id": active_case_a.pk})).content.decode()

    assert url("plan_create", case_id=active_case_a.pk) in html
    assert "No reintegration plan yet." in html
    assert "monitoring-chart" not in html.split("reintegration.css")[1]


def test_a_closed_case_shows_reintegration_without_any_action(cw, plan):
    Case.objects.filter(pk=plan.case_id).update(status=CaseStatus.CLOSED)

    html = cw.get(reverse("cases:detail", kwargs={"case_id": plan.case_id})).content.decode()

    assert "Open a tailoring shop" in html
    assert "/reintegration/" not in html.replace("css/reintegration.css", "")


def test_the_case_section_costs_one_query_whatever_the_rows(
    plan, caseworker_a, django_assert_num_queries
):
    for _ in range(8):
        factories.ReintegrationAssistanceFactory(case=plan.case, created_by=caseworker_a)
        services.visit_add(actor=caseworker_a, case_id=plan.case_id, planned_date=TODAY)
    _done_visit(plan, caseworker_a, 3, 2, 3, 2)

    with django_assert_num_queries(1):
        panel = reintegration_case_panel(case=plan.case, user=caseworker_a)

    assert len(panel["items"]) == 8
    assert len(panel["visits"]) == 11
    assert panel["chart"] is not None


def test_the_case_page_query_count_does_not_grow_with_rows(
    cw, plan, caseworker_a, django_assert_max_num_queries, django_assert_num_queries
):
    page = reverse("cases:detail", kwargs={"case_id": plan.case_id})
    cw.get(page)
    with django_assert_max_num_queries(100) as few:
        cw.get(page)
    for _ in range(10):
        factories.ReintegrationAssistanceFactory(case=plan.case, created_by=caseworker_a)
        services.visit_add(actor=caseworker_a, case_id=plan.case_id, planned_date=TODAY)

    with django_assert_num_queries(len(few.captured_queries)):
        cw.get(page)


# Plan pages


def test_making_a_plan_schedules_the_visits(cw, active_case_a):
    response = cw.post(
        url("plan_create", case_id=active_case_a.pk),
        {
            "economic_goals": "Shop",
            "start_date": "2025-01-10",
            "monitoring_months": "3, 6, 12",
        },
        follow=True,
    )

    plan = ReintegrationPlan.objects.get(case=active_case_a)
    assert str(PLAN_CREATED_MESSAGE) in response.content.decode()
    assert sorted(plan.visits.values_list("schedule_month", flat=True)) == [3, 6, 12]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"monitoring_months": "6, 3"}, "monitoring_months", services.SCHEDULE_ORDER_MESSAGE),
        ({"monitoring_months": "x"}, "monitoring_months", services.SCHEDULE_INVALID_MESSAGE),
        ({"monitoring_months": "3, 61"}, "monitoring_months", services.SCHEDULE_ORDER_MESSAGE),
        ({"start_date": "not a date"}, "start_date", "Enter a valid date."),
        ({"start_date": ""}, "start_date", "This field is required."),
        ({"needs": "x" * 10_001}, "needs", None),
    ],
)
def test_bad_plan_input_shows_errors_next_to_the_field(cw, active_case_a, data, field, message):
    post = {"start_date": "2025-01-10", "monitoring_months": "3, 6, 12", **data}

    response = cw.post(url("plan_create", case_id=active_case_a.pk), post)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert errors[field] == [message]
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert 'class="error-summary"' in html
    assert not ReintegrationPlan.objects.exists()


def test_the_plan_form_of_a_case_with_a_plan_links_to_the_edit(cw, plan):
    response = cw.get(url("plan_create", case_id=plan.case_id))

    html = response.content.decode()
    assert services.PLAN_EXISTS_MESSAGE in html
    assert url("plan_edit", reintegration_plan_id=plan.pk) in html
    assert '<form method="post"' not in html.split("<main")[1]


def test_a_closed_case_refuses_a_plan(cw, active_case_a):
    Case.objects.filter(pk=active_case_a.pk).update(status=CaseStatus.CLOSED)

    page = cw.get(url("plan_create", case_id=active_case_a.pk)).content.decode()
    response = cw.post(
        url("plan_create", case_id=active_case_a.pk),
        {"start_date": "2025-01-10", "monitoring_months": "3"},
    )

    assert services.CASE_NOT_OPEN_MESSAGE in page
    assert services.CASE_NOT_OPEN_MESSAGE in response.content.decode()
    assert not ReintegrationPlan.objects.exists()


def test_opening_the_plan_form_is_an_audited_read(cw, plan):
    response = cw.get(url("plan_edit", reintegration_plan_id=plan.pk))

    assert "Open a tailoring shop" in response.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.CASE_VIEWED, object_id=str(plan.pk)
    ).exists()


def test_editing_the_schedule_replans(cw, plan):
    response = cw.post(
        url("plan_edit", reintegration_plan_id=plan.pk),
        {
            "version": plan.version,
            "start_date": plan.start_date.isoformat(),
            "monitoring_months": "1, 2",
        },
    )

    assert response.status_code == 302
    pending = plan.visits.exclude(status=MonitoringVisit.Status.CANCELLED)
    assert sorted(pending.values_list("schedule_month", flat=True)) == [1, 2]


def test_a_stale_plan_edit_says_so_and_saves_nothing(cw, plan):
    response = cw.post(
        url("plan_edit", reintegration_plan_id=plan.pk),
        {"version": plan.version + 1, "start_date": "2025-01-10", "monitoring_months": "1"},
    )

    assert response.context["form"].non_field_errors() == [services.STALE_MESSAGE]
    plan.refresh_from_db()
    assert plan.monitoring_months == [3, 6, 12]


# Assistance pages


def test_recording_assistance(cw, active_case_a):
    response = cw.post(
        url("assistance_create", case_id=active_case_a.pk),
        {
            "option": "vocational_training",
            "provider": "iom",
            "status": "planned",
            "amount": "99.90",
            "currency": "eur",
        },
        follow=True,
    )

    item = ReintegrationAssistance.objects.get()
    assert str(ITEM_RECORDED_MESSAGE) in response.content.decode()
    assert (item.dimension, str(item.amount), item.currency) == ("economic", "99.90", "EUR")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "1.234", "currency": "EUR"}, "amount"),
        ({"amount": "ten", "currency": "EUR"}, "amount"),
        ({"amount": "10", "currency": "ABC"}, "currency"),
        ({"amount": "10"}, "currency"),
        ({"option": "lottery"}, "option"),
        ({"provider": "organisation"}, "organisation"),
        ({"start_date": "2025-02-01", "end_date": "2025-01-01"}, "end_date"),
    ],
)
def test_bad_assistance_input_shows_field_errors(cw, active_case_a, data, field):
    post = {"option": "cash_based", "provider": "iom", "status": "planned", **data}

    response = cw.post(url("assistance_create", case_id=active_case_a.pk), post)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ReintegrationAssistance.objects.exists()


def test_changing_an_items_status(cw, active_case_a, caseworker_a):
    item = factories.ReintegrationAssistanceFactory(case=active_case_a, created_by=caseworker_a)

    page = cw.get(url("assistance_status", reintegration_item_id=item.pk))
    response = cw.post(
        url("assistance_status", reintegration_item_id=item.pk),
        {"version": 1, "to_status": "provided", "end_date": TODAY.isoformat()},
    )

    assert [c for c, _label in page.context["form"].fields["to_status"].choices] == [
        "",
        "in_progress",
        "provided",
        "declined",
        "cancelled",
    ]
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "provided"


def test_a_final_item_offers_no_status_change(cw, active_case_a, caseworker_a):
    item = factories.ReintegrationAssistanceFactory(
        case=active_case_a, created_by=caseworker_a, status="cancelled"
    )

    response = cw.post(
        url("assistance_status", reintegration_item_id=item.pk),
        {"version": 1, "to_status": "provided"},
    )

    assert services.ITEM_FINAL_MESSAGE in response.content.decode()
    item.refresh_from_db()
    assert item.status == "cancelled"


# Visit pages


def _record_post(visit, **overrides):
    data = {
        "version": visit.version,
        "done_date": TODAY.isoformat(),
        "mode": "phone",
        "economic_score": "4",
        "economic_reason": "employed",
        "social_score": "3",
        "social_reason": "housing_secure",
        "psychosocial_score": "5",
        "psychosocial_reason": "family_support",
    }
    data.update(overrides)
    return data


def test_recording_a_visit_with_its_scores(cw, plan, caseworker_a):
    visit = plan.visits.get(schedule_month=3)
    form = cw.get(url("visit_record", visit_id=visit.pk)).context["form"]

    response = cw.post(
        url("visit_record", visit_id=visit.pk),
        _record_post(visit, visited_by=caseworker_a.pk),
        follow=True,
    )

    visit.refresh_from_db()
    assert form.initial["visited_by"] == caseworker_a.pk
    assert str(VISIT_RECORDED_MESSAGE) in response.content.decode()
    assert visit.scores() == {"economic": 4, "social": 3, "psychosocial": 5}
    assert visit.mode == "phone"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"economic_score": ""}, "economic_score"),
        ({"social_score": "6"}, "social_score"),
        ({"psychosocial_score": "0"}, "psychosocial_score"),
        ({"economic_reason": "stigma"}, "economic_reason"),
        ({"mode": ""}, "mode"),
        ({"done_date": "2999-01-01"}, "done_date"),
    ],
)
def test_a_visit_missing_a_score_or_with_bad_input_is_refused(
    cw, plan, caseworker_a, overrides, field
):
    visit = plan.visits.get(schedule_month=3)

    response = cw.post(
        url("visit_record", visit_id=visit.pk),
        _record_post(visit, visited_by=caseworker_a.pk, **overrides),
    )

    assert response.status_code == 200
    assert field in response.context["form"].errors
    visit.refresh_from_db()
    assert visit.status == MonitoringVisit.Status.SCHEDULED


def test_a_visit_can_record_re_trafficking(cw, plan, caseworker_a):
    visit = plan.visits.get(schedule_month=3)

    cw.post(
        url("visit_record", visit_id=visit.pk),
        _record_post(visit, visited_by=caseworker_a.pk, retrafficked="on"),
    )

    assert Case.objects.get(pk=plan.case_id).retrafficked is True


def test_adding_an_extra_visit(cw, plan):
    response = cw.post(url("visit_add", case_id=plan.case_id), {"planned_date": "2025-05-05"})

    assert response.status_code == 302
    assert plan.visits.filter(schedule_month__isnull=True).count() == 1


def test_an_extra_visit_without_a_plan_is_refused(cw, active_case_a):
    page = cw.get(url("visit_add", case_id=active_case_a.pk)).content.decode()
    response = cw.post(url("visit_add", case_id=active_case_a.pk), {"planned_date": "2025-05-05"})

    assert services.PLAN_REQUIRED_MESSAGE in page
    assert response.status_code == 200
    assert not MonitoringVisit.objects.exists()


def test_an_extra_visit_with_a_bad_date_shows_the_error(cw, plan):
    response = cw.post(url("visit_add", case_id=plan.case_id), {"planned_date": "soon"})

    assert response.context["form"].errors == {"planned_date": ["Enter a valid date."]}


@pytest.mark.parametrize(
    ("name", "key", "record"),
    [
        ("plan_edit", "reintegration_plan_id", "plan"),
        ("assistance_status", "reintegration_item_id", "item"),
        ("visit_record", "visit_id", "visit"),
        ("plan_create", "case_id", "case"),
        ("assistance_create", "case_id", "case"),
        ("visit_add", "case_id", "case"),
    ],
)
def test_another_missions_page_is_the_missing_404(
    client_for, caseworker_a, caseworker_b, mission_b, name, key, record
):
    case = factories.ActiveCaseFactory(mission=mission_b)
    plan = services.plan_create(actor=caseworker_b, case_id=case.pk, data=plan_data())
    records = {
        "plan": plan,
        "item": factories.ReintegrationAssistanceFactory(case=case, created_by=caseworker_b),
        "visit": plan.visits.first(),
        "case": case,
    }
    client = client_for(caseworker_a)

    for method in ("get", "post"):
        out_of_scope = getattr(client, method)(url(name, **{key: records[record].pk}))
        missing = getattr(client, method)(url(name, **{key: MISSING}))
        assert out_of_scope.status_code == missing.status_code == 404
        assert out_of_scope.content == missing.content


# Overdue visits


def _overdue(case, *, days_ago=30):
    plan = factories.ReintegrationPlanFactory(case=case)
    return factories.MonitoringVisitFactory(
        plan=plan,
        status=MonitoringVisit.Status.OVERDUE,
        planned_date=TODAY - datetime.timedelta(days=days_ago),
        schedule_month=3,
    )


def test_a_caseworker_lists_only_overdue_visits_of_their_cases(
    cw, active_case_a, mission_b, mission_a
):
    mine = _overdue(active_case_a)
    _overdue(factories.ActiveCaseFactory(mission=mission_b))
    factories.MonitoringVisitFactory(plan=mine.plan, schedule_month=6)

    response = cw.get(url("overdue_visits"))

    assert list(response.context["page_obj"].object_list) == [mine]
    assert [m.pk for m in response.context["form"].fields["mission"].queryset] == [mission_a.pk]


def test_a_central_admin_filters_overdue_visits_by_mission(
    client_for, central_admin, mission_a, mission_b
):
    in_a = _overdue(factories.ActiveCaseFactory(mission=mission_a))
    in_b = _overdue(factories.ActiveCaseFactory(mission=mission_b))
    client = client_for(central_admin)

    everything = client.get(url("overdue_visits")).context["page_obj"].object_list
    only_b = client.get(url("overdue_visits"), {"mission": mission_b.pk})

    assert set(everything) == {in_a, in_b}
    assert list(only_b.context["page_obj"].object_list) == [in_b]
    assert in_b.case.reference in only_b.content.decode()
    assert in_a.case.reference not in only_b.content.decode()


def test_a_bad_mission_filter_shows_its_error_and_no_rows(client_for, central_admin, mission_a):
    _overdue(factories.ActiveCaseFactory(mission=mission_a))

    response = client_for(central_admin).get(url("overdue_visits"), {"mission": "nope"})

    assert "mission" in response.context["form"].errors
    assert list(response.context["page_obj"].object_list) == []


def test_the_overdue_list_is_paginated_with_a_fixed_query_count(
    client_for, central_admin, mission_a, settings, django_assert_max_num_queries
):
    settings.HARBOUR_CASE_PAGE_SIZE = 5
    for _ in range(12):
        _overdue(factories.ActiveCaseFactory(mission=mission_a))
    client = client_for(central_admin)

    with django_assert_max_num_queries(9 + SECOND_FACTOR_QUERIES):
        first = client.get(url("overdue_visits"))
    with django_assert_max_num_queries(9 + SECOND_FACTOR_QUERIES):
        last = client.get(url("overdue_visits"), {"page": 3})

    assert len(first.context["page_obj"].object_list) == 5
    assert len(last.context["page_obj"].object_list) == 2


# Dashboard


def test_a_caseworkers_dashboard_lists_their_overdue_visits(cw, active_case_a, mission_b):
    mine = _overdue(active_case_a)
    other = _overdue(factories.ActiveCaseFactory(mission=mission_b))

    html = cw.get(reverse("dashboard")).content.decode()

    assert "Overdue monitoring visits" in html
    assert url("visit_record", visit_id=mine.pk) in html
    assert other.case.reference not in html


def test_a_long_overdue_list_on_the_dashboard_links_to_the_full_list(cw, mission_a):
    for _ in range(DASHBOARD_VISITS_SHOWN + 1):
        _overdue(factories.ActiveCaseFactory(mission=mission_a))

    html = cw.get(reverse("dashboard")).content.decode()

    assert html.count('/record/">') == DASHBOARD_VISITS_SHOWN
    assert url("overdue_visits") in html


def test_a_central_admin_sees_overdue_counts_by_mission(
    client_for, central_admin, mission_a, mission_b
):
    for _ in range(2):
        _overdue(factories.ActiveCaseFactory(mission=mission_a))
    _overdue(factories.ActiveCaseFactory(mission=mission_b))

    html = client_for(central_admin).get(reverse("dashboard")).content.decode()

    assert f'{url("overdue_visits")}?mission={mission_a.pk}">2</a>' in html
    assert f'{url("overdue_visits")}?mission={mission_b.pk}">1</a>' in html


def test_a_researcher_never_sees_overdue_visits(client_for, researcher, active_case_a):
    _overdue(active_case_a)
    client = client_for(researcher)

    html = client.get(reverse("dashboard")).content.decode()

    assert "Overdue monitoring visits" not in html
    assert client.get(url("overdue_visits")).status_code == 404
