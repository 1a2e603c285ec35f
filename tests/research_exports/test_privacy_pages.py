"""The privacy budget pages: a researcher's own budget and ledger; central administrators'
budgets, ledger and the confirmed form that sets a budget."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from cases.models import AuditAction, AuditEvent
from research_exports.models import PrivacyBudget, PrivacyLedgerEntry
from research_exports.privacy import ledger
from research_exports.privacy.views import BUDGET_SET_MESSAGE, PER_PAGE
from tests.factories import ResearcherFactory
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db

MINE = reverse("research:privacy")
ADMIN = reverse("research:privacy_admin")
ADMIN_LEDGER = reverse("research:privacy_admin_ledger")


@pytest.fixture(autouse=True)
def dp_settings(settings):
    settings.HARBOUR_DP_EPSILON_PER_YEAR = 4.0


def spend(researcher, epsilon):
    with transaction.atomic():
        return ledger.budget_spend(
            researcher=researcher, epsilon=Decimal(str(epsilon)), extract_id=uuid.uuid4()
        )


# ---------------------------------------------------------------------------- researcher


def test_a_researcher_sees_the_budget_left_and_their_ledger(client_for, researcher):
    spend(researcher, "1.5")
    html = client_for(researcher).get(MINE).content.decode()
    assert '<dd class="privacy-remaining">ε = 2.5</dd>' in html
    assert "Spent on an extract" in html


def test_a_researcher_sees_only_their_own_ledger(client_for, researcher):
    other = ResearcherFactory(email="other-researcher@harbour.test")
    spend(other, "3")
    response = client_for(researcher).get(MINE)
    assert list(response.context["page_obj"]) == []
    assert "other-researcher@harbour.test" not in response.content.decode()
    assert '<dd class="privacy-remaining">ε = 4</dd>' in response.content.decode()


def test_the_researcher_ledger_is_paginated_with_a_pinned_query_count(
    client_for, researcher, django_assert_max_num_queries
):
    for _ in range(PER_PAGE + 3):
        spend(researcher, "0.01")
    client = client_for(researcher)
    client.get(MINE)  # the session is loaded once
    # Session and user, the budgets, the ledger's count and page, the session's save (3).
    with django_assert_max_num_queries(8 + SECOND_FACTOR_QUERIES):
        response = client.get(MINE)
    assert len(response.context["page_obj"]) == PER_PAGE
    assert len(client.get(MINE, {"page": 2}).context["page_obj"]) == 3
    # A page number that is not one gives a page, never an error.
    assert client.get(MINE, {"page": "x"}).status_code == 200


# ---------------------------------------------------------------------------- administrator


def test_an_admin_sees_every_budget_and_filters_them(client_for, central_admin, researcher):
    other = ResearcherFactory(email="other-researcher@harbour.test")
    spend(researcher, "1")
    spend(other, "2")
    client = client_for(central_admin)
    assert len(client.get(ADMIN).context["page_obj"]) == 2
    filtered = client.get(ADMIN, {"researcher": other.pk})
    assert [b.researcher_id for b in filtered.context["page_obj"]] == [other.pk]


@pytest.mark.parametrize("query", [{"researcher": "abc"}, {"year": "x"}, {"year": "99999"}])
def test_bad_filters_show_errors_and_no_rows(client_for, central_admin, researcher, query):
    spend(researcher, "1")
    response = client_for(central_admin).get(ADMIN, query)
    assert response.status_code == 200
    assert response.context["filter"].errors
    assert list(response.context["page_obj"]) == []


def test_the_admin_ledger_filters_by_researcher_and_kind(client_for, central_admin, researcher):
    other = ResearcherFactory()
    spend(researcher, "1")
    spend(other, "1")
    ledger.budget_set(actor=central_admin, researcher_id=other.pk, year=2030, allowance="2")
    client = client_for(central_admin)
    assert len(client.get(ADMIN_LEDGER).context["page_obj"]) == 3
    only = client.get(ADMIN_LEDGER, {"researcher": other.pk, "kind": "set"})
    assert [(e.researcher_id, e.kind) for e in only.context["page_obj"]] == [(other.pk, "set")]
    assert client.get(ADMIN_LEDGER, {"kind": "refund"}).context["filter"].errors


def test_admin_lists_have_pinned_query_counts(
    client_for, central_admin, django_assert_max_num_queries
):
    for _ in range(PER_PAGE + 2):
        spend(ResearcherFactory(), "0.5")
    client = client_for(central_admin)
    client.get(ADMIN)
    # Session, user and roles, the count and the page, the researchers of the two selects,
    # the session's save (3): the same for any number of rows.
    with django_assert_max_num_queries(10 + SECOND_FACTOR_QUERIES):
        budgets = client.get(ADMIN)
    assert len(budgets.context["page_obj"]) == PER_PAGE
    with django_assert_max_num_queries(10 + SECOND_FACTOR_QUERIES):
        entries = client.get(ADMIN_LEDGER)
    assert len(entries.context["page_obj"]) == PER_PAGE


def test_setting_a_budget_asks_for_confirmation_first(client_for, central_admin, researcher):
    spend(researcher, "1")
    body = {"researcher": researcher.pk, "year": ledger.current_year(), "allowance": "8"}
    response = client_for(central_admin).post(ADMIN, body)
    assert response.status_code == 200
    html = response.content.decode()
    assert "It is ε = 4 now, of which ε = 1 is spent." in html
    assert 'name="confirm"' in html
    assert PrivacyBudget.objects.get(researcher=researcher).allowance == Decimal(4)
    assert not PrivacyLedgerEntry.objects.filter(kind="set").exists()


def test_a_confirmed_budget_is_set_and_audited(client_for, central_admin, researcher):
    year = ledger.current_year()
    body = {"researcher": researcher.pk, "year": year, "allowance": "8", "confirm": "1"}
    response = client_for(central_admin).post(ADMIN, body, follow=True)
    assert str(BUDGET_SET_MESSAGE) in response.content.decode()
    assert ledger.budget_remaining(researcher=researcher, year=year) == Decimal(8)
    event = AuditEvent.objects.get(action=AuditAction.PRIVACY_BUDGET_SET)
    assert event.actor == central_admin and event.detail["allowance"] == "8.0000"


@pytest.mark.parametrize(
    "change",
    [
        {"allowance": "-1"},
        {"allowance": "abc"},
        {"allowance": "1e9"},
        {"allowance": ""},
        {"year": "1999"},
        {"year": "x"},
        {"researcher": "0"},
        {"researcher": "abc"},
    ],
)
def test_bad_budget_input_is_shown_and_nothing_is_set(
    client_for, central_admin, researcher, change
):
    body = {"researcher": researcher.pk, "year": 2030, "allowance": "5", "confirm": "1", **change}
    response = client_for(central_admin).post(ADMIN, body)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not PrivacyBudget.objects.exists()
    assert not PrivacyLedgerEntry.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.PRIVACY_BUDGET_SET).exists()


def test_a_budget_cannot_be_set_for_someone_who_is_not_a_researcher(
    client_for, central_admin, caseworker_a
):
    body = {"researcher": caseworker_a.pk, "year": 2030, "allowance": "5", "confirm": "1"}
    response = client_for(central_admin).post(ADMIN, body)
    assert "researcher" in response.context["form"].errors
    assert not PrivacyBudget.objects.exists()


def test_a_researcher_cannot_set_budgets(client_for, researcher):
    body = {"researcher": researcher.pk, "year": 2030, "allowance": "50", "confirm": "1"}
    assert client_for(researcher).post(ADMIN, body).status_code == 404
    assert not PrivacyBudget.objects.exists()
