"""Closure pages: the case page's panel, the request form, the decision, reopening, the queue."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from cases.forms import REFERRAL_CONFIRM_MESSAGE
from cases.models import CaseClosureRequest
from cases.services import (
    COMMENT_REQUIRED_MESSAGE,
    RETURN_COMMENT_REQUIRED_MESSAGE,
    SELF_APPROVAL_MESSAGE,
    STALE_VERSION_MESSAGE,
)
from cases.vocabularies import CaseStatus
from tests import factories
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("cases:closure_queue")


def detail_url(case) -> str:
    return reverse("cases:detail", kwargs={"case_id": case.pk})


def request_url(case) -> str:
    return reverse("cases:closure_request", kwargs={"case_id": case.pk})


def decide_url(closure) -> str:
    return reverse("cases:closure_decide", kwargs={"closure_request_id": closure.pk})


def reopen_url(case) -> str:
    return reverse("cases:reopen", kwargs={"case_id": case.pk})


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def active_case(mission_a, caseworker_a):
    return factories.ActiveCaseFactory(mission=mission_a, assigned_to=caseworker_a)


@pytest.fixture
def pending(active_case, caseworker_a):
    return factories.CaseClosureRequestFactory(
        case=active_case, requested_by=caseworker_a, comment="No contact since March."
    )


@pytest.fixture
def closed(mission_a):
    return factories.ClosedCaseFactory(mission=mission_a)


def request_form(case, **overrides) -> dict:
    return {
        "closure-version": case.version,
        "closure-reason": "LostContact",
        "closure-comment": "",
        **overrides,
    }


# The case page's panel


def test_open_case_shows_the_request_form_to_its_caseworker(client_for, caseworker_a, active_case):
    page = html(client_for(caseworker_a).get(detail_url(active_case)))

    assert f'action="{request_url(active_case)}"' in page


def test_pending_request_is_shown_with_no_new_form(client_for, caseworker_a, pending):
    page = html(client_for(caseworker_a).get(detail_url(pending.case)))

    assert f'action="{request_url(pending.case)}"' not in page
    assert "No contact since March." in page
    assert decide_url(pending) not in page


def test_central_admin_is_offered_the_decision(client_for, central_admin, pending):
    page = html(client_for(central_admin).get(detail_url(pending.case)))

    assert decide_url(pending) in page


def test_requesting_admin_is_not_offered_the_decision(client_for, central_admin, active_case):
    closure = factories.CaseClosureRequestFactory(case=active_case, requested_by=central_admin)

    page = html(client_for(central_admin).get(detail_url(active_case)))

    assert decide_url(closure) not in page


def test_closed_case_is_read_only_with_its_due_date(client_for, caseworker_a, closed):
    page = html(client_for(caseworker_a).get(detail_url(closed)))

    assert "read-only" in page
    assert closed.identity_removal_due_on.isoformat() in page
    assert reopen_url(closed) not in page
    assert request_url(closed) not in page


def test_closed_case_page_offers_no_registration_edit(client_for, caseworker_a, closed):
    page = html(client_for(caseworker_a).get(detail_url(closed)))

    assert reverse("cases:edit", kwargs={"case_id": closed.pk}) not in page


def test_open_case_page_offers_the_registration_edit(client_for, caseworker_a, active_case):
    page = html(client_for(caseworker_a).get(detail_url(active_case)))

    assert reverse("cases:edit", kwargs={"case_id": active_case.pk}) in page


def test_central_admin_can_reopen_a_closed_case_from_its_page(client_for, central_admin, closed):
    page = html(client_for(central_admin).get(detail_url(closed)))

    assert f'action="{reopen_url(closed)}"' in page


def test_returned_request_shows_its_comment_to_case_staff(
    client_for, caseworker_a, central_admin, active_case
):
    factories.CaseClosureRequestFactory(
        case=active_case,
        requested_by=caseworker_a,
        status="returned",
        decided_by=central_admin,
        return_comment="Try the family first.",
    )

    page = html(client_for(caseworker_a).get(detail_url(active_case)))

    assert "Try the family first." in page
    assert f'action="{request_url(active_case)}"' in page


# Requesting closure


def test_request_post_records_it_and_returns_to_the_case(client_for, caseworker_a, active_case):
    response = client_for(caseworker_a).post(request_url(active_case), request_form(active_case))

    assert response.status_code == 302
    assert response["Location"] == detail_url(active_case)
    assert CaseClosureRequest.objects.get().status == "pending"


def test_referral_needs_confirmation(client_for, caseworker_a, active_case):
    response = client_for(caseworker_a).post(
        request_url(active_case),
        request_form(active_case, **{"closure-reason": "ReferredToAnotherOrganisation"}),
    )

    assert response.context["form"].errors["confirm"] == [str(REFERRAL_CONFIRM_MESSAGE)]
    assert CaseClosureRequest.objects.count() == 0


def test_confirmed_referral_closes_the_case(client_for, caseworker_a, active_case):
    client_for(caseworker_a).post(
        request_url(active_case),
        request_form(
            active_case,
            **{"closure-reason": "ReferredToAnotherOrganisation", "closure-confirm": "on"},
        ),
    )

    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.CLOSED_REFERRED


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"closure-reason": ""}, "reason"),
        ({"closure-reason": "Bored"}, "reason"),
        ({"closure-comment": "x" * 2001}, "comment"),
        ({"closure-version": "abc"}, "version"),
        ({"closure-version": "0"}, "version"),
    ],
)
def test_request_bad_input_shows_field_errors_and_saves_nothing(
    client_for, caseworker_a, active_case, overrides, field
):
    response = client_for(caseworker_a).post(
        request_url(active_case), request_form(active_case, **overrides)
    )

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert CaseClosureRequest.objects.count() == 0


def test_other_reason_without_comment_shows_the_service_message_by_the_field(
    client_for, caseworker_a, active_case
):
    response = client_for(caseworker_a).post(
        request_url(active_case), request_form(active_case, **{"closure-reason": "Other"})
    )

    assert response.context["form"].errors["comment"] == [COMMENT_REQUIRED_MESSAGE]


def test_stale_request_is_refused_with_the_stale_message(client_for, caseworker_a, active_case):
    response = client_for(caseworker_a).post(
        request_url(active_case),
        request_form(active_case, **{"closure-version": active_case.version + 5}),
    )

    assert escape(STALE_VERSION_MESSAGE) in html(response)


def test_request_page_of_a_closed_case_says_it_is_closed(client_for, caseworker_a, closed):
    response = client_for(caseworker_a).get(request_url(closed))

    assert "read-only" in html(response)
    assert f'action="{request_url(closed)}"' not in html(response)


# Deciding


def test_decision_page_shows_the_comment(client_for, central_admin, pending):
    page = html(client_for(central_admin).get(decide_url(pending)))

    assert "No contact since March." in page
    assert f'action="{decide_url(pending)}"' in page


def test_approving_closes_the_case_and_returns_to_the_queue(client_for, central_admin, pending):
    response = client_for(central_admin).post(
        decide_url(pending), {"version": pending.version, "decision": "approve"}
    )

    pending.case.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, QUEUE_URL)
    assert pending.case.status == CaseStatus.CLOSED


def test_returning_without_a_comment_is_a_field_error(client_for, central_admin, pending):
    response = client_for(central_admin).post(
        decide_url(pending), {"version": pending.version, "decision": "return"}
    )

    pending.refresh_from_db()
    assert response.context["form"].errors["comment"] == [RETURN_COMMENT_REQUIRED_MESSAGE]
    assert pending.status == "pending"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"version": 1, "decision": "maybe"}, "decision"),
        ({"version": 1}, "decision"),
        ({"decision": "approve"}, "version"),
        ({"version": 1, "decision": "return", "comment": "x" * 2001}, "comment"),
    ],
)
def test_decision_bad_input_shows_field_errors(client_for, central_admin, pending, data, field):
    response = client_for(central_admin).post(decide_url(pending), data)

    pending.refresh_from_db()
    assert (response.status_code, field in response.context["form"].errors) == (200, True)
    assert pending.status == "pending"


def test_requester_gets_no_decision_form_and_a_post_is_refused(
    client_for, central_admin, active_case
):
    closure = factories.CaseClosureRequestFactory(case=active_case, requested_by=central_admin)
    client = client_for(central_admin)

    page = html(client.get(decide_url(closure)))
    response = client.post(decide_url(closure), {"version": closure.version, "decision": "approve"})

    closure.refresh_from_db()
    assert f'action="{decide_url(closure)}"' not in page
    assert escape(SELF_APPROVAL_MESSAGE) in html(response)
    assert closure.status == "pending"


# Reopening


def test_reopen_post_reopens_and_returns_to_the_case(client_for, central_admin, closed):
    response = client_for(central_admin).post(
        reopen_url(closed),
        {"reopen-version": closed.version, "reopen-reason": "NewAssistanceNeeds"},
    )

    closed.refresh_from_db()
    assert (response.status_code, closed.status) == (302, CaseStatus.ACTIVE)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reopen-version": 1, "reopen-reason": ""}, "reason"),
        ({"reopen-version": 1, "reopen-reason": "Whim"}, "reason"),
        ({"reopen-reason": "NewAssistanceNeeds"}, "version"),
        ({"reopen-version": 1, "reopen-reason": "Other"}, "comment"),
    ],
)
def test_reopen_bad_input_shows_field_errors(client_for, central_admin, closed, data, field):
    response = client_for(central_admin).post(reopen_url(closed), data)

    closed.refresh_from_db()
    assert (response.status_code, field in response.context["form"].errors) == (200, True)
    assert closed.status == CaseStatus.CLOSED


def test_reopen_page_of_an_open_case_says_so(client_for, central_admin, active_case):
    response = client_for(central_admin).get(reopen_url(active_case))

    assert f'action="{reopen_url(active_case)}"' not in html(response)


# The queue


def test_queue_lists_pending_requests_oldest_first_with_links(
    client_for, central_admin, mission_a, mission_b
):
    older = factories.CaseClosureRequestFactory(case__mission=mission_b)
    newer = factories.CaseClosureRequestFactory(case__mission=mission_a)

    page = html(client_for(central_admin).get(QUEUE_URL))

    assert page.index(decide_url(older)) < page.index(decide_url(newer))


def test_queue_filters_by_mission(client_for, central_admin, mission_a, mission_b):
    other = factories.CaseClosureRequestFactory(case__mission=mission_b)
    mine = factories.CaseClosureRequestFactory(case__mission=mission_a)

    page = html(client_for(central_admin).get(QUEUE_URL, {"mission": mission_a.pk}))

    assert decide_url(mine) in page
    assert decide_url(other) not in page


@pytest.mark.parametrize("mission", ["abc", "999999", "-1"])
def test_queue_invalid_filter_shows_an_error_and_no_rows(client_for, central_admin, mission):
    closure = factories.CaseClosureRequestFactory()

    response = client_for(central_admin).get(QUEUE_URL, {"mission": mission})

    assert "mission" in response.context["form"].errors
    assert decide_url(closure) not in html(response)


def test_queue_is_paginated(client_for, central_admin, settings):
    settings.HARBOUR_CASE_PAGE_SIZE = 2
    factories.CaseClosureRequestFactory.create_batch(3)

    response = client_for(central_admin).get(QUEUE_URL, {"page": 2})

    assert len(response.context["page_obj"].object_list) == 1


def test_queue_empty_state(client_for, central_admin):
    assert "No closure request is waiting" in html(client_for(central_admin).get(QUEUE_URL))


def test_queue_query_count_does_not_grow_with_rows(
    client_for, central_admin, django_assert_max_num_queries
):
    client = client_for(central_admin)
    factories.CaseClosureRequestFactory.create_batch(2)
    # Session, user, missions of the filter, count, the page, session save (3).
    with django_assert_max_num_queries(9 + SECOND_FACTOR_QUERIES) as few:
        client.get(QUEUE_URL)
    factories.CaseClosureRequestFactory.create_batch(20)

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(QUEUE_URL)


# The dashboard


def test_dashboard_shows_central_admins_the_counts(client_for, central_admin, pending, mission_a):
    factories.CaseFactory(mission=mission_a, retrafficked=True)

    response = client_for(central_admin).get(reverse("dashboard"))

    assert response.status_code == 200
    assert f"{QUEUE_URL}" in html(response)
    assert "?retrafficked=true" in html(response)


def test_dashboard_lists_a_caseworkers_returned_requests(
    client_for, caseworker_a, central_admin, active_case
):
    factories.CaseClosureRequestFactory(
        case=active_case, requested_by=caseworker_a, status="returned", decided_by=central_admin
    )

    page = html(client_for(caseworker_a).get(reverse("dashboard")))

    assert "Your returned closure requests" in page
    assert active_case.reference in page


def test_dashboard_drops_a_returned_request_once_a_new_one_is_made(
    client_for, caseworker_a, central_admin, active_case
):
    factories.CaseClosureRequestFactory(
        case=active_case, requested_by=caseworker_a, status="returned", decided_by=central_admin
    )
    factories.CaseClosureRequestFactory(case=active_case, requested_by=caseworker_a)

    page = html(client_for(caseworker_a).get(reverse("dashboard")))

    assert "Your returned closure requests" not in page


def test_closing_comes_last_on_the_case_page_after_the_work_it_ends(
    client_for, caseworker_a, active_case
):
    page = html(client_for(caseworker_a).get(detail_url(active_case)))

    closure = page.index('id="closure-heading"')
    assert page.index('id="screening-summary-title"') < closure
    assert closure == max(page.index(f'id="{heading}"') for heading in _panel_headings(page))


def _panel_headings(page: str) -> list[str]:
    return re.findall(r'<h2 id="([^"]+)"', page)
