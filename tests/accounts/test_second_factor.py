"""Two-step sign-in, enrolment, recovery codes, the security page and the 2FA policy."""

import datetime
import re
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp_webauthn.models import WebAuthnCredential
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.lockout import LOCKOUT_STATUS
from accounts.models import (
    AuthenticatorApp,
    RecoveryCode,
    RecoveryCodeDevice,
    User,
    recovery_code_digest,
)
from accounts.second_factor import passkeys, policy, services
from accounts.second_factor.middleware import ENROL_REQUIRED_MESSAGE, VERIFY_REQUIRED_MESSAGE
from accounts.second_factor.views import PENDING_DEVICE_SESSION_KEY
from cases.models import AuditAction, AuditEvent
from tests import factories
from tests.html import without_csrf_token
from tests.second_factor import fresh_code, totp_code, totp_device, verified_login

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
CODE_URL = reverse("accounts:second_factor")
ENROL_URL = reverse("accounts:totp_enrol")
SECURITY_URL = reverse("accounts:security")
DASHBOARD_URL = reverse("dashboard")
WRONG_CODE = "000000"


def _password_step(client, user, ip="10.0.0.1"):
    return client.post(
        LOGIN_URL, {"username": user.email, "password": factories.DEFAULT_PASSWORD}, REMOTE_ADDR=ip
    )


def _code_step(client, code, ip="10.0.0.1", next_url=None):
    data = {"otp_token": code}
    if next_url:
        data["next"] = next_url
    return client.post(CODE_URL, data, REMOTE_ADDR=ip)


def _wrong_code(device) -> str:
    right = totp_code(device)
    return WRONG_CODE if right != WRONG_CODE else "111111"


def _actions(user=None):
    events = AuditEvent.objects.order_by("pk")
    if user is not None:
        events = events.filter(actor=user)
    return list(events.values_list("action", flat=True))


def _enrol_page_secret(response) -> str:
    match = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', response.content.decode())
    assert match is not None
    return match.group(1)


# Policy ---------------------------------------------------------------------------------


def test_admins_superusers_and_staff_always_need_a_second_factor(central_admin, superuser):
    staff = factories.UserFactory(is_staff=True)
    assert all(policy.is_enforced_now(user) for user in (central_admin, superuser, staff))


def test_caseworker_has_a_grace_period_from_account_creation(caseworker_a, settings):
    settings.HARBOUR_2FA_CASEWORKER_GRACE_DAYS = 7
    created = caseworker_a.date_joined

    assert policy.grace_ends_at(caseworker_a) == created + datetime.timedelta(days=7)
    assert not policy.is_enforced_now(caseworker_a, now=created + datetime.timedelta(days=6))
    assert policy.is_enforced_now(caseworker_a, now=created + datetime.timedelta(days=7))


def test_caseworker_second_factor_is_optional_when_configured_off(caseworker_a, settings):
    settings.HARBOUR_2FA_CASEWORKER_REQUIRED = False
    long_after = caseworker_a.date_joined + datetime.timedelta(days=365)

    assert not policy.is_required(caseworker_a)
    assert policy.grace_ends_at(caseworker_a) is None
    assert not policy.is_enforced_now(caseworker_a, now=long_after)


def test_caseworker_without_a_factor_is_not_asked_when_configured_off(
    client, caseworker_a, settings
):
    settings.HARBOUR_2FA_CASEWORKER_REQUIRED = False
    client.force_login(caseworker_a)

    response = client.get(DASHBOARD_URL)

    assert response.status_code == 200
    assert response.context.get("second_factor_grace_ends_at") is None
    assert ENROL_URL not in response.content.decode()


def test_researcher_second_factor_is_optional_unless_configured(researcher, settings):
    assert not policy.is_required(researcher)
    settings.HARBOUR_2FA_RESEARCHER_REQUIRED = True
    assert policy.is_enforced_now(researcher)


# Two-step sign-in -----------------------------------------------------------------------


def test_password_of_an_account_with_a_device_leads_to_the_code_step(client, caseworker_a):
    totp_device(caseworker_a)

    response = _password_step(client, caseworker_a)

    assert response.status_code == 302
    assert response["Location"].startswith(CODE_URL)


