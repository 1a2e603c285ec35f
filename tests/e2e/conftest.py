"""Browser tests: Playwright drives the system Chromium against pytest-django's live server.

No browser is ever downloaded: the tests use /usr/bin/chromium (apt package ``chromium``), or
the executable named by ``HARBOUR_CHROMIUM``. Without it the run stops before any test, with one
line saying what to install, instead of an error per browser test.
"""

import os

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.factories import DEFAULT_PASSWORD
from tests.second_factor import fresh_code, totp_device

# Playwright's sync API runs an asyncio loop in the test thread, which makes Django refuse ORM
# calls from the test body (factories, lookups). They are plain synchronous calls here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("HARBOUR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# What Chromium writes to the console when the Content Security Policy blocks something.
CSP_CONSOLE_MARKER = "Content Security Policy"
TIMEOUT_MS = 15_000


def chromium_missing(path: str) -> str | None:
    """What to do about a missing browser, or None when ``path`` is an executable."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return None
    return (
        f"Browser tests need Chromium at {path}: install it (apt-get install chromium) or set "
        "HARBOUR_CHROMIUM to its path; to run without them: pytest -m 'not e2e'."
    )


def pytest_collection_modifyitems(session, config, items):
    # Once for the whole run, and only when browser tests were selected.
    if any(item.get_closest_marker("e2e") for item in items):
        problem = chromium_missing(CHROMIUM)
        if problem:
            raise pytest.UsageError(problem)


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """Console messages of CSP violations seen by ``page`` during the test."""
    return []


@pytest.fixture
def page(browser: Browser, csp_violations: list[str]) -> Page:
    context = browser.new_context(locale="en")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            csp_violations.append(message.text) if CSP_CONSOLE_MARKER in message.text else None
        ),
    )
    yield page
    context.close()


def sign_in_with_password(page: Page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator('input[name="username"]').fill(user.email)
    page.locator('input[name="password"]').fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def enter_code(page: Page, code: str) -> None:
    page.locator('input[name="otp_token"]').fill(code)
    page.get_by_role("button", name="Confirm").click()


@pytest.fixture
def sign_in(page: Page, live_server):
    """Signs ``user`` in through both real steps: the password, then a code computed from the
    secret of the user's authenticator device (created if needed), as the app would show it.
    The browser ends on the dashboard."""

    def _sign_in(user) -> Page:
        device = totp_device(user)
        sign_in_with_password(page, live_server, user)
        page.wait_for_url(f"{live_server.url}/accounts/login/code/**")
        enter_code(page, fresh_code(device))
        page.wait_for_url(f"{live_server.url}/")
        return page

    return _sign_in
