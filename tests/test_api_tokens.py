"""API tokens expire a fixed time after they are issued."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.api.authentication import TOKEN_EXPIRED_MESSAGE
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("api_token_obtain")
LIST_URL = reverse("cases_api:case_collection")


def obtain(user) -> dict:
    response = APIClient().post(
        TOKEN_URL, {"email": user.email, "password": factories.DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()


def age(token_key: str, *, hours: float) -> None:
    Token.objects.filter(key=token_key).update(
        created=Token.objects.get(key=token_key).created - datetime.timedelta(hours=hours)
    )


def listing(token_key: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_key}")
    return client.get(LIST_URL)


def test_a_token_says_when_it_expires(caseworker_a, settings):
    settings.HARBOUR_API_TOKEN_LIFETIME_HOURS = 10
    body = obtain(caseworker_a)

    created = Token.objects.get(key=body["token"]).created
    expires_at = datetime.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert expires_at - created == datetime.timedelta(hours=10)


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
    assert not Token.objects.filter(key=key).exists()


def test_signing_in_again_reuses_a_live_token(caseworker_a):
    first = obtain(caseworker_a)["token"]

    assert obtain(caseworker_a)["token"] == first


def test_signing_in_after_expiry_issues_a_new_token(caseworker_a, settings):
    settings.HARBOUR_API_TOKEN_LIFETIME_HOURS = 10
    old = obtain(caseworker_a)["token"]
    age(old, hours=11)

    new = obtain(caseworker_a)["token"]

    assert new != old
    assert listing(new).status_code == 200
    assert list(Token.objects.values_list("key", flat=True)) == [new]