def test_session_is_not_verified_before_the_code_step(client, caseworker_a):
    totp_device(caseworker_a)
    _password_step(client, caseworker_a)

    page = client.get(reverse("cases:list"))
    api = client.get(reverse("cases_api:case_collection"))

    assert page.status_code == 302
    assert page["Location"].startswith(CODE_URL)
    assert api.status_code == 403
    assert api.json()["message"] == VERIFY_REQUIRED_MESSAGE
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_an_unverified_session_cannot_enrol_a_device_of_its_own(client, caseworker_a):
    totp_device(caseworker_a)
    _password_step(client, caseworker_a)

    response = client.get(ENROL_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(CODE_URL)
    assert AuthenticatorApp.objects.filter(user=caseworker_a).count() == 1


def test_correct_code_verifies_the_session_and_follows_next(client, caseworker_a):
    device = totp_device(caseworker_a)
    _password_step(client, caseworker_a)

    response = _code_step(client, totp_code(device), next_url=reverse("cases:list"))

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:list")
    assert client.get(reverse("cases:list")).status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_code_step_ignores_an_unsafe_next(client, caseworker_a):
    device = totp_device(caseworker_a)
    _password_step(client, caseworker_a)

    response = _code_step(client, totp_code(device), next_url="https://evil.example/")

    assert response["Location"] == DASHBOARD_URL


def test_verified_code_step_is_audited_without_the_code(client, caseworker_a):
    device = totp_device(caseworker_a)
    _password_step(client, caseworker_a)
    code = totp_code(device)

    _code_step(client, code)

    event = AuditEvent.objects.get(action=AuditAction.SECOND_FACTOR_VERIFIED)
    assert event.actor == caseworker_a
    assert event.detail == {"kind": "totp"}
    assert code not in str(event.detail)


def test_wrong_code_is_refused_and_audited_as_a_second_factor_failure(client, caseworker_a):
    device = totp_device(caseworker_a)
    _password_step(client, caseworker_a)

    response = _code_step(client, _wrong_code(device))

    assert response.status_code == 200
    assert str(services.CODE_WRONG_MESSAGE) in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert _actions(caseworker_a)[-1] == AuditAction.SECOND_FACTOR_FAILED
    # The code step's failure is recorded once, with the account, not as a password failure.
    assert AuditAction.SIGN_IN_FAILED not in _actions()


def test_a_code_cannot_be_used_twice(client, caseworker_a):
    device = totp_device(caseworker_a)
    _password_step(client, caseworker_a)
    code = totp_code(device)
    _code_step(client, code)
    other = Client()
    _password_step(other, caseworker_a)

    response = _code_step(other, code)

    assert response.status_code == 200
    assert DEVICE_ID_SESSION_KEY not in other.session


@pytest.mark.parametrize("code", ["", " ", "1" * 33, "12ab56", "<script>"])
def test_malformed_codes_are_field_errors_not_crashes(client, caseworker_a, code):
    totp_device(caseworker_a)
    _password_step(client, caseworker_a)

    response = _code_step(client, code)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_five_wrong_codes_lock_out_and_end_the_session(client, caseworker_a):
    device = totp_device(caseworker_a)
    _password_step(client, caseworker_a)
    wrong = _wrong_code(device)
    for _attempt in range(4):
        assert _code_step(client, wrong).status_code == 200

    response = _code_step(client, wrong)

    assert response.status_code == LOCKOUT_STATUS
    assert "_auth_user_id" not in client.session
    assert _password_step(client, caseworker_a).status_code == LOCKOUT_STATUS


def test_signing_in_again_does_not_reset_the_code_failures(client, caseworker_a):
    device = totp_device(caseworker_a)
    wrong = _wrong_code(device)
    _password_step(client, caseworker_a)
    for _attempt in range(4):
        _code_step(client, wrong)
    client.post(reverse("accounts:logout"))
    _password_step(client, caseworker_a)

    response = _code_step(client, wrong)

    assert response.status_code == LOCKOUT_STATUS


def test_code_step_lockout_page_is_the_one_for_unknown_accounts(client, caseworker_a):
    device = totp_device(caseworker_a)
    _password_step(client, caseworker_a)
    for _attempt in range(5):
        locked = _code_step(client, _wrong_code(device))
    stranger = Client()
    for _attempt in range(5):
        unknown = stranger.post(
            LOGIN_URL,
            {"username": "nobody@harbour.test", "password": "wrong-password-x"},
            REMOTE_ADDR="10.0.0.9",
        )

    assert locked.status_code == unknown.status_code == LOCKOUT_STATUS
    # Byte for byte, except the language switcher's CSRF token, which Django masks afresh in
    # every response (so it differs between any two pages, and tells nothing of the account).
    assert without_csrf_token(locked.content) == without_csrf_token(unknown.content)
    assert b"csrfmiddlewaretoken" in locked.content


def test_correct_code_resets_the_failures(client, caseworker_a, settings):
    # Without django-otp's own per-device delay after failures (tested below), so that the
    # right code is accepted straight after four wrong ones.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = totp_device(caseworker_a)
    wrong = _wrong_code(device)
    _password_step(client, caseworker_a)
    for _attempt in range(4):
        _code_step(client, wrong)
    _code_step(client, totp_code(device))
    client.post(reverse("accounts:logout"))
    _password_step(client, caseworker_a)

    response = _code_step(client, _wrong_code(device))

    assert response.status_code == 200


def test_device_delay_after_failures_refuses_even_the_right_code(client, caseworker_a):
    device = totp_device(caseworker_a)
    _password_step(client, caseworker_a)
    for _attempt in range(3):
        _code_step(client, _wrong_code(device))

    response = _code_step(client, totp_code(device))

    assert response.status_code == 200
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_code_step_without_a_session_goes_to_sign_in(client):
    response = client.get(CODE_URL)

    assert response["Location"] == LOGIN_URL


# Recovery codes -------------------------------------------------------------------------


def test_recovery_codes_are_stored_as_digests_only(caseworker_a):
    codes = services.recovery_codes_generate(user=caseworker_a)

    digests = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(codes) == len(set(codes)) == 10
    assert len(digests) == 10
    assert not any(
        code in digest or code.replace("-", "") in digest for code in codes for digest in digests
    )


def test_a_recovery_code_signs_in_once(client, caseworker_a):
    totp_device(caseworker_a)
    code = services.recovery_codes_generate(user=caseworker_a)[3]
    _password_step(client, caseworker_a)

    first = _code_step(client, code.lower().replace("-", " "))
    other = Client()
    _password_step(other, caseworker_a)
    second = _code_step(other, code)

    assert first.status_code == 302
    assert second.status_code == 200
    assert services.recovery_codes_left(user=caseworker_a) == 9
    event = AuditEvent.objects.get(action=AuditAction.SECOND_FACTOR_VERIFIED)
    assert event.detail == {"kind": "recovery"}


def test_regenerating_recovery_codes_replaces_the_old_ones(client, caseworker_a):
    device = verified_login(client, caseworker_a)
    old = services.recovery_codes_generate(user=caseworker_a)

    response = client.post(reverse("accounts:recovery_codes_regenerate"))

    new = response.context["codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    digests = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert recovery_code_digest(old[0]) not in digests
    assert recovery_code_digest(new[0]) in digests
    assert _actions(caseworker_a).count(AuditAction.RECOVERY_CODES_GENERATED) == 2
    assert device.pk


def test_recovery_codes_need_an_authenticator_app_first(client, researcher):
    client.force_login(researcher)

    response = client.post(reverse("accounts:recovery_codes_regenerate"))

    assert response["Location"] == SECURITY_URL
    assert not RecoveryCode.objects.exists()


# Enrolment ------------------------------------------------------------------------------


def test_enrolment_page_draws_the_qr_code_inline_without_script_or_style(client, central_admin):
    client.force_login(central_admin)

    response = client.get(ENROL_URL)

    body = response.content.decode()
    svg = body[body.index("<svg") : body.index("</svg>")]
    assert response.status_code == 200
    assert "<script" not in svg and "style=" not in svg and "<style" not in svg
    device = AuthenticatorApp.objects.get(user=central_admin, confirmed=False)
    assert client.session[PENDING_DEVICE_SESSION_KEY] == device.pk
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_admin_without_a_device_is_sent_to_enrolment_everywhere(client, central_admin):
    client.force_login(central_admin)

    page = client.get(reverse("accounts:user_list"))
    api = client.get(reverse("cases_api:case_collection"))

    assert page.status_code == 302
    assert page["Location"].startswith(ENROL_URL)
    assert api.status_code == 403
    assert api.json()["message"] == ENROL_REQUIRED_MESSAGE


def test_enrolment_with_the_right_code_verifies_and_shows_recovery_codes_once(
    client, central_admin
):
    client.force_login(central_admin)
    client.get(ENROL_URL)
    device = AuthenticatorApp.objects.get(user=central_admin, confirmed=False)

    response = client.post(ENROL_URL, {"otp_token": totp_code(device), "name": "Work phone"})

    device.refresh_from_db()
    assert response.status_code == 200
    assert len(response.context["codes"]) == 10
    assert device.confirmed and device.name == "Work phone"
    assert client.get(reverse("accounts:user_list")).status_code == 200
    assert _actions(central_admin)[-2:] == [
        AuditAction.SECOND_FACTOR_ENROLLED,
        AuditAction.RECOVERY_CODES_GENERATED,
    ]
    assert "codes" not in (client.get(SECURITY_URL).context or {})


def test_enrolment_with_a_wrong_code_saves_nothing(client, central_admin):
    client.force_login(central_admin)
    client.get(ENROL_URL)
    device = AuthenticatorApp.objects.get(user=central_admin, confirmed=False)

    response = client.post(ENROL_URL, {"otp_token": _wrong_code(device)})

    assert response.status_code == 200
    assert response.context["form"].errors["otp_token"]
    assert not AuthenticatorApp.objects.filter(user=central_admin, confirmed=True).exists()
    assert not RecoveryCode.objects.exists()


@pytest.mark.parametrize(
    "data", [{}, {"otp_token": "x" * 40}, {"otp_token": "123456", "name": "n" * 65}]
)
def test_enrolment_bad_input_is_a_field_error(client, central_admin, data):
    client.force_login(central_admin)
    client.get(ENROL_URL)

    response = client.post(ENROL_URL, data)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not AuthenticatorApp.objects.filter(user=central_admin, confirmed=True).exists()


def test_the_secret_shown_is_the_devices_key(client, central_admin):
    client.force_login(central_admin)

    response = client.get(ENROL_URL)

    device = AuthenticatorApp.objects.get(user=central_admin, confirmed=False)
    assert _enrol_page_secret(response) == services.totp_secret_base32(device)


def test_second_app_gives_no_new_recovery_codes(client, caseworker_a):
    verified_login(client, caseworker_a)
    client.get(ENROL_URL)
    pending = AuthenticatorApp.objects.get(user=caseworker_a, confirmed=False)

    response = client.post(ENROL_URL, {"otp_token": totp_code(pending)})

    assert response["Location"] == SECURITY_URL
    assert AuthenticatorApp.objects.filter(user=caseworker_a, confirmed=True).count() == 2


# Grace period ---------------------------------------------------------------------------


def test_caseworker_in_grace_period_gets_in_with_a_banner(client, caseworker_a):
    client.force_login(caseworker_a)

    response = client.get(DASHBOARD_URL)

    assert response.status_code == 200
    assert response.context["second_factor_grace_ends_at"] == policy.grace_ends_at(caseworker_a)
    assert ENROL_URL in response.content.decode()


def test_caseworker_after_grace_period_must_enrol(client, caseworker_a, settings):
    settings.HARBOUR_2FA_CASEWORKER_GRACE_DAYS = 0
    client.force_login(caseworker_a)

    response = client.get(reverse("cases:list"))

    assert response["Location"].startswith(ENROL_URL)


def test_researcher_is_not_asked_by_default(client, researcher):
    client.force_login(researcher)

    response = client.get(DASHBOARD_URL)

    assert response.status_code == 200
    assert "second_factor_grace_ends_at" not in response.context


# Security page --------------------------------------------------------------------------


def test_security_page_lists_only_the_users_own_devices(client, caseworker_a, caseworker_b):
    verified_login(client, caseworker_a)
    totp_device(caseworker_b, name="Someone else's phone")

    response = client.get(SECURITY_URL)

    assert [device.user_id for device in response.context["devices"]] == [caseworker_a.pk]
    assert "Someone else" not in response.content.decode()


def test_security_page_leads_to_the_users_sign_ins_tokens_and_password(client, caseworker_a):
    verified_login(client, caseworker_a)

    body = client.get(SECURITY_URL).content.decode()

    for name in ("accounts:sign_ins", "accounts:api_tokens", "accounts:password_change"):
        assert f'href="{reverse(name)}"' in body


def test_security_page_query_count_is_fixed(client, caseworker_a, django_assert_max_num_queries):
    verified_login(client, caseworker_a)
    for index in range(5):
        AuthenticatorApp.objects.create(user=caseworker_a, name=f"phone {index}", confirmed=True)
        _passkey(caseworker_a, name=f"key {index}")

    with django_assert_max_num_queries(10):
        response = client.get(SECURITY_URL)

    assert len(response.context["devices"]) == 6
    assert len(response.context["passkeys"]) == 5


def test_removing_a_device_asks_for_confirmation_first(client, caseworker_a):
    device = verified_login(client, caseworker_a)
    AuthenticatorApp.objects.create(user=caseworker_a, name="spare", confirmed=True)
    url = reverse("accounts:totp_remove", kwargs={"device_id": device.pk})

    confirm = client.get(url)
    removed = client.post(url)

    assert confirm.status_code == 200
    assert removed["Location"] == SECURITY_URL
    assert not AuthenticatorApp.objects.filter(pk=device.pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.SECOND_FACTOR_REMOVED)
    assert event.detail == {"kind": "totp"}


def test_the_last_device_of_a_user_who_must_have_one_stays(client, central_admin):
    device = verified_login(client, central_admin)

    response = client.post(reverse("accounts:totp_remove", kwargs={"device_id": device.pk}))

    assert response.status_code == 400
    assert str(services.LAST_FACTOR_MESSAGE) in response.content.decode()
    assert AuthenticatorApp.objects.filter(pk=device.pk).exists()


def test_a_researcher_may_remove_their_only_device_and_its_recovery_codes(client, researcher):
    device = verified_login(client, researcher)
    services.recovery_codes_generate(user=researcher)

    client.post(reverse("accounts:totp_remove", kwargs={"device_id": device.pk}))

    assert not AuthenticatorApp.objects.filter(user=researcher).exists()
    assert not RecoveryCodeDevice.objects.filter(user=researcher).exists()


def test_another_users_device_cannot_be_removed(client, caseworker_a, caseworker_b):
    verified_login(client, caseworker_a)
    theirs = totp_device(caseworker_b)
    url = reverse("accounts:totp_remove", kwargs={"device_id": theirs.pk})

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert AuthenticatorApp.objects.filter(pk=theirs.pk).exists()


# Django admin ---------------------------------------------------------------------------


def test_admin_site_refuses_an_unverified_staff_session():
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = staff
    staff.otp_device = None

    assert admin.site.has_permission(request) is False
    staff.otp_device = totp_device(staff)
    assert admin.site.has_permission(request) is True


def test_superuser_with_a_device_but_no_code_cannot_open_the_admin(client, superuser):
    totp_device(superuser)
    client.force_login(superuser)

    response = client.get("/admin/")

    assert response["Location"].startswith(CODE_URL)


def test_admin_login_form_is_not_a_way_in(client, superuser):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert client.post("/admin/login/", {"username": superuser.email, "password": "x"})[
        "Location"
    ].startswith(LOGIN_URL)


# Reset by a central administrator -------------------------------------------------------


def test_admin_resets_a_users_factors_after_confirmation(client, central_admin, caseworker_a):
    verified_login(client, central_admin)
    totp_device(caseworker_a)
    services.recovery_codes_generate(user=caseworker_a)
    url = reverse("accounts:user_second_factors_reset", kwargs={"user_id": caseworker_a.pk})

    confirm = client.get(url)
    response = client.post(url)

    assert confirm.status_code == 200
    assert response["Location"] == reverse(
        "accounts:user_edit", kwargs={"user_id": caseworker_a.pk}
    )
    assert not AuthenticatorApp.objects.filter(user=caseworker_a).exists()
    assert not RecoveryCodeDevice.objects.filter(user=caseworker_a).exists()
    event = AuditEvent.objects.get(action=AuditAction.SECOND_FACTORS_RESET)
    assert event.actor == central_admin
    assert event.object_id == str(caseworker_a.pk)


def test_after_a_reset_an_admin_must_enrol_again(client, central_admin, superuser):
    verified_login(client, central_admin)
    other = Client()
    verified_login(other, superuser)

    services.second_factors_reset(actor=superuser, user=central_admin)

    assert client.get(reverse("accounts:user_list"))["Location"].startswith(ENROL_URL)


def test_an_administrator_cannot_reset_a_superusers_factors(client, central_admin, superuser):
    verified_login(client, central_admin)
    totp_device(superuser)
    url = reverse("accounts:user_second_factors_reset", kwargs={"user_id": superuser.pk})

    response = client.post(url)

    assert response.status_code == 400
    assert AuthenticatorApp.objects.filter(user=superuser).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.SECOND_FACTORS_RESET).exists()


def test_reset_of_a_missing_user_is_404(client, central_admin):
    verified_login(client, central_admin)

    url = reverse("accounts:user_second_factors_reset", kwargs={"user_id": 2**31 - 1})

    assert client.post(url).status_code == 404


# Re-authentication ----------------------------------------------------------------------


def _age_verification(client, minutes):
    session = client.session
    session[policy.VERIFIED_AT_SESSION_KEY] = (
        timezone.now() - datetime.timedelta(minutes=minutes)
    ).isoformat()
    session.save()


def test_stale_verification_asks_for_a_code_before_changing_roles(
    client, central_admin, caseworker_a
):
    verified_login(client, central_admin)
    _age_verification(client, 11)
    edit_url = reverse("accounts:user_edit", kwargs={"user_id": caseworker_a.pk})

    response = client.post(
        edit_url,
        {"email": caseworker_a.email, "full_name": "", "is_active": "on", "is_central_admin": "on"},
    )

    caseworker_a.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauthenticate"))
    assert not caseworker_a.is_central_admin


@pytest.mark.parametrize(
    ("name", "back_to"),
    [
        ("accounts:membership_add", "accounts:user_edit"),
        ("accounts:user_second_factors_reset", "accounts:user_second_factors_reset"),
    ],
)
def test_other_sensitive_actions_ask_for_a_code_too(
    client, central_admin, caseworker_a, mission_b, name, back_to
):
    verified_login(client, central_admin)
    totp_device(caseworker_a)
    _age_verification(client, 11)
    url = reverse(name, kwargs={"user_id": caseworker_a.pk})

    response = client.post(url, {"mission": mission_b.pk, "role": "caseworker"})

    back = reverse(back_to, kwargs={"user_id": caseworker_a.pk})
    assert (
        response["Location"] == f"{reverse('accounts:reauthenticate')}?{urlencode({'next': back})}"
    )
    assert caseworker_a.memberships.count() == 1
    assert AuthenticatorApp.objects.filter(user=caseworker_a).exists()


def test_creating_an_account_asks_for_a_code_and_creates_nothing(client, central_admin):
    verified_login(client, central_admin)
    _age_verification(client, 11)
    url = reverse("accounts:user_create")

    response = client.post(
        url,
        {
            "email": "new.admin@harbour.test",
            "password": "lantern-orchard-47-velvet",
            "is_active": "on",
            "is_central_admin": "on",
        },
    )

    assert (
        response["Location"] == f"{reverse('accounts:reauthenticate')}?{urlencode({'next': url})}"
    )
    assert not User.objects.filter(email="new.admin@harbour.test").exists()


def test_issuing_a_reset_link_asks_for_a_code_and_issues_nothing(
    client, central_admin, caseworker_a
):
    verified_login(client, central_admin)
    _age_verification(client, 11)
    url = reverse("accounts:user_password_reset", kwargs={"user_id": caseworker_a.pk})

    response = client.post(url)

    assert (
        response["Location"] == f"{reverse('accounts:reauthenticate')}?{urlencode({'next': url})}"
    )
    assert AuditAction.PASSWORD_RESET_ISSUED not in _actions()


def test_membership_remove_asks_for_a_code_and_keeps_the_membership(
    client, central_admin, caseworker_a
):
    verified_login(client, central_admin)
    _age_verification(client, 11)
    membership = caseworker_a.memberships.get()
    url = reverse(
        "accounts:membership_remove",
        kwargs={"user_id": caseworker_a.pk, "membership_id": membership.pk},
    )

    response = client.post(url)

    assert response["Location"].startswith(reverse("accounts:reauthenticate"))
    assert caseworker_a.memberships.filter(pk=membership.pk).exists()


def test_reauthenticating_is_audited_and_allows_the_action(client, central_admin, caseworker_a):
    device = verified_login(client, central_admin)
    _age_verification(client, 11)
    edit_url = reverse("accounts:user_edit", kwargs={"user_id": caseworker_a.pk})

    response = client.post(
        reverse("accounts:reauthenticate"), {"otp_token": fresh_code(device), "next": edit_url}
    )
    saved = client.post(
        edit_url,
        {"email": caseworker_a.email, "full_name": "", "is_active": "on", "is_central_admin": "on"},
    )

    caseworker_a.refresh_from_db()
    assert response["Location"] == edit_url
    assert saved.status_code == 302 and saved["Location"] == edit_url
    assert caseworker_a.is_central_admin
    assert AuditAction.REAUTHENTICATED in _actions(central_admin)


def test_wrong_code_at_reauthentication_counts_as_a_failure(client, central_admin):
    device = verified_login(client, central_admin)

    for _attempt in range(5):
        response = client.post(
            reverse("accounts:reauthenticate"), {"otp_token": _wrong_code(device)}
        )

    assert response.status_code == LOCKOUT_STATUS
    assert "_auth_user_id" not in client.session


# API tokens -----------------------------------------------------------------------------

TOKEN_URL = reverse("api_token_obtain")


def _token(user, ip="10.0.0.1", **extra):
    return APIClient().post(
        TOKEN_URL,
        {"email": user.email, "password": factories.DEFAULT_PASSWORD, **extra},
        format="json",
        REMOTE_ADDR=ip,
    )


def test_token_needs_a_code_for_a_user_who_must_have_a_second_factor(caseworker_a):
    totp_device(caseworker_a)

    missing = _token(caseworker_a)
    wrong_password = APIClient().post(
        TOKEN_URL, {"email": caseworker_a.email, "password": "wrong-password"}, format="json"
    )

    assert missing.status_code == 400
    assert missing.json() == wrong_password.json()
    assert not AuthToken.objects.exists()


def test_token_with_the_right_code_is_issued_and_audited(caseworker_a):
    device = totp_device(caseworker_a)

    response = _token(caseworker_a, otp=totp_code(device))

    assert response.status_code == 200
    assert AuthToken.objects.filter(user=caseworker_a).count() == 1
    assert AuditAction.SECOND_FACTOR_VERIFIED in _actions(caseworker_a)


def test_token_with_a_recovery_code(caseworker_a):
    totp_device(caseworker_a)
    code = services.recovery_codes_generate(user=caseworker_a)[0]

    assert _token(caseworker_a, otp=code).status_code == 200
    assert _token(caseworker_a, otp=code).status_code == 400


def test_token_refused_to_a_mandatory_user_without_any_device(central_admin):
    response = _token(central_admin, otp="123456")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert not AuthToken.objects.exists()


def test_wrong_codes_at_the_token_endpoint_lock_out(caseworker_a, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = totp_device(caseworker_a)
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _token(caseworker_a, otp=_wrong_code(device)).status_code == 400

    locked = _token(caseworker_a, otp=_wrong_code(device))
    after = _token(caseworker_a, otp=totp_code(device))

    assert locked.status_code == after.status_code == 429
    assert not AuthToken.objects.exists()


def test_researcher_without_a_device_gets_no_token_with_the_password_alone(researcher):
    # Their second factor is optional for the web pages; a token needs one all the same.
    response = _token(researcher)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert not AuthToken.objects.exists()
    assert AuditAction.SECOND_FACTOR_FAILED in _actions(researcher)


def test_researcher_with_a_device_gets_a_token_with_its_code(researcher):
    device = totp_device(researcher)

    assert _token(researcher, otp=totp_code(device)).status_code == 200


def test_researcher_with_a_device_must_give_its_code(researcher):
    totp_device(researcher)

    assert _token(researcher).status_code == 400


@pytest.mark.parametrize("otp", [123456, ["123456"], "x" * 33, None])
def test_malformed_otp_in_the_token_request_is_a_clear_error(caseworker_a, otp):
    totp_device(caseworker_a)

    response = _token(caseworker_a, otp=otp)

    assert response.status_code == 400
    assert response.json()["code"] in ("invalid", "invalid_credentials")
    assert not AuthToken.objects.exists()


# Passkeys -------------------------------------------------------------------------------

PASSKEY_COMPLETE_URL = reverse("otp_webauthn:credential-authentication-complete")
PASSKEY_BEGIN_URL = reverse("otp_webauthn:credential-authentication-begin")


def _passkey(user, name="Test key"):
    return WebAuthnCredential.objects.create(
        user=user,
        name=name,
        credential_id=f"credential-{user.pk}-{name}".encode(),
        public_key=b"not-a-real-key",
        sign_count=0,
    )


def test_relying_party_is_the_request_host_unless_configured(rf, settings):
    request = rf.get("/", HTTP_HOST="harbour.example.org:8443")
    settings.ALLOWED_HOSTS = ["harbour.example.org"]

    assert passkeys.relying_party_id(request) == "harbour.example.org"
    assert passkeys.HarbourWebAuthnHelper(request).get_allowed_origins() == [
        "http://harbour.example.org:8443"
    ]
    settings.HARBOUR_WEBAUTHN_RP_ID = "example.org"
    settings.HARBOUR_WEBAUTHN_ORIGINS = ["https://harbour.example.org"]
    assert passkeys.relying_party_id(request) == "example.org"
    assert passkeys.HarbourWebAuthnHelper(request).get_allowed_origins() == [
        "https://harbour.example.org"
    ]


def test_passkeys_are_not_a_way_to_sign_in_without_a_password(client, caseworker_a):
    _passkey(caseworker_a)

    begin = client.post(PASSKEY_BEGIN_URL, content_type="application/json")
    complete = client.post(PASSKEY_COMPLETE_URL, {}, content_type="application/json")

    assert begin.status_code == complete.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_refused_passkey_is_an_audited_failure_in_the_lockout(client, caseworker_a):
    _passkey(caseworker_a)
    _password_step(client, caseworker_a)

    responses = [
        client.post(
            PASSKEY_COMPLETE_URL, {}, content_type="application/json", REMOTE_ADDR="10.0.0.1"
        )
        for _attempt in range(5)
    ]

    assert [response.status_code for response in responses[:4]] == [400] * 4
    assert responses[4].status_code == LOCKOUT_STATUS
    assert _actions(caseworker_a).count(AuditAction.SECOND_FACTOR_FAILED) == 5
    assert "_auth_user_id" not in client.session


def test_a_malformed_passkey_answer_is_a_clear_error(client, caseworker_a):
    _passkey(caseworker_a)
    _password_step(client, caseworker_a)
    client.post(PASSKEY_BEGIN_URL, content_type="application/json")

    response = client.post(PASSKEY_COMPLETE_URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"]
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_the_code_step_offers_the_passkey_only_to_users_with_one(client, caseworker_a):
    totp_device(caseworker_a)
    _password_step(client, caseworker_a)
    without = client.get(CODE_URL).content.decode()
    _passkey(caseworker_a)
    with_key = client.get(CODE_URL).content.decode()

    assert "passkey-verification-button" not in without
    assert "passkey-verification-button" in with_key
    assert "django_otp_webauthn/otp_webauthn_auth.js" in with_key


def test_a_passkey_counts_as_a_factor_when_removing_the_app(client, central_admin):
    device = verified_login(client, central_admin)
    _passkey(central_admin)

    client.post(reverse("accounts:totp_remove", kwargs={"device_id": device.pk}))

    assert not AuthenticatorApp.objects.filter(pk=device.pk).exists()


def test_the_last_passkey_of_an_admin_stays(client, central_admin):
    verified_login(client, central_admin)
    AuthenticatorApp.objects.filter(user=central_admin).delete()
    key = _passkey(central_admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = key.persistent_id
    session.save()

    response = client.post(reverse("accounts:passkey_remove", kwargs={"passkey_id": key.pk}))

    assert response.status_code == 400
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_a_passkey_is_removed_after_confirmation_and_audited(client, caseworker_a):
    verified_login(client, caseworker_a)
    key = _passkey(caseworker_a)
    url = reverse("accounts:passkey_remove", kwargs={"passkey_id": key.pk})

    assert client.get(url).status_code == 200
    response = client.post(url)

    assert response["Location"] == SECURITY_URL
    assert not WebAuthnCredential.objects.filter(pk=key.pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.SECOND_FACTOR_REMOVED)
    assert event.detail == {"kind": "passkey"}


def test_another_users_passkey_cannot_be_removed(client, caseworker_a, caseworker_b):
    verified_login(client, caseworker_a)
    theirs = _passkey(caseworker_b)
    url = reverse("accounts:passkey_remove", kwargs={"passkey_id": theirs.pk})

    assert client.post(url).status_code == 404
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()


def test_reset_removes_passkeys_too(central_admin, caseworker_a):
    _passkey(caseworker_a)
    totp_device(caseworker_a)

    removed = services.second_factors_reset(actor=central_admin, user=caseworker_a)

    assert removed == 2
    assert not WebAuthnCredential.objects.filter(user=caseworker_a).exists()


def test_adding_another_app_asks_for_a_fresh_code_first(client, caseworker_a):
    verified_login(client, caseworker_a)
    _age_verification(client, 11)
    enrol_url = reverse("accounts:totp_enrol")

    shown = client.get(enrol_url)
    posted = client.post(enrol_url, {"name": "Attacker's phone", "otp_token": "123456"})

    expected = f"{reverse('accounts:reauthenticate')}?{urlencode({'next': enrol_url})}"
    assert shown["Location"] == expected
    assert posted["Location"] == expected
    # No secret was drawn for a device that could be added later.
    assert not AuthenticatorApp.objects.filter(user=caseworker_a, confirmed=False).exists()
    assert AuthenticatorApp.objects.filter(user=caseworker_a).count() == 1


def test_the_first_app_needs_no_earlier_code(client, caseworker_a):
    client.force_login(caseworker_a)

    response = client.get(reverse("accounts:totp_enrol"))

    assert response.status_code == 200
    assert AuthenticatorApp.objects.filter(user=caseworker_a, confirmed=False).count() == 1


def test_new_recovery_codes_ask_for_a_fresh_code_and_keep_the_old_ones(client, caseworker_a):
    verified_login(client, caseworker_a)
    old = services.recovery_codes_generate(user=caseworker_a)
    _age_verification(client, 11)

    response = client.post(reverse("accounts:recovery_codes_regenerate"))

    back = reverse("accounts:security")
    assert response["Location"] == (
        f"{reverse('accounts:reauthenticate')}?{urlencode({'next': back})}"
    )
    assert set(RecoveryCode.objects.values_list("digest", flat=True)) == {
        recovery_code_digest(code) for code in old
    }
