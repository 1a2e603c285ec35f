"""Adding a passkey is a sensitive action when the account has a factor, and a passkey
registered as the first factor brings the recovery codes, shown once."""

import datetime

import pytest
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django_otp import login as otp_login
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import RecoveryCode
from accounts.second_factor.passkeys import (
    REAUTH_FIRST_MESSAGE,
    RECOVERY_CODES_DUE_SESSION_KEY,
)
from accounts.second_factor.policy import VERIFIED_AT_SESSION_KEY
from cases.models import AuditAction, AuditEvent
from tests.second_factor import verified_login

pytestmark = pytest.mark.django_db

BEGIN_URL = reverse("otp_webauthn:credential-registration-begin")
COMPLETE_URL = reverse("otp_webauthn:credential-registration-complete")
SECURITY_URL = reverse("accounts:security")


def _make_stale(client, minutes=60):
    session = client.session
    session[VERIFIED_AT_SESSION_KEY] = (
        timezone.now() - datetime.timedelta(minutes=minutes)
    ).isoformat()
    session.save()


@pytest.fixture
def library_registers(monkeypatch):
    """The library's attestation check, replaced: it saves a credential as a browser's would
    and, as the library does, verifies an unverified session with it."""

    def post(view, *args, **kwargs):
        credential = WebAuthnCredential.objects.create(
            user=view.request.user,
            name="key",
            credential_id=f"credential-{view.request.user.pk}".encode(),
            public_key=b"not-a-real-key",
            sign_count=0,
        )
        if not view.request.user.is_verified():
            otp_login(view.request, credential)
        return JsonResponse({"id": credential.pk})

    monkeypatch.setattr(webauthn_views.CompleteCredentialRegistrationView, "post", post)


def test_registration_begin_asks_for_a_fresh_factor_first(client, caseworker_a):
    verified_login(client, caseworker_a)
    _make_stale(client)

    response = client.post(BEGIN_URL, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["detail"] == str(REAUTH_FIRST_MESSAGE)
    assert "otp_webauthn_register_state" not in client.session


def test_registration_begin_works_right_after_a_factor(client, caseworker_a):
    verified_login(client, caseworker_a)

    response = client.post(BEGIN_URL, content_type="application/json")

    assert response.status_code == 200
    assert "challenge" in response.json()


def test_registration_complete_is_refused_too_without_a_fresh_factor(
    client, caseworker_a, library_registers
):
    verified_login(client, caseworker_a)
    _make_stale(client)

    response = client.post(COMPLETE_URL, content_type="application/json")

    assert response.status_code == 403
    assert not WebAuthnCredential.objects.filter(user=caseworker_a).exists()


def test_security_page_links_to_confirmation_instead_of_the_button_when_stale(client, caseworker_a):
    verified_login(client, caseworker_a)
    _make_stale(client)

    body = client.get(SECURITY_URL).content.decode()

    assert "passkey-registration-placeholder" not in body
    assert reverse("accounts:reauthenticate") in body


def test_a_first_passkey_brings_ten_recovery_codes_shown_once(
    client, central_admin, library_registers
):
    client.force_login(central_admin)

    response = client.post(COMPLETE_URL, content_type="application/json")
    assert response.status_code == 200
    assert client.session[RECOVERY_CODES_DUE_SESSION_KEY] is True

    shown = client.get(SECURITY_URL)

    assert shown.status_code == 200
    assert len(shown.context["codes"]) == 10
    assert RecoveryCode.objects.filter(device__user=central_admin).count() == 10
    assert AuditEvent.objects.filter(
        actor=central_admin, action=AuditAction.RECOVERY_CODES_GENERATED
    ).exists()
    again = client.get(SECURITY_URL)
    assert "codes" not in again.context
    assert RECOVERY_CODES_DUE_SESSION_KEY not in client.session


def test_another_passkey_brings_no_new_codes(client, caseworker_a, library_registers):
    verified_login(client, caseworker_a)

    client.post(COMPLETE_URL, content_type="application/json")

    assert RECOVERY_CODES_DUE_SESSION_KEY not in client.session
    assert "codes" not in client.get(SECURITY_URL).context


def test_a_registered_passkey_is_audited_by_id_and_kind_only(
    client, caseworker_a, library_registers
):
    verified_login(client, caseworker_a)

    client.post(COMPLETE_URL, content_type="application/json")

    key = WebAuthnCredential.objects.get(user=caseworker_a)
    event = AuditEvent.objects.get(action=AuditAction.SECOND_FACTOR_ENROLLED)
    assert (event.actor, event.object_id, event.detail) == (
        caseworker_a,
        str(key.pk),
        {"kind": "passkey"},
    )
