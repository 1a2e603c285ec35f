"""Direct assistance in a real browser: interview, services, a return planned and completed,
and the destination mission's caseworker continuing the case once both missions agree."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from assistance.models import (
    AssistanceService,
    Movement,
    MovementType,
    PersonWish,
    RiskLevel,
    ServiceCategory,
    ServiceSubType,
    TransportMeans,
    TravelDocumentStatus,
)
from assistance.profile_views import APPROVED_MESSAGE, PROPOSED_MESSAGE
from assistance.views import (
    INTERVIEW_RECORDED_MESSAGE,
    MOVEMENT_ASSESSED_MESSAGE,
    MOVEMENT_MOVED_MESSAGE,
    MOVEMENT_PLANNED_MESSAGE,
    SERVICE_DECLINED_MESSAGE,
    SERVICE_RECORDED_MESSAGE,
)
from cases.models import CaseAccessReason
from cases.vocabularies import CaseStatus
from tests import factories
from tests.e2e.conftest import CSP_CONSOLE_MARKER

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def iso(days_from_today: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days_from_today)).isoformat()


def expect_message(page: Page, message) -> None:
    expect(page.locator(".messages")).to_contain_text(str(message))


def record_service(page: Page, live_url: str, case, *, sub_type: str, status: str, cost="") -> None:
    page.goto(live_url + reverse("assistance:service_create", kwargs={"case_id": case.pk}))
    page.locator('select[name="category"]').select_option(ServiceCategory.RECEPTION)
    page.locator('select[name="sub_type"]').select_option(sub_type)
    page.locator('input[name="provider"][value="iom"]').check()
    page.locator('select[name="status"]').select_option(status)
    page.locator('input[name="start_date"]').fill(iso(-1))
    if cost:
        page.locator('input[name="cost"]').fill(cost)
        page.locator('select[name="currency"]').select_option("EUR")
    page.get_by_role("button", name="Record service").click()
    expect_message(page, SERVICE_RECORDED_MESSAGE)


def sign_out(page: Page, live_url: str) -> None:
    page.goto(live_url + reverse("dashboard"))
    page.get_by_role("button", name="Sign out").click()


def move_on(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    expect_message(page, MOVEMENT_MOVED_MESSAGE)


def test_interview_services_return_and_destination_mission_continues(
    page: Page, live_server, sign_in, csp_violations
):
    nepal = factories.MissionFactory(code="NPL", name="Mission Nepal", country="NPL")
    thailand = factories.MissionFactory(code="THA", name="Mission Thailand", country="THA")
    caseworker = factories.UserFactory(email="cw.npl@harbour.test")
    factories.MembershipFactory(user=caseworker, mission=nepal)
    receiving = factories.UserFactory(email="cw.tha@harbour.test")
    factories.MembershipFactory(user=receiving, mission=thailand)
    case = factories.CaseFactory(mission=nepal, assigned_to=caseworker, status=CaseStatus.ACTIVE)
    case_url = live_server.url + case.get_absolute_url()

    # Before anything is shared, the destination mission cannot see the case at all.
    sign_in(receiving)
    assert page.goto(case_url).status == 404
    sign_out(page, live_server.url)

    sign_in(caseworker)
    page.goto(case_url)
    page.get_by_role("link", name="Record an assistance interview").click()
    page.locator('input[name="interview_date"]').fill(iso(0))
    # The interview's own language field (the page also has the language switcher's select).
    page.locator('main select[name="language"]').select_option("th")
    page.locator('input[name="immediate_needs"][value="Shelter"]').check()
    page.locator(f'input[name="safety_risk_level"][value="{RiskLevel.MEDIUM}"]').check()
    page.locator('textarea[name="safety_risk_reasoning"]').fill("Recruiter knows the family.")
    page.locator(f'input[name="wish"][value="{PersonWish.RETURN}"]').check()
    page.get_by_role("button", name="Record interview").click()
    expect_message(page, INTERVIEW_RECORDED_MESSAGE)

    record_service(
        page,
        live_server.url,
        case,
        sub_type=ServiceSubType.FOOD_AND_WATER,
        status=AssistanceService.Status.IN_PROGRESS,
        cost="125.50",
    )
    record_service(
        page,
        live_server.url,
        case,
        sub_type=ServiceSubType.PHONE_CALL,
        status=AssistanceService.Status.PLANNED,
    )
    # The person declines the phone call: recorded, not an error.
    phone_call = AssistanceService.objects.get(case=case, sub_type=ServiceSubType.PHONE_CALL)
    page.goto(
        live_server.url + reverse("assistance:service_status", kwargs={"service_id": phone_call.pk})
    )
    page.locator(f'input[name="to_status"][value="{AssistanceService.Status.DECLINED}"]').check()
    page.get_by_role("button", name="Change status").click()
    expect_message(page, SERVICE_DECLINED_MESSAGE)

    # The services timeline, filtered by status, shows only what was declined.
    page.goto(live_server.url + reverse("assistance:services", kwargs={"case_id": case.pk}))
    page.locator('select[name="status"]').select_option(AssistanceService.Status.DECLINED)
    page.get_by_role("button", name="Apply filters").click()
    timeline = page.locator("#service-results")
    expect(timeline).to_contain_text("Phone call")
    expect(timeline).not_to_contain_text("Food and water")

    page.goto(case_url)
    page.get_by_role("link", name="Plan a movement").click()
    page.locator('select[name="movement_type"]').select_option(MovementType.VOLUNTARY_RETURN)
    page.locator('select[name="origin_country"]').select_option("NPL")
    page.locator('select[name="destination_country"]').select_option("THA")
    page.locator('select[name="travel_document_status"]').select_option(
        TravelDocumentStatus.LAISSEZ_PASSER
    )
    page.locator('select[name="reception_mission"]').select_option(str(thailand.pk))
    page.locator('select[name="legs-0-from_country"]').select_option("NPL")
    page.locator('input[name="legs-0-from_place"]').fill("Kathmandu")
    page.locator('select[name="legs-0-to_country"]').select_option("THA")
    page.locator('input[name="legs-0-to_place"]').fill("Bangkok")
    page.locator('input[name="legs-0-planned_date"]').fill(iso(7))
    page.locator('select[name="legs-0-transport_means"]').select_option(TransportMeans.AIR)
    page.locator('input[name="legs-0-escorted"]').check()
    page.get_by_role("button", name="Plan movement").click()
    expect_message(page, MOVEMENT_PLANNED_MESSAGE)

    page.locator('input[name="decision"][value="go"]').check()
    page.locator('textarea[name="reasoning"]').fill("Family assessed; safe to return.")
    page.get_by_role("button", name="Record assessment").click()
    expect_message(page, MOVEMENT_ASSESSED_MESSAGE)
    move_on(page, "Confirm the movement")
    move_on(page, "Record the departure")
    move_on(page, "Record the arrival")
    movement = Movement.objects.get(case=case)
    assert movement.status == Movement.Status.ARRIVED

    # The case's mission proposes that the destination mission continue the case.
    page.goto(case_url)
    propose = page.locator("#sharing form").filter(
        has=page.get_by_role("button", name="Propose", exact=True)
    )
    propose.get_by_label("Receiving mission").select_option(str(thailand.pk))
    propose.get_by_label("Reason").select_option(CaseAccessReason.RETURN_ARRIVED)
    propose.get_by_role("button", name="Propose", exact=True).click()
    expect_message(page, PROPOSED_MESSAGE)
    sign_out(page, live_server.url)

    # The destination mission sees the proposal, not the case, until it agrees.
    sign_in(receiving)
    assert page.goto(case_url).status == 404
    page.goto(live_server.url + reverse("assistance:sharing_awaiting"))
    page.get_by_role("link", name=case.reference).click()
    expect(page.locator("main")).not_to_contain_text(case.person.family_name)
    page.locator('input[name="decision"][value="approve"]').check()
    page.get_by_role("button", name="Record the decision").click()
    expect_message(page, APPROVED_MESSAGE)

    response = page.goto(case_url)
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    expect(page.locator("#movements-heading")).to_be_visible()
    assert [m for m in csp_violations if CSP_CONSOLE_MARKER in m] == []
