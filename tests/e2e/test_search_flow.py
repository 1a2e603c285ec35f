"""The top-bar search in a real browser: a caseworker finds a person by part of a name and a
year, and never a person of another mission."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NO_MATCH = "No case matches these filters."
CASE_DETAIL_URL = re.compile(r"/cases/[0-9a-f-]{36}/$")


def test_caseworker_finds_a_person_by_partial_name_and_year_and_opens_the_case(
    sign_in, caseworker_a, mission_a, mission_b
):
    born = datetime.date(1998, 4, 2)
    mine = factories.CaseFactory(
        mission=mission_a, person__given_name="Fatima", person__date_of_birth=born
    )
    other_year = factories.CaseFactory(
        mission=mission_a, person__given_name="Fatima", person__date_of_birth=born.replace(2001)
    )
    theirs = factories.CaseFactory(
        mission=mission_b, person__given_name="Fatima", person__date_of_birth=born
    )
    page = sign_in(caseworker_a)

    search = page.get_by_role("search")
    search.get_by_label("Find a person or case").fill("fati 1998")
    search.get_by_role("button", name="Search").click()

    expect(page.get_by_role("link", name=mine.reference, exact=True)).to_be_visible()
    expect(page.get_by_text(other_year.reference)).to_have_count(0)
    expect(page.get_by_text(theirs.reference)).to_have_count(0)
    page.get_by_role("link", name=mine.reference, exact=True).click()
    page.wait_for_url(CASE_DETAIL_URL)
    expect(page.get_by_role("heading", level=1)).to_contain_text(mine.reference)


def test_a_person_of_another_mission_is_never_found(sign_in, caseworker_a, mission_a, mission_b):
    theirs = factories.CaseFactory(mission=mission_b, person__given_name="Olena")
    page = sign_in(caseworker_a)

    search = page.get_by_role("search")
    search.get_by_label("Find a person or case").fill("olena")
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_text(NO_MATCH)).to_be_visible()
    expect(page.get_by_text(theirs.reference)).to_have_count(0)
    search = page.get_by_role("search")
    search.get_by_label("Find a person or case").fill(theirs.reference)
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_text(NO_MATCH)).to_be_visible()
    expect(page.get_by_text(theirs.reference)).to_have_count(0)
