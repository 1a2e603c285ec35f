import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assistance import services
from assistance.models import (
    AssessmentDecision,
    AssistanceInterview,
    AssistanceService,
    Movement,
    MovementType,
    Referral,
    SupportPlan,
)
from assistance.serializers import UNKNOWN_CODE_MESSAGE, UNKNOWN_RECORD_MESSAGE
from cases.models import AuditAction, AuditEvent, CaseAccessReason, CaseMissionAccess
from config.api.exceptions import NOT_FOUND_MESSAGE
from config.api.serializers import UNKNOWN_FIELD_MESSAGE
from config.validation import DATE_IN_FUTURE_MESSAGE
from tests import factories
from tests.assistance.conftest import leg, return_plan
from tests.second_factor import SECOND_FACTOR_QUERIES, verified_login

pytestmark = pytest.mark.django_db

MISSING_ID = "00000000-0000-0000-0000-000000000000"
NOT_FOUND_BODY = {"message": NOT_FOUND_MESSAGE, "code": "not_found", "errors": {}}
TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)


def url(name: str, **kwargs) -> str:
    return reverse(f"assistance_api:{name}", kwargs=kwargs)


def as_json(value):
    """Dates as the ISO strings a client sends."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def assert_invalid(response, *fields: str) -> dict:
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "code", "errors"}
    assert body["code"] == "invalid"
    assert set(fields) <= set(body["errors"])
    return body


@pytest.fixture
def api_for():
    """An API client signed in (session) as the given user, or anonymous for None."""

    def _api_for(user):
        client = APIClient()
        if user is not None:
            verified_login(client, user)
        return client

    return _api_for


@pytest.fixture
def cw(api_for, caseworker_a):
    return api_for(caseworker_a)


@pytest.fixture
def interview(active_case_a, caseworker_a):
    return factories.AssistanceInterviewFactory(
        case=active_case_a, created_by=caseworker_a, health_notes="Needs follow-up"
    )


@pytest.fixture
def service(active_case_a, caseworker_a):
    return factories.AssistanceServiceFactory(case=active_case_a, created_by=caseworker_a)


@pytest.fixture
def movement(active_case_a, caseworker_a):
    return services.movement_plan(actor=caseworker_a, case_id=active_case_a.pk, **return_plan())


@pytest.fixture
def plan(active_case_a, caseworker_a):
    return factories.SupportPlanFactory(case=active_case_a, created_by=caseworker_a)


def interview_body(**overrides):
    body = {
        "interview_date": YESTERDAY.isoformat(),
        "language": "ne",
        "interpreter_used": True,
        "immediate_needs": ["Food", "Shelter"],
        "health_notes": "Headaches since the journey",
        "safety_risk_level": "medium",
        "wish": "return",
    }
    body.update(overrides)
    return body


def service_body(**overrides):
    body = {"category": "medical", "sub_type": "primary_care", "provider": "iom"}
    body.update(overrides)
    return body


# --- scope, for every endpoint ----------------------------------------------------------------

# (method, url name, the kwarg holding the record's id, the fixture that makes the record)
ENDPOINTS = [
    ("get", "case_interviews", "case_id", "active_case_a"),
    ("post", "case_interviews", "case_id", "active_case_a"),
    ("get", "interview", "interview_id", "interview"),
    ("patch", "interview", "interview_id", "interview"),
    ("get", "case_services", "case_id", "active_case_a"),
    ("post", "case_services", "case_id", "active_case_a"),
    ("patch", "service", "service_id", "service"),
    ("get", "case_referrals", "case_id", "active_case_a"),
    ("post", "case_referrals", "case_id", "active_case_a"),
    ("get", "case_movements", "case_id", "active_case_a"),
    ("post", "case_movements", "case_id", "active_case_a"),
    ("get", "movement", "movement_id", "movement"),
    ("post", "movement_assess", "movement_id", "movement"),
    ("post", "movement_transition", "movement_id", "movement"),
    ("get", "support_plan", "case_id", "plan"),
    ("put", "support_plan", "case_id", "plan"),
    ("post", "case_access_grants", "case_id", "active_case_a"),
]


def _record_id(request, fixture: str):
    record = request.getfixturevalue(fixture)
    return record.case_id if fixture == "plan" else record.pk


@pytest.mark.parametrize(("method", "name", "kwarg", "fixture"), ENDPOINTS)
@pytest.mark.parametrize("role", ["caseworker_b", "researcher"])
def test_out_of_scope_is_the_missing_record_404(
    request, api_for, method, name, kwarg, fixture, role
):
    client = api_for(request.getfixturevalue(role))
    record_id = _record_id(request, fixture)
    body = {"version": 1}
    response = getattr(client, method)(url(name, **{kwarg: record_id}), body, format="json")
    missing = getattr(client, method)(url(name, **{kwarg: MISSING_ID}), body, format="json")
    assert (response.status_code, response.json()) == (404, NOT_FOUND_BODY)
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND_BODY)


@pytest.mark.parametrize(("method", "name", "kwarg", "fixture"), ENDPOINTS)
def test_anonymous_is_refused(request, api_for, method, name, kwarg, fixture):
    record_id = _record_id(request, fixture)
    response = getattr(api_for(None), method)(url(name, **{kwarg: record_id}), {}, format="json")
    assert response.status_code == 403


def test_out_of_scope_write_saves_nothing(api_for, caseworker_b, active_case_a):
    api_for(caseworker_b).post(
        url("case_interviews", case_id=active_case_a.pk), interview_body(), format="json"
    )
    assert not AssistanceInterview.objects.exists()


def test_malformed_id_is_the_missing_record_404(cw):
    response = cw.get(url("interview", interview_id="not-a-uuid"))
    assert (response.status_code, response.json()) == (404, NOT_FOUND_BODY)


# --- assistance interviews --------------------------------------------------------------------


def test_interview_create_records_it_with_you_as_interviewer(cw, caseworker_a, active_case_a):
    response = cw.post(
        url("case_interviews", case_id=active_case_a.pk), interview_body(), format="json"
    )
    assert response.status_code == 201
    interview = AssistanceInterview.objects.get(pk=response.json()["id"])
    assert (interview.case_id, interview.interviewer, interview.version) == (
        active_case_a.pk,
        caseworker_a,
        1,
    )
    assert interview.health_notes == "Headaches since the journey"


def test_interview_create_refuses_a_case_that_is_not_active(cw, case_a):
    response = cw.post(url("case_interviews", case_id=case_a.pk), interview_body(), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "case_not_active"
    assert not AssistanceInterview.objects.exists()


def test_interview_create_refuses_unknown_codes(cw, active_case_a):
    response = cw.post(
        url("case_interviews", case_id=active_case_a.pk),
        interview_body(immediate_needs=["Caviar"], wish="moon"),
        format="json",
    )
    body = assert_invalid(response, "immediate_needs.0", "wish")
    assert body["errors"]["wish"] == [UNKNOWN_CODE_MESSAGE]
    assert not AssistanceInterview.objects.exists()


def test_interview_create_refuses_unknown_fields(cw, active_case_a):
    response = cw.post(
        url("case_interviews", case_id=active_case_a.pk),
        interview_body(nickname="x"),
        format="json",
    )
    body = assert_invalid(response, "nickname")
    assert body["errors"]["nickname"] == [UNKNOWN_FIELD_MESSAGE]


def test_interview_create_reports_a_future_date_by_field(cw, active_case_a):
    tomorrow = TODAY + datetime.timedelta(days=1)
    response = cw.post(
        url("case_interviews", case_id=active_case_a.pk),
        interview_body(interview_date=tomorrow.isoformat()),
        format="json",
    )
    body = assert_invalid(response, "interview_date")
    assert body["errors"]["interview_date"] == [DATE_IN_FUTURE_MESSAGE]


def test_interview_create_refuses_an_interviewer_who_cannot_see_the_case(
    cw, caseworker_b, active_case_a
):
    response = cw.post(
        url("case_interviews", case_id=active_case_a.pk),
        interview_body(interviewer=caseworker_b.pk),
        format="json",
    )
    body = assert_invalid(response, "interviewer")
    assert body["errors"]["interviewer"] == [services.INTERVIEWER_OUT_OF_SCOPE_MESSAGE]


def test_interview_create_does_not_quote_an_unknown_interviewer(cw, active_case_a):
    response = cw.post(
        url("case_interviews", case_id=active_case_a.pk),
        interview_body(interviewer=987654),
        format="json",
    )
    body = assert_invalid(response, "interviewer")
    assert body["errors"]["interviewer"] == [UNKNOWN_RECORD_MESSAGE]


def test_interview_list_is_newest_first_without_notes(cw, caseworker_a, active_case_a):
    older = factories.AssistanceInterviewFactory(
        case=active_case_a, created_by=caseworker_a, interview_date=YESTERDAY
    )
    newer = factories.AssistanceInterviewFactory(case=active_case_a, created_by=caseworker_a)
    response = cw.get(url("case_interviews", case_id=active_case_a.pk))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["id"] for row in results] == [str(newer.pk), str(older.pk)]
    assert not any(key.endswith(("_notes", "_reasoning")) for key in results[0])


def test_interview_list_query_count_does_not_grow_with_rows(
    cw, caseworker_a, active_case_a, django_assert_max_num_queries
):
    list_url = url("case_interviews", case_id=active_case_a.pk)
    factories.AssistanceInterviewFactory(case=active_case_a, created_by=caseworker_a)
    # +2: the audit chain's lock and head (cases/audit_chain.py)
    with django_assert_max_num_queries(12 + SECOND_FACTOR_QUERIES):
        cw.get(list_url)
    factories.AssistanceInterviewFactory.create_batch(
        10, case=active_case_a, created_by=caseworker_a
    )
    # +2: the audit chain's lock and head (cases/audit_chain.py)
    with django_assert_max_num_queries(12 + SECOND_FACTOR_QUERIES):
        response = cw.get(list_url)
    assert response.json()["count"] == 11


def test_interview_list_is_paginated(cw, caseworker_a, active_case_a):
    factories.AssistanceInterviewFactory.create_batch(
        3, case=active_case_a, created_by=caseworker_a
    )
    response = cw.get(url("case_interviews", case_id=active_case_a.pk), {"page_size": 2})
    body = response.json()
    assert (body["count"], len(body["results"]), body["next"] is not None) == (3, 2, True)


def test_interview_detail_shows_notes_and_audits_the_read(cw, caseworker_a, interview):
    response = cw.get(url("interview", interview_id=interview.pk))
    assert response.status_code == 200
    assert response.json()["health_notes"] == "Needs follow-up"
    assert AuditEvent.objects.filter(
        actor=caseworker_a, action=AuditAction.CASE_VIEWED, object_id=str(interview.pk)
    ).exists()


def test_interview_patch_changes_only_what_is_sent(cw, interview):
    response = cw.patch(
        url("interview", interview_id=interview.pk),
        {"version": 1, "safety_risk_level": "high"},
        format="json",
    )
    assert response.status_code == 200
    interview.refresh_from_db()
    assert (interview.safety_risk_level, interview.wish, interview.version) == ("high", "return", 2)


def test_interview_patch_with_a_stale_version_is_409(cw, interview):
    response = cw.patch(
        url("interview", interview_id=interview.pk),
        {"version": 7, "safety_risk_level": "high"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version"
    interview.refresh_from_db()
    assert (interview.safety_risk_level, interview.version) == ("low", 1)


def test_interview_patch_needs_the_version(cw, interview):
    response = cw.patch(
        url("interview", interview_id=interview.pk), {"wish": "stay"}, format="json"
    )
    assert_invalid(response, "version")


def test_interview_patch_refuses_bad_input(cw, interview):
    response = cw.patch(
        url("interview", interview_id=interview.pk),
        {"version": 1, "language": "klingon"},
        format="json",
    )
    assert_invalid(response, "language")


# --- assistance services ----------------------------------------------------------------------


def test_service_create_keeps_the_exact_cost_as_a_string(cw, active_case_a):
    response = cw.post(
        url("case_services", case_id=active_case_a.pk),
        service_body(cost="125.50", currency="eur"),
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["cost"], response.json()["currency"]) == ("125.50", "EUR")
    assert AssistanceService.objects.get().cost == Decimal("125.50")


def test_service_create_records_a_decline(cw, active_case_a):
    response = cw.post(
        url("case_services", case_id=active_case_a.pk),
        service_body(status="declined"),
        format="json",
    )
    assert response.status_code == 201
    assert AssistanceService.objects.get().status == AssistanceService.Status.DECLINED


def test_service_create_refuses_an_unknown_currency(cw, active_case_a):
    response = cw.post(
        url("case_services", case_id=active_case_a.pk),
        service_body(cost="10", currency="XYZ"),
        format="json",
    )
    body = assert_invalid(response, "currency")
    assert body["errors"]["currency"] == [services.CURRENCY_INVALID_MESSAGE]
    assert not AssistanceService.objects.exists()


def test_service_create_refuses_a_cost_finer_than_cents(cw, active_case_a):
    response = cw.post(
        url("case_services", case_id=active_case_a.pk),
        service_body(cost="1.005", currency="EUR"),
        format="json",
    )
    body = assert_invalid(response, "cost")
    assert body["errors"]["cost"] == [services.COST_PRECISION_MESSAGE]


def test_service_create_refuses_a_sub_type_of_another_category(cw, active_case_a):
    response = cw.post(
        url("case_services", case_id=active_case_a.pk),
        service_body(sub_type="cash_grant"),
        format="json",
    )
    body = assert_invalid(response, "sub_type")
    assert body["errors"]["sub_type"] == [services.SUB_TYPE_MISMATCH_MESSAGE]


def test_service_list_filters_by_category_and_status(cw, caseworker_a, active_case_a):
    wanted = factories.AssistanceServiceFactory(
        case=active_case_a, created_by=caseworker_a, category="medical", status="provided"
    )
    factories.AssistanceServiceFactory(
        case=active_case_a, created_by=caseworker_a, category="medical", status="planned"
    )
    factories.AssistanceServiceFactory(
        case=active_case_a, created_by=caseworker_a, category="legal_counselling"
    )
    response = cw.get(
        url("case_services", case_id=active_case_a.pk),
        {"category": "medical", "status": "provided"},
    )
    assert [row["id"] for row in response.json()["results"]] == [str(wanted.pk)]


def test_service_list_refuses_an_unknown_filter_value(cw, active_case_a):
    response = cw.get(url("case_services", case_id=active_case_a.pk), {"status": "lost"})
    assert_invalid(response, "status")


def test_service_list_query_count_does_not_grow_with_rows(
    cw, caseworker_a, active_case_a, organisation, django_assert_max_num_queries
):
    list_url = url("case_services", case_id=active_case_a.pk)
    factories.AssistanceServiceFactory(case=active_case_a, created_by=caseworker_a)
    # +2: the audit chain's lock and head (cases/audit_chain.py)
    with django_assert_max_num_queries(12 + SECOND_FACTOR_QUERIES):
        cw.get(list_url)
    factories.AssistanceServiceFactory.create_batch(
        10,
        case=active_case_a,
        created_by=caseworker_a,
        provider="organisation",
        organisation=organisation,
    )
    # +2: the audit chain's lock and head (cases/audit_chain.py)
    with django_assert_max_num_queries(12 + SECOND_FACTOR_QUERIES):
        response = cw.get(list_url)
    assert response.json()["count"] == 11


def test_service_patch_moves_the_status_on(cw, service):
    response = cw.patch(
        url("service", service_id=service.pk),
        {"version": 1, "status": "provided", "end_date": TODAY.isoformat()},
        format="json",
    )
    assert response.status_code == 200
    service.refresh_from_db()
    assert (service.status, service.end_date, service.version) == ("provided", TODAY, 2)


def test_service_patch_with_a_stale_version_is_409(cw, service):
    response = cw.patch(
        url("service", service_id=service.pk), {"version": 3, "status": "provided"}, format="json"
    )
    assert response.status_code == 409
    service.refresh_from_db()
    assert service.status == AssistanceService.Status.PLANNED


def test_service_patch_refuses_a_transition_back(cw, service):
    response = cw.patch(
        url("service", service_id=service.pk), {"version": 1, "status": "planned"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_transition"


def test_service_patch_refuses_bad_input(cw, service):
    response = cw.patch(
        url("service", service_id=service.pk), {"status": "gone", "cost": "1"}, format="json"
    )
    assert_invalid(response, "cost")


# --- referrals --------------------------------------------------------------------------------


def referral_body(organisation, **overrides):
    body = {
        "direction": "outgoing",
        "referral_date": TODAY.isoformat(),
        "organisation": organisation.pk,
        "reason": "AdditionalServicesRequired",
        "details": "Shelter place for two weeks",
        "shares_personal_data": True,
        "consent_given": True,
    }
    body.update(overrides)
    return body


def test_referral_create_with_consent_records_it(cw, active_case_a, organisation):
    response = cw.post(
        url("case_referrals", case_id=active_case_a.pk),
        referral_body(organisation),
        format="json",
    )
    assert response.status_code == 201
    referral = Referral.objects.get()
    assert (referral.consent_given, referral.details) == (True, "Shelter place for two weeks")


def test_referral_sharing_data_without_consent_is_refused(cw, active_case_a, organisation):
    response = cw.post(
        url("case_referrals", case_id=active_case_a.pk),
        referral_body(organisation, consent_given=None),
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["message"]) == (
        "consent_required",
        services.CONSENT_REQUIRED_MESSAGE,
    )
    assert not Referral.objects.exists()


def test_referral_create_refuses_an_unknown_organisation_and_reason(cw, active_case_a):
    response = cw.post(
        url("case_referrals", case_id=active_case_a.pk),
        {
            "direction": "incoming",
            "referral_date": TODAY.isoformat(),
            "organisation": 999999,
            "reason": "Whim",
        },
        format="json",
    )
    body = assert_invalid(response, "organisation", "reason")
    assert body["errors"]["organisation"] == [UNKNOWN_RECORD_MESSAGE]


def test_referral_list_query_count_does_not_grow_with_rows(
    cw, caseworker_a, active_case_a, django_assert_max_num_queries
):
    list_url = url("case_referrals", case_id=active_case_a.pk)
    factories.ReferralFactory(case=active_case_a, created_by=caseworker_a)
    # +2: the audit chain's lock and head (cases/audit_chain.py)
    with django_assert_max_num_queries(12 + SECOND_FACTOR_QUERIES):
        cw.get(list_url)
    factories.ReferralFactory.create_batch(10, case=active_case_a, created_by=caseworker_a)
    # +2: the audit chain's lock and head (cases/audit_chain.py)
    with django_assert_max_num_queries(12 + SECOND_FACTOR_QUERIES):
        response = cw.get(list_url)
    assert response.json()["count"] == 11


# --- movements --------------------------------------------------------------------------------


def test_movement_plan_creates_it_with_its_legs(cw, active_case_a):
    second = leg(from_country="THA", to_country="THA", to_place="Chiang Mai")
    body = as_json(return_plan(legs=[leg(), second]))
    response = cw.post(url("case_movements", case_id=active_case_a.pk), body, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], [row["to_place"] for row in body["legs"]]) == (
        "planned",
        ["Bangkok", "Chiang Mai"],
    )


def test_movement_plan_reports_a_bad_leg_by_row(cw, active_case_a):
    body = as_json(return_plan(legs=[leg(from_country="Atlantis")]))
    response = cw.post(url("case_movements", case_id=active_case_a.pk), body, format="json")
    assert_invalid(response, "legs.0.from_country")
    assert not Movement.objects.exists()


def test_movement_plan_refuses_legs_for_local_integration(cw, active_case_a):
    body = as_json(
        return_plan(
            movement_type=MovementType.LOCAL_INTEGRATION,
            destination_country="NPL",
            travel_document_status="not_needed",
        )
    )
    response = cw.post(url("case_movements", case_id=active_case_a.pk), body, format="json")
    body = assert_invalid(response, "legs")
    assert body["errors"]["legs"] == [services.LEGS_NOT_ALLOWED_MESSAGE]


def test_movement_list_query_count_does_not_grow_with_rows(
    cw, caseworker_a, active_case_a, django_assert_max_num_queries
):
    list_url = url("case_movements", case_id=active_case_a.pk)
    first = factories.MovementFactory(
        case=active_case_a, created_by=caseworker_a, status=Movement.Status.CANCELLED
    )
    factories.MovementLegFactory(movement=first)
    # +2: the audit chain's lock and head (cases/audit_chain.py)
    with django_assert_max_num_queries(13 + SECOND_FACTOR_QUERIES):
        cw.get(list_url)
    for _ in range(10):
        other = factories.MovementFactory(
            case=active_case_a, created_by=caseworker_a, status=Movement.Status.CANCELLED
        )
        factories.MovementLegFactory.create_batch(2, movement=other)
    with django_assert_max_num_queries(
        13 + SECOND_FACTOR_QUERIES
    ):  # +2: the audit chain's lock and head
        response = cw.get(list_url)
    assert response.json()["count"] == 11


def test_movement_detail_shows_the_legs(cw, movement):
    response = cw.get(url("movement", movement_id=movement.pk))
    assert response.status_code == 200
    assert [row["to_place"] for row in response.json()["legs"]] == ["Bangkok"]


def transition(client, movement, to: str, version: int | None = None):
    body = {"to": to, "version": movement.version if version is None else version}
    return client.post(url("movement_transition", movement_id=movement.pk), body, format="json")


def test_movement_transition_moves_one_step(cw, movement):
    response = transition(cw, movement, "confirmed")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("confirmed", 2)


def test_movement_transition_skipping_a_step_is_refused(cw, movement):
    response = transition(cw, movement, "arrived")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_transition"


def test_movement_departure_needs_an_assessment(cw, movement):
    confirmed = services.movement_transition(
        actor=movement.created_by, movement_id=movement.pk, version=1, to_status="confirmed"
    )
    response = transition(cw, confirmed, "departed")
    assert (response.status_code, response.json()["code"]) == (400, "assessment_required")


def test_movement_no_go_blocks_departure(cw, movement):
    response = cw.post(
        url("movement_assess", movement_id=movement.pk),
        {"version": 1, "decision": AssessmentDecision.NO_GO, "reasoning": "Family unsafe"},
        format="json",
    )
    assert response.status_code == 200
    confirmed = services.movement_transition(
        actor=movement.created_by, movement_id=movement.pk, version=2, to_status="confirmed"
    )
    response = transition(cw, confirmed, "departed")
    assert (response.status_code, response.json()["code"]) == (400, "no_go")
    movement.refresh_from_db()
    assert movement.status == Movement.Status.CONFIRMED


def test_movement_go_assessment_lets_the_person_depart(cw, movement):
    cw.post(
        url("movement_assess", movement_id=movement.pk),
        {"version": 1, "decision": AssessmentDecision.GO, "reasoning": "Family ready"},
        format="json",
    )
    movement.refresh_from_db()
    assert transition(cw, movement, "confirmed").status_code == 200
    movement.refresh_from_db()
    response = transition(cw, movement, "departed")
    assert response.status_code == 200
    assert response.json()["departed_at"] is not None


def test_movement_transition_with_a_stale_version_is_409(cw, movement):
    response = transition(cw, movement, "confirmed", version=5)
    assert response.status_code == 409
    movement.refresh_from_db()
    assert movement.status == Movement.Status.PLANNED


def test_movement_transition_refuses_an_unknown_status(cw, movement):
    body = assert_invalid(transition(cw, movement, "teleported"), "to")
    assert body["errors"]["to"] == [UNKNOWN_CODE_MESSAGE]


def test_movement_assessment_needs_reasoning(cw, movement):
    response = cw.post(
        url("movement_assess", movement_id=movement.pk),
        {"version": 1, "decision": "go", "reasoning": "  "},
        format="json",
    )
    assert_invalid(response, "reasoning")


# --- support plan -----------------------------------------------------------------------------


def plan_body(**overrides):
    body = {
        "plan_types": ["Health", "Legal"],
        "objectives": "Recover and get documents",
        "start_date": YESTERDAY.isoformat(),
    }
    body.update(overrides)
    return body


def test_support_plan_get_is_404_while_there_is_none(cw, active_case_a):
    response = cw.get(url("support_plan", case_id=active_case_a.pk))
    assert (response.status_code, response.json()) == (404, NOT_FOUND_BODY)


def test_support_plan_put_creates_it(cw, active_case_a):
    response = cw.put(url("support_plan", case_id=active_case_a.pk), plan_body(), format="json")
    assert response.status_code == 201
    plan = SupportPlan.objects.get(case=active_case_a)
    assert (plan.plan_types, plan.objectives) == (["Health", "Legal"], "Recover and get documents")


def test_support_plan_get_returns_it(cw, plan):
    response = cw.get(url("support_plan", case_id=plan.case_id))
    assert (response.status_code, response.json()["id"]) == (200, str(plan.pk))


def test_support_plan_put_replaces_it_with_the_version(cw, plan):
    plan.objectives = "Old objectives"
    plan.save()
    response = cw.put(
        url("support_plan", case_id=plan.case_id),
        plan_body(version=1, plan_types=["Education"]),
        format="json",
    )
    assert response.status_code == 200
    plan.refresh_from_db()
    assert (plan.plan_types, plan.objectives, plan.version) == (
        ["Education"],
        "Recover and get documents",
        2,
    )


def test_support_plan_put_with_a_stale_version_is_409(cw, plan):
    response = cw.put(
        url("support_plan", case_id=plan.case_id), plan_body(version=4), format="json"
    )
    assert response.status_code == 409
    plan.refresh_from_db()
    assert plan.version == 1


def test_support_plan_put_over_an_existing_plan_needs_the_version(cw, plan):
    response = cw.put(url("support_plan", case_id=plan.case_id), plan_body(), format="json")
    assert_invalid(response, "version")


def test_support_plan_put_reports_an_end_before_the_start(cw, active_case_a):
    response = cw.put(
        url("support_plan", case_id=active_case_a.pk),
        plan_body(planned_end_date=(YESTERDAY - datetime.timedelta(days=3)).isoformat()),
        format="json",
    )
    body = assert_invalid(response, "planned_end_date")
    assert services.END_BEFORE_START_MESSAGE in body["errors"]["planned_end_date"]
    assert not SupportPlan.objects.exists()


def test_support_plan_put_refuses_an_unknown_type(cw, active_case_a):
    response = cw.put(
        url("support_plan", case_id=active_case_a.pk),
        plan_body(plan_types=["Astrology"]),
        format="json",
    )
    assert_invalid(response, "plan_types.0")


# --- sharing a case with another mission ------------------------------------------------------


def grant(client, case, mission, reason=CaseAccessReason.RETURN_ARRIVED):
    body = {"mission": mission.pk, "reason": reason}
    return client.post(url("case_access_grants", case_id=case.pk), body, format="json")


def test_access_grant_lets_the_other_mission_see_the_case(
    api_for, central_admin, caseworker_b, mission_b, active_case_a
):
    response = grant(api_for(central_admin), active_case_a, mission_b)
    assert response.status_code == 201
    assert CaseMissionAccess.objects.filter(case=active_case_a, mission=mission_b).exists()
    case_url = reverse("cases_api:case_item", kwargs={"case_id": active_case_a.pk})
    assert api_for(caseworker_b).get(case_url).status_code == 200


def test_access_grant_is_not_there_for_a_caseworker(cw, mission_b, active_case_a):
    response = grant(cw, active_case_a, mission_b)
    assert (response.status_code, response.json()) == (404, NOT_FOUND_BODY)
    assert not CaseMissionAccess.objects.exists()


def test_access_grant_to_the_cases_own_mission_is_refused(
    api_for, central_admin, mission_a, active_case_a
):
    response = grant(api_for(central_admin), active_case_a, mission_a)
    body = assert_invalid(response, "mission")
    assert body["errors"]["mission"] == [services.ACCESS_OWN_MISSION_MESSAGE]


def test_access_grant_refuses_an_unknown_reason(api_for, central_admin, mission_b, active_case_a):
    response = grant(api_for(central_admin), active_case_a, mission_b, reason="friendship")
    assert_invalid(response, "reason")
