import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.forms import SIGN_IN_FAILED_MESSAGE
from accounts.views import LOCKOUT_STATUS
from cases.models import AuditAction, AuditEvent
from config.api.auth import LOCKED_OUT_MESSAGE
from tests import factories
from tests.html import without_csrf_token
from tests.second_factor import fresh_code, totp_device, verified_login

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
UNKNOWN_EMAIL = "nobody@harbour.test"
WRONG_PASSWORD = "not-the-password-at-all"


def _sign_in(client, email, password, ip="10.0.0.1", **data):
    return client.post(LOGIN_URL, {"username": email, "password": password, **data}, REMOTE_ADDR=ip)


def _fail(client, email, times, ip="10.0.0.1"):
    response = None
    for _attempt in range(times):
        response = _sign_in(client, email, WRONG_PASSWORD, ip=ip)
    return response


def _page_without_token_and_email(response, email):
    # The CSRF token is re-masked on every render and the address typed is echoed back;
    # everything else must be byte-for-byte the same.
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", body)
    return body.replace(email, "EMAIL")


@pytest.fixture
def account():
    return factories.UserFactory(email="worker@harbour.test")


def test_login_page_renders(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_sign_in_with_correct_password_redirects_to_dashboard(client, account):
    response = _sign_in(client, account.email, factories.DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert int(client.session["_auth_user_id"]) == account.pk


def test_sign_in_ignores_the_case_of_the_email(client, account):
    response = _sign_in(client, "Worker@HARBOUR.test", factories.DEFAULT_PASSWORD)

    assert int(client.session["_auth_user_id"]) == account.pk
    assert response.status_code == 302


def test_sign_in_is_audited_without_the_email(client, account):
    _sign_in(client, account.email, factories.DEFAULT_PASSWORD)

    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN)
    assert event.actor_id == account.pk
    assert account.email not in str(event.detail)


def test_wrong_password_shows_the_generic_message(client, account):
    response = _sign_in(client, account.email, WRONG_PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [SIGN_IN_FAILED_MESSAGE]
    assert "_auth_user_id" not in client.session


def test_unknown_email_and_wrong_password_give_the_same_page(client, account):
    wrong_password = _sign_in(client, account.email, WRONG_PASSWORD)
    unknown = _sign_in(client, UNKNOWN_EMAIL, WRONG_PASSWORD)

    assert unknown.context["form"].non_field_errors() == [SIGN_IN_FAILED_MESSAGE]
    assert _page_without_token_and_email(unknown, UNKNOWN_EMAIL) == (
        _page_without_token_and_email(wrong_password, account.email)
    )


def test_inactive_account_gives_the_same_page_as_unknown_email(client):
    inactive = factories.UserFactory(email="gone@harbour.test", is_active=False)

    refused = _sign_in(client, inactive.email, factories.DEFAULT_PASSWORD)
    unknown = _sign_in(client, UNKNOWN_EMAIL, factories.DEFAULT_PASSWORD)

    assert refused.context["form"].non_field_errors() == [SIGN_IN_FAILED_MESSAGE]
    assert _page_without_token_and_email(refused, inactive.email) == (
        _page_without_token_and_email(unknown, UNKNOWN_EMAIL)
    )
    assert "_auth_user_id" not in client.session


def test_empty_form_shows_field_errors(client):
    response = client.post(LOGIN_URL, {})

    form = response.context["form"]
    assert response.status_code == 200
    assert set(form.errors) == {"username", "password"}


def test_failed_sign_in_is_audited_without_the_attempted_email(client):
    _sign_in(client, UNKNOWN_EMAIL, WRONG_PASSWORD)

    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert event.actor_id is None
    assert UNKNOWN_EMAIL not in str(event.detail)


def test_five_failures_from_one_address_lock_the_account_there(client, account):
    _fail(client, account.email, settings.AXES_FAILURE_LIMIT, ip="10.0.1.1")

    response = _sign_in(client, account.email, factories.DEFAULT_PASSWORD, ip="10.0.1.1")

    assert response.status_code == LOCKOUT_STATUS
    assert "_auth_user_id" not in client.session


def test_a_stranger_cannot_lock_the_owner_out_from_elsewhere(account):
    _fail(Client(), account.email, settings.AXES_FAILURE_LIMIT + 3, ip="203.0.113.9")
    owner = Client()

    response = _sign_in(owner, account.email, factories.DEFAULT_PASSWORD, ip="10.0.0.7")

    assert response.status_code == 302
    assert int(owner.session["_auth_user_id"]) == account.pk


def test_failures_from_different_addresses_are_counted_apart(client, account):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, account.email, WRONG_PASSWORD, ip=f"10.0.3.{attempt + 1}")

    response = _sign_in(client, account.email, factories.DEFAULT_PASSWORD, ip="10.0.3.1")

    assert response.status_code == 302


def _spread_failures(client, count, ip, known=()):
    # Guessing spread over many usernames, a few of them real accounts.
    response = None
    for attempt in range(count):
        email = known[attempt % len(known)] if known and attempt % 3 == 0 else None
        email = email or f"guess{attempt}@harbour.test"
        response = _sign_in(client, email, WRONG_PASSWORD, ip=ip)
    return response


def test_one_client_failing_across_accounts_is_stopped(account, settings):
    settings.HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT = 8
    attacker = Client()
    _spread_failures(attacker, 8, ip="198.51.100.4")

    response = _sign_in(attacker, account.email, factories.DEFAULT_PASSWORD, ip="198.51.100.4")

    assert response.status_code == LOCKOUT_STATUS
    assert "_auth_user_id" not in attacker.session


def test_the_failure_that_spends_the_client_budget_shows_the_lockout_page(settings):
    settings.HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT = 6

    before = _spread_failures(Client(), 5, ip="198.51.100.5")
    spent = _sign_in(Client(), "guess-last@harbour.test", WRONG_PASSWORD, ip="198.51.100.5")

    assert before.status_code == 200
    assert spent.status_code == LOCKOUT_STATUS


def test_client_budget_stays_below_the_limit_without_locking(account, settings):
    settings.HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT = 8
    client = Client()
    _spread_failures(client, 7, ip="198.51.100.6", known=(account.email,))

    response = _sign_in(client, account.email, factories.DEFAULT_PASSWORD, ip="198.51.100.6")

    assert response.status_code == 302


def test_a_client_over_budget_does_not_stop_other_clients(account, settings):
    settings.HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT = 8
    _spread_failures(Client(), 12, ip="198.51.100.7", known=(account.email,))
    owner = Client()

    response = _sign_in(owner, account.email, factories.DEFAULT_PASSWORD, ip="10.0.0.8")

    assert response.status_code == 302


def test_client_budget_lockout_reads_the_same_for_known_and_unknown_accounts(account, settings):
    settings.HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT = 6
    _spread_failures(Client(), 6, ip="198.51.100.8")

    known = _sign_in(Client(), account.email, factories.DEFAULT_PASSWORD, ip="198.51.100.8")
    unknown = _sign_in(Client(), UNKNOWN_EMAIL, WRONG_PASSWORD, ip="198.51.100.8")

    assert known.status_code == unknown.status_code == LOCKOUT_STATUS
    assert without_csrf_token(known.content) == without_csrf_token(unknown.content)
    assert account.email not in known.content.decode()


def test_client_budget_ends_after_the_cool_off(account, settings):
    settings.HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT = 6
    _spread_failures(Client(), 6, ip="198.51.100.9")
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))

    response = _sign_in(Client(), account.email, factories.DEFAULT_PASSWORD, ip="198.51.100.9")

    assert response.status_code == 302


