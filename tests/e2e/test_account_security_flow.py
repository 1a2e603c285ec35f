"""Account security in the browser: change the password, create and revoke an API token, read
the sign-in history; each page without a Content Security Policy violation."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.api_tokens.views import TOKEN_REVOKED_MESSAGE
from accounts.passwords.views import PASSWORD_CHANGED_MESSAGE
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "lantern-orchard-47-velvet"


def test_changing_the_password_in_the_browser(sign_in, live_server, caseworker_a, csp_violations):
    page = sign_in(caseworker_a)
    page.get_by_role("link", name="Your account").click()
    page.get_by_role("link", name="Change your password").click()

    page.locator('input[name="current_password"]').fill(DEFAULT_PASSWORD)
    page.locator('input[name="new_password1"]').fill(NEW_PASSWORD)
    page.locator('input[name="new_password2"]').fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()

    expect(page.get_by_text(str(PASSWORD_CHANGED_MESSAGE))).to_be_visible()
    caseworker_a.refresh_from_db()
    assert caseworker_a.check_password(NEW_PASSWORD)
    assert csp_violations == []


def test_creating_and_revoking_a_token_in_the_browser(
    sign_in, live_server, caseworker_a, csp_violations
):
    page = sign_in(caseworker_a)
    page.goto(f"{live_server.url}{reverse('accounts:api_tokens')}")

    page.get_by_label("Name").fill("Office laptop")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("Token", exact=True).input_value()
    assert len(token) >= 32
    expect(page.get_by_role("rowheader", name="Office laptop")).to_be_visible()

    page.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke").click()

    expect(page.get_by_text(str(TOKEN_REVOKED_MESSAGE))).to_be_visible()
    expect(page.get_by_text("You have no API token.")).to_be_visible()
    assert csp_violations == []


def test_the_sign_in_history_shows_this_sign_in(sign_in, live_server, caseworker_a, csp_violations):
    page = sign_in(caseworker_a)
    page.goto(f"{live_server.url}{reverse('accounts:sign_ins')}")

    expect(page.get_by_role("cell", name="Signed in").first).to_be_visible()
    assert csp_violations == []


def test_forgot_password_page_has_no_csp_violation(page, live_server, csp_violations):
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    page.get_by_role("link", name="Forgot your password?").click()

    page.get_by_label("Email address").fill("nobody@harbour.test")
    page.get_by_role("button", name="Send me a link").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert csp_violations == []
