"""Password change (signed in) and reset (a link issued by an administrator or mailed)."""

import datetime
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from accounts import services as account_services
from accounts.models import User
from accounts.passwords import services
from accounts.passwords.forms import CURRENT_PASSWORD_WRONG_MESSAGE, PASSWORDS_DIFFER_MESSAGE
from accounts.passwords.services import PASSWORD_UNCHANGED_MESSAGE, RESET_INACTIVE_MESSAGE
from accounts.passwords.views import RESET_REQUESTED_MESSAGE
from accounts.services import SUPERUSER_PROTECTED_MESSAGE
from cases.models import AuditAction, AuditEvent
from tests import factories
from tests.second_factor import verified_login

pytestmark = pytest.mark.django_db

CHANGE_URL = reverse("accounts:password_change")
FORGOT_URL = reverse("accounts:password_forgot")
LOGIN_URL = reverse("accounts:login")
DASHBOARD_URL = reverse("dashboard")
NEW_PASSWORD = "lantern-orchard-47-velvet"
LINK_PATTERN = re.compile(r"http://testserver(/accounts/security/password/reset/[^/\s]+/[^/\s]+/)")


def change(client, *, current=factories.DEFAULT_PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post(
        CHANGE_URL,
        {"current_password": current, "new_password1": new, "new_password2": again or new},
    )


def reset_url(user) -> str:
    link = services.password_reset_link(user=user, base_url="http://testserver/")
    return LINK_PATTERN.match(link).group(1)


def use_link(client, path: str, *, new=NEW_PASSWORD, again=None):
    """Open a reset link (it redirects to the form without the token) and post the form."""
    landing = client.get(path)
    if landing.status_code != 302:
        return landing
    return client.post(landing["Location"], {"new_password1": new, "new_password2": again or new})


def later(monkeypatch, *, minutes: int) -> None:
    """Move the clock of the reset-token generator ``minutes`` ahead."""
    real_now = default_token_generator._now
    monkeypatch.setattr(
        default_token_generator, "_now", lambda: real_now() + datetime.timedelta(minutes=minutes)
    )


def audit_texts() -> str:
    return " ".join(str(row) for row in AuditEvent.objects.values_list("detail", "object_id"))


@pytest.fixture
def account():
    return factories.UserFactory(email="worker@harbour.test")


@pytest.fixture
def signed_in(client, account):
    verified_login(client, account)
    return client


# Change


def test_change_page_renders(signed_in):
    response = signed_in.get(CHANGE_URL)

    assert response.status_code == 200
    assert 'name="current_password"' in response.content.decode()


def test_change_sets_the_new_password(signed_in, account):
    response = change(signed_in)

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)


def test_change_keeps_this_session_and_ends_the_others(signed_in, account):
    elsewhere = Client()
    verified_login(elsewhere, account)
    assert elsewhere.get(DASHBOARD_URL).status_code == 200

    change(signed_in)

    assert signed_in.get(DASHBOARD_URL).status_code == 200
    assert elsewhere.get(DASHBOARD_URL)["Location"].startswith(LOGIN_URL)


def test_change_deletes_the_session_rows_of_the_other_sessions_only(signed_in, account):
    elsewhere, third, someone_else = Client(), Client(), Client()
    verified_login(elsewhere, account)
    verified_login(third, account)
    verified_login(someone_else, factories.UserFactory())
    others = [elsewhere.session.session_key, third.session.session_key]
    unrelated = someone_else.session.session_key

    change(signed_in)

    assert not Session.objects.filter(session_key__in=others).exists()
    assert Session.objects.filter(session_key=signed_in.session.session_key).exists()
    assert Session.objects.filter(session_key=unrelated).exists()
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_CHANGED)
    assert event.detail == {"sessions_ended": 2}


def test_change_revokes_every_api_token(signed_in, account):
    account_services.api_token_create(user=account, name="script")
    account_services.api_token_create(user=account, name="laptop")

    change(signed_in)

    assert not AuthToken.objects.filter(user=account).exists()
    revoked = AuditEvent.objects.get(action=AuditAction.API_TOKEN_REVOKED)
    assert revoked.detail == {"count": 2}


