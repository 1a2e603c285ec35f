"""Malformed, hostile or stale input: refused with a clear 4xx, never a 500, nothing saved."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.exceptions import Throttled
from rest_framework.test import APIClient

from cases.models import AuditAction, AuditEvent, Case
from cases.vocabularies import Gender
from config.api.exceptions import (
    PARSE_ERROR_MESSAGE,
    TOO_LARGE_MESSAGE,
    UNSUPPORTED_MEDIA_TYPE_MESSAGE,
    api_exception_handler,
)
from tests.second_factor import verified_login

pytestmark = pytest.mark.django_db

API_LIST_URL = reverse("cases_api:case_collection")
HTML_CREATE_URL = reverse("cases:create")
HTML_LIST_URL = reverse("cases:list")
TOO_LARGE = 2 * 1024 * 1024


def api_item_url(case) -> str:
    return reverse("cases_api:case_item", kwargs={"case_id": case.pk})


@pytest.fixture
def api(caseworker_a):
    client = APIClient()
    verified_login(client, caseworker_a)
    return client


@pytest.fixture
def html(caseworker_a):
    client = Client()
    verified_login(client, caseworker_a)
    return client


def valid_case(**overrides) -> dict:
    payload = {"mission": "AAA", "given_name": "Amina", "gender": Gender.FEMININE}
    payload.update(overrides)
    return payload


def html_case_form(mission, /, **overrides) -> dict:
    form = {
        "mission": mission.pk,
        "given_name": "Amina",
        "gender": Gender.FEMININE,
        "registered_on": "2024-01-02",
    }
    form.update(overrides)
    return form


def assert_error_shape(body: dict) -> None:
    assert set(body) == {"message", "code", "errors"}


# --- CSRF -------------------------------------------------------------------------------------


def test_api_post_with_a_session_but_no_csrf_token_is_refused(caseworker_a, mission_a):
    client = APIClient(enforce_csrf_checks=True)
    verified_login(client, caseworker_a)

    response = client.post(API_LIST_URL, valid_case(), format="json")

    assert response.status_code == 403
    assert_error_shape(response.json())
    assert not Case.objects.exists()


def test_html_form_post_without_csrf_token_is_refused(caseworker_a, mission_a):
    client = Client(enforce_csrf_checks=True)
    verified_login(client, caseworker_a)

    response = client.post(HTML_CREATE_URL, html_case_form(mission_a))

    assert response.status_code == 403
    assert not Case.objects.exists()


# --- body size and format ---------------------------------------------------------------------


def test_api_oversized_body_is_413_in_the_error_shape(api, mission_a):
    body = json.dumps(valid_case(address="x" * TOO_LARGE))

    response = api.post(API_LIST_URL, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "message": TOO_LARGE_MESSAGE,
        "code": "request_too_large",
        "errors": {},
    }
    assert not Case.objects.exists()


def test_html_oversized_form_post_is_400(html, mission_a):
    response = html.post(HTML_CREATE_URL, html_case_form(mission_a, address="x" * TOO_LARGE))

    assert response.status_code == 400
    assert not Case.objects.exists()


@pytest.mark.parametrize("body", ['{"mission": "AAA",', "not json", "\x00", '{"a": NaN'])
def test_api_malformed_json_is_400(api, mission_a, body):
    response = api.post(API_LIST_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"message": PARSE_ERROR_MESSAGE, "code": "parse_error", "errors": {}}


def test_api_refuses_a_form_encoded_body_with_415(api, mission_a):
    response = api.post(API_LIST_URL, valid_case())

    assert response.status_code == 415
    assert response.json()["message"] == UNSUPPORTED_MEDIA_TYPE_MESSAGE


@pytest.mark.parametrize("body", [[], ["AAA"], "AAA", 42, None])
def test_api_body_that_is_not_an_object_is_400(api, mission_a, body):
    response = api.post(API_LIST_URL, json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert_error_shape(response.json())


# --- field values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"gender": "Robot"}, "gender"),
        ({"citizenships": ["ZZZ"]}, "citizenships.0"),
        ({"citizenships": "NPL"}, "citizenships"),
        ({"languages": ["xx"]}, "languages.0"),
        ({"given_name": ["Amina"]}, "given_name"),
        ({"given_name": {"a": 1}}, "given_name"),
        ({"given_name": "Am\x00ina"}, "given_name"),
        ({"phone": "\x00"}, "phone"),
        ({"aliases": ["ok", "b\x00d"]}, "aliases.1"),
        ({"citizenships": ["\x00"]}, "citizenships.0"),
        ({"mission": "A\x00A"}, "mission"),
        ({"mission": ["AAA"]}, "mission"),
        ({"date_of_birth": "1999-02-31"}, "date_of_birth"),
        ({"date_of_birth": "yesterday"}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"registered_on": "99999-01-01"}, "registered_on"),
        ({"birth_year": "nineteen"}, "birth_year"),
        ({"birth_year": 10**30}, "birth_year"),
        ({"assigned_to": 10**30}, "assigned_to"),
        ({"assigned_to": "x\x00"}, "assigned_to"),
        ({"aliases": ["a"] * 500}, "aliases"),
        ({"given_name": "x" * 10_000}, "given_name"),
    ],
)
def test_api_create_refuses_bad_values_with_a_field_error(api, mission_a, overrides, field):
    response = api.post(API_LIST_URL, valid_case(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Case.objects.exists()


@pytest.mark.parametrize("version", ["abc", [1], {"v": 1}, None, True, "1\x00", 0, -1])
def test_api_update_refuses_a_malformed_version(api, case_a, version):
    response = api.patch(api_item_url(case_a), {"version": version}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"version"}


def test_api_stale_version_changes_nothing(api, case_a):
    person = case_a.person
    before = (person.given_name, person.phone, case_a.version)

    response = api.patch(
        api_item_url(case_a),
        {"version": 10**30, "given_name": "Other", "phone": "123"},
        format="json",
    )

    assert response.status_code == 409
    case_a.refresh_from_db()
    case_a.person.refresh_from_db()
    assert (case_a.person.given_name, case_a.person.phone, case_a.version) == before
    assert not AuditEvent.objects.filter(case=case_a, action=AuditAction.CASE_UPDATED).exists()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "A\x00"},
        {"citizenship": "\x00"},
        {"status": "\x00"},
        {"mission": "\x00"},
        {"mission": str(10**30)},
        {"assigned_to": "1\x00"},
        {"registered_from": "2024-99-99"},
        {"registered_to": "\x00"},
    ],
)
def test_api_list_refuses_bad_filters_with_400(api, case_a, params):
    response = api.get(API_LIST_URL, params)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)


@pytest.mark.parametrize("page", ["abc", "\x00", "0", str(10**30)])
def test_api_list_bad_page_is_the_404_body(api, case_a, page):
    response = api.get(API_LIST_URL, {"page": page})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("page_size", ["abc", "-1", "\x00", str(10**30)])
def test_api_list_bad_page_size_falls_back_to_a_bounded_page(api, case_a, page_size):
    response = api.get(API_LIST_URL, {"page_size": page_size})

    assert response.status_code == 200


# --- HTML forms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"given_name": "Am\x00ina"},
        {"address": "\x00"},
        {"aliases": "one\n\x00"},
        {"citizenships": ["\x00"]},
        {"mission": "\x00"},
        {"assigned_to": "\x00"},
        {"registered_on": "\x00"},
        {"birth_year": str(10**30)},
    ],
)
def test_html_create_form_refuses_bad_values_without_saving(html, mission_a, overrides):
    response = html.post(HTML_CREATE_URL, html_case_form(mission_a, **overrides))

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Case.objects.exists()


@pytest.mark.parametrize("params", [{"q": "\x00"}, {"mission": "\x00"}, {"page": "\x00"}])
def test_html_list_survives_null_bytes_in_filters(html, case_a, params):
    response = html.get(HTML_LIST_URL, params)

    assert response.status_code == 200


def test_throttled_answer_keeps_the_error_shape():
    response = api_exception_handler(Throttled(wait=30), {})

    assert response.status_code == 429
    assert response.data["code"] == "throttled"
    assert response.data["errors"] == {}
    assert response["Retry-After"] == "30"
