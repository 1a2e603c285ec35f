import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from assistance.serializers import UNKNOWN_CODE_MESSAGE, UNKNOWN_RECORD_MESSAGE
from cases.models import AuditAction, AuditEvent, Case
from cases.vocabularies import CaseStatus
from config.api.exceptions import NOT_FOUND_MESSAGE
from config.api.serializers import UNKNOWN_FIELD_MESSAGE
from reintegration import services
from reintegration.models import MonitoringVisit, ReintegrationAssistance, ReintegrationPlan
from tests import factories
from tests.reintegration.conftest import TODAY, plan_data
from tests.second_factor import SECOND_FACTOR_QUERIES, verified_login

pytestmark = pytest.mark.django_db

MISSING_ID = "00000000-0000-0000-0000-000000000000"
NOT_FOUND_BODY = {"message": NOT_FOUND_MESSAGE, "code": "not_found", "errors": {}}


def url(name: str, **kwargs) -> str:
    return reverse(f"reintegration_api:{name}", kwargs=kwargs)


def assert_invalid(response, *fields: str) -> dict:
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "code", "errors"}
    assert set(fields) <= set(body["errors"])
    return body


@pytest.fixture
def api_for():
    def _api_for(user):
        client = APIClient()
        if user is not None:
            verified_login(client, user)
        return client

    return _api_for


@pytest.fixture
def cw(api_for, caseworker_a):
    return api_for(caseworker_a)


def plan_body(**overrides):
    body = {
        "economic_goals": "Shop",
        "start_date": "2025-01-10",
        "monitoring_months": [3, 6, 12],
    }
    body.update(overrides)
    return body


def record_body(visit, **overrides):
    body = {
        "version": visit.version,
        "done_date": TODAY.isoformat(),
        "mode": "in_person",
        "economic_score": 3,
        "economic_reason": "income_irregular",
        "social_score": 4,
        "social_reason": "in_school",
        "psychosocial_score": 2,
        "psychosocial_reason": "isolated",
    }
    body.update(overrides)
    return body


# Plan


def test_put_creates_the_plan_then_updates_it(cw, active_case_a):
    created = cw.put(url("case_plan", case_id=active_case_a.pk), plan_body(), format="json")
    updated = cw.put(
        url("case_plan", case_id=active_case_a.pk),
        plan_body(version=1, monitoring_months=[1, 2]),
        format="json",
    )
    read = cw.get(url("case_plan", case_id=active_case_a.pk))

    assert created.status_code == 201
    assert created.json()["anchor_source"] == "plan_start"
    assert updated.status_code == 200
    assert read.json()["monitoring_months"] == [1, 2]
    assert read.json()["version"] == 2
    assert AuditEvent.objects.filter(
        action=AuditAction.CASE_VIEWED, detail={"section": "reintegration_plan"}
    ).exists()


def test_get_is_404_while_there_is_no_plan(cw, active_case_a):
    response = cw.get(url("case_plan", case_id=active_case_a.pk))

    assert response.status_code == 404
    assert response.json() == NOT_FOUND_BODY


def test_an_update_needs_the_current_version(cw, plan):
    without = cw.put(url("case_plan", case_id=plan.case_id), plan_body(), format="json")
    stale = cw.put(url("case_plan", case_id=plan.case_id), plan_body(version=9), format="json")

    assert_invalid(without, "version")
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (plan_body(monitoring_months=[6, 3]), "monitoring_months"),
        (plan_body(monitoring_months=[0]), "monitoring_months"),
        (plan_body(monitoring_months=[61]), "monitoring_months"),
        (plan_body(monitoring_months=[]), "monitoring_months"),
        (plan_body(monitoring_months="3,6"), "monitoring_months"),
        (plan_body(monitoring_months=["x"]), "monitoring_months.0"),
        (plan_body(start_date="yesterday"), "start_date"),
        (plan_body(start_date=None), "start_date"),
        # Months after the last day of the calendar would overflow: a field error, not a 500.
        (plan_body(start_date="9999-12-31"), "start_date"),
        (plan_body(start_date="0001-01-01"), "start_date"),
        (plan_body(needs="x" * 10_001), "needs"),
        (plan_body(anchor_date="2025-01-01"), "anchor_date"),
    ],
)
def test_bad_plan_input_is_400_and_saves_nothing(cw, active_case_a, body, field):
    response = cw.put(url("case_plan", case_id=active_case_a.pk), body, format="json")

    assert_invalid(response, field)
    assert not ReintegrationPlan.objects.exists()


def test_the_schedule_rule_comes_back_in_the_one_error_shape(cw, active_case_a):
    response = cw.put(
        url("case_plan", case_id=active_case_a.pk),
        plan_body(monitoring_months=[6, 3]),
        format="json",
    )

    assert response.json()["errors"] == {"monitoring_months": [services.SCHEDULE_ORDER_MESSAGE]}


