"""Idle and absolute session lifetime (accounts.middleware), with the clock moved by editing
the session's timestamps."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services
from accounts.middleware import BACKGROUND_HEADER, SESSION_SEEN_KEY, SESSION_STARTED_KEY
from accounts.views import SIGNED_OUT_IDLE_MESSAGE, SIGNED_OUT_LIFETIME_MESSAGE
from cases.models import AuditAction, AuditEvent
from tests import factories
from tests.second_factor import verified_login

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
DASHBOARD_URL = reverse("dashboard")
CASES_API_URL = reverse("cases_api:case_collection")


def signed_in(client, user):
    verified_login(client, user)
    # The first request after sign-in starts the clock.
    assert client.get(DASHBOARD_URL).status_code == 200
    return client


def shift(client, *, seen_minutes=0.0, started_minutes=0.0):
    """Pretend the last request was ``seen_minutes`` ago and sign-in ``started_minutes`` ago."""
    session = client.session
    now = timezone.now().timestamp()
    session[SESSION_SEEN_KEY] = int(now - seen_minutes * 60)
    session[SESSION_STARTED_KEY] = int(now - started_minutes * 60)
    session.save()


@pytest.fixture
def times(settings):
    settings.HARBOUR_SESSION_IDLE_MINUTES_ADMIN = 15
    settings.HARBOUR_SESSION_IDLE_MINUTES_OTHER = 30
    settings.HARBOUR_SESSION_ABSOLUTE_HOURS = 12


def test_the_first_request_stamps_the_session(client, caseworker_a, times):
    signed_in(client, caseworker_a)

    session = client.session
    assert abs(session[SESSION_SEEN_KEY] - timezone.now().timestamp()) < 5
    assert session[SESSION_STARTED_KEY] <= session[SESSION_SEEN_KEY]


def test_a_caseworker_idle_for_29_minutes_stays_signed_in(client, caseworker_a, times):
    signed_in(client, caseworker_a)
    shift(client, seen_minutes=29, started_minutes=29)

    assert client.get(DASHBOARD_URL).status_code == 200


def test_a_caseworker_idle_for_30_minutes_is_signed_out(client, caseworker_a, times):
    signed_in(client, caseworker_a)
    shift(client, seen_minutes=30, started_minutes=30)

    response = client.get(DASHBOARD_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", ["central_admin", "superuser"])
def test_administrators_are_signed_out_after_15_idle_minutes(request, client, role, times):
    user = request.getfixturevalue(role)
    signed_in(client, user)
    shift(client, seen_minutes=16, started_minutes=16)

    assert client.get(DASHBOARD_URL)["Location"].startswith(LOGIN_URL)


def test_an_administrator_idle_for_14_minutes_stays(client, central_admin, times):
    signed_in(client, central_admin)
    shift(client, seen_minutes=14, started_minutes=14)

    assert client.get(DASHBOARD_URL).status_code == 200


def test_activity_keeps_a_session_alive(client, caseworker_a, times):
    signed_in(client, caseworker_a)
    shift(client, seen_minutes=25, started_minutes=120)
    assert client.get(DASHBOARD_URL).status_code == 200

    # That request counts as activity: 25 more minutes later it is still alive.
    session = client.session
    session[SESSION_SEEN_KEY] -= 25 * 60
    session.save()
    assert client.get(DASHBOARD_URL).status_code == 200


def test_a_busy_session_ends_after_12_hours(client, caseworker_a, times):
    signed_in(client, caseworker_a)
    shift(client, seen_minutes=1, started_minutes=12 * 60)

    assert client.get(DASHBOARD_URL)["Location"].startswith(LOGIN_URL)


def test_the_limits_follow_the_settings(client, caseworker_a, settings):
    settings.HARBOUR_SESSION_IDLE_MINUTES_OTHER = 5
    signed_in(client, caseworker_a)
    shift(client, seen_minutes=6, started_minutes=6)

    assert client.get(DASHBOARD_URL)["Location"].startswith(LOGIN_URL)


def test_the_sign_in_page_says_why_after_inactivity(client, caseworker_a, times):
    signed_in(client, caseworker_a)
    shift(client, seen_minutes=45, started_minutes=45)

    login_page = client.get(client.get(DASHBOARD_URL)["Location"])

    assert str(SIGNED_OUT_IDLE_MESSAGE) in login_page.content.decode()
    # Once: a later visit of the sign-in page does not repeat it.
    assert str(SIGNED_OUT_IDLE_MESSAGE) not in client.get(LOGIN_URL).content.decode()


def test_the_sign_in_page_says_why_after_the_absolute_limit(client, caseworker_a, times):
    signed_in(client, caseworker_a)
    shift(client, seen_minutes=0, started_minutes=13 * 60)

    login_page = client.get(client.get(DASHBOARD_URL)["Location"])

    assert str(SIGNED_OUT_LIFETIME_MESSAGE % {"hours": 12}) in login_page.content.decode()


def test_an_ordinary_visit_of_the_sign_in_page_has_no_notice(client):
    body = client.get(LOGIN_URL).content.decode()

    assert str(SIGNED_OUT_IDLE_MESSAGE) not in body


def test_the_timeout_is_audited_with_its_reason(client, caseworker_a, times):
    signed_in(client, caseworker_a)
    shift(client, seen_minutes=31, started_minutes=31)

    client.get(DASHBOARD_URL)

    event = AuditEvent.objects.get(action=AuditAction.SIGN_OUT, actor=caseworker_a)
    assert event.detail == {"reason": "idle"}


def test_a_timed_out_api_session_is_refused(client, caseworker_a, times):
    signed_in(client, caseworker_a)
    shift(client, seen_minutes=31, started_minutes=31)

    assert client.get(CASES_API_URL).status_code == 403


def test_a_timeout_keeps_the_users_api_tokens(client, caseworker_a, times):
    services.api_token_create(user=caseworker_a, name="nightly export")
    signed_in(client, caseworker_a)
    shift(client, seen_minutes=31, started_minutes=31)

    client.get(DASHBOARD_URL)

    assert AuthToken.objects.filter(user=caseworker_a).count() == 1


def test_signing_in_again_starts_a_new_clock(client, times):
    user = factories.UserFactory()
    signed_in(client, user)
    shift(client, seen_minutes=31, started_minutes=11 * 60)
    client.get(DASHBOARD_URL)

    response = client.post(
        LOGIN_URL, {"username": user.email, "password": factories.DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    session = client.session
    assert timezone.now().timestamp() - session[SESSION_STARTED_KEY] < 5


def test_a_token_client_gets_no_session(caseworker_a):
    _token, secret = services.api_token_create(user=caseworker_a, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    response = client.get(CASES_API_URL)

    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_background_polling_does_not_keep_an_idle_session_alive(client, caseworker_a, times):
    signed_in(client, caseworker_a)
    shift(client, seen_minutes=20, started_minutes=20)

    # A page left open polls on its own; those requests are answered but are not activity.
    polled = client.get(DASHBOARD_URL, headers={BACKGROUND_HEADER: "1", "HX-Request": "true"})
    assert polled.status_code == 200
    shift_seen = client.session[SESSION_SEEN_KEY]
    assert timezone.now().timestamp() - shift_seen >= 20 * 60 - 5

    shift(client, seen_minutes=30, started_minutes=30)
    response = client.get(DASHBOARD_URL, headers={BACKGROUND_HEADER: "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_a_request_the_user_makes_still_counts_as_activity(client, caseworker_a, times):
    signed_in(client, caseworker_a)
    shift(client, seen_minutes=20, started_minutes=20)

    assert client.get(DASHBOARD_URL).status_code == 200

    assert abs(client.session[SESSION_SEEN_KEY] - timezone.now().timestamp()) < 5
