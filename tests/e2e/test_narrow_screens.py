"""At 390 px (a small phone) no page of the access matrix scrolls sideways.

Every page a role may open (its GET answers 200 in tests/test_access_matrix.py) is loaded at
that width, signed in as the first role that may open it; a page whose document is wider than
the window fails, with its width. API answers and file downloads are not pages and are left out.
"""

import pytest
from django.urls import reverse

from research_exports.models import Extract
from tests import factories
from tests.e2e.conftest import TIMEOUT_MS, enter_code, sign_in_with_password
from tests.second_factor import fresh_code, totp_device
from tests.test_access_matrix import MATRIX, _url, world  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 390
HEIGHT = 844
# Who opens a page: the first of these that may.
ROLE_ORDER = ("caseworker", "central_admin", "researcher", "superuser", "anonymous")
WIDE_DIMENSIONS = ["yearOfRegistration", "gender", "citizenship"]
OVERFLOW = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def pages_by_role(matrix_world) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {role: [] for role in ROLE_ORDER}
    for name, (expected, _needs) in sorted(MATRIX.items()):
        url = _url(name, matrix_world)
        if url.startswith("/api/"):
            continue
        role = next((r for r in ROLE_ORDER if expected.get(r) == 200), None)
        if role is not None:
            chosen[role].append(url)
    return chosen


def _signed_in_page(browser, live_server, user):
    context = browser.new_context(locale="en", viewport={"width": WIDTH, "height": HEIGHT})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    if user is not None:
        device = totp_device(user)
        sign_in_with_password(page, live_server, user)
        page.wait_for_url(f"{live_server.url}{reverse('accounts:second_factor')}**")
        enter_code(page, fresh_code(device))
        page.wait_for_url(f"{live_server.url}/")
    return context, page


def _wide_content(matrix_world) -> None:
    """What made pages wide when they were reported: a long address in the users list and
    the audit trail, an extract of three dimensions with long labels."""
    factories.UserFactory(email="a.very-long-address.of-a-caseworker@field-office.example.org")
    Extract.objects.filter(pk=matrix_world["kwargs"]["extract_id"]).update(
        dimensions=WIDE_DIMENSIONS,
        result={
            "dimensions": WIDE_DIMENSIONS,
            "rows": [
                {"values": [str(year), gender, country], "count": 20 + year % 7}
                for year in range(2015, 2024)
                for gender in ("Woman", "Man")
                for country in ("Democratic Republic of the Congo", "Bosnia and Herzegovina")
            ],
            "row_totals": [],
            "column_totals": [],
            "grand_total": 900,
        },
    )


def test_no_page_scrolls_sideways_at_390_px(browser, live_server, world):  # noqa: F811
    _wide_content(world)
    chosen = pages_by_role(world)
    assert sum(len(urls) for urls in chosen.values()) > 40
    too_wide = []
    measured = 0
    for role, urls in chosen.items():
        if not urls:
            continue
        context, page = _signed_in_page(browser, live_server, world["users"][role])
        for url in urls:
            response = page.request.get(f"{live_server.url}{url}")
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue
            page.goto(f"{live_server.url}{url}")
            scroll_width, client_width = page.evaluate(OVERFLOW)
            measured += 1
            if scroll_width > client_width:
                too_wide.append(f"{url} as {role}: {scroll_width} px")
        context.close()
    assert measured > 40
    assert too_wide == []
