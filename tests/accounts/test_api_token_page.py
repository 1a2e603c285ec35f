"""The API token page: named tokens shown once, stored hashed, listed, revoked; last use."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services
from accounts.api_tokens import permissions
from accounts.api_tokens.views import TOKEN_CREATION_REFUSED_MESSAGE
from accounts.models import ApiTokenDetail
from cases.models import AuditAction, AuditEvent
from tests import factories
from tests.second_factor import SECOND_FACTOR_QUERIES, totp_code, totp_device, verified_login

pytestmark = pytest.mark.django_db

PAGE_URL = reverse("accounts:api_tokens")
CASES_API_URL = reverse("cases_api:case_collection")
TOKEN_NAME = "Nightly export on the office server"


def revoke_url(detail) -> str:
    return reverse("accounts:api_token_revoke", kwargs={"token_id": detail.pk})


def call_api(secret: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client.get(CASES_API_URL)


@pytest.fixture
def page(client, caseworker_a):
    verified_login(client, caseworker_a)
    return client


def test_creating_shows_the_token_once(page, caseworker_a):
    response = page.post(PAGE_URL, {"name": TOKEN_NAME})

    assert response.status_code == 200
    secret = response.context["new_token"]
    assert secret in response.content.decode()
    assert call_api(secret).status_code == 200
    # The list shows the name, never the token again.
    listing = page.get(PAGE_URL).content.decode()
    assert TOKEN_NAME in listing
    assert secret not in listing


def test_only_a_digest_is_stored(page):
    secret = page.post(PAGE_URL, {"name": TOKEN_NAME}).context["new_token"]

    assert AuthToken.objects.filter(digest=hash_token(secret)).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key FROM knox_authtoken")
        rows = cursor.fetchall()
    assert all(secret not in value for row in rows for value in row)


def test_the_expiry_follows_the_setting(page, settings):
    settings.HARBOUR_API_TOKEN_LIFETIME_HOURS = 3

    response = page.post(PAGE_URL, {"name": TOKEN_NAME})

    token = AuthToken.objects.get()
    assert abs(token.expiry - token.created - datetime.timedelta(hours=3)) < (
        datetime.timedelta(seconds=5)
    )
    assert response.context["new_token_expiry"] == token.expiry


def test_creation_is_audited_without_name_or_token(page, caseworker_a):
    secret = page.post(PAGE_URL, {"name": TOKEN_NAME}).context["new_token"]

    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_CREATED)
    assert event.actor == caseworker_a
    detail = ApiTokenDetail.objects.get()
    assert (event.object_type, event.object_id) == ("accounts.apitokendetail", str(detail.pk))
    text = str(event.detail) + event.object_id
    assert TOKEN_NAME not in text
    assert secret[:8] not in text


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_a_bad_name_is_a_field_error_and_creates_nothing(page, name):
    response = page.post(PAGE_URL, {"name": name})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert "new_token" not in response.context
    assert not AuthToken.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.API_TOKEN_CREATED).exists()


def test_a_missing_name_is_a_field_error(page):
    response = page.post(PAGE_URL, {})

    assert response.context["form"].errors["name"]
    assert not AuthToken.objects.exists()


def test_the_service_refuses_a_blank_name(caseworker_a):
    with pytest.raises(ValidationError):
        services.api_token_create(user=caseworker_a, name="  ")
    assert not AuthToken.objects.exists()


def test_the_list_shows_created_expiry_and_last_use(page, caseworker_a):
    token, secret = services.api_token_create(user=caseworker_a, name=TOKEN_NAME)
    call_api(secret)

    response = page.get(PAGE_URL)

    (detail,) = response.context["page_obj"].object_list
    assert detail.name == TOKEN_NAME
    assert detail.token.created == token.created
    assert detail.token.expiry == token.expiry
    assert detail.last_used_at is not None


def test_the_list_shows_only_my_live_tokens(page, caseworker_a, caseworker_b):
    services.api_token_create(user=caseworker_a, name="mine")
    services.api_token_create(user=caseworker_b, name="someone else's")
    expired, _secret = services.api_token_create(user=caseworker_a, name="old one")
    AuthToken.objects.filter(digest=expired.digest).update(
        expiry=timezone.now() - datetime.timedelta(minutes=1)
    )

    names = [detail.name for detail in page.get(PAGE_URL).context["page_obj"].object_list]

    assert names == ["mine"]


def test_the_list_query_count_is_fixed(page, caseworker_a, django_assert_max_num_queries):
    for index in range(30):
        services.api_token_create(user=caseworker_a, name=f"token {index}")

    # Session, user, memberships (navigation), count, page of tokens, session save (3).
    with django_assert_max_num_queries(8 + SECOND_FACTOR_QUERIES):
        response = page.get(PAGE_URL)
    assert len(response.context["page_obj"].object_list) == 25


def test_last_use_is_written_at_most_once_a_minute(caseworker_a):
    _token, secret = services.api_token_create(user=caseworker_a, name=TOKEN_NAME)
    call_api(secret)
    first = ApiTokenDetail.objects.get().last_used_at

    call_api(secret)
    assert ApiTokenDetail.objects.get().last_used_at == first

    ApiTokenDetail.objects.update(last_used_at=first - datetime.timedelta(minutes=2))
    call_api(secret)
    assert ApiTokenDetail.objects.get().last_used_at > first


def test_a_recent_use_costs_no_write(caseworker_a):
    _token, secret = services.api_token_create(user=caseworker_a, name=TOKEN_NAME)
    call_api(secret)

    with CaptureQueriesContext(connection) as queries:
        call_api(secret)

    assert not any("accounts_apitokendetail" in q["sql"] and "UPDATE" in q["sql"] for q in queries)


def test_revoking_asks_first_then_ends_the_token(page, caseworker_a):
    _token, secret = services.api_token_create(user=caseworker_a, name=TOKEN_NAME)
    detail = ApiTokenDetail.objects.get()

    confirm = page.get(revoke_url(detail))
    assert confirm.status_code == 200
    assert AuthToken.objects.exists()

    response = page.post(revoke_url(detail))

    assert response.status_code == 302
    assert response["Location"] == PAGE_URL
    assert not AuthToken.objects.exists()
    assert not ApiTokenDetail.objects.exists()
    assert call_api(secret).status_code == 403
    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_REVOKED)
    assert event.object_id == str(detail.pk)
    assert event.detail == {"count": 1}


def test_nobody_else_can_revoke_my_token(caseworker_a, caseworker_b, central_admin):
    services.api_token_create(user=caseworker_a, name=TOKEN_NAME)
    detail = ApiTokenDetail.objects.get()
    for user in (caseworker_b, central_admin):
        client = Client()
        verified_login(client, user)

        assert client.get(revoke_url(detail)).status_code == 404
        assert client.post(revoke_url(detail)).status_code == 404
    assert AuthToken.objects.exists()


def test_revoking_a_missing_token_is_the_same_404(page, caseworker_b):
    services.api_token_create(user=caseworker_b, name="theirs")
    theirs = ApiTokenDetail.objects.get()
    missing = reverse("accounts:api_token_revoke", kwargs={"token_id": 2**31 - 1})

    assert page.post(missing).status_code == 404
    assert page.post(missing).content == page.post(revoke_url(theirs)).content


def test_when_the_hook_refuses_no_token_is_created(page, monkeypatch):
    monkeypatch.setattr(permissions, "may_create_api_token", lambda user, request: False)

    shown = page.get(PAGE_URL)
    refused = page.post(PAGE_URL, {"name": TOKEN_NAME})

    assert str(TOKEN_CREATION_REFUSED_MESSAGE) in shown.content.decode()
    assert 'name="name"' not in shown.content.decode()
    assert refused.status_code == 403
    assert not AuthToken.objects.exists()


def test_a_session_without_a_second_factor_cannot_create_a_token(client, researcher):
    # Researchers need no second factor by default, so they may use the site unverified;
    # a token outlives the session, so minting one needs a verified session.
    client.force_login(researcher)

    shown = client.get(PAGE_URL)
    refused = client.post(PAGE_URL, {"name": TOKEN_NAME})

    assert str(TOKEN_CREATION_REFUSED_MESSAGE) in shown.content.decode()
    assert refused.status_code == 403
    assert not AuthToken.objects.exists()


def test_a_verified_session_may_create_a_token(client, researcher):
    verified_login(client, researcher)

    assert client.post(PAGE_URL, {"name": TOKEN_NAME}).status_code == 200
    assert AuthToken.objects.filter(user=researcher).count() == 1


def test_signing_out_revokes_page_tokens_too(page, caseworker_a):
    _token, secret = services.api_token_create(user=caseworker_a, name=TOKEN_NAME)

    page.post(reverse("accounts:logout"))

    assert call_api(secret).status_code == 403
    assert not ApiTokenDetail.objects.exists()


def test_api_sign_in_tokens_are_listed_by_their_default_name(page, caseworker_a):
    response = APIClient().post(
        reverse("api_token_obtain"),
        {
            "email": caseworker_a.email,
            "password": factories.DEFAULT_PASSWORD,
            # The page's verified session gave the account an app, so the API asks for a code.
            "otp": totp_code(totp_device(caseworker_a)),
        },
        format="json",
    )
    assert response.status_code == 200

    names = [detail.name for detail in page.get(PAGE_URL).context["page_obj"].object_list]

    assert names == [services.API_TOKEN_SIGN_IN_NAME]