def test_change_is_audited_without_any_password(signed_in, account):
    change(signed_in)

    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_CHANGED)
    assert event.actor == account
    assert (event.object_type, event.object_id) == ("accounts.user", str(account.pk))
    assert NEW_PASSWORD not in audit_texts()
    assert factories.DEFAULT_PASSWORD not in audit_texts()


def test_change_with_a_wrong_current_password_changes_nothing(signed_in, account):
    response = change(signed_in, current="not-my-password-at-all")

    assert response.status_code == 200
    assert str(CURRENT_PASSWORD_WRONG_MESSAGE) in response.content.decode()
    account.refresh_from_db()
    assert account.check_password(factories.DEFAULT_PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGED).exists()


def test_a_wrong_current_password_counts_as_a_failed_sign_in(signed_in, account):
    change(signed_in, current="not-my-password-at-all")

    failure = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert failure.object_id == str(account.pk)


def test_wrong_current_passwords_end_in_the_lockout(signed_in, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert change(signed_in, current="not-my-password-at-all").status_code == 200

    assert change(signed_in, current="not-my-password-at-all").status_code == 429


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"new_password1": "short", "new_password2": "short"}, "new_password1"),
        ({"new_password1": "123456789012345", "new_password2": "123456789012345"}, "new_password1"),
        ({"new_password1": "password123456", "new_password2": "password123456"}, "new_password1"),
        ({"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}, "new_password2"),
        ({"new_password1": "", "new_password2": ""}, "new_password1"),
        ({"new_password1": "x" * 5000, "new_password2": "x" * 5000}, "new_password1"),
        (
            {
                "new_password1": factories.DEFAULT_PASSWORD,
                "new_password2": factories.DEFAULT_PASSWORD,
            },
            "new_password1",
        ),
    ],
)
def test_change_refuses_bad_new_passwords_and_saves_nothing(signed_in, account, data, field):
    response = signed_in.post(CHANGE_URL, {"current_password": factories.DEFAULT_PASSWORD, **data})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    account.refresh_from_db()
    assert account.check_password(factories.DEFAULT_PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGED).exists()


def test_change_messages_are_the_declared_ones(signed_in):
    differ = change(signed_in, again=NEW_PASSWORD + "x")
    same = change(signed_in, new=factories.DEFAULT_PASSWORD)

    assert str(PASSWORDS_DIFFER_MESSAGE) in differ.content.decode()
    assert str(PASSWORD_UNCHANGED_MESSAGE) in same.content.decode()


def test_change_without_a_current_password_is_a_field_error(signed_in):
    response = signed_in.post(CHANGE_URL, {"new_password1": NEW_PASSWORD})

    assert response.status_code == 200
    assert response.context["form"].errors["current_password"]


def test_change_page_needs_a_signed_in_user(client):
    assert client.get(CHANGE_URL)["Location"].startswith(LOGIN_URL)
    assert client.post(CHANGE_URL, {})["Location"].startswith(LOGIN_URL)


# Reset link issued by a central administrator


@pytest.fixture
def admin_client(central_admin):
    client = Client()
    verified_login(client, central_admin)
    return client


def issue_url(user) -> str:
    return reverse("accounts:user_password_reset", kwargs={"user_id": user.pk})


def test_an_administrator_sees_the_link_once(admin_client, account):
    confirm = admin_client.get(issue_url(account))
    assert confirm.status_code == 200
    assert not LINK_PATTERN.search(confirm.content.decode())

    issued = admin_client.post(issue_url(account))

    assert issued.status_code == 200
    assert LINK_PATTERN.search(issued.content.decode())
    assert "no-store" in issued["Cache-Control"]


def test_issuing_is_audited_without_the_link(admin_client, account, central_admin):
    body = admin_client.post(issue_url(account)).content.decode()
    token = LINK_PATTERN.search(body).group(1).rstrip("/").rsplit("/", 1)[1]

    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_RESET_ISSUED)
    assert event.actor == central_admin
    assert event.object_id == str(account.pk)
    assert event.detail == {"channel": "administrator"}
    assert token not in audit_texts()


def test_issuing_for_a_missing_account_is_404(admin_client):
    assert (
        admin_client.post(reverse("accounts:user_password_reset", args=[2**31 - 1])).status_code
        == 404
    )