def test_default_client_budget_is_above_one_account_limit():
    assert settings.HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT == 20
    assert settings.HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT > 3 * settings.AXES_FAILURE_LIMIT
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_lockout_is_audited_without_the_attempted_email(client, account):
    _fail(client, account.email, settings.AXES_FAILURE_LIMIT)

    events = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_LOCKED_OUT)
    assert events.count() == 1
    assert events.get().actor_id is None
    assert account.email not in str(events.get().detail)


def test_fifth_failure_already_shows_the_lockout_page(client, account):
    response = _fail(client, account.email, settings.AXES_FAILURE_LIMIT)

    assert response.status_code == LOCKOUT_STATUS


def test_four_failures_do_not_lock(client, account):
    _fail(client, account.email, settings.AXES_FAILURE_LIMIT - 1)

    response = _sign_in(client, account.email, factories.DEFAULT_PASSWORD)

    assert response.status_code == 302


def test_failures_count_whatever_the_case_of_the_email(client, account):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        email = account.email.upper() if attempt % 2 else account.email
        _sign_in(client, email, WRONG_PASSWORD)

    response = _sign_in(client, account.email, factories.DEFAULT_PASSWORD)

    assert response.status_code == LOCKOUT_STATUS


def test_unknown_email_is_locked_with_the_identical_page(account):
    known_client, unknown_client = Client(), Client()
    known = _fail(known_client, account.email, settings.AXES_FAILURE_LIMIT + 1)
    unknown = _fail(unknown_client, UNKNOWN_EMAIL, settings.AXES_FAILURE_LIMIT + 1)

    assert unknown.status_code == known.status_code == LOCKOUT_STATUS
    assert without_csrf_token(unknown.content) == without_csrf_token(known.content)
    assert UNKNOWN_EMAIL not in unknown.content.decode()


def test_lockout_still_holds_within_fifteen_minutes(client, account):
    _fail(client, account.email, settings.AXES_FAILURE_LIMIT)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=14))

    response = _sign_in(client, account.email, factories.DEFAULT_PASSWORD)

    assert datetime.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert response.status_code == LOCKOUT_STATUS