def test_a_closed_case_refuses_writes(cw, plan):
    Case.objects.filter(pk=plan.case_id).update(status=CaseStatus.CLOSED)

    response = cw.put(
        url("case_plan", case_id=plan.case_id), plan_body(version=plan.version), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "case_not_open"
    assert cw.get(url("case_plan", case_id=plan.case_id)).status_code == 200


# Assistance


def test_assistance_is_recorded_with_an_exact_amount_and_listed(cw, active_case_a):
    created = cw.post(
        url("case_assistance", case_id=active_case_a.pk),
        {
            "option": "scholarship_tertiary",
            "provider": "iom",
            "amount": "1200.50",
            "currency": "THB",
        },
        format="json",
    )
    listed = cw.get(url("case_assistance", case_id=active_case_a.pk))

    assert created.status_code == 201
    assert created.json()["amount"] == "1200.50"
    assert created.json()["dimension"] == "social"
    assert listed.json()["count"] == 1
    assert listed.json()["results"][0]["id"] == created.json()["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 12.5, "currency": "EUR"}, None),
        ({"amount": "12.555", "currency": "EUR"}, "amount"),
        ({"amount": "1e400", "currency": "EUR"}, "amount"),
        ({"amount": "5", "currency": "EU"}, "currency"),
        ({"amount": "5"}, "currency"),
        ({"option": "lottery"}, "option"),
        ({"organisation": 999999}, "organisation"),
        ({"status": "lost"}, "status"),
        ({"dimension": "social"}, "dimension"),
    ],
)
def test_bad_assistance_input_is_400(cw, active_case_a, body, field):
    response = cw.post(
        url("case_assistance", case_id=active_case_a.pk),
        {"option": "cash_based", "provider": "iom", **body},
        format="json",
    )

    if field is None:
        # A JSON number is turned into text by the serializer, then parsed exactly.
        assert response.status_code == 201
        assert response.json()["amount"] == "12.50"
        return
    body = assert_invalid(response, field)
    assert ReintegrationAssistance.objects.count() == 0
    if field == "option":
        assert body["errors"]["option"] == [str(UNKNOWN_CODE_MESSAGE)]
    if field == "organisation":
        assert body["errors"]["organisation"] == [str(UNKNOWN_RECORD_MESSAGE)]
    if field == "dimension":
        assert body["errors"]["dimension"] == [str(UNKNOWN_FIELD_MESSAGE)]


def test_status_change_follows_the_transitions(cw, active_case_a, caseworker_a):
    item = factories.ReintegrationAssistanceFactory(case=active_case_a, created_by=caseworker_a)
    item_url = url("assistance_item", reintegration_item_id=item.pk)

    moved = cw.patch(item_url, {"version": 1, "status": "provided"}, format="json")
    again = cw.patch(item_url, {"version": 2, "status": "cancelled"}, format="json")
    stale = cw.patch(item_url, {"version": 1, "status": "cancelled"}, format="json")
    bad = cw.patch(item_url, {"version": "x", "status": "cancelled"}, format="json")

    assert moved.status_code == 200
    assert again.status_code == 400
    assert again.json()["code"] == "item_final"
    assert stale.status_code == 409
    assert_invalid(bad, "version")


# Visits


def test_visits_are_listed_and_recorded(cw, plan):
    listed = cw.get(url("case_visits", case_id=plan.case_id)).json()
    visit = plan.visits.get(schedule_month=3)

    recorded = cw.post(url("visit_record", visit_id=visit.pk), record_body(visit), format="json")

    assert [row["schedule_month"] for row in listed["results"]] == [3, 6, 12]
    assert recorded.status_code == 200
    assert recorded.json()["status"] == "done"
    assert recorded.json()["psychosocial_score"] == 2


def test_an_extra_visit_is_added(cw, plan):
    response = cw.post(
        url("case_visits", case_id=plan.case_id), {"planned_date": "2025-06-01"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["schedule_month"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"economic_score": 0}, "economic_score"),
        ({"social_score": 6}, "social_score"),
        ({"psychosocial_score": "high"}, "psychosocial_score"),
        ({"psychosocial_score": None}, "psychosocial_score"),
        ({"economic_reason": "stigma"}, "economic_reason"),
        ({"mode": "telepathy"}, "mode"),
        ({"done_date": "2999-01-01"}, "done_date"),
        ({"visited_by": 999999}, "visited_by"),
        ({"retrafficked": "perhaps"}, "retrafficked"),
        ({"status": "done"}, "status"),
    ],
)
def test_bad_visit_input_is_400_and_the_visit_stays_scheduled(cw, plan, overrides, field):
    visit = plan.visits.get(schedule_month=3)

    response = cw.post(
        url("visit_record", visit_id=visit.pk), record_body(visit, **overrides), format="json"
    )

    assert_invalid(response, field)
    visit.refresh_from_db()
    assert visit.status == MonitoringVisit.Status.SCHEDULED


