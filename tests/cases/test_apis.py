import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from cases.apis import UNKNOWN_MISSION_MESSAGE
from cases.models import AuditAction, AuditEvent, Case
from cases.services import STALE_VERSION_MESSAGE
from cases.vocabularies import CaseStatus, Gender
from config.api.auth import LOCKED_OUT_MESSAGE
from config.api.exceptions import NOT_FOUND_MESSAGE
from config.api.serializers import UNKNOWN_FIELD_MESSAGE
from tests import factories
from tests.second_factor import SECOND_FACTOR_QUERIES, totp_code, totp_device, verified_login

pytestmark = pytest.mark.django_db

LIST_URL = reverse("cases_api:case_collection")
MISSING_ID = "00000000-0000-0000-0000-000000000000"
LIST_ROW_FIELDS = {
    "id",
    "reference",
    "mission",
    "status",
    "registered_on",
    "assigned_to",
    "gender",
    "citizenships",
    "version",
}
NOT_FOUND_BODY = {"message": NOT_FOUND_MESSAGE, "code": "not_found", "errors": {}}


def item_url(case_id) -> str:
    return reverse("cases_api:case_item", kwargs={"case_id": case_id})


@pytest.fixture
def api_for():
    """An API client signed in (session) as the given user, or anonymous for None."""

    def _api_for(user):
        client = APIClient()
        if user is not None:
            verified_login(client, user)
        return client

    return _api_for


def new_case_payload(mission_code: str, **overrides) -> dict:
    payload = {
        "mission": mission_code,
        "given_name": "Amina",
        "family_name": "Example",
        "date_of_birth": "1999-04-02",
        "gender": Gender.FEMININE,
        "citizenships": ["NPL"],
        "languages": ["ne"],
    }
    payload.update(overrides)
    return payload


# --- list -------------------------------------------------------------------------------------


def test_list_never_includes_another_missions_case(api_for, caseworker_a, case_a, case_b):
    response = api_for(caseworker_a).get(LIST_URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(case_a.pk)]


def test_list_shows_every_mission_to_a_central_admin(api_for, central_admin, case_a, case_b):
    response = api_for(central_admin).get(LIST_URL)

    assert {row["id"] for row in response.json()["results"]} == {str(case_a.pk), str(case_b.pk)}


def test_list_rows_carry_no_identity(api_for, caseworker_a, case_a):
    response = api_for(caseworker_a).get(LIST_URL)

    row = response.json()["results"][0]
    assert set(row) == LIST_ROW_FIELDS
    assert row["mission"] == "AAA"
    assert case_a.person.given_name not in response.content.decode()


def test_list_is_404_for_a_researcher(api_for, researcher, case_a):
    response = api_for(researcher).get(LIST_URL)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND_BODY


def test_list_refuses_anonymous(api_for, case_a):
    response = api_for(None).get(LIST_URL)

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_list_query_count_does_not_grow_with_rows(
    api_for, caseworker_a, mission_a, django_assert_max_num_queries
):
    # Session, user, memberships, count, page, and the session's save (three statements).
    client = api_for(caseworker_a)
    factories.CaseFactory.create_batch(2, mission=mission_a, assigned_to=caseworker_a)
    with django_assert_max_num_queries(8 + SECOND_FACTOR_QUERIES):
        few = client.get(LIST_URL)
    factories.CaseFactory.create_batch(20, mission=mission_a, assigned_to=caseworker_a)
    with django_assert_max_num_queries(8 + SECOND_FACTOR_QUERIES):
        many = client.get(LIST_URL)

    assert len(few.json()["results"]) == 2
    assert len(many.json()["results"]) == 22


def test_list_is_paginated(api_for, caseworker_a, mission_a):
    factories.CaseFactory.create_batch(3, mission=mission_a)

    body = api_for(caseworker_a).get(LIST_URL, {"page_size": 2}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is not None


def test_list_filters_by_status(api_for, caseworker_a, mission_a):
    active = factories.CaseFactory(mission=mission_a, status=CaseStatus.ACTIVE)
    factories.CaseFactory(mission=mission_a, status=CaseStatus.SCREENING)

    body = api_for(caseworker_a).get(LIST_URL, {"status": CaseStatus.ACTIVE}).json()

    assert [row["id"] for row in body["results"]] == [str(active.pk)]


def test_list_filters_by_citizenship(api_for, caseworker_a, mission_a):
    thai = factories.CaseFactory(
        mission=mission_a, person=factories.PersonFactory(citizenships=["THA"])
    )
    factories.CaseFactory(mission=mission_a, person=factories.PersonFactory(citizenships=["NPL"]))

    body = api_for(caseworker_a).get(LIST_URL, {"citizenship": "THA"}).json()

    assert [row["id"] for row in body["results"]] == [str(thai.pk)]


def test_list_filters_by_reference_and_registration_date(api_for, caseworker_a, mission_a):
    today = timezone.localdate()
    recent = factories.CaseFactory(mission=mission_a, registered_on=today)
    factories.CaseFactory(mission=mission_a, registered_on=today - datetime.timedelta(days=40))

    body = (
        api_for(caseworker_a)
        .get(LIST_URL, {"q": recent.reference[-5:], "registered_from": today.isoformat()})
        .json()
    )

    assert [row["id"] for row in body["results"]] == [str(recent.pk)]


def test_list_filter_on_a_mission_out_of_scope_is_a_field_error(
    api_for, caseworker_a, mission_b, case_b
):
    response = api_for(caseworker_a).get(LIST_URL, {"mission": mission_b.pk})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"mission"}