def test_lockout_ends_after_fifteen_minutes(client, account):
    _fail(client, account.email, settings.AXES_FAILURE_LIMIT)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))

    response = _sign_in(client, account.email, factories.DEFAULT_PASSWORD)

    assert response.status_code == 302


def test_successful_sign_in_resets_the_failure_count(client, account):
    _fail(client, account.email, settings.AXES_FAILURE_LIMIT - 1)
    _sign_in(client, account.email, factories.DEFAULT_PASSWORD)
    client.post(reverse("accounts:logout"))
    _fail(client, account.email, settings.AXES_FAILURE_LIMIT - 1)

    response = _sign_in(client, account.email, factories.DEFAULT_PASSWORD)

    assert response.status_code == 302


def test_safe_next_is_followed(client, account):
    target = reverse("accounts:user_list")

    response = _sign_in(client, account.email, factories.DEFAULT_PASSWORD, next=target)

    assert response.url == target


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/path", "javascript:alert(1)"]
)
def test_unsafe_next_falls_back_to_the_dashboard(client, account, next_url):
    response = _sign_in(client, account.email, factories.DEFAULT_PASSWORD, next=next_url)

    assert response.url == reverse("dashboard")


def test_sign_in_without_csrf_token_is_refused(account):
    client = Client(enforce_csrf_checks=True)

    response = _sign_in(client, account.email, factories.DEFAULT_PASSWORD)

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_logout_by_get_is_not_allowed(client, account):
    verified_login(client, account)

    response = client.get(reverse("accounts:logout"))

    assert response.status_code == 405
    assert int(client.session["_auth_user_id"]) == account.pk


def test_logout_by_post_ends_the_session_and_redirects_to_login(client, account):
    verified_login(client, account)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert "_auth_user_id" not in client.session


def test_logout_is_audited(client, account):
    verified_login(client, account)

    client.post(reverse("accounts:logout"))

    assert AuditEvent.objects.filter(action=AuditAction.SIGN_OUT, actor=account).exists()


def test_session_expires_after_thirty_idle_minutes(client, account):
    _sign_in(client, account.email, factories.DEFAULT_PASSWORD)

    assert client.session.get_expiry_age() == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_expired_session_is_sent_to_sign_in(client, central_admin):
    verified_login(client, central_admin)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))

    response = client.get(reverse("accounts:user_list"))

    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


@pytest.mark.parametrize("username", ["a\x00b@harbour.test", "x" * 300 + "@harbour.test"])
def test_malformed_email_is_a_field_error_not_a_crash(client, username):
    response = _sign_in(client, username, WRONG_PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].errors["username"]


def test_signed_in_user_visiting_login_goes_to_the_dashboard(client, account):
    verified_login(client, account)

    response = client.get(LOGIN_URL)

    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_client_budget_also_stops_the_api_token_endpoint(account, settings):
    settings.HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT = 6
    _spread_failures(Client(), 6, ip="198.51.100.10")

    response = APIClient().post(
        reverse("api_token_obtain"),
        {"email": account.email, "password": factories.DEFAULT_PASSWORD},
        format="json",
        REMOTE_ADDR="198.51.100.10",
    )

    assert response.status_code == 429
    assert response.json()["message"] == LOCKED_OUT_MESSAGE


def _token_request(email, password, ip, **extra):
    return APIClient().post(
        reverse("api_token_obtain"),
        {"email": email, "password": password, **extra},
        format="json",
        REMOTE_ADDR=ip,
    )


def test_a_stranger_cannot_lock_the_owner_out_of_the_api_from_elsewhere(account):
    device = totp_device(account)
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 3):
        _token_request(account.email, WRONG_PASSWORD, ip="203.0.113.9")

    stranger = _token_request(account.email, factories.DEFAULT_PASSWORD, ip="203.0.113.9")
    owner = _token_request(
        account.email, factories.DEFAULT_PASSWORD, ip="10.0.0.7", otp=fresh_code(device)
    )

    assert stranger.status_code == LOCKOUT_STATUS
    assert owner.status_code == 200
    assert owner.json()["token"]


def test_api_lockout_answers_the_same_for_known_and_unknown_accounts(account):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _token_request(account.email, WRONG_PASSWORD, ip="10.0.5.1")
        _token_request(UNKNOWN_EMAIL, WRONG_PASSWORD, ip="10.0.5.2")

    known = _token_request(account.email, factories.DEFAULT_PASSWORD, ip="10.0.5.1")
    unknown = _token_request(UNKNOWN_EMAIL, factories.DEFAULT_PASSWORD, ip="10.0.5.2")

    assert known.status_code == unknown.status_code == LOCKOUT_STATUS
    assert (
        known.json()
        == unknown.json()
        == {
            "message": LOCKED_OUT_MESSAGE,
            "code": "locked_out",
            "errors": {},
        }
    )
