"""Every page renders without a Content Security Policy violation in the browser console."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import CSP_CONSOLE_MARKER

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_csp_violations_are_seen_in_the_console(page, live_server, csp_violations):
    page.goto(f"{live_server.url}{reverse('accounts:login')}")

    # An inline style attribute set from script is exactly what the policy forbids.
    with page.expect_console_message(lambda message: CSP_CONSOLE_MARKER in message.text):
        page.evaluate("document.body.setAttribute('style', 'color: red')")

    assert len(csp_violations) == 1


def test_sign_in_page_has_no_csp_violation(page, live_server, csp_violations):
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_be_visible()
    assert csp_violations == []


@pytest.mark.parametrize(
    "url_name", ["dashboard", "cases:list", "cases:create", "cases:detail", "cases:edit"]
)
def test_caseworker_pages_have_no_csp_violation(
    sign_in, live_server, caseworker_a, case_a, csp_violations, url_name
):
    kwargs = {"case_id": case_a.pk} if url_name in ("cases:detail", "cases:edit") else {}
    page = sign_in(caseworker_a)

    response = page.goto(f"{live_server.url}{reverse(url_name, kwargs=kwargs)}")
    page.wait_for_load_state("networkidle")

    assert response.status == 200
    assert csp_violations == []


def test_case_form_errors_have_no_csp_violation(sign_in, live_server, caseworker_a, csp_violations):
    page = sign_in(caseworker_a)
    page.goto(f"{live_server.url}{reverse('cases:create')}")

    page.get_by_role("button", name="Register case").click()

    expect(page.get_by_role("alert")).to_be_visible()
    assert csp_violations == []


def test_filtering_the_case_list_has_no_csp_violation(
    sign_in, live_server, caseworker_a, case_a, csp_violations
):
    page = sign_in(caseworker_a)
    page.goto(f"{live_server.url}{reverse('cases:list')}")

    # htmx swaps the results in place: its own inline styles would be refused here.
    with page.expect_response(lambda response: response.request.headers.get("hx-request")):
        page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state("networkidle")

    expect(page.get_by_role("link", name=case_a.reference, exact=True)).to_be_visible()
    assert csp_violations == []


ADMIN_PAGES = [
    "dashboard",
    "cases:list",
    "cases:audit",
    "accounts:user_list",
    "accounts:mission_list",
    "api_docs",
]


@pytest.mark.parametrize("url_name", ADMIN_PAGES)
def test_central_administrator_pages_have_no_csp_violation(
    sign_in, live_server, central_admin, case_a, csp_violations, url_name
):
    page = sign_in(central_admin)

    response = page.goto(f"{live_server.url}{reverse(url_name)}")
    page.wait_for_load_state("networkidle")

    assert response.status == 200
    assert csp_violations == []


def test_not_found_page_has_no_csp_violation(sign_in, live_server, researcher, csp_violations):
    page = sign_in(researcher)

    response = page.goto(f"{live_server.url}{reverse('cases:list')}")

    assert response.status == 404
    assert csp_violations == []
