"""The confirmation before a sensitive action takes a passkey too, through the sign-in's
WebAuthn ceremony: a user whose only factor is a passkey need not spend a recovery code."""

import datetime
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp_webauthn.models import WebAuthnCredential

from accounts.lockout import LOCKOUT_STATUS
from accounts.second_factor import passkeys
from accounts.second_factor.passkeys import REAUTHENTICATED_MESSAGE
from accounts.second_factor.policy import VERIFIED_AT_SESSION_KEY
from cases.models import AuditAction, AuditEvent
from tests.second_factor import verified_login

pytestmark = pytest.mark.django_db

REAUTH_URL = reverse("accounts:reauthenticate")
BEGIN_URL = reverse("otp_webauthn:credential-authentication-begin")
COMPLETE_URL = reverse("otp_webauthn:credential-authentication-complete")


def _passkey(user) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user,
        name="Laptop key",
        credential_id=f"credential-{user.pk}".encode(),
        public_key=b"not-a-real-key",
        sign_count=0,
    )


def _passkey_only_session(client, user, *, minutes_ago: int) -> WebAuthnCredential:
    """``user`` signed in with a passkey (their only factor) ``minutes_ago`` minutes ago."""
    key = _passkey(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = key.persistent_id
    session[VERIFIED_AT_SESSION_KEY] = (
        timezone.now() - datetime.timedelta(minutes=minutes_ago)
    ).isoformat()
    session.save()
    return key


@pytest.fixture
def assertion_accepted(monkeypatch):
    """The library's check of the browser's signed assertion, replaced: it answers with the
    user's passkey as the library does for a valid one (the e2e test signs a real one)."""

    def authenticate_complete(helper, *, user, state, data):
        assert state, "the ceremony was begun in this session"
        return WebAuthnCredential.objects.get(user=user)

    monkeypatch.setattr(
        passkeys.HarbourWebAuthnHelper, "authenticate_complete", authenticate_complete
    )


def _edit_as_admin(client, user):
    return client.post(
        reverse("accounts:user_edit", kwargs={"user_id": user.pk}),
        {"email": user.email, "full_name": "", "is_active": "on", "is_central_admin": "on"},
    )


def test_the_confirmation_page_offers_a_passkey_to_its_owner_only(client, caseworker_a):
    verified_login(client, caseworker_a)
    without = client.get(REAUTH_URL).content.decode()
    _passkey(caseworker_a)
    with_key = client.get(REAUTH_URL).content.decode()

    assert "passkey-verification-button" not in without
    assert "passkey-verification-button" in with_key
    assert "django_otp_webauthn/otp_webauthn_auth.js" in with_key
    assert reverse("otp_webauthn:credential-authentication-begin") in with_key


def test_a_passkey_confirms_a_sensitive_action(
    client, central_admin, caseworker_a, assertion_accepted
):
    key = _passkey_only_session(client, central_admin, minutes_ago=60)
    edit_url = reverse("accounts:user_edit", kwargs={"user_id": caseworker_a.pk})
    refused = _edit_as_admin(client, caseworker_a)
    assert refused["Location"] == f"{REAUTH_URL}?{urlencode({'next': edit_url})}"

    begun = client.post(BEGIN_URL, content_type="application/json")
    completed = client.post(
        f"{COMPLETE_URL}?{urlencode({'next': edit_url})}", {}, content_type="application/json"
    )
    saved = _edit_as_admin(client, caseworker_a)

    assert begun.status_code == 200
    assert completed.status_code == 200
    assert completed.json() == {"id": key.pk, "redirect_url": edit_url}
    assert saved["Location"] == edit_url
    caseworker_a.refresh_from_db()
    assert caseworker_a.is_central_admin
    confirmation = AuditEvent.objects.get(action=AuditAction.REAUTHENTICATED)
    assert (confirmation.actor, confirmation.detail) == (central_admin, {"kind": "passkey"})
    assert confirmation.object_id == str(key.pk)


def test_the_page_shown_after_a_passkey_confirmation_says_to_submit_again(
    client, central_admin, assertion_accepted
):
    _passkey_only_session(client, central_admin, minutes_ago=60)
    security_url = reverse("accounts:security")
    client.post(BEGIN_URL, content_type="application/json")
    client.post(
        f"{COMPLETE_URL}?{urlencode({'next': security_url})}", {}, content_type="application/json"
    )

    page = client.get(security_url)

    assert str(REAUTHENTICATED_MESSAGE) in [str(message) for message in page.context["messages"]]


def test_a_passkey_at_the_code_step_is_no_reauthentication(
    client, caseworker_a, assertion_accepted
):
    _passkey(caseworker_a)
    client.force_login(caseworker_a)  # password step done, second factor still to pass

    client.post(BEGIN_URL, content_type="application/json")
    completed = client.post(COMPLETE_URL, {}, content_type="application/json")

    assert completed.status_code == 200
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert AuditAction.SECOND_FACTOR_VERIFIED in actions
    assert AuditAction.REAUTHENTICATED not in actions


def test_a_refused_passkey_at_confirmation_is_a_failure_in_the_lockout(
    client, central_admin, settings
):
    _passkey_only_session(client, central_admin, minutes_ago=60)

    responses = [
        client.post(COMPLETE_URL, {}, content_type="application/json")
        for _attempt in range(settings.AXES_FAILURE_LIMIT)
    ]

    assert [response.status_code for response in responses[:-1]] == [400] * (
        settings.AXES_FAILURE_LIMIT - 1
    )
    assert responses[-1].status_code == LOCKOUT_STATUS
    assert not AuditEvent.objects.filter(action=AuditAction.REAUTHENTICATED).exists()
    assert "_auth_user_id" not in client.session


def test_an_unsafe_next_after_a_passkey_confirmation_goes_home(
    client, central_admin, assertion_accepted
):
    _passkey_only_session(client, central_admin, minutes_ago=60)
    client.post(BEGIN_URL, content_type="application/json")

    completed = client.post(
        f"{COMPLETE_URL}?{urlencode({'next': 'https://elsewhere.example/'})}",
        {},
        content_type="application/json",
    )

    assert completed.json()["redirect_url"] == reverse("dashboard")