def test_a_score_out_of_range_says_1_to_5(cw, plan):
    visit = plan.visits.get(schedule_month=3)

    response = cw.post(
        url("visit_record", visit_id=visit.pk),
        record_body(visit, social_score=9),
        format="json",
    )

    assert response.json()["errors"] == {"social_score": [services.SCORE_REQUIRED_MESSAGE]}


def test_a_visit_missing_a_score_is_refused(cw, plan):
    visit = plan.visits.get(schedule_month=3)
    body = record_body(visit)
    del body["economic_score"]

    response = cw.post(url("visit_record", visit_id=visit.pk), body, format="json")

    assert_invalid(response, "economic_score")


def test_recording_re_trafficking_flags_the_case(cw, plan):
    visit = plan.visits.get(schedule_month=3)

    cw.post(
        url("visit_record", visit_id=visit.pk),
        record_body(visit, retrafficked=True),
        format="json",
    )

    assert Case.objects.get(pk=plan.case_id).retrafficked is True


def test_list_query_counts_do_not_grow_with_rows(
    cw, plan, caseworker_a, django_assert_num_queries, django_assert_max_num_queries
):
    factories.ReintegrationAssistanceFactory(case=plan.case, created_by=caseworker_a)
    for name in ("case_assistance", "case_visits"):
        cw.get(url(name, case_id=plan.case_id))
    counts = {}
    for name in ("case_assistance", "case_visits"):
        # +2: the audit chain's lock and head (cases/audit_chain.py)
        with django_assert_max_num_queries(12 + SECOND_FACTOR_QUERIES) as ctx:
            cw.get(url(name, case_id=plan.case_id))
        counts[name] = len(ctx.captured_queries)
    for _ in range(6):
        factories.ReintegrationAssistanceFactory(case=plan.case, created_by=caseworker_a)
        services.visit_add(actor=caseworker_a, case_id=plan.case_id, planned_date=TODAY)

    for name in ("case_assistance", "case_visits"):
        with django_assert_num_queries(counts[name]):
            cw.get(url(name, case_id=plan.case_id))


# Scope


@pytest.mark.parametrize(
    ("method", "name", "key", "record"),
    [
        ("get", "case_plan", "case_id", "case"),
        ("put", "case_plan", "case_id", "case"),
        ("get", "case_assistance", "case_id", "case"),
        ("post", "case_assistance", "case_id", "case"),
        ("patch", "assistance_item", "reintegration_item_id", "item"),
        ("get", "case_visits", "case_id", "case"),
        ("post", "case_visits", "case_id", "case"),
        ("post", "visit_record", "visit_id", "visit"),
    ],
)
def test_another_missions_records_are_the_missing_404(
    api_for, caseworker_a, caseworker_b, mission_b, method, name, key, record
):
    case = factories.ActiveCaseFactory(mission=mission_b)
    plan = services.plan_create(actor=caseworker_b, case_id=case.pk, data=plan_data())
    records = {
        "case": case,
        "item": factories.ReintegrationAssistanceFactory(case=case, created_by=caseworker_b),
        "visit": plan.visits.first(),
    }
    client = api_for(caseworker_a)

    out_of_scope = getattr(client, method)(
        url(name, **{key: records[record].pk}), {"bogus": 1}, format="json"
    )
    missing = getattr(client, method)(url(name, **{key: MISSING_ID}), {"bogus": 1}, format="json")
    malformed = getattr(client, method)(url(name, **{key: "nope"}), {"bogus": 1}, format="json")

    assert out_of_scope.status_code == missing.status_code == malformed.status_code == 404
    assert out_of_scope.json() == missing.json() == malformed.json() == NOT_FOUND_BODY


def test_a_researcher_gets_404_everywhere(api_for, researcher, plan):
    client = api_for(researcher)

    assert client.get(url("case_plan", case_id=plan.case_id)).status_code == 404
    assert client.get(url("case_visits", case_id=plan.case_id)).status_code == 404


def test_the_endpoints_are_in_the_schema(cw):
    import yaml

    paths = yaml.safe_load(cw.get(reverse("api_schema")).content)["paths"]

    assert set(paths["/api/v1/cases/{case_id}/reintegration-plan/"]) == {"get", "put"}
    assert set(paths["/api/v1/cases/{case_id}/reintegration-assistance/"]) == {"get", "post"}
    assert set(paths["/api/v1/reintegration-assistance/{reintegration_item_id}/"]) == {"patch"}
    assert set(paths["/api/v1/cases/{case_id}/monitoring-visits/"]) == {"get", "post"}
    assert set(paths["/api/v1/monitoring-visits/{visit_id}/record/"]) == {"post"}


def test_dates_in_responses_are_iso(cw, plan):
    body = cw.get(url("case_plan", case_id=plan.case_id)).json()

    assert datetime.date.fromisoformat(body["anchor_date"]) == plan.anchor_date