# --- create -----------------------------------------------------------------------------------


def test_create_registers_a_case_and_audits_it(api_for, caseworker_a, mission_a):
    response = api_for(caseworker_a).post(LIST_URL, new_case_payload("AAA"), format="json")

    assert response.status_code == 201
    case = Case.objects.get(pk=response.json()["id"])
    assert re.fullmatch(r"AAA-\d{4}-\d{5}", case.reference)
    assert case.person.given_name == "Amina"
    assert case.person.birth_year == 1999
    assert AuditEvent.objects.filter(case=case, action=AuditAction.CASE_CREATED).count() == 1


def test_create_answer_carries_no_identity(api_for, caseworker_a, mission_a):
    response = api_for(caseworker_a).post(LIST_URL, new_case_payload("AAA"), format="json")

    assert set(response.json()) == LIST_ROW_FIELDS
    assert "Amina" not in response.content.decode()


def test_create_for_a_mission_out_of_scope_reads_like_an_unknown_mission(
    api_for, caseworker_a, mission_a, mission_b
):
    client = api_for(caseworker_a)

    other = client.post(LIST_URL, new_case_payload(mission_b.code), format="json")
    unknown = client.post(LIST_URL, new_case_payload("ZZZ"), format="json")

    assert other.status_code == unknown.status_code == 400
    assert other.json() == unknown.json()
    assert other.json()["errors"] == {"mission": [str(UNKNOWN_MISSION_MESSAGE)]}
    assert not Case.objects.exists()


def test_create_is_404_for_a_researcher(api_for, researcher, mission_a):
    response = api_for(researcher).post(LIST_URL, new_case_payload("AAA"), format="json")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND_BODY
    assert not Case.objects.exists()


def test_create_refuses_unknown_codes_with_field_errors(api_for, caseworker_a, mission_a):
    payload = new_case_payload("AAA", gender="Unknown", citizenships=["NPL", "XXX"])

    response = api_for(caseworker_a).post(LIST_URL, payload, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"gender", "citizenships.1"}
    assert not Case.objects.exists()


def test_create_refuses_an_assignee_from_another_mission(
    api_for, caseworker_a, caseworker_b, mission_a
):
    payload = new_case_payload("AAA", assigned_to=caseworker_b.pk)

    response = api_for(caseworker_a).post(LIST_URL, payload, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"assigned_to"}


def test_create_refuses_unknown_fields(api_for, caseworker_a, mission_a):
    payload = new_case_payload("AAA", reference="AAA-2020-00001")

    response = api_for(caseworker_a).post(LIST_URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"reference": [str(UNKNOWN_FIELD_MESSAGE)]}


# --- detail -----------------------------------------------------------------------------------


def test_detail_shows_identity_and_audits_the_read(api_for, caseworker_a, case_a):
    response = api_for(caseworker_a).get(item_url(case_a.pk))

    assert response.status_code == 200
    assert response.json()["given_name"] == case_a.person.given_name
    assert AuditEvent.objects.filter(
        case=case_a, actor=caseworker_a, action=AuditAction.CASE_VIEWED
    ).exists()


@pytest.mark.parametrize("method", ["get", "patch", "put"])
def test_case_of_another_mission_reads_like_a_missing_one(api_for, caseworker_a, case_b, method):
    client = api_for(caseworker_a)
    body = {"version": case_b.version, "given_name": "X", "gender": Gender.FEMININE}

    other = getattr(client, method)(item_url(case_b.pk), body, format="json")
    missing = getattr(client, method)(item_url(MISSING_ID), body, format="json")

    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json() == NOT_FOUND_BODY


def test_refused_read_of_an_existing_case_is_audited(api_for, caseworker_a, case_b):
    api_for(caseworker_a).get(item_url(case_b.pk))

    assert AuditEvent.objects.filter(
        actor=caseworker_a,
        action=AuditAction.ACCESS_REFUSED,
        detail__object_id=str(case_b.pk),
    ).exists()


