"""A central administrator publishes a release; a researcher picks it in the extract form and
receives a table from it (issue 11 §2: suppressed counts read releases, not the nightly mart)."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from research_exports.models import Extract, MartRow, ResearchRelease
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _snapshot(*, rows: int, year: int, current: bool, release: bool):
    snapshot = factories.MartSnapshotFactory(
        row_count=rows, is_current=current, release=None if release else False
    )
    MartRow.objects.bulk_create(
        [
            factories.MartRowFactory.build(snapshot=snapshot, year_of_registration=year)
            for _ in range(rows)
        ]
    )
    return snapshot


@pytest.fixture
def snapshots(settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    # An older release of 2019 registrations, and today's snapshot of 2021 ones, unpublished.
    older = _snapshot(rows=40, year=2019, current=False, release=True)
    ResearchRelease.objects.filter(snapshot=older).update(name="2025 Q4")
    current = _snapshot(rows=60, year=2021, current=True, release=False)
    return older, current


def test_an_administrator_publishes_and_a_researcher_reads_that_release(
    sign_in, page, live_server, central_admin, researcher, snapshots, csp_violations
):
    older, current = snapshots
    sign_in(central_admin)
    page.goto(f"{live_server.url}{reverse('research:releases')}")
    page.get_by_label("Release name").fill("2026 Q1")
    page.get_by_label("Research mart snapshot").select_option(str(current.pk))
    page.get_by_role("button", name="Publish release").click()
    expect(page.locator(".messages")).to_contain_text("Release published")
    expect(page.locator("tbody tr").first).to_contain_text("2026 Q1")
    release = ResearchRelease.objects.get(name="2026 Q1")
    assert release.snapshot == current

    page.context.clear_cookies()
    sign_in(researcher)
    page.goto(f"{live_server.url}{reverse('research:extract_new')}")
    release_field = page.get_by_label("Release", exact=True)
    expect(release_field.locator("option")).to_have_text(["2026 Q1", "2025 Q4"])
    release_field.select_option(label="2026 Q1")
    page.get_by_label("Year of registration", exact=True).check()
    page.get_by_label("Suppressed counts").check()
    page.get_by_role("button", name="Request the extract").click()
    page.wait_for_url(re.compile(r"/research/extracts/[0-9a-f-]{36}/$"))

    extract = Extract.objects.get(requested_by=researcher)
    assert extract.release == release and extract.snapshot == current != older
    assert extract.status == Extract.Status.SUCCEEDED
    expect(page.locator(".extract-release")).to_have_text("2026 Q1")
    # The table is the published release's: its 60 people of 2021, none of the older 2019.
    table = page.locator("table.research-table")
    expect(table.locator("tbody")).to_contain_text("2021")
    expect(table.locator("tbody")).not_to_contain_text("2019")
    expect(table.locator("tfoot")).to_contain_text("60")
    assert csp_violations == []
