"""The privacy budget ledger: spending under a lock, refusals, periods, append-only."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.utils import DatabaseError
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from cases.models import AuditAction, AuditEvent
from config.errors import ApplicationError
from research_exports.models import PrivacyBudget, PrivacyLedgerEntry
from research_exports.privacy import ledger
from tests.factories import ResearcherFactory

pytestmark = pytest.mark.django_db


def spend(researcher, epsilon):
    with transaction.atomic():
        return ledger.budget_spend(
            researcher=researcher, epsilon=Decimal(str(epsilon)), extract_id=uuid.uuid4()
        )


def test_a_new_researcher_has_the_default_budget(researcher, settings):
    settings.HARBOUR_DP_EPSILON_PER_YEAR = 4.0
    assert ledger.budget_remaining(researcher=researcher) == Decimal(4)


def test_spending_is_recorded_in_the_ledger_and_audited(researcher):
    entry = spend(researcher, "1.5")
    assert entry.kind == PrivacyLedgerEntry.Kind.SPEND
    assert entry.remaining_after == Decimal("2.5")
    assert ledger.budget_remaining(researcher=researcher) == Decimal("2.5")
    event = AuditEvent.objects.get(action=AuditAction.PRIVACY_BUDGET_SPENT)
    assert event.actor == researcher
    assert event.object_id == str(entry.pk)
    assert set(event.detail) == {"extract", "year", "epsilon", "remaining"}


def test_a_request_over_the_budget_is_refused_with_what_is_left_and_spends_nothing(researcher):
    spend(researcher, 3)
    with pytest.raises(ledger.BudgetExceeded) as refused:
        spend(researcher, "1.5")
    assert "1" in refused.value.message and "1.5" in refused.value.message
    assert refused.value.status_code == 409
    assert ledger.budget_remaining(researcher=researcher) == Decimal(1)
    assert PrivacyLedgerEntry.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.PRIVACY_BUDGET_SPENT).count() == 1


def test_the_last_bit_of_budget_can_be_spent_exactly(researcher):
    spend(researcher, 3)
    spend(researcher, 1)
    assert ledger.budget_remaining(researcher=researcher) == Decimal(0)
    with pytest.raises(ledger.BudgetExceeded):
        spend(researcher, "0.01")


@pytest.mark.parametrize("bad", ["", "abc", "nan", "inf", "-1", "0", "0.001", "11", None, [1]])
def test_bad_epsilon_is_refused_and_nothing_written(researcher, bad):
    with pytest.raises(ApplicationError) as refused, transaction.atomic():
        ledger.budget_spend(researcher=researcher, epsilon=bad, extract_id=uuid.uuid4())
    assert "epsilon" in refused.value.errors
    assert not PrivacyLedgerEntry.objects.exists()
    assert not PrivacyBudget.objects.exists()


def test_only_researchers_spend(central_admin):
    with pytest.raises(ApplicationError), transaction.atomic():
        ledger.budget_spend(researcher=central_admin, epsilon=Decimal(1), extract_id=None)
    assert not PrivacyLedgerEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_spending_outside_a_transaction_is_a_programming_error():
    researcher = ResearcherFactory()
    with pytest.raises(RuntimeError):
        ledger.budget_spend(researcher=researcher, epsilon=Decimal(1), extract_id=None)
    assert not PrivacyLedgerEntry.objects.exists()


def test_budgets_reset_per_calendar_year(researcher, monkeypatch):
    monkeypatch.setattr(ledger, "current_year", lambda: 2025)
    spend(researcher, 4)
    with pytest.raises(ledger.BudgetExceeded):
        spend(researcher, 1)
    monkeypatch.setattr(ledger, "current_year", lambda: 2026)
    assert ledger.budget_remaining(researcher=researcher) == Decimal(4)
    spend(researcher, 4)
    assert ledger.budget_remaining(researcher=researcher, year=2025) == Decimal(0)
    assert PrivacyBudget.objects.filter(researcher=researcher).count() == 2


def test_admin_sets_a_budget_and_it_is_audited(central_admin, researcher):
    year = ledger.current_year()
    spend(researcher, 1)
    ledger.budget_set(actor=central_admin, researcher_id=researcher.pk, year=year, allowance="10")
    assert ledger.budget_remaining(researcher=researcher) == Decimal(9)
    entry = PrivacyLedgerEntry.objects.get(kind=PrivacyLedgerEntry.Kind.SET)
    assert entry.actor == central_admin and entry.remaining_after == Decimal(9)
    assert AuditEvent.objects.filter(action=AuditAction.PRIVACY_BUDGET_SET).count() == 1


def test_lowering_a_budget_below_what_was_spent_leaves_nothing(central_admin, researcher):
    spend(researcher, 3)
    ledger.budget_set(
        actor=central_admin, researcher_id=researcher.pk, year=ledger.current_year(), allowance=1
    )
    assert ledger.budget_remaining(researcher=researcher) == Decimal(0)
    with pytest.raises(ledger.BudgetExceeded):
        spend(researcher, "0.5")


@pytest.mark.parametrize(
    ("researcher_id", "year", "allowance", "field"),
    [
        ("x", 2026, 1, "researcher"),
        (None, 2026, 1, "researcher"),
        ("self", "abc", 1, "year"),
        ("self", 1800, 1, "year"),
        ("self", 2026, "-1", "allowance"),
        ("self", 2026, "lots", "allowance"),
        ("self", 2026, "1e9", "allowance"),
    ],
)
def test_bad_budget_input_is_refused_and_nothing_written(
    central_admin, researcher, researcher_id, year, allowance, field
):
    if researcher_id == "self":
        researcher_id = researcher.pk
    with pytest.raises(ApplicationError) as refused:
        ledger.budget_set(
            actor=central_admin, researcher_id=researcher_id, year=year, allowance=allowance
        )
    assert field in refused.value.errors
    assert not PrivacyBudget.objects.exists()
    assert not PrivacyLedgerEntry.objects.exists()


def test_a_budget_is_set_only_for_a_researcher(central_admin):
    with pytest.raises(ApplicationError) as refused:
        ledger.budget_set(
            actor=central_admin, researcher_id=central_admin.pk, year=2026, allowance=1
        )
    assert "researcher" in refused.value.errors


@pytest.mark.parametrize("user_fixture", ["researcher", "caseworker_a"])
def test_only_central_administrators_set_budgets(request, user_fixture, researcher):
    user = request.getfixturevalue(user_fixture)
    with pytest.raises(ApplicationError):
        ledger.budget_set(actor=user, researcher_id=researcher.pk, year=2026, allowance=100)
    assert not PrivacyBudget.objects.exists()


def test_the_ledger_is_append_only(researcher):
    entry = spend(researcher, 1)
    for statement in (
        "UPDATE research_exports_privacyledgerentry SET epsilon = 0 WHERE id = %s",
        "DELETE FROM research_exports_privacyledgerentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    entry.refresh_from_db()
    assert entry.epsilon == Decimal(1)


def test_the_database_refuses_a_negative_spend(researcher):
    spend(researcher, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PrivacyBudget.objects.filter(researcher=researcher).update(spent=-1)


def test_researchers_see_only_their_own_ledger(central_admin, researcher):
    other = ResearcherFactory()
    spend(researcher, 1)
    spend(other, 2)
    assert [e.researcher for e in ledger.ledger_list(user=researcher)] == [researcher]
    assert ledger.ledger_list(user=central_admin).count() == 2
    assert ledger.budget_list(user=researcher).get().researcher == researcher
    assert ledger.budget_list(user=central_admin).count() == 2


def test_caseworkers_see_no_ledger(caseworker_a, researcher):
    spend(researcher, 1)
    assert not ledger.ledger_list(user=caseworker_a).exists()
    assert not ledger.budget_list(user=caseworker_a).exists()


def test_ledger_lists_have_pinned_query_counts(django_assert_max_num_queries, central_admin):
    for _ in range(5):
        spend(ResearcherFactory(), "0.5")
    with django_assert_max_num_queries(1):
        rows = [(e.researcher.email, e.actor.email) for e in ledger.ledger_list(user=central_admin)]
    assert len(rows) == 5
    with django_assert_max_num_queries(1):
        budgets = [b.researcher.email for b in ledger.budget_list(user=central_admin)]
    assert len(budgets) == 5


class TestSpendingProperties(HypothesisTestCase):
    @given(requests=st.lists(st.decimals(min_value="0.01", max_value="3", places=2), max_size=12))
    @settings(max_examples=25, deadline=None)
    def test_spent_never_exceeds_the_allowance_and_refusals_spend_nothing(self, requests):
        researcher = ResearcherFactory()
        accepted = Decimal(0)
        for epsilon in requests:
            before = PrivacyLedgerEntry.objects.filter(researcher=researcher).count()
            try:
                spend(researcher, epsilon)
                accepted += epsilon
            except ledger.BudgetExceeded:
                after = PrivacyLedgerEntry.objects.filter(researcher=researcher).count()
                assert after == before
                assert epsilon > Decimal(4) - accepted
        assert accepted <= Decimal(4)
        assert ledger.budget_remaining(researcher=researcher) == Decimal(4) - accepted


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_requests_never_overspend():
    """Real PostgreSQL, one connection per thread: the row lock serialises the spends."""
    researcher = ResearcherFactory()
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def request() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                ledger.budget_spend(
                    researcher=researcher, epsilon=Decimal("0.3"), extract_id=uuid.uuid4()
                )
            outcome = "spent"
        except ledger.BudgetExceeded:
            outcome = "refused"
        except (DatabaseError, InternalError) as exc:  # pragma: no cover - would fail below
            outcome = f"error {type(exc).__name__}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=request) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 4.0 / 0.3: 13 spends fit (3.9), the other 7 are refused; nothing else happens.
    assert sorted(outcomes) == ["refused"] * 7 + ["spent"] * 13
    budget = PrivacyBudget.objects.get(researcher=researcher)
    assert budget.spent == Decimal("3.9")
    assert budget.remaining >= 0
    entries = PrivacyLedgerEntry.objects.filter(researcher=researcher).order_by("id")
    assert entries.count() == 13
    assert min(e.remaining_after for e in entries) == Decimal("0.1")
