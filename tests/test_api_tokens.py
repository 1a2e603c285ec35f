"""API tokens: django-rest-knox, stored hashed, shown once, expiring, revoked on sign-out."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from cases.models import AuditAction, AuditEvent
from config.api.authentication import TOKEN_EXPIRED_MESSAGE, TOKEN_INVALID_MESSAGE
from tests import factories
from tests.second_factor import fresh_code, totp_device, verified_login

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("api_token_obtain")
LIST_URL = reverse("cases_api:case_collection")
REVOKE_URL = reverse("api_token_revoke")


def obtain(user) -> dict:
    # Caseworkers must use a second factor: the token needs a code from their app too.
    otp = fresh_code(totp_device(user))
    response = APIClient().post(
        TOKEN_URL,
        {"email": user.email, "password": factories.DEFAULT_PASSWORD, "otp": otp},
        format="json",
    )
    assert response.status_code == 200
    return response.json()


def stored(token_key: str) -> AuthToken:
    return AuthToken.objects.get(digest=hash_token(token_key))


def age(token_key: str, *, hours: float) -> None:
    token = stored(token_key)
    shift = datetime.timedelta(hours=hours)
    AuthToken.objects.filter(digest=token.digest).update(
        created=token.created - shift, expiry=token.expiry - shift
    )


def listing(token_key: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_key}")
    return client.get(LIST_URL)


def test_a_token_says_when_it_expires(caseworker_a, settings):
    settings.HARBOUR_API_TOKEN_LIFETIME_HOURS = 10
    body = obtain(caseworker_a)

    token = stored(body["token"])
    expires_at = datetime.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert expires_at == token.expiry
    assert abs(token.expiry - token.created - datetime.timedelta(hours=10)) < (
        datetime.timedelta(seconds=5)
    )


def test_the_lifetime_follows_the_setting(caseworker_a, settings):
    settings.HARBOUR_API_TOKEN_LIFETIME_HOURS = 2
    token = stored(obtain(caseworker_a)["token"])

    lifetime = token.expiry - token.created
    assert datetime.timedelta(hours=2) - lifetime < datetime.timedelta(seconds=5)


def test_only_a_digest_of_the_token_is_stored(caseworker_a):
    key = obtain(caseworker_a)["token"]

    token = stored(key)
    assert token.digest != key
    assert key not in token.digest
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key FROM knox_authtoken")
        rows = cursor.fetchall()
    assert all(key not in value for row in rows for value in row)


def test_the_plain_text_token_table_is_gone():
    assert "authtoken_token" not in connection.introspection.table_names()


def test_a_token_works_until_it_expires(caseworker_a, settings):
    settings.HARBOUR_API_TOKEN_LIFETIME_HOURS = 10
    key = obtain(caseworker_a)["token"]
    age(key, hours=9.9)

    assert listing(key).status_code == 200


def test_an_expired_token_is_refused_and_deleted(caseworker_a, settings):
    settings.HARBOUR_API_TOKEN_LIFETIME_HOURS = 10
    key = obtain(caseworker_a)["token"]
    age(key, hours=10)

    response = listing(key)

    # 403, not 401: session authentication comes first and sends no WWW-Authenticate.
    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"
    assert response.json()["message"] == TOKEN_EXPIRED_MESSAGE
    assert not AuthToken.objects.filter(digest=hash_token(key)).exists()


def test_each_sign_in_issues_a_new_token_and_both_work(caseworker_a):
    first = obtain(caseworker_a)["token"]
    second = obtain(caseworker_a)["token"]

    assert first != second
    assert listing(first).status_code == 200
    assert listing(second).status_code == 200


def test_signing_in_again_removes_the_expired_tokens(caseworker_a, settings):
    settings.HARBOUR_API_TOKEN_LIFETIME_HOURS = 10
    old = obtain(caseworker_a)["token"]
    age(old, hours=11)

    new = obtain(caseworker_a)["token"]

    assert new != old
    assert listing(new).status_code == 200
    assert list(AuthToken.objects.values_list("digest", flat=True)) == [hash_token(new)]


def test_token_creation_is_audited_without_the_token(caseworker_a):
    key = obtain(caseworker_a)["token"]

    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_CREATED)
    assert event.actor_id == caseworker_a.pk
    assert key not in str(event.detail) and key[:15] not in event.object_id
    assert hash_token(key) not in event.object_id


def test_signing_out_revokes_every_token_of_the_user(client, caseworker_a, caseworker_b):
    first = obtain(caseworker_a)["token"]
    second = obtain(caseworker_a)["token"]
    other = obtain(caseworker_b)["token"]
    verified_login(client, caseworker_a)

    client.post(reverse("accounts:logout"))

    assert listing(first).status_code == 403
    assert listing(second).status_code == 403
    assert listing(other).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_REVOKED)
    assert event.actor_id == caseworker_a.pk
    assert event.detail == {"count": 2}


def test_signing_out_without_tokens_writes_no_revocation(client, caseworker_a):
    verified_login(client, caseworker_a)

    client.post(reverse("accounts:logout"))

    assert not AuditEvent.objects.filter(action=AuditAction.API_TOKEN_REVOKED).exists()


def test_a_deactivated_users_token_gets_the_unknown_token_answer(caseworker_a):
    key = obtain(caseworker_a)["token"]
    caseworker_a.is_active = False
    caseworker_a.save(update_fields=["is_active"])

    inactive = listing(key)
    unknown = listing("0" * 64)

    assert inactive.status_code == unknown.status_code == 403
    assert inactive.json() == unknown.json()
    assert unknown.json()["message"] == TOKEN_INVALID_MESSAGE


@pytest.mark.parametrize(
    "header",
    [
        "Token",
        "Token a b",
        "Token " + "x" * 5000,
        "Token \u00e9\u00e9\u00e9",
        "Token zz",
    ],
)
def test_malformed_tokens_are_refused_without_a_crash(caseworker_a, header):
    obtain(caseworker_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(LIST_URL)

    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"


def test_a_token_cut_from_a_real_one_is_refused(caseworker_a):
    key = obtain(caseworker_a)["token"]

    assert listing(key[:15]).status_code == 403
    assert listing(key[:-1]).status_code == 403


def _revoke(token_key: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_key}")
    return client.post(REVOKE_URL)


def test_an_api_client_revokes_the_token_it_presents(caseworker_a):
    first = obtain(caseworker_a)["token"]
    second = obtain(caseworker_a)["token"]

    response = _revoke(first)

    assert response.status_code == 204
    assert listing(first).status_code == 403
    assert listing(second).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_REVOKED)
    assert event.actor_id == caseworker_a.pk
    assert first not in str(event.detail)


def test_revoking_twice_is_refused_the_second_time(caseworker_a):
    key = obtain(caseworker_a)["token"]
    _revoke(key)

    response = _revoke(key)

    # 401 with a WWW-Authenticate challenge: only token authentication is offered here.
    assert response.status_code == 401
    assert AuditEvent.objects.filter(action=AuditAction.API_TOKEN_REVOKED).count() == 1


def test_a_session_cannot_revoke_tokens(client, caseworker_a):
    key = obtain(caseworker_a)["token"]
    verified_login(client, caseworker_a)

    response = client.post(REVOKE_URL)

    assert response.status_code == 401
    assert listing(key).status_code == 200


@pytest.mark.parametrize("header", ["", "Token", "Token nonsense", "Bearer abc"])
def test_revoking_without_a_valid_token_is_refused_and_changes_nothing(caseworker_a, header):
    key = obtain(caseworker_a)["token"]
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)

    response = client.post(REVOKE_URL, {"junk": "x" * 100}, format="json")

    assert response.status_code == 401
    assert listing(key).status_code == 200
    assert not AuditEvent.objects.filter(action=AuditAction.API_TOKEN_REVOKED).exists()
