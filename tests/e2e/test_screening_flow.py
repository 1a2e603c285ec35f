"""The Screening Interview Form in a real browser: from the first section to an active case."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from cases.vocabularies import CaseStatus, ExploitationType, country_names
from screening import services
from screening.models import Screening
from screening.sections import SECTIONS
from screening.views import APPROVED_MESSAGE, DRAFT_SAVED_MESSAGE, SUBMITTED_MESSAGE
from tests.e2e.conftest import CSP_CONSOLE_MARKER, TIMEOUT_MS
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCALITY = "Pokhara"


def days_ago(days: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=days)).isoformat()


def section_heading(key: str) -> str:
    return f"{SECTIONS[key]['letter']}. {SECTIONS[key]['title']}"


def section_form(page: Page):
    return page.locator("#section-panel form")


def answer_yes_no(page: Page, question: str, answer: str) -> None:
    group = section_form(page).get_by_role("group", name=question, exact=True)
    group.get_by_label(answer, exact=True).check()


def save_with_htmx(page: Page, button: str) -> None:
    with page.expect_response(
        lambda response: (
            response.request.method == "POST"
            and response.request.headers.get("hx-request") == "true"
        )
    ):
        page.get_by_role("button", name=button, exact=True).click()


def save_and_continue_to(page: Page, next_section: str) -> None:
    save_with_htmx(page, "Save and continue")
    expect(page.get_by_role("heading", level=1)).to_have_text(section_heading(next_section))


def fill_interview(page: Page) -> None:
    form = section_form(page)
    form.get_by_label("Interview locality", exact=True).fill(LOCALITY)
    form.get_by_label("Interview language", exact=True).select_option("ne")
    answer_yes_no(page, "Interpreter used", "No")
    form.get_by_label("How the person came to the mission", exact=True).select_option(
        "Organisation"
    )
    form.get_by_label("Referring organisation type", exact=True).select_option("NGO")


def expect_interview_answers(page: Page) -> None:
    form = section_form(page)
    expect(form.get_by_label("Interview locality", exact=True)).to_have_value(LOCALITY)
    expect(form.get_by_label("Interview language", exact=True)).to_have_value("ne")
    interpreter = form.get_by_role("group", name="Interpreter used", exact=True)
    expect(interpreter.get_by_label("No", exact=True)).to_be_checked()
    expect(form.get_by_label("How the person came to the mission", exact=True)).to_have_value(
        "Organisation"
    )
    expect(form.get_by_label("Referring organisation type", exact=True)).to_have_value("NGO")


def fill_consent(page: Page) -> None:
    for yes in section_form(page).get_by_label("Yes", exact=True).all():
        yes.check()


def fill_person(page: Page) -> None:
    form = section_form(page)
    form.get_by_label("Gender", exact=True).select_option("Feminine")
    form.get_by_label("Birth year", exact=True).fill("1995")
    form.get_by_label("Citizenship(s)", exact=True).select_option(["NPL"])


def fill_recruitment(page: Page) -> None:
    form = section_form(page)
    form.get_by_label("Recruitment date", exact=True).fill(days_ago(400))
    form.get_by_label("Recruitment country", exact=True).select_option("NPL")
    methods = form.get_by_role("group", name="Methods of recruitment", exact=True)
    methods.get_by_label("Through friends or social events", exact=True).check()
    form.get_by_label("Relationship to recruiter", exact=True).select_option("Friend")


def fill_route(page: Page) -> None:
    form = section_form(page)
    form.get_by_label("Border crossing", exact=True).select_option("Irregular")
    for step, (event_type, country) in enumerate(
        [("Recruitment", "NPL"), ("Exploitation", "IND")], start=1
    ):
        row = form.get_by_role("group", name=f"Step {step}", exact=True)
        # Required fields: their label ends with a star that is hidden from the accessible name.
        row.get_by_role("combobox", name="Type", exact=True).select_option(event_type)
        row.get_by_role("combobox", name="Country", exact=True).select_option(country)


def fill_exploitation(page: Page) -> None:
    form = section_form(page)
    form.get_by_label("Countries of exploitation", exact=True).select_option(["IND"])
    form.get_by_label("Exploitation start", exact=True).fill(days_ago(300))
    form.get_by_label("Exploitation end", exact=True).fill(days_ago(30))
    industries = form.get_by_label("Forced-labour industries", exact=True)
    expect(industries).to_be_hidden()

    types = form.get_by_role("group", name="Types of exploitation", exact=True)
    types.get_by_label(str(ExploitationType.ForcedLabour.label), exact=True).check()

    expect(industries).to_be_visible()
    industries.select_option(["T_ActivitiesOfHouseholdsAsEmployers"])
    form.get_by_label("Means of control", exact=True).select_option(
        ["WithholdsDocuments", "DebtBondage"]
    )


def fill_exit(page: Page) -> None:
    form = section_form(page)
    form.get_by_label("How the situation ended", exact=True).select_option("Escaped")
    form.get_by_label("Exit date", exact=True).fill(days_ago(20))
    form.get_by_label("Identified by", exact=True).select_option("NGO")


def fill_determination(page: Page) -> None:
    form = section_form(page)
    form.get_by_label("Trafficking status", exact=True).select_option("ActualVictimOfTrafficking")
    form.get_by_label("Decision-making organisation", exact=True).select_option("NGO")
    form.get_by_label("Reasoning: the act", exact=True).fill("Recruited and moved across.")
    form.get_by_label("Reasoning: the means", exact=True).fill("Documents withheld, debt.")
    form.get_by_label("Reasoning: the purpose", exact=True).fill("Domestic servitude.")
    answer_yes_no(page, "Eligible for assistance", "Yes")


def case_status(page: Page):
    return page.get_by_role("region", name="Case", exact=True).locator(".status")


def test_screening_is_filled_submitted_and_approved_until_the_case_is_active(
    sign_in, live_server, caseworker_a, central_admin, case_a, csp_violations
):
    page = sign_in(caseworker_a)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_role("link", name=case_a.reference, exact=True).click()
    page.get_by_role("button", name="Start screening").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(section_heading("interview"))

    fill_interview(page)
    page.evaluate("() => { window.stillTheSamePage = true; }")
    save_with_htmx(page, "Save draft")

    expect(page.locator("#section-panel").get_by_role("status")).to_have_text(
        str(DRAFT_SAVED_MESSAGE)
    )
    assert page.evaluate("() => window.stillTheSamePage === true")
    expect_interview_answers(page)
    page.reload()
    expect_interview_answers(page)

    save_and_continue_to(page, "consent")
    for fill, next_section in [
        (fill_consent, "person"),
        (fill_person, "recruitment"),
        (fill_recruitment, "route"),
        (fill_route, "exploitation"),
        (fill_exploitation, "exit"),
        (fill_exit, "determination"),
    ]:
        fill(page)
        save_and_continue_to(page, next_section)
    fill_determination(page)
    submit_url = reverse("screening:submit", kwargs={"screening_id": Screening.objects.get().pk})
    save_with_htmx(page, "Save and continue")
    page.wait_for_url(f"{live_server.url}{submit_url}")

    page.get_by_role("button", name="Submit for review").click()

    page.wait_for_url(f"{live_server.url}{case_a.get_absolute_url()}")
    expect(page.get_by_role("status")).to_contain_text(str(SUBMITTED_MESSAGE))
    expect(case_status(page)).to_have_text(str(CaseStatus.PENDING_REVIEW.label))

    page.get_by_role("button", name="Sign out").click()
    page = sign_in(central_admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reviews").click()
    queue = page.get_by_role("table")
    expect(queue.get_by_role("link", name=case_a.reference, exact=True)).to_be_visible()
    queue_text = queue.inner_text()
    assert case_a.person.given_name not in queue_text
    assert case_a.person.family_name not in queue_text

    queue.get_by_role("link", name=case_a.reference, exact=True).click()
    page.get_by_label("Approve the determination").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text(str(APPROVED_MESSAGE))

    page.goto(f"{live_server.url}{case_a.get_absolute_url()}")
    expect(case_status(page)).to_have_text(str(CaseStatus.ACTIVE.label))
    route = page.get_by_role("region", name="Screening", exact=True).get_by_role(
        "list", name="Route, from origin to destination"
    )
    names = country_names()
    expect(route.get_by_role("listitem")).to_have_text([names["NPL"], names["IND"]])
    assert csp_violations == []


@pytest.fixture
def page_without_javascript(browser: Browser, csp_violations: list[str]) -> Page:
    context = browser.new_context(locale="en", java_script_enabled=False)
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


def test_section_saves_with_a_plain_post_without_javascript(
    page_without_javascript, live_server, caseworker_a, case_a, csp_violations
):
    screening = services.screening_start(actor=caseworker_a, case_id=case_a.pk)
    page = page_without_javascript
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    page.locator('input[name="username"]').fill(caseworker_a.email)
    page.locator('input[name="password"]').fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    section_url = reverse(
        "screening:section", kwargs={"screening_id": screening.pk, "section": "interview"}
    )
    page.goto(f"{live_server.url}{section_url}")

    fill_interview(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}{section_url}")
    expect(page.get_by_role("status")).to_have_text(str(DRAFT_SAVED_MESSAGE))
    page.reload()
    expect_interview_answers(page)
    screening.refresh_from_db()
    assert (screening.interview_locality, screening.referring_organisation_type) == (
        LOCALITY,
        "NGO",
    )
    assert csp_violations == []
