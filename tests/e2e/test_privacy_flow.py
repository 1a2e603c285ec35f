"""A researcher sees the estimate before spending, spends budget on a differentially private
extract, and sees the remaining budget change (issue 11 §3)."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from research_exports.models import MartRow, PrivacyLedgerEntry
from research_exports.privacy import dp
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mart(settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    settings.HARBOUR_DP_EPSILON_PER_YEAR = 4.0
    snapshot = factories.MartSnapshotFactory(row_count=60)
    MartRow.objects.bulk_create(
        [
            factories.MartRowFactory.build(snapshot=snapshot, year_of_registration=2021)
            for _ in range(60)
        ]
    )
    return snapshot


def test_estimate_then_spend_then_the_budget_left_changes(
    sign_in, live_server, researcher, mart, csp_violations
):
    margin = dp.calibrate(epsilon=1.5, sensitivity=1).cell_margin
    page = sign_in(researcher)
    page.goto(f"{live_server.url}{reverse('research:extract_new')}")
    expect(page.locator(".privacy-budget")).to_contain_text("ε = 4.")

    page.get_by_label("Year of registration", exact=True).check()
    page.get_by_label("Gender").check()
    page.get_by_label("From year").fill("2020")
    page.get_by_label("To year").fill("2024")
    page.get_by_label("Differentially private counts").check()
    page.get_by_label("Privacy budget to spend (ε)").fill("1.5")

    # The live estimate (htmx, no page load): margin per cell and the budget after, unspent.
    estimate = page.locator("#estimate")
    expect(estimate.locator(".estimate-margin")).to_have_text(
        re.compile(rf"± {margin} people, 95 times out of 100")
    )
    expect(estimate.locator(".estimate-budget")).to_contain_text("leaving ε = 2.5")
    assert not PrivacyLedgerEntry.objects.exists()

    page.get_by_role("button", name="Request the extract").click()
    page.wait_for_url(re.compile(r"/research/extracts/[0-9a-f-]{36}/$"))
    assert PrivacyLedgerEntry.objects.count() == 1

    page.get_by_role("link", name="Privacy budget").click()
    expect(page.locator(".privacy-remaining")).to_have_text("ε = 2.5")
    expect(page.locator(".privacy-ledger")).to_contain_text("Spent on an extract")

    page.goto(f"{live_server.url}{reverse('research:extract_new')}")
    expect(page.locator(".privacy-budget")).to_contain_text("ε = 2.5.")
    assert csp_violations == []
