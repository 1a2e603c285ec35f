"""Case flows in a real browser: who reaches which case, through the pages people use."""

import datetime
import re
import uuid

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import Case
from cases.views import CASE_CREATED_MESSAGE
from cases.vocabularies import Gender

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CASE_DETAIL_URL = re.compile(r"/cases/[0-9a-f-]{36}/$")


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def test_caseworker_registers_a_case_and_finds_it_in_the_list(sign_in, caseworker_a, mission_a):
    page = sign_in(caseworker_a)
    main_nav(page).get_by_role("link", name="Cases", exact=True).click()
    page.get_by_role("link", name="Register a case").click()
    page.get_by_label("Given name").fill("Amina")
    page.get_by_label("Gender").select_option(Gender.FEMININE.value)
    page.get_by_role("button", name="Register case").click()
    page.wait_for_url(CASE_DETAIL_URL)
    case = Case.objects.get(mission=mission_a)
    expect(page.get_by_role("status")).to_contain_text(
        CASE_CREATED_MESSAGE % {"reference": case.reference}
    )

    page.get_by_role("link", name="All cases").click()

    expect(page.get_by_role("link", name=case.reference, exact=True)).to_be_visible()


def test_caseworker_of_another_mission_gets_not_found_for_the_case(
    sign_in, live_server, case_a, caseworker_b
):
    page = sign_in(caseworker_b)

    response = page.goto(f"{live_server.url}{case_a.get_absolute_url()}")

    assert response.status == 404
    expect(page.get_by_text(case_a.reference)).to_have_count(0)


def test_out_of_scope_case_looks_like_a_missing_one(sign_in, live_server, case_a, caseworker_b):
    page = sign_in(caseworker_b)
    missing = reverse("cases:detail", kwargs={"case_id": uuid.uuid4()})
    page.goto(f"{live_server.url}{missing}")
    missing_page = page.locator("body").inner_text()

    page.goto(f"{live_server.url}{case_a.get_absolute_url()}")

    assert page.locator("body").inner_text() == missing_page


def test_researcher_has_no_cases_navigation(sign_in, researcher):
    page = sign_in(researcher)

    expect(main_nav(page).get_by_role("link", name="Cases", exact=True)).to_have_count(0)


def test_researcher_gets_not_found_for_the_case_list(sign_in, live_server, researcher):
    page = sign_in(researcher)

    response = page.goto(f"{live_server.url}{reverse('cases:list')}")

    assert response.status == 404


def test_researcher_gets_not_found_for_a_case(sign_in, live_server, researcher, case_a):
    page = sign_in(researcher)

    response = page.goto(f"{live_server.url}{case_a.get_absolute_url()}")

    assert response.status == 404


def test_central_administrator_sees_the_cases_of_every_mission(
    sign_in, central_admin, case_a, case_b
):
    page = sign_in(central_admin)

    main_nav(page).get_by_role("link", name="Cases", exact=True).click()

    for case in (case_a, case_b):
        expect(page.get_by_role("link", name=case.reference, exact=True)).to_be_visible()


def test_central_administrator_opens_the_audit_trail_of_a_case_read(
    sign_in, live_server, central_admin, case_a
):
    page = sign_in(central_admin)
    page.goto(f"{live_server.url}{case_a.get_absolute_url()}")

    main_nav(page).get_by_role("link", name="Audit trail").click()

    expect(page).to_have_url(f"{live_server.url}{reverse('cases:audit')}")
    expect(page.get_by_role("table").get_by_text(case_a.reference).first).to_be_visible()


def test_registration_warns_of_a_likely_existing_case_and_can_go_on(
    sign_in, caseworker_a, mission_a
):
    from cases.services import case_create

    existing = case_create(
        actor=caseworker_a,
        mission=mission_a,
        person={
            "given_name": "Mohammed",
            "family_name": "Karimi",
            "date_of_birth": datetime.date(1990, 6, 1),
            "gender": Gender.MASCULINE,
        },
    )
    page = sign_in(caseworker_a)
    main_nav(page).get_by_role("link", name="Cases", exact=True).click()
    page.get_by_role("link", name="Register a case").click()
    page.get_by_label("Given name").fill("Muhammad")
    page.get_by_label("Family name").fill("Karimi")
    page.get_by_label("Date of birth").fill("1990-06-02")
    page.get_by_label("Gender").select_option(Gender.MASCULINE.value)
    page.get_by_role("button", name="Register case").click()

    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("This person may already have a case")
    expect(warning.get_by_role("link", name=existing.reference)).to_be_visible()
    expect(warning).to_contain_text("a name that sounds the same")
    expect(page.get_by_label("Given name")).to_have_value("Muhammad")
    assert Case.objects.count() == 1

    page.get_by_role("button", name="Register a new case anyway").click()
    page.wait_for_url(CASE_DETAIL_URL)
    assert Case.objects.count() == 2
