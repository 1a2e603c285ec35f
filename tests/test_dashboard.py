import pytest
from django.urls import reverse

from cases.vocabularies import CaseStatus
from config.views import MY_CASES_SHOWN
from tests import factories
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db

URL = reverse("dashboard")


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_caseworker_sees_own_open_assigned_cases(client_for, caseworker_a, mission_a, case_a):
    factories.CaseFactory(mission=mission_a, assigned_to=caseworker_a, status=CaseStatus.CLOSED)
    factories.CaseFactory(mission=mission_a, assigned_to=None)

    response = client_for(caseworker_a).get(URL)

    assert [row["case"] for row in response.context["my_cases"]] == [case_a]


def test_caseworker_counts_cover_only_own_missions(client_for, caseworker_a, case_a, case_b):
    response = client_for(caseworker_a).get(URL)

    table = response.context["status_table"]
    assert [row["mission_code"] for row in table] == [case_a.mission.code]
    assert table[0]["total"] == 1


def test_caseworker_dashboard_has_no_other_mission_reference(
    client_for, caseworker_a, case_a, case_b
):
    html = client_for(caseworker_a).get(URL).content.decode()

    assert case_a.reference in html
    assert case_b.reference not in html
    assert case_b.mission.code not in html


def test_long_my_cases_list_links_to_the_full_list(client_for, caseworker_a, mission_a):
    factories.CaseFactory.create_batch(
        MY_CASES_SHOWN + 1, mission=mission_a, assigned_to=caseworker_a
    )

    response = client_for(caseworker_a).get(URL)

    assert len(response.context["my_cases"]) == MY_CASES_SHOWN
    assert response.context["my_cases_more"] is True


def test_central_admin_sees_counts_by_mission_and_status(
    client_for, central_admin, mission_a, case_a, case_b
):
    factories.CaseFactory(mission=mission_a, status=CaseStatus.ACTIVE)

    response = client_for(central_admin).get(URL)

    table = {row["mission_code"]: row for row in response.context["status_table"]}
    counts = {cell["status"]: cell["count"] for cell in table["AAA"]["counts"]}
    assert counts[CaseStatus.SCREENING] == 1
    assert counts[CaseStatus.ACTIVE] == 1
    assert counts[CaseStatus.CLOSED] == 0
    assert table["AAA"]["total"] == 2
    assert table["BBB"]["total"] == 1


def test_central_admin_gets_a_link_to_the_audit_trail(client_for, central_admin):
    html = client_for(central_admin).get(URL).content.decode()

    assert reverse("cases:audit") in html


def test_researcher_sees_no_case_data(client_for, researcher, case_a, case_b):
    response = client_for(researcher).get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "status_table" not in response.context
    assert "my_cases" not in response.context
    assert case_a.reference not in html
    assert case_a.mission.code not in html
    assert reverse("cases:list") not in html


def test_dashboard_query_count_does_not_grow_with_cases(
    client_for, caseworker_a, mission_a, django_assert_max_num_queries
):
    client = client_for(caseworker_a)
    factories.CaseFactory.create_batch(30, mission=mission_a, assigned_to=caseworker_a)

    # Session, user, memberships, my cases, counts, session save (3); then the panels:
    # upcoming movements, their cases and services in progress (3), overdue visits (1),
    # returned closure requests (1).
    with django_assert_max_num_queries(13):
        client.get(URL)


TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT")
# Session, user, the session's second-factor device, memberships, counts, my cases, upcoming
# movements and their cases, services in progress, overdue visits, returned closure requests,
# the session save.
CASEWORKER_DASHBOARD_QUERIES = 11 + SECOND_FACTOR_QUERIES


def _dashboard_records(case, user, n):
    """``n`` rows for every panel of the caseworker's dashboard."""
    for _ in range(n):
        movement = factories.MovementFactory(case=case, created_by=user, status="cancelled")
        factories.MovementLegFactory(movement=movement)
        factories.AssistanceServiceFactory(case=case, created_by=user, status="in_progress")
        plan = factories.ReintegrationPlanFactory(
            case=factories.ActiveCaseFactory(mission=case.mission, assigned_to=user)
        )
        factories.MonitoringVisitFactory(plan=plan, status="overdue")
        factories.CaseClosureRequestFactory(
            case=factories.ActiveCaseFactory(mission=case.mission, assigned_to=user),
            requested_by=user,
            status="returned",
        )
    # One open movement per case: the upcoming one of this case.
    factories.MovementLegFactory(movement=factories.MovementFactory(case=case, created_by=user))


def _dashboard_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(URL).status_code == 200
    return len(
        [q for q in context.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]
    )


@pytest.mark.parametrize("n", [1, 5])
def test_caseworker_dashboard_costs_a_fixed_number_of_queries_with_every_panel_filled(
    n, client_for, caseworker_a, mission_a
):
    case = factories.ActiveCaseFactory(mission=mission_a, assigned_to=caseworker_a)
    _dashboard_records(case, caseworker_a, n)
    client = client_for(caseworker_a)
    client.get(URL)

    assert _dashboard_queries(client) == CASEWORKER_DASHBOARD_QUERIES
    html = client.get(URL).content.decode()
    services = reverse("assistance:services", kwargs={"case_id": case.pk})
    assert html.count(f'href="{services}') == n
    assert html.count('href="/assistance/movements/') == 1
