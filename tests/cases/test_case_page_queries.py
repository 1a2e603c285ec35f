"""The case page costs a fixed, small number of queries whatever the case holds."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assistance.models import Movement, Provider
from tests import factories
from tests.second_factor import verified_login


def fill_case(case, *, user, admin, other_mission, organisation, n):
    """``n`` records of every kind the case page shows."""
    screening = factories.ApprovedScreeningFactory(case=case, created_by=user, reviewed_by=admin)
    for _ in range(n):
        factories.TraffickingEventFactory(screening=screening)
        factories.PerpetratorFactory(screening=screening)
        factories.AssistanceInterviewFactory(case=case, created_by=user)
        factories.AssistanceServiceFactory(
            case=case, created_by=user, provider=Provider.ORGANISATION, organisation=organisation
        )
        factories.ReferralFactory(case=case, created_by=user, organisation=organisation)
        movement = factories.MovementFactory(
            case=case, created_by=user, status=Movement.Status.CANCELLED
        )
        factories.MovementLegFactory(movement=movement)
        factories.MovementLegFactory(movement=movement)
        factories.TraffickingDetailChangeFactory(case=case, created_by=user)
        factories.TraffickingDetailChangeFactory(
            case=case,
            created_by=user,
            status="accepted",
            reviewed_by=admin,
            reviewed_at=timezone.now(),
        )
        factories.CaseAccessProposalFactory(
            case=case, mission=other_mission, proposed_by=user, status="declined"
        )
        factories.ReintegrationAssistanceFactory(case=case, created_by=user)
    factories.CaseMissionAccessFactory(case=case, mission=other_mission, granted_by=admin)
    factories.SupportPlanFactory(case=case, created_by=user)
    plan = factories.ReintegrationPlanFactory(case=case, created_by=user)
    for index in range(n):
        factories.MonitoringVisitFactory(
            plan=plan,
            created_by=user,
            status="done",
            planned_date=timezone.localdate() - datetime.timedelta(days=30 + index),
            done_date=timezone.localdate() - datetime.timedelta(days=29 + index),
            visited_by=user,
            mode="in_person",
            economic_score=3,
            social_score=4,
            psychosocial_score=2,
        )
        factories.MonitoringVisitFactory(plan=plan, created_by=user)
    factories.CaseClosureRequestFactory(case=case, requested_by=user, status="returned")


# The test wraps each request in its transaction, so the session save adds a SAVEPOINT and a
# RELEASE that a served request does not run (it commits instead): they are not counted.
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT")
# Session, user, memberships, case, audit row (lock and head, insert), the sections in one
# statement, the missions the sharing form offers, the session save.
CASE_PAGE_MAX_QUERIES = 12


def page_queries(client, case) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    assert response.status_code == 200
    return [
        query["sql"]
        for query in context.captured_queries
        if not query["sql"].startswith(TRANSACTION_CONTROL)
    ]


@pytest.fixture
def filled_cases(caseworker_a, central_admin, mission_a, mission_b):
    """A case with one record of every kind, and one with five."""
    organisation = factories.OrganisationFactory()
    cases = {}
    for n in (1, 5):
        case = factories.ActiveCaseFactory(mission=mission_a, assigned_to=caseworker_a)
        fill_case(
            case,
            user=caseworker_a,
            admin=central_admin,
            other_mission=mission_b,
            organisation=organisation,
            n=n,
        )
        cases[n] = case
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["caseworker", "central_admin"])
def test_the_case_page_costs_the_same_few_queries_with_1_or_5_of_everything(
    role, client, caseworker_a, central_admin, filled_cases
):
    verified_login(client, caseworker_a if role == "caseworker" else central_admin)
    page_queries(client, filled_cases[1])  # warm-up: first-request caches

    one = page_queries(client, filled_cases[1])
    five = page_queries(client, filled_cases[5])

    assert len(one) <= CASE_PAGE_MAX_QUERIES
    assert len(five) == len(one)


@pytest.mark.django_db
def test_the_case_page_shows_the_records_it_read_together(client, caseworker_a, filled_cases):
    verified_login(client, caseworker_a)
    case = filled_cases[5]

    html = client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()

    # Bounded lists show their limit and say there are more; the rest shows in full.
    assert html.count('href="/assistance/movements/') == 5
    assert html.count("monitoring-visit monitoring-done") == 5
    assert html.count("monitoring-visit monitoring-scheduled") == 5
    assert reverse("screening:detail", kwargs={"screening_id": case.screenings.get().pk}) in html
    assert "The last closure request" in html
