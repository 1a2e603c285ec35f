"""Languages in a real browser: Arabic mirrors the layout, French carries a screening section.

The French assertions read their expected text from the catalog (Django's gettext under
French), so they hold now, with catalogs still being translated, and later, when they are.
"""

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from screening import services
from screening.views import DRAFT_SAVED_MESSAGE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390


def switch_language(page: Page, code: str) -> None:
    switcher = page.locator("header form.language-switcher")
    switcher.locator("select").select_option(code)
    with page.expect_navigation():
        switcher.get_by_role("button").click()


def test_arabic_mirrors_the_layout(page: Page, live_server, sign_in, caseworker_a):
    sign_in(caseworker_a)
    brand_before = page.locator(".brand").bounding_box()
    switch_language(page, "ar")

    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    width = page.viewport_size["width"]
    brand = page.locator(".brand").bounding_box()
    nav = page.locator(".main-nav").bounding_box()
    signout = page.locator(".signout").bounding_box()
    # The brand moved from the left edge to the right edge; the nav follows it leftwards, and
    # sign-out, at the end of the header, is now on the left.
    assert brand_before["x"] < width / 2 < brand["x"]
    assert nav["x"] + nav["width"] <= brand["x"]
    assert signout["x"] < nav["x"]
    # The choice is the user's now: it is on their profile.
    caseworker_a.refresh_from_db()
    assert caseworker_a.language == "ar"


def test_arabic_at_phone_width_does_not_overflow_sideways(
    page: Page, live_server, sign_in, caseworker_a
):
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    sign_in(caseworker_a)
    switch_language(page, "ar")
    for url in (reverse("dashboard"), reverse("cases:list")):
        page.goto(f"{live_server.url}{url}")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= PHONE_WIDTH, url


def test_the_sign_in_page_switches_to_french_without_signing_in(page: Page, live_server):
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    switch_language(page, "fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page).to_have_url(f"{live_server.url}{reverse('accounts:login')}")


def test_a_screening_section_is_completed_in_french(
    page: Page, live_server, sign_in, caseworker_a, case_a
):
    screening = services.screening_start(actor=caseworker_a, case_id=case_a.pk)
    sign_in(caseworker_a)
    switch_language(page, "fr")
    section_url = reverse(
        "screening:section", kwargs={"screening_id": screening.pk, "section": "interview"}
    )
    page.goto(f"{live_server.url}{section_url}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    form = page.locator("#section-panel form")
    form.locator('[name="interview_locality"]').fill("Pokhara")
    form.locator('[name="interview_language"]').select_option("ne")
    form.locator('[name="interpreter_used"][value="False"]').check()
    form.locator('[name="referral_source"]').select_option("Organisation")
    form.locator('[name="referring_organisation_type"]').select_option("NGO")
    form.locator('button[name="action"][value="save"]').click()

    with translation.override("fr"):
        saved = str(DRAFT_SAVED_MESSAGE)
    expect(page.get_by_role("status")).to_have_text(saved)
    screening.refresh_from_db()
    assert (screening.interview_locality, screening.interview_language) == ("Pokhara", "ne")
    assert screening.interpreter_used is False
