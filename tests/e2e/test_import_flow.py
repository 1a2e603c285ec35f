"""A central administrator uploads a file with errors, reads the report, fixes the file,
imports it, follows its progress and finds the imported cases (issue 13 §1)."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import Case
from tests.intake.conftest import ROWS, csv_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _upload(page, live_server, mission, path):
    page.goto(f"{live_server.url}{reverse('intake:job_list')}")
    page.get_by_label("Mission").select_option(str(mission.pk))
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r"/imports/[0-9a-f-]{36}/$"))


def test_upload_fix_import_and_find_the_cases(
    sign_in, live_server, central_admin, mission_a, tmp_path, settings, csp_violations
):
    settings.HARBOUR_IMPORT_DIR = tmp_path / "imports"
    broken = tmp_path / "cases.csv"
    broken.write_text(csv_text(ROWS[0], ROWS[1].replace("Masculine", "Male")))
    page = sign_in(central_admin)

    _upload(page, live_server, mission_a, broken)
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("prs_Gender")
    expect(errors).to_contain_text("not one of the allowed codes")
    expect(errors).not_to_contain_text("Male")
    expect(page.get_by_role("button", name="Import the valid rows")).to_be_visible()
    assert Case.objects.count() == 0

    fixed = tmp_path / "cases-fixed.csv"
    fixed.write_text(csv_text(*ROWS))
    _upload(page, live_server, mission_a, fixed)
    expect(page.locator(".import-progress")).to_contain_text("Validated")
    page.get_by_role("button", name="Import 2 rows").click()
    page.wait_for_url(re.compile(r"/imports/[0-9a-f-]{36}/$"))
    expect(page.locator(".import-progress")).to_contain_text("Imported")

    references = sorted(Case.objects.values_list("reference", flat=True))
    assert references == ["AAA-2024-00001", "AAA-2024-00002"]
    page.get_by_role("link", name=references[0]).click()
    expect(page.locator("h1")).to_contain_text(references[0])
    assert csp_violations == []
