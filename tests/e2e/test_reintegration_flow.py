"""Reintegration in a real browser: plan, assistance, two monitoring visits, then closure
requested by the caseworker and approved by a central administrator."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Case
from cases.views import CLOSURE_APPROVED_MESSAGE, CLOSURE_REQUESTED_MESSAGE
from cases.vocabularies import CaseStatus, ClosureReason
from reintegration.models import (
    EconomicReason,
    MonitoringVisit,
    PsychosocialReason,
    ReintegrationOption,
    SocialReason,
)
from reintegration.views import (
    ITEM_RECORDED_MESSAGE,
    PLAN_CREATED_MESSAGE,
    VISIT_RECORDED_MESSAGE,
)
from tests import factories
from tests.e2e.conftest import CSP_CONSOLE_MARKER

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def iso(days_from_today: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days_from_today)).isoformat()


def expect_message(page: Page, message) -> None:
    expect(page.locator(".messages")).to_contain_text(str(message))


def sign_out(page: Page, live_url: str) -> None:
    page.goto(live_url + reverse("dashboard"))
    page.get_by_role("button", name="Sign out").click()


def record_visit(page: Page, visit: MonitoringVisit, *, done: int, scores: tuple[int, int, int]):
    page.get_by_role("link", name="Record this visit").first.click()
    page.locator('input[name="done_date"]').fill(iso(done))
    page.locator('input[name="mode"][value="in_person"]').check()
    economic, social, psychosocial = scores
    page.locator(f'input[name="economic_score"][value="{economic}"]').check()
    page.locator('select[name="economic_reason"]').select_option(EconomicReason.IN_TRAINING)
    page.locator(f'input[name="social_score"][value="{social}"]').check()
    page.locator('select[name="social_reason"]').select_option(SocialReason.HOUSING_SECURE)
    page.locator(f'input[name="psychosocial_score"][value="{psychosocial}"]').check()
    page.locator('select[name="psychosocial_reason"]').select_option(
        PsychosocialReason.FAMILY_SUPPORT
    )
    page.get_by_role("button", name="Record the visit").click()
    expect_message(page, VISIT_RECORDED_MESSAGE)


def test_plan_assistance_two_visits_then_closure_approved(
    page: Page, live_server, sign_in, csp_violations
):
    mission = factories.MissionFactory(code="NPL", name="Mission Nepal", country="NPL")
    caseworker = factories.UserFactory(email="cw.npl@harbour.test")
    factories.MembershipFactory(user=caseworker, mission=mission)
    admin = factories.CentralAdminFactory(email="admin@harbour.test")
    case = factories.CaseFactory(
        mission=mission,
        assigned_to=caseworker,
        status=CaseStatus.ACTIVE,
        registered_on=timezone.localdate() - datetime.timedelta(days=300),
    )
    case_url = live_server.url + case.get_absolute_url()

    sign_in(caseworker)
    page.goto(case_url)
    # Local integration: no movement, so the schedule counts from the plan's start, which
    # lies far enough back for the 3- and 6-month visits to be due.
    page.get_by_role("link", name="Make the reintegration plan").click()
    page.locator('textarea[name="needs"]').fill("Stable income and housing.")
    page.locator('textarea[name="economic_goals"]').fill("Run a tailoring business.")
    page.locator('input[name="start_date"]').fill(iso(-200))
    page.get_by_role("button", name="Save the plan").click()
    expect_message(page, PLAN_CREATED_MESSAGE)
    visits = list(MonitoringVisit.objects.filter(plan__case=case).order_by("planned_date"))
    assert len(visits) == 3

    page.goto(case_url)
    page.get_by_role("link", name="Record assistance").click()
    page.locator('select[name="option"]').select_option(ReintegrationOption.BUSINESS_START_UP_GRANT)
    page.locator('input[name="provider"][value="iom"]').check()
    page.locator('input[name="amount"]').fill("450.00")
    page.locator('select[name="currency"]').select_option("USD")
    page.locator("form button[type=submit]").last.click()
    expect_message(page, ITEM_RECORDED_MESSAGE)

    page.goto(case_url)
    record_visit(page, visits[0], done=-105, scores=(2, 3, 2))
    page.goto(case_url)
    record_visit(page, visits[1], done=-15, scores=(4, 4, 3))
    page.goto(case_url)
    # Two scored visits: the chart draws a line per dimension.
    chart = page.locator("svg.monitoring-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("polyline")).to_have_count(3)

    closure = page.locator("form").filter(has=page.get_by_role("heading", name="Request closure"))
    closure.get_by_label("Reason for closure").select_option(ClosureReason.REINTEGRATION_COMPLETED)
    closure.get_by_role("button", name="Request closure").click()
    expect_message(page, CLOSURE_REQUESTED_MESSAGE % {"reference": case.reference})
    # The requester cannot approve their own request: no decision is offered here.
    expect(page.get_by_role("link", name="Approve or return this request")).to_have_count(0)
    sign_out(page, live_server.url)

    sign_in(admin)
    page.goto(live_server.url + reverse("cases:closure_queue"))
    page.get_by_role("link", name=case.reference).first.click()
    page.locator('input[name="decision"][value="approve"]').check()
    page.get_by_role("button", name="Record decision").click()
    expect_message(page, CLOSURE_APPROVED_MESSAGE % {"reference": case.reference})

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.identity_removal_due_on is not None
    page.goto(case_url)
    # Closed cases are read-only: nothing offers to record more reintegration work.
    expect(page.get_by_role("link", name="Record assistance")).to_have_count(0)
    expect(page.get_by_role("link", name="Record this visit")).to_have_count(0)
    assert Case.objects.get(pk=case.pk).closure_reason == ClosureReason.REINTEGRATION_COMPLETED
    assert [m for m in csp_violations if CSP_CONSOLE_MARKER in m] == []
