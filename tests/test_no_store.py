"""`Cache-Control: no-store` on every signed-in and every API response (issue 12 §4).

A shared or browser cache that kept a case page or a decrypted identity from the API would hand
it to the next person at the same computer or behind the same proxy.
"""

import time
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils.http import http_date, parse_http_date
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from config.middleware import NoStoreMiddleware
from tests import factories

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip().split("=")[0] for part in response["Cache-Control"].split(",")}


def assert_not_stored(response) -> None:
    assert {"no-store", "private", "no-cache", "must-revalidate"} <= directives(response)
    assert "public" not in directives(response)


def case_item_url(case) -> str:
    return reverse("cases_api:case_item", kwargs={"case_id": case.pk})


def test_api_case_read_with_identity_is_not_stored(client_for, caseworker_a, case_a):
    response = client_for(caseworker_a).get(case_item_url(case_a))

    assert response.status_code == 200
    assert response.json()["id"] == str(case_a.pk)
    assert_not_stored(response)


def test_api_case_outside_scope_is_a_404_not_stored(client_for, caseworker_b, case_a):
    response = client_for(caseworker_b).get(case_item_url(case_a))

    assert response.status_code == 404
    assert_not_stored(response)


def test_api_refusal_of_an_anonymous_client_is_not_stored(case_a):
    response = APIClient().get(case_item_url(case_a))

    assert response.status_code in (401, 403)
    assert_not_stored(response)


def test_token_endpoint_answer_is_not_stored(caseworker_a):
    response = APIClient().post(
        reverse("api_token_obtain"),
        {"email": caseworker_a.email, "password": "not-the-password"},
        format="json",
    )

    assert 400 <= response.status_code < 500
    assert_not_stored(response)


@pytest.mark.parametrize(
    "url_name", ["dashboard", "cases:list", "cases:create", "cases_api:case_collection"]
)
def test_signed_in_pages_are_not_stored(client_for, caseworker_a, url_name):
    response = client_for(caseworker_a).get(reverse(url_name))

    assert response.status_code == 200
    assert_not_stored(response)


def test_signed_in_admin_pages_are_not_stored(client_for, central_admin):
    response = client_for(central_admin).get(reverse("accounts:user_list"))

    assert response.status_code == 200
    assert_not_stored(response)


def test_signed_in_error_page_is_not_stored(client_for, caseworker_a):
    response = client_for(caseworker_a).get(
        reverse("cases:detail", kwargs={"case_id": uuid.uuid4()})
    )

    assert response.status_code == 404
    assert_not_stored(response)


def test_signed_in_redirect_after_a_write_is_not_stored(client_for, caseworker_a, case_a):
    # A POST that fails validation re-renders the form with what was typed: not stored either.
    response = client_for(caseworker_a).post(
        reverse("cases:edit", kwargs={"case_id": case_a.pk}), {"version": "not-a-number"}
    )

    assert response.status_code in (200, 302, 400, 409)
    assert_not_stored(response)


def test_anonymous_non_api_answer_is_left_to_its_view():
    # The middleware adds nothing to anonymous pages (static-like content may be cached);
    # views that need it (sign-in, health) set their own headers.
    request = RequestFactory().get("/accounts/login/")
    request.user = AnonymousUser()

    response = NoStoreMiddleware(lambda _request: HttpResponse("public"))(request)

    assert not response.has_header("Cache-Control")
    assert not response.has_header("Expires")


def test_anonymous_api_answer_is_not_stored_even_before_authentication():
    request = RequestFactory().get("/api/v1/cases/")
    request.user = AnonymousUser()

    response = NoStoreMiddleware(lambda _request: HttpResponse("{}"))(request)

    assert_not_stored(response)


def test_a_view_asking_for_public_caching_is_overridden_for_a_signed_in_user():
    user = factories.UserFactory.build()
    request = RequestFactory().get("/cases/")
    request.user = user

    def view(_request):
        response = HttpResponse("personal")
        response["Cache-Control"] = "public, max-age=3600"
        response["Expires"] = http_date(time.time() + 3600)
        return response

    response = NoStoreMiddleware(view)(request)

    assert_not_stored(response)
    assert "max-age=0" in response["Cache-Control"]
    assert parse_http_date(response["Expires"]) <= time.time() + 1


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tail=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/.%", max_size=40))
def test_every_api_answer_to_anyone_is_not_stored(client, tail):
    response = client.get(f"/api/{tail}")

    assert response.status_code < 500
    assert_not_stored(response)
