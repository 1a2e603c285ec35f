"""The extract request page in differentially private mode."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from research_exports.models import Extract, PrivacyLedgerEntry
from research_exports.privacy import build, dp, ledger
from tests import factories

pytestmark = pytest.mark.django_db

NEW = reverse("research:extract_new")
DP = {
    "dimensions": ["yearOfRegistration", "gender"],
    "year_from": "2020",
    "year_to": "2024",
    "file_format": "csv",
    "mode": "dp",
    "epsilon": "1",
    "mechanism": "laplace",
}


@pytest.fixture(autouse=True)
def dp_settings(settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    settings.HARBOUR_DP_EPSILON_PER_YEAR = 4.0


@pytest.fixture
def snapshot():
    return factories.MartSnapshotFactory()


def test_the_form_explains_epsilon_and_shows_the_budget_left(client_for, researcher, snapshot):
    html = client_for(researcher).get(NEW).content.decode()
    assert "Privacy budget left this year: ε = 4." in html
    assert 'name="epsilon"' in html


def test_a_dp_request_spends_and_the_page_shows_less_left(client_for, researcher, snapshot):
    client = client_for(researcher)
    response = client.post(NEW, DP)
    assert response.status_code == 302
    extract = Extract.objects.get()
    assert extract.mode == "dp"
    assert ledger.budget_remaining(researcher=researcher) == Decimal(3)
    assert "ε = 3." in client.get(NEW).content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"epsilon": "x"}, "epsilon"),
        ({"epsilon": ""}, "epsilon"),
        ({"mechanism": "uniform"}, "mechanism"),
        ({"mode": "exact"}, "mode"),
        ({"year_to": ""}, "year_from"),
        ({"epsilon": "5"}, None),
    ],
)
def test_bad_dp_input_is_shown_and_spends_nothing(client_for, researcher, snapshot, change, field):
    response = client_for(researcher).post(NEW, {**DP, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert (field in errors) if field else errors
    assert not Extract.objects.exists()
    assert not PrivacyLedgerEntry.objects.exists()


def test_the_result_page_shows_the_mechanism_and_margins(client_for, researcher, snapshot):
    extract = factories.ExtractFactory(
        requested_by=researcher,
        snapshot=snapshot,
        status=Extract.Status.SUCCEEDED,
        dimensions=["gender"],
        mode="dp",
        result={
            "dimensions": ["gender"],
            "mode": "dp",
            "rows": [{"values": ["Woman"], "count": 2, "margin": 4}],
            "row_totals": [],
            "column_totals": [],
            "grand_total": 2,
            "grand_margin": 4,
        },
        report={
            "snapshot": snapshot.pk,
            "mode": "dp",
            "mechanism": "laplace",
            "epsilon": 1.0,
            "delta": 0.0,
            "sensitivity": 1,
            "cell_margin_of_error": 4,
            "post_processing": "p",
            "totals": "t",
        },
    )
    html = (
        client_for(researcher)
        .get(reverse("research:extract_detail", kwargs={"extract_id": extract.pk}))
        .content.decode()
    )
    assert "± 4" in html
    assert "laplace" in html
    assert "Sensitivity" in html


def test_a_gaussian_request_from_the_form_spends_and_stores_delta(client_for, researcher, snapshot):
    response = client_for(researcher).post(
        NEW, {**DP, "mechanism": "gaussian", "delta": "0.000001"}
    )
    assert response.status_code == 302
    extract = Extract.objects.get()
    assert (extract.mechanism, extract.delta) == ("gaussian", 1e-6)
    assert ledger.budget_remaining(researcher=researcher) == Decimal(3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mechanism": "gaussian", "delta": ""}, build.DELTA_NEEDED_MESSAGE),
        ({"mechanism": "gaussian", "delta": "0"}, build.DELTA_NEEDED_MESSAGE),
        ({"mechanism": "laplace", "delta": "0.0001"}, build.DELTA_FOR_LAPLACE_MESSAGE),
        ({"mechanism": "gaussian", "delta": "0.5"}, build.DELTA_INVALID_MESSAGE),
        ({"mechanism": "gaussian", "delta": "-1e-6"}, build.DELTA_INVALID_MESSAGE),
        ({"mechanism": "gaussian", "delta": "abc"}, build.DELTA_INVALID_MESSAGE),
        ({"mechanism": "gaussian", "delta": "inf"}, build.DELTA_INVALID_MESSAGE),
    ],
)
def test_bad_delta_gets_a_clear_message_and_spends_nothing(
    client_for, researcher, snapshot, change, message
):
    response = client_for(researcher).post(NEW, {**DP, **change})
    assert response.status_code == 200
    expected = str(message % {"max": dp.DELTA_MAX}) if "%" in str(message) else str(message)
    assert response.context["form"].errors["delta"] == [expected]
    assert not Extract.objects.exists()
    assert not PrivacyLedgerEntry.objects.exists()


def test_the_form_explains_epsilon_in_plain_words_and_offers_gaussian(
    client_for, researcher, snapshot
):
    html = client_for(researcher).get(NEW).content.decode()
    assert "whether a given person is in the data" in html
    assert 'value="gaussian"' in html and 'name="delta"' in html
