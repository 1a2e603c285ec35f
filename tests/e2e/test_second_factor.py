"""Second factors in the browser: enrolment with codes computed from the secret, sign-in with
a code and with a recovery code, passkeys for sign-in and for confirming a sensitive action, and
the Django admin refusing an unverified session."""

import base64
import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from accounts.models import AuthenticatorApp
from accounts.second_factor import services
from accounts.second_factor.passkeys import REAUTHENTICATED_MESSAGE
from accounts.second_factor.policy import VERIFIED_AT_SESSION_KEY
from cases.models import AuditAction, AuditEvent
from tests.e2e.conftest import enter_code, sign_in_with_password
from tests.second_factor import fresh_code, totp_device

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _code_from_secret(secret: str) -> str:
    """What an authenticator app shows for the base32 key typed in from the page."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return str(totp(key)).zfill(6)


def test_admin_enrols_an_app_and_signs_in_with_its_code(
    page, live_server, central_admin, csp_violations
):
    sign_in_with_password(page, live_server, central_admin)
    # A central administrator without a device can do nothing before enrolling one.
    page.wait_for_url(f"{live_server.url}{reverse('accounts:totp_enrol')}**")
    expect(page.locator(".qr-code svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()

    page.locator('input[name="otp_token"]').fill(_code_from_secret(secret))
    page.locator('input[name="name"]').fill("Work phone")
    page.get_by_role("button", name="Add this app").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert page.get_by_test_id("recovery-codes").locator("li").count() == 10
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_role("cell", name="Work phone")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    sign_in_with_password(page, live_server, central_admin)
    page.wait_for_url(f"{live_server.url}{reverse('accounts:second_factor')}**")
    device = AuthenticatorApp.objects.get(user=central_admin, confirmed=True)
    enter_code(page, fresh_code(device))
    page.wait_for_url(f"{live_server.url}/")
    assert page.goto(f"{live_server.url}{reverse('accounts:user_list')}").status == 200
    assert csp_violations == []


def test_recovery_code_signs_in_once(page, live_server, caseworker_a):
    totp_device(caseworker_a)
    codes = services.recovery_codes_generate(user=caseworker_a)

    sign_in_with_password(page, live_server, caseworker_a)
    page.wait_for_url(f"{live_server.url}{reverse('accounts:second_factor')}**")
    enter_code(page, codes[0])
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("button", name="Sign out").click()

    sign_in_with_password(page, live_server, caseworker_a)
    page.wait_for_url(f"{live_server.url}{reverse('accounts:second_factor')}**")
    enter_code(page, codes[0])

    expect(page.get_by_role("alert")).to_be_visible()
    assert page.url.startswith(f"{live_server.url}{reverse('accounts:second_factor')}")


def test_admin_site_refuses_a_session_that_skipped_the_code_step(page, live_server, superuser):
    totp_device(superuser)
    sign_in_with_password(page, live_server, superuser)
    page.wait_for_url(f"{live_server.url}{reverse('accounts:second_factor')}**")

    page.goto(f"{live_server.url}/admin/")

    assert page.url.startswith(f"{live_server.url}{reverse('accounts:second_factor')}")
    expect(page.get_by_role("heading", name="Confirm your sign-in")).to_be_visible()
    enter_code(page, fresh_code(totp_device(superuser)))
    page.wait_for_url(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def _virtual_authenticator(page) -> None:
    """Chromium's DevTools WebAuthn domain: a platform authenticator that always says yes."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_passkey_registration_and_sign_in_with_it(
    page, live_server, sign_in, caseworker_a, csp_violations
):
    _virtual_authenticator(page)
    sign_in(caseworker_a)
    page.goto(f"{live_server.url}{reverse('accounts:security')}")

    page.get_by_role("button", name="Add a passkey or security key").click()

    expect(page.get_by_role("table", name="Passkeys")).to_be_visible()
    assert WebAuthnCredential.objects.filter(user=caseworker_a, confirmed=True).count() == 1
    page.get_by_role("button", name="Sign out").click()
    sign_in_with_password(page, live_server, caseworker_a)
    page.wait_for_url(f"{live_server.url}{reverse('accounts:second_factor')}**")
    page.get_by_role("button", name="Use a passkey or security key").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.goto(f"{live_server.url}{reverse('cases:list')}").status == 200
    kinds = [
        event.detail.get("kind")
        for event in AuditEvent.objects.filter(
            actor=caseworker_a,
            action__in=[AuditAction.SECOND_FACTOR_ENROLLED, AuditAction.SECOND_FACTOR_VERIFIED],
        ).order_by("pk")
    ]
    assert kinds[-2:] == ["passkey", "passkey"]
    assert csp_violations == []


def _age_the_verification(page, minutes: int) -> None:
    """Move the browser session's last second factor ``minutes`` into the past."""
    cookie = next(
        cookie
        for cookie in page.context.cookies()
        if cookie["name"] == settings.SESSION_COOKIE_NAME
    )
    session = SessionStore(session_key=cookie["value"])
    session[VERIFIED_AT_SESSION_KEY] = (
        timezone.now() - datetime.timedelta(minutes=minutes)
    ).isoformat()
    session.save()


def test_a_passkey_only_user_confirms_a_sensitive_action_with_the_passkey(
    page, live_server, caseworker_a, csp_violations
):
    _virtual_authenticator(page)
    # In the grace period, without any factor: the passkey is the first and only one.
    sign_in_with_password(page, live_server, caseworker_a)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}{reverse('accounts:security')}")
    page.get_by_role("button", name="Add a passkey or security key").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_role("button", name="Make new recovery codes")).to_be_visible()
    # Every request saves the session (its last activity): age it once the page and its
    # script requests are done, or one of them writes the fresh time back.
    page.wait_for_load_state("networkidle")
    _age_the_verification(page, minutes=60)

    page.get_by_role("button", name="Make new recovery codes").click()
    page.wait_for_url(f"{live_server.url}{reverse('accounts:reauthenticate')}**")
    page.get_by_role("button", name="Use a passkey or security key").click()
    page.wait_for_url(f"{live_server.url}{reverse('accounts:security')}")
    expect(page.get_by_text(str(REAUTHENTICATED_MESSAGE))).to_be_visible()
    page.get_by_role("button", name="Make new recovery codes").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert not AuthenticatorApp.objects.filter(user=caseworker_a).exists()
    confirmation = AuditEvent.objects.get(action=AuditAction.REAUTHENTICATED)
    assert (confirmation.actor, confirmation.detail) == (caseworker_a, {"kind": "passkey"})
    assert csp_violations == []
