"""The estimate before spending: the page fragment, the no-JavaScript form button, the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from research_exports.models import Extract, MartRow, PrivacyLedgerEntry
from research_exports.privacy import build as dp_build
from research_exports.privacy import dp
from research_exports.privacy.estimate import (
    SUGGEST_PEOPLE_PER_CELL,
    coarse_population,
    suppression_hides_most,
)
from tests import factories

pytestmark = pytest.mark.django_db

NEW = reverse("research:extract_new")
ESTIMATE = reverse("research:extract_estimate")
API = reverse("research_api:privacy_estimate")
HTMX = {"HTTP_HX_REQUEST": "true"}
DP = {
    "dimensions": ["yearOfRegistration", "gender"],
    "year_from": "2020",
    "year_to": "2024",
    "file_format": "csv",
    "mode": "dp",
    "epsilon": "1",
    "mechanism": "laplace",
}
GENDERS = len(dp_build.levels_for("gender", {}))


@pytest.fixture(autouse=True)
def dp_settings(settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    settings.RESEARCH_THRESHOLD_K = 11
    settings.HARBOUR_DP_EPSILON_PER_YEAR = 4.0


@pytest.fixture
def snapshot():
    snapshot = factories.MartSnapshotFactory(row_count=30)
    MartRow.objects.bulk_create(
        [
            factories.MartRowFactory.build(snapshot=snapshot, year_of_registration=2023)
            for _ in range(30)
        ]
    )
    return snapshot


def expected_margin(epsilon=1.0, mechanism="laplace", delta=0.0):
    noise = dp.calibrate(epsilon=epsilon, sensitivity=1, mechanism=mechanism, delta=delta)
    return noise.cell_margin


def test_the_fragment_shows_cells_and_margin_and_spends_nothing(client_for, researcher, snapshot):
    response = client_for(researcher).get(ESTIMATE, DP, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f'<dd class="estimate-cells">{5 * GENDERS}</dd>' in html
    assert f"± {expected_margin()} people, 95 times out of 100" in html
    assert "leaving ε = 3." in html
    assert not Extract.objects.exists()
    assert not PrivacyLedgerEntry.objects.exists()


def test_the_estimate_reads_no_mart_row(client_for, researcher, snapshot):
    client = client_for(researcher)
    with CaptureQueriesContext(connection) as queries:
        client.get(ESTIMATE, DP, **HTMX)
    assert not [q for q in queries.captured_queries if "research_exports_martrow" in q["sql"]]


def test_the_estimate_is_the_same_whatever_the_data(client_for, researcher, snapshot):
    client = client_for(researcher)
    before = client.get(ESTIMATE, DP, **HTMX).content
    MartRow.objects.filter(snapshot=snapshot).delete()
    assert client.get(ESTIMATE, DP, **HTMX).content == before


def test_gaussian_estimate_states_delta(client_for, researcher, snapshot):
    params = {**DP, "mechanism": "gaussian", "delta": "0.000001"}
    html = client_for(researcher).get(ESTIMATE, params, **HTMX).content.decode()
    assert "δ = 0.000001" in html
    assert f"± {expected_margin(mechanism='gaussian', delta=1e-6)} people" in html


def test_an_epsilon_over_the_budget_is_said_before_requesting(client_for, researcher, snapshot):
    html = client_for(researcher).get(ESTIMATE, {**DP, "epsilon": "5"}, **HTMX).content.decode()
    assert "you have only ε = 4 left" in html


@pytest.mark.parametrize(
    "change",
    [
        {"dimensions": []},
        {"dimensions": ["nope"]},
        {"epsilon": "x"},
        {"epsilon": ""},
        {"year_from": "abc"},
        {"mechanism": "gaussian", "delta": ""},
        {"mode": "exact"},
    ],
)
def test_bad_input_gives_reasons_not_an_error(client_for, researcher, snapshot, change):
    response = client_for(researcher).get(ESTIMATE, {**DP, **change}, **HTMX)
    assert response.status_code == 200
    assert 'class="estimate-margin"' not in response.content.decode()
    assert not Extract.objects.exists()


def test_without_javascript_the_estimate_button_shows_it_on_the_form(
    client_for, researcher, snapshot
):
    response = client_for(researcher).post(NEW, {**DP, "estimate": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"± {expected_margin()} people, 95 times out of 100" in html
    assert 'name="epsilon"' in html
    assert not Extract.objects.exists()
    assert not PrivacyLedgerEntry.objects.exists()


def test_without_htmx_the_estimate_url_is_the_whole_form(client_for, researcher, snapshot):
    html = client_for(researcher).get(ESTIMATE, DP).content.decode()
    assert "<html" in html and 'name="epsilon"' in html and "estimate-margin" in html


def test_the_form_is_wired_for_the_live_estimate_without_sending_the_csrf_token(
    client_for, researcher, snapshot
):
    html = client_for(researcher).get(NEW).content.decode()
    assert f'hx-get="{ESTIMATE}"' in html
    assert 'hx-params="not csrfmiddlewaretoken"' in html


# ---------------------------------------------------------------------------- suggestion


@pytest.mark.parametrize(
    ("count", "coarse"),
    [
        (0, 0),
        (7, 7),
        (48_213, 40_000),
        (99_999, 90_000),
        (100_000, 100_000),
        (1_234_567, 1_000_000),
    ],
)
def test_the_population_is_coarsened_to_one_significant_figure(count, coarse):
    assert coarse_population(count) == coarse


def test_the_suggestion_follows_the_people_per_cell_rule():
    k, cells = 10, 10
    edge = SUGGEST_PEOPLE_PER_CELL * k * cells  # a round figure, so coarsening keeps it
    assert suppression_hides_most(cells=cells, row_count=edge - 1, threshold=k)
    assert not suppression_hides_most(cells=cells, row_count=edge, threshold=k)
    # Coarsening: every snapshot size in the same step gives the same answer.
    assert suppression_hides_most(cells=cells, row_count=2 * edge - 1, threshold=k) == (
        suppression_hides_most(cells=cells, row_count=edge, threshold=k)
    )
    assert not suppression_hides_most(cells=None, row_count=1, threshold=k)


def test_a_small_population_for_many_cells_suggests_dp(client_for, researcher, snapshot):
    params = {**DP, "mode": "suppressed"}
    html = client_for(researcher).get(ESTIMATE, params, **HTMX).content.decode()
    assert "estimate-suggestion" in html


def test_a_large_population_does_not_suggest_dp(client_for, researcher, snapshot):
    snapshot.row_count = 1_000_000
    snapshot.save(update_fields=["row_count"])
    params = {**DP, "mode": "suppressed"}
    html = client_for(researcher).get(ESTIMATE, params, **HTMX).content.decode()
    assert "estimate-suggestion" not in html
    assert f'<dd class="estimate-cells">{5 * GENDERS}</dd>' in html


def test_filters_do_not_change_the_suggestion(client_for, researcher, snapshot):
    client = client_for(researcher)
    base = {**DP, "mode": "suppressed"}
    narrowed = {**base, "citizenship": ["NPL"]}
    assert ("estimate-suggestion" in client.get(ESTIMATE, base, **HTMX).content.decode()) == (
        "estimate-suggestion" in client.get(ESTIMATE, narrowed, **HTMX).content.decode()
    )


# ---------------------------------------------------------------------------- API


@pytest.fixture
def api(researcher):
    client = APIClient()
    client.force_authenticate(researcher)
    return client


def test_the_api_estimate(api, snapshot):
    body = {**DP, "year_from": 2020, "year_to": 2024, "epsilon": "2"}
    response = api.post(API, body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["cells"] == 5 * GENDERS
    assert data["cell_margin"] == expected_margin(2.0)
    assert data["sensitivity"] == 1 and data["mechanism"] == "laplace"
    assert data["budget_remaining"] == "4.0000"
    assert not PrivacyLedgerEntry.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"epsilon": "abc"},
        {"epsilon": "50"},
        {"dimensions": ["nope"]},
        {"mechanism": "gaussian", "delta": "0"},
        {"mechanism": "laplace", "delta": "0.0001"},
        {"delta": "nan"},
        {"unknown": 1},
        {"year_to": None},
    ],
)
def test_bad_api_estimates_get_a_400(api, snapshot, change):
    body = {**DP, "year_from": 2020, "year_to": 2024, **change}
    response = api.post(API, body, format="json")
    assert response.status_code == 400
    assert "message" in response.json()
    assert not PrivacyLedgerEntry.objects.exists()