def test_a_central_administrator_cannot_issue_for_a_superuser(admin_client, superuser):
    response = admin_client.post(issue_url(superuser))

    assert response.status_code == 200
    assert str(SUPERUSER_PROTECTED_MESSAGE) in response.content.decode()
    assert not LINK_PATTERN.search(response.content.decode())
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_RESET_ISSUED).exists()


def test_no_link_for_an_inactive_account(admin_client):
    inactive = factories.UserFactory(is_active=False)

    response = admin_client.post(issue_url(inactive))

    assert str(RESET_INACTIVE_MESSAGE) in response.content.decode()
    assert not LINK_PATTERN.search(response.content.decode())


def test_the_link_sets_the_password_and_ends_everything(client, account):
    elsewhere = Client()
    verified_login(elsewhere, account)
    account_services.api_token_create(user=account, name="script")
    path = reset_url(account)
    elsewhere_key = elsewhere.session.session_key

    response = use_link(client, path)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    assert not Session.objects.filter(session_key=elsewhere_key).exists()
    assert elsewhere.get(DASHBOARD_URL)["Location"].startswith(LOGIN_URL)
    assert not AuthToken.objects.filter(user=account).exists()
    completed = AuditEvent.objects.get(action=AuditAction.PASSWORD_RESET_COMPLETED)
    assert completed.object_id == str(account.pk)
    assert NEW_PASSWORD not in audit_texts()


def test_the_token_leaves_the_url_before_the_form(client, account):
    path = reset_url(account)
    token = path.rstrip("/").rsplit("/", 1)[1]

    landing = client.get(path)

    assert landing.status_code == 302
    assert token not in landing["Location"]
    assert "set-password" in landing["Location"]


def test_a_link_works_once(client, account):
    path = reset_url(account)
    assert use_link(client, path).status_code == 302

    second = use_link(Client(), path, new="another-long-passphrase-91")

    assert second.status_code == 200
    assert second.context["validlink"] is False
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)


def test_a_link_expires_after_the_timeout(client, account, settings, monkeypatch):
    path = reset_url(account)
    settings.PASSWORD_RESET_TIMEOUT = 3600
    later(monkeypatch, minutes=61)

    response = client.get(path)

    assert response.status_code == 200
    assert response.context["validlink"] is False


def test_a_link_still_works_within_the_hour(client, account, monkeypatch):
    path = reset_url(account)
    later(monkeypatch, minutes=59)

    assert client.get(path).status_code == 302


@pytest.mark.parametrize(
    ("uidb64", "token"),
    [("MQ", "bad-token"), ("!!!", "x"), ("A" * 200, "1-2"), ("OTk5OTk5OTk5OTk5OTk5OTk5OTk", "a-b")],
)
def test_malformed_links_get_the_same_page(client, uidb64, token):
    url = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})

    response = client.get(url)

    assert response.status_code == 200
    assert response.context["validlink"] is False


def test_a_link_for_a_deactivated_account_does_not_work(client, account):
    path = reset_url(account)
    User.objects.filter(pk=account.pk).update(is_active=False)

    response = client.get(path)

    assert response.status_code == 200
    assert response.context["validlink"] is False


def test_posting_the_form_without_the_link_in_the_session_sets_nothing(client, account):
    path = reset_url(account)
    uidb64 = path.split("/")[-3]
    url = reverse(
        "accounts:password_reset_confirm", kwargs={"uidb64": uidb64, "token": "set-password"}
    )

    response = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 200
    account.refresh_from_db()
    assert account.check_password(factories.DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    ("new", "again", "field"),
    [
        ("short", "short", "new_password1"),
        (NEW_PASSWORD, "something-else-entirely", "new_password2"),
        ("", "", "new_password1"),
        ("1234567890123", "1234567890123", "new_password1"),
    ],
)
def test_the_reset_form_refuses_bad_passwords_and_keeps_the_link(
    client, account, new, again, field
):
    path = reset_url(account)

    response = use_link(client, path, new=new, again=again)

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    account.refresh_from_db()
    assert account.check_password(factories.DEFAULT_PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_RESET_COMPLETED).exists()
    # The link is still good for a correct attempt.
    landing = client.get(path)
    assert landing.status_code == 302


# Reset link by email ("forgot password")


