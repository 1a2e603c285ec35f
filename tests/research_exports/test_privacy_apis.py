"""The privacy budget API and DP requests through the extract API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from research_exports.models import Extract, MartRow, PrivacyBudget, PrivacyLedgerEntry
from research_exports.privacy import ledger
from tests import factories

pytestmark = pytest.mark.django_db

COLLECTION = reverse("research_api:extract_collection")
BUDGET = reverse("research_api:privacy_budget")
LEDGER = reverse("research_api:privacy_ledger")
BUDGETS = reverse("research_api:privacy_budgets")
DP_REQUEST = {
    "dimensions": ["yearOfRegistration", "gender"],
    "year_from": 2020,
    "year_to": 2024,
    "file_format": "json",
    "mode": "dp",
    "epsilon": "1.5",
}


@pytest.fixture(autouse=True)
def dp_settings(settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    settings.HARBOUR_DP_EPSILON_PER_YEAR = 4.0


@pytest.fixture
def api():
    def _api(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _api


@pytest.fixture
def mart():
    snapshot = factories.MartSnapshotFactory()
    MartRow.objects.bulk_create(
        [
            factories.MartRowFactory.build(snapshot=snapshot, year_of_registration=2023)
            for _ in range(30)
        ]
    )
    return snapshot


def test_a_dp_request_through_the_api_spends_and_the_budget_shows_it(api, researcher, mart):
    client = api(researcher)
    assert client.get(BUDGET).json()["remaining"] == "4.0000"
    response = client.post(COLLECTION, DP_REQUEST, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["mode"] == "dp" and body["epsilon"] == "1.5000" and body["mechanism"] == "laplace"
    assert client.get(BUDGET).json()["remaining"] == "2.5000"
    entries = client.get(LEDGER).json()["results"]
    assert [e["epsilon"] for e in entries] == ["1.5000"]


def test_a_request_over_budget_is_refused_with_what_is_left(api, researcher, mart):
    client = api(researcher)
    client.post(COLLECTION, {**DP_REQUEST, "epsilon": "3"}, format="json")
    response = client.post(COLLECTION, {**DP_REQUEST, "epsilon": "2"}, format="json")
    assert response.status_code == 409
    assert "1" in response.json()["message"]
    assert Extract.objects.count() == 1
    assert client.get(BUDGET).json()["remaining"] == "1.0000"


@pytest.mark.parametrize(
    "change",
    [
        {"epsilon": "lots"},
        {"epsilon": ""},
        {"epsilon": "-1"},
        {"mode": "exact"},
        {"mechanism": "uniform"},
        {"delta": "2"},
        {"year_from": None},
        {"dimensions": ["recruiterRelation"]},
        {"epsilon": "1" * 30},
    ],
)
def test_bad_dp_requests_get_a_400_and_spend_nothing(api, researcher, mart, change):
    response = api(researcher).post(COLLECTION, {**DP_REQUEST, **change}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"]
    assert not Extract.objects.exists()
    assert not PrivacyLedgerEntry.objects.exists()


def test_researchers_see_only_their_own_ledger(api, researcher, mart):
    other = factories.ResearcherFactory()
    api(other).post(COLLECTION, DP_REQUEST, format="json")
    assert api(researcher).get(LEDGER).json()["results"] == []


def test_admin_sees_all_and_sets_a_budget(api, central_admin, researcher, mart):
    api(researcher).post(COLLECTION, DP_REQUEST, format="json")
    admin = api(central_admin)
    assert len(admin.get(LEDGER).json()["results"]) == 1
    response = admin.post(
        BUDGETS,
        {"researcher": str(researcher.pk), "year": str(ledger.current_year()), "allowance": "8"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["remaining"] == "6.5000"
    assert api(researcher).get(BUDGET).json()["remaining"] == "6.5000"
    listed = admin.get(BUDGETS).json()["results"]
    assert [b["researcher"] for b in listed] == [researcher.pk]


@pytest.mark.parametrize(
    "body",
    [
        {"researcher": "x", "year": "2026", "allowance": "1"},
        {"researcher": "self", "year": "old", "allowance": "1"},
        {"researcher": "self", "year": "2026", "allowance": "-3"},
        {"researcher": "self", "year": "2026"},
        {"researcher": "self", "year": "2026", "allowance": "1", "extra": "1"},
    ],
)
def test_bad_budget_input_gets_a_400_and_writes_nothing(api, central_admin, researcher, body):
    body = {k: (str(researcher.pk) if v == "self" else v) for k, v in body.items()}
    response = api(central_admin).post(BUDGETS, body, format="json")
    assert response.status_code == 400
    assert not PrivacyBudget.objects.exists()


def test_a_researcher_cannot_set_budgets(api, researcher):
    response = api(researcher).post(
        BUDGETS, {"researcher": str(researcher.pk), "year": "2026", "allowance": "100"}
    )
    assert response.status_code == 404
    assert ledger.budget_remaining(researcher=researcher) == Decimal(4)


def test_ledger_api_has_a_pinned_query_count(api, central_admin, django_assert_max_num_queries):
    for _ in range(5):
        researcher = factories.ResearcherFactory()
        from django.db import transaction

        with transaction.atomic():
            ledger.budget_spend(researcher=researcher, epsilon=Decimal(1), extract_id=None)
    client = api(central_admin)
    with django_assert_max_num_queries(4):
        response = client.get(LEDGER)
    assert len(response.json()["results"]) == 5
