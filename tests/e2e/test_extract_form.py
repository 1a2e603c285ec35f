"""The extract request page in a real browser: one control per field, also after the estimate
(htmx) has been refreshed, so the keyboard never stops twice on the same list."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LISTS = ("Citizenship", "Country of exploitation")


def _one_control_each(page):
    filters = page.get_by_role("group", name="Filters")
    for label in LISTS:
        expect(filters.get_by_label(label, exact=True)).to_have_count(1)
    # No list gets a second filter box.
    expect(page.locator('input[type="search"]')).to_have_count(0)


def test_each_list_of_the_extract_form_has_one_control(sign_in, live_server, researcher):
    page = sign_in(researcher)
    page.goto(f"{live_server.url}{reverse('research:extract_new')}")
    _one_control_each(page)

    with page.expect_response(lambda r: reverse("research:extract_estimate") in r.url):
        page.get_by_role("group", name="Dimensions").get_by_label("Gender", exact=True).check()
    _one_control_each(page)