def test_forgot_mails_a_working_link_to_an_account(
    client, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORGOT_URL, {"email": "Worker@Harbour.test"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [account.email]
    path = LINK_PATTERN.search(mail.outbox[0].body).group(1)
    assert use_link(Client(), path).status_code == 302
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)


def test_forgot_is_audited_without_the_link(client, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORGOT_URL, {"email": account.email})

    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_RESET_ISSUED)
    assert event.actor is None
    assert event.object_id == str(account.pk)
    assert event.detail == {"channel": "email"}
    token = LINK_PATTERN.search(mail.outbox[0].body).group(1).rstrip("/").rsplit("/", 1)[1]
    assert token not in audit_texts()
    assert account.email not in audit_texts()


def _answer(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORGOT_URL, {"email": email}, follow=True)
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", response.content.decode())
    return response.redirect_chain, response.status_code, body


def test_forgot_answers_the_same_whether_or_not_the_account_exists(
    account, django_capture_on_commit_callbacks
):
    existing = _answer(Client(), account.email, django_capture_on_commit_callbacks)
    missing = _answer(Client(), "nobody@harbour.test", django_capture_on_commit_callbacks)
    inactive = factories.UserFactory(email="gone@harbour.test", is_active=False)
    disabled = _answer(Client(), inactive.email, django_capture_on_commit_callbacks)

    assert existing == missing == disabled
    assert str(RESET_REQUESTED_MESSAGE) in existing[2]
    assert len(mail.outbox) == 1


def test_forgot_does_the_same_database_work_either_way(
    client, account, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # The request does one lookup whatever the address; the mail and its audit row are the
    # task's, after the response.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with django_assert_num_queries(1):
            services.password_reset_request(email=account.email, base_url="http://testserver/")
        with django_assert_num_queries(1):
            services.password_reset_request(
                email="nobody@harbour.test", base_url="http://testserver/"
            )
    assert len(callbacks) == 1
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b" * 100, "x\x00@harbour.test"])
def test_forgot_refuses_bad_addresses_without_sending(client, email):
    response = client.post(FORGOT_URL, {"email": email})

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert mail.outbox == []


def test_the_mailed_link_is_on_the_host_asked(client, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORGOT_URL, {"email": account.email}, HTTP_HOST="localhost")

    assert "http://localhost/accounts/security/password/reset/" in mail.outbox[0].body


def test_a_forged_host_header_is_refused(client, account):
    response = client.post(FORGOT_URL, {"email": account.email}, HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert mail.outbox == []


def test_signing_in_after_a_request_voids_the_link(
    client, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORGOT_URL, {"email": account.email})
    path = LINK_PATTERN.search(mail.outbox[0].body).group(1)

    Client().post(LOGIN_URL, {"username": account.email, "password": factories.DEFAULT_PASSWORD})

    assert Client().get(path).context["validlink"] is False


def test_the_sign_in_page_links_to_forgot(client):
    assert FORGOT_URL in client.get(LOGIN_URL).content.decode()


def test_a_session_signed_out_by_a_reset_has_no_user(client, account):
    verified_login(client, account)
    use_link(Client(), reset_url(account))

    client.get(DASHBOARD_URL)

    assert SESSION_KEY not in client.session


def test_at_most_one_mail_per_account_every_few_minutes(
    account, django_capture_on_commit_callbacks
):
    for _attempt in range(3):
        _answer(Client(), account.email, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action=AuditAction.PASSWORD_RESET_ISSUED).count() == 1


def test_another_mail_after_the_interval(account, monkeypatch, django_capture_on_commit_callbacks):
    _answer(Client(), account.email, django_capture_on_commit_callbacks)
    assert services.password_reset_email_send(user_id=account.pk, base_url="http://t/") is False

    real_now = timezone.now
    step = services.RESET_EMAIL_INTERVAL + datetime.timedelta(seconds=1)
    monkeypatch.setattr(services.timezone, "now", lambda: real_now() + step)
    assert services.password_reset_email_send(user_id=account.pk, base_url="http://t/") is True

    assert len(mail.outbox) == 2


def test_an_administrators_link_does_not_hold_back_a_mail(
    admin_client, account, django_capture_on_commit_callbacks
):
    admin_client.post(issue_url(account))

    _answer(Client(), account.email, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
