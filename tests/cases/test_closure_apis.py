"""The closure API: request, approve, return, reopen, the pending list; scope and bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases.apis import UNKNOWN_QUEUE_MISSION_MESSAGE
from cases.models import CaseClosureRequest
from cases.services import (
    CASE_CLOSED_MESSAGE,
    CLOSURE_PENDING_MESSAGE,
    RETURN_COMMENT_REQUIRED_MESSAGE,
    SELF_APPROVAL_MESSAGE,
)
from cases.vocabularies import CaseStatus, ClosureReason, ReopenReason
from config.api.exceptions import NOT_FOUND_MESSAGE
from config.api.serializers import UNKNOWN_FIELD_MESSAGE
from tests import factories
from tests.second_factor import SECOND_FACTOR_QUERIES, verified_login

pytestmark = pytest.mark.django_db

MISSING_ID = "00000000-0000-0000-0000-000000000000"
NOT_FOUND_BODY = {"message": NOT_FOUND_MESSAGE, "code": "not_found", "errors": {}}
QUEUE_URL = reverse("cases_api:closure_queue")


def request_url(case_id) -> str:
    return reverse("cases_api:closure_request", kwargs={"case_id": case_id})


def reopen_url(case_id) -> str:
    return reverse("cases_api:reopen", kwargs={"case_id": case_id})


def approve_url(closure_id) -> str:
    return reverse("cases_api:closure_approve", kwargs={"closure_request_id": closure_id})


def return_url(closure_id) -> str:
    return reverse("cases_api:closure_return", kwargs={"closure_request_id": closure_id})


@pytest.fixture
def api_for():
    def _api_for(user):
        client = APIClient()
        if user is not None:
            verified_login(client, user)
        return client

    return _api_for


@pytest.fixture
def active_case(mission_a, caseworker_a):
    return factories.ActiveCaseFactory(mission=mission_a, assigned_to=caseworker_a)


@pytest.fixture
def pending(active_case, caseworker_a):
    return factories.CaseClosureRequestFactory(case=active_case, requested_by=caseworker_a)


def test_request_answers_201_with_the_pending_request(api_for, caseworker_a, active_case):
    response = api_for(caseworker_a).post(
        request_url(active_case.pk),
        {"version": active_case.version, "reason": ClosureReason.LOST_CONTACT, "comment": "Gone."},
        format="json",
    )

    body = response.json()
    assert response.status_code == 201
    assert (body["status"], body["case_reference"], body["reason"]) == (
        "pending",
        active_case.reference,
        ClosureReason.LOST_CONTACT,
    )
    assert "comment" not in body


def test_referral_closes_at_once(api_for, caseworker_a, active_case):
    response = api_for(caseworker_a).post(
        request_url(active_case.pk),
        {"version": active_case.version, "reason": ClosureReason.REFERRED},
        format="json",
    )

    assert (response.status_code, response.json()["case_status"]) == (
        201,
        CaseStatus.CLOSED_REFERRED,
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reason": "LostContact"}, "version"),
        ({"version": "x", "reason": "LostContact"}, "version"),
        ({"version": 0, "reason": "LostContact"}, "version"),
        ({"version": 1}, "reason"),
        ({"version": 1, "reason": "Bored"}, "reason"),
        ({"version": 1, "reason": ["LostContact"]}, "reason"),
        ({"version": 1, "reason": "LostContact", "comment": "x" * 2001}, "comment"),
        ({"version": 1, "reason": "LostContact", "comment": {"a": 1}}, "comment"),
        ({"version": 1, "reason": "Other"}, "comment"),
        ({"version": 1, "reason": "LostContact", "status": "approved"}, "status"),
    ],
)
def test_request_bad_input_is_a_400_field_error_and_saves_nothing(
    api_for, caseworker_a, active_case, payload, field
):
    response = api_for(caseworker_a).post(request_url(active_case.pk), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert CaseClosureRequest.objects.count() == 0


def test_request_refuses_unknown_fields_with_the_one_message(api_for, caseworker_a, active_case):
    response = api_for(caseworker_a).post(
        request_url(active_case.pk),
        {"version": 1, "reason": "LostContact", "decided_by": 1},
        format="json",
    )

    assert response.json()["errors"] == {"decided_by": [UNKNOWN_FIELD_MESSAGE]}


def test_request_stale_version_is_409(api_for, caseworker_a, active_case):
    response = api_for(caseworker_a).post(
        request_url(active_case.pk),
        {"version": active_case.version + 1, "reason": "LostContact"},
        format="json",
    )

    assert (response.status_code, response.json()["code"]) == (409, "stale_version")


def test_second_request_is_refused_while_one_is_pending(
    api_for, caseworker_a, active_case, pending
):
    response = api_for(caseworker_a).post(
        request_url(active_case.pk),
        {"version": active_case.version, "reason": "LostContact"},
        format="json",
    )

    assert (response.status_code, response.json()["message"]) == (400, CLOSURE_PENDING_MESSAGE)


def test_request_on_a_closed_case_is_refused(api_for, caseworker_a, mission_a):
    case = factories.ClosedCaseFactory(mission=mission_a)

    response = api_for(caseworker_a).post(
        request_url(case.pk), {"version": case.version, "reason": "LostContact"}, format="json"
    )

    assert (response.status_code, response.json()["code"], response.json()["message"]) == (
        400,
        "case_closed",
        CASE_CLOSED_MESSAGE,
    )


@pytest.mark.parametrize("case_id", ["not-a-uuid", MISSING_ID])
def test_request_for_another_missions_case_reads_like_a_missing_one(
    api_for, caseworker_b, active_case, case_id
):
    client = api_for(caseworker_b)
    payload = {"version": 1, "reason": "LostContact"}

    out_of_scope = client.post(request_url(active_case.pk), payload, format="json")
    missing = client.post(request_url(case_id), payload, format="json")

    assert (out_of_scope.status_code, out_of_scope.json()) == (404, NOT_FOUND_BODY)
    assert missing.content == out_of_scope.content


def test_approve_closes_the_case(api_for, central_admin, pending):
    response = api_for(central_admin).post(
        approve_url(pending.pk), {"version": pending.version}, format="json"
    )

    assert (response.status_code, response.json()["status"], response.json()["case_status"]) == (
        200,
        "approved",
        CaseStatus.CLOSED,
    )


def test_approve_by_the_requester_is_refused(api_for, central_admin, active_case):
    closure = factories.CaseClosureRequestFactory(case=active_case, requested_by=central_admin)

    response = api_for(central_admin).post(
        approve_url(closure.pk), {"version": closure.version}, format="json"
    )

    assert (response.status_code, response.json()["code"], response.json()["message"]) == (
        400,
        "self_approval",
        SELF_APPROVAL_MESSAGE,
    )


@pytest.mark.parametrize("payload", [{}, {"version": "two"}, {"version": 1, "approve": True}])
def test_approve_bad_input_is_400(api_for, central_admin, pending, payload):
    response = api_for(central_admin).post(approve_url(pending.pk), payload, format="json")

    pending.refresh_from_db()
    assert (response.status_code, pending.status) == (400, "pending")


def test_approve_stale_version_is_409(api_for, central_admin, pending):
    response = api_for(central_admin).post(
        approve_url(pending.pk), {"version": pending.version + 1}, format="json"
    )

    assert response.status_code == 409


def test_return_keeps_the_case_open(api_for, central_admin, pending):
    response = api_for(central_admin).post(
        return_url(pending.pk), {"version": pending.version, "comment": "Not yet."}, format="json"
    )

    assert (response.status_code, response.json()["status"], response.json()["case_status"]) == (
        200,
        "returned",
        CaseStatus.ACTIVE,
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"version": 1}, "comment"),
        ({"version": 1, "comment": ""}, "comment"),
        ({"version": 1, "comment": "   "}, "comment"),
        ({"version": 1, "comment": "x" * 2001}, "comment"),
        ({"comment": "Fine."}, "version"),
    ],
)
def test_return_bad_input_is_a_field_error(api_for, central_admin, pending, payload, field):
    response = api_for(central_admin).post(return_url(pending.pk), payload, format="json")

    pending.refresh_from_db()
    assert (response.status_code, field in response.json()["errors"], pending.status) == (
        400,
        True,
        "pending",
    )


def test_return_blank_comment_says_why(api_for, central_admin, pending):
    response = api_for(central_admin).post(
        return_url(pending.pk), {"version": pending.version, "comment": "  "}, format="json"
    )

    assert response.json()["errors"]["comment"] == [RETURN_COMMENT_REQUIRED_MESSAGE]


@pytest.mark.parametrize("name", ["cases_api:closure_approve", "cases_api:closure_return"])
@pytest.mark.parametrize("role", ["caseworker_a", "caseworker_b", "researcher"])
def test_decisions_are_the_one_404_for_anyone_but_central_admins(
    api_for, request, pending, name, role
):
    client = api_for(request.getfixturevalue(role))

    existing = client.post(reverse(name, args=[pending.pk]), {"version": 1}, format="json")
    missing = client.post(reverse(name, args=[MISSING_ID]), {"version": 1}, format="json")

    assert (existing.status_code, existing.json()) == (404, NOT_FOUND_BODY)
    assert missing.content == existing.content


def test_decision_on_a_missing_request_is_404(api_for, central_admin):
    response = api_for(central_admin).post(approve_url("nope"), {"version": 1}, format="json")

    assert (response.status_code, response.json()) == (404, NOT_FOUND_BODY)


def test_reopen_returns_the_case_to_its_earlier_status(api_for, central_admin, mission_a):
    case = factories.ClosedCaseFactory(mission=mission_a, status_before_closure="follow_up")

    response = api_for(central_admin).post(
        reopen_url(case.pk),
        {"version": case.version, "reason": ReopenReason.NEW_NEEDS},
        format="json",
    )

    assert (response.status_code, response.json()["status"]) == (200, CaseStatus.FOLLOW_UP)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reason": "NewAssistanceNeeds"}, "version"),
        ({"version": 1}, "reason"),
        ({"version": 1, "reason": "Whim"}, "reason"),
        ({"version": 1, "reason": "Other"}, "comment"),
        ({"version": 1, "reason": "Other", "comment": "y" * 2001}, "comment"),
    ],
)
def test_reopen_bad_input_is_a_field_error(api_for, central_admin, mission_a, payload, field):
    case = factories.ClosedCaseFactory(mission=mission_a)

    response = api_for(central_admin).post(reopen_url(case.pk), payload, format="json")

    case.refresh_from_db()
    assert (response.status_code, field in response.json()["errors"], case.status) == (
        400,
        True,
        CaseStatus.CLOSED,
    )


def test_reopen_of_an_open_case_is_refused(api_for, central_admin, active_case):
    response = api_for(central_admin).post(
        reopen_url(active_case.pk),
        {"version": active_case.version, "reason": "NewAssistanceNeeds"},
        format="json",
    )

    assert (response.status_code, response.json()["code"]) == (400, "case_not_closed")


def test_reopen_is_the_one_404_for_caseworkers(api_for, caseworker_a, mission_a):
    case = factories.ClosedCaseFactory(mission=mission_a)

    response = api_for(caseworker_a).post(
        reopen_url(case.pk), {"version": 1, "reason": "NewAssistanceNeeds"}, format="json"
    )

    assert (response.status_code, response.json()) == (404, NOT_FOUND_BODY)


def test_queue_lists_pending_requests_oldest_first(api_for, central_admin, mission_a, mission_b):
    older = factories.CaseClosureRequestFactory(case__mission=mission_b)
    newer = factories.CaseClosureRequestFactory(case__mission=mission_a)
    factories.CaseClosureRequestFactory(status="returned", decided_by=central_admin)

    body = api_for(central_admin).get(QUEUE_URL).json()

    assert [row["id"] for row in body["results"]] == [str(older.pk), str(newer.pk)]


def test_queue_filters_by_mission(api_for, central_admin, mission_a, mission_b):
    factories.CaseClosureRequestFactory(case__mission=mission_b)
    mine = factories.CaseClosureRequestFactory(case__mission=mission_a)

    body = api_for(central_admin).get(QUEUE_URL, {"mission": "AAA"}).json()

    assert [row["id"] for row in body["results"]] == [str(mine.pk)]


@pytest.mark.parametrize("mission", ["ZZZ", "A" * 200, "\x00"])
def test_queue_unknown_mission_is_a_field_error(api_for, central_admin, mission):
    response = api_for(central_admin).get(QUEUE_URL, {"mission": mission})

    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"mission": [UNKNOWN_QUEUE_MISSION_MESSAGE]},
    )


def test_queue_query_count_does_not_grow_with_rows(
    api_for, central_admin, django_assert_max_num_queries
):
    client = api_for(central_admin)
    factories.CaseClosureRequestFactory.create_batch(3)
    # Session, user, count, the page (with case, mission and requester), session save (3).
    with django_assert_max_num_queries(7 + SECOND_FACTOR_QUERIES) as few:
        client.get(QUEUE_URL)
    factories.CaseClosureRequestFactory.create_batch(15)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(QUEUE_URL)

    assert response.json()["count"] == 18