@pytest.mark.parametrize("method", ["get", "patch"])
def test_every_case_is_404_for_a_researcher(api_for, researcher, case_a, method):
    response = getattr(api_for(researcher), method)(
        item_url(case_a.pk), {"version": case_a.version}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == NOT_FOUND_BODY


def test_malformed_case_id_is_the_same_404(api_for, caseworker_a):
    response = api_for(caseworker_a).get(item_url("not-a-uuid"))

    assert response.status_code == 404
    assert response.json() == NOT_FOUND_BODY


# --- update -----------------------------------------------------------------------------------


def test_patch_changes_the_case_and_moves_the_version(api_for, caseworker_a, case_a):
    response = api_for(caseworker_a).patch(
        item_url(case_a.pk), {"version": case_a.version, "phone": "+977 1 000"}, format="json"
    )

    assert response.status_code == 200
    case_a.refresh_from_db()
    assert case_a.person.phone == "+977 1 000"
    assert response.json()["version"] == case_a.version == 2


def test_patch_with_a_stale_version_is_409_and_changes_nothing(api_for, caseworker_a, case_a):
    given_name = case_a.person.given_name

    response = api_for(caseworker_a).patch(
        item_url(case_a.pk), {"version": case_a.version + 5, "given_name": "New"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "message": STALE_VERSION_MESSAGE,
        "code": "stale_version",
        "errors": {},
    }
    case_a.refresh_from_db()
    assert (case_a.version, case_a.person.given_name) == (1, given_name)


def test_update_requires_version(api_for, caseworker_a, case_a):
    response = api_for(caseworker_a).patch(item_url(case_a.pk), {"phone": "1"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"version"}


def test_put_requires_the_required_fields(api_for, caseworker_a, case_a):
    response = api_for(caseworker_a).put(
        item_url(case_a.pk), {"version": case_a.version}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"given_name", "gender"}


def test_patch_cannot_move_a_case_to_another_mission(api_for, caseworker_a, case_a):
    response = api_for(caseworker_a).patch(
        item_url(case_a.pk), {"version": case_a.version, "mission": "BBB"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"mission"}


def test_patch_reassigns_to_a_caseworker_of_the_mission(api_for, caseworker_a, case_a, mission_a):
    colleague = factories.CaseworkerFactory(membership__mission=mission_a)

    response = api_for(caseworker_a).patch(
        item_url(case_a.pk), {"version": case_a.version, "assigned_to": colleague.pk}, format="json"
    )

    assert response.status_code == 200
    case_a.refresh_from_db()
    assert case_a.assigned_to == colleague


def test_unsupported_method_is_405_in_the_error_shape(api_for, caseworker_a, case_a):
    response = api_for(caseworker_a).delete(item_url(case_a.pk))

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert Case.objects.filter(pk=case_a.pk).exists()


# --- token ------------------------------------------------------------------------------------

TOKEN_URL = reverse("api_token_obtain")


def test_token_obtained_with_email_and_password_authenticates(caseworker_a, case_a):
    client = APIClient()
    response = client.post(
        TOKEN_URL,
        {
            "email": "CW.A@harbour.test",
            "password": factories.DEFAULT_PASSWORD,
            "otp": totp_code(totp_device(caseworker_a)),
        },
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = client.get(LIST_URL)

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [str(case_a.pk)]


def test_token_sign_in_is_audited(caseworker_a):
    APIClient().post(
        TOKEN_URL,
        {
            "email": caseworker_a.email,
            "password": factories.DEFAULT_PASSWORD,
            "otp": totp_code(totp_device(caseworker_a)),
        },
        format="json",
    )

    assert AuditEvent.objects.filter(actor=caseworker_a, action=AuditAction.SIGN_IN).exists()


def test_token_refused_for_a_wrong_password_without_saying_why(caseworker_a):
    wrong = APIClient().post(
        TOKEN_URL, {"email": caseworker_a.email, "password": "not-the-password"}, format="json"
    )
    nobody = APIClient().post(
        TOKEN_URL, {"email": "nobody@harbour.test", "password": "not-the-password"}, format="json"
    )

    assert wrong.status_code == nobody.status_code == 400
    assert wrong.json() == nobody.json()
    assert wrong.json()["code"] == "invalid_credentials"
    assert not AuthToken.objects.exists()


def test_token_obtain_goes_through_the_account_lockout(caseworker_a, settings):
    client = APIClient()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(TOKEN_URL, {"email": caseworker_a.email, "password": "wrong"}, format="json")

    response = client.post(
        TOKEN_URL,
        {"email": caseworker_a.email, "password": factories.DEFAULT_PASSWORD},
        format="json",
    )

    assert response.status_code == 429
    assert response.json() == {"message": LOCKED_OUT_MESSAGE, "code": "locked_out", "errors": {}}
    assert not AuthToken.objects.exists()


def test_invalid_token_is_refused(case_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get(LIST_URL)

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "authentication_failed"
