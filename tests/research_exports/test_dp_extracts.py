"""Differentially private extracts: request spends budget, build publishes noisy counts."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cases.models import AuditAction, AuditEvent
from cases.vocabularies import country_codes
from research_exports import writers
from research_exports.extracts import extract_file_for_download, extract_path, extract_request
from research_exports.models import Extract, MartRow, PrivacyLedgerEntry
from research_exports.privacy import build as dp_build
from research_exports.privacy import dp, ledger
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def extract_dir(settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    settings.RESEARCH_THRESHOLD_K = 11
    settings.RESEARCH_ROUNDING_BASE = 1
    settings.RESEARCH_MIN_POPULATION = 100
    settings.HARBOUR_DP_EPSILON_PER_YEAR = 4.0
    return tmp_path


@pytest.fixture
def mart():
    snapshot = factories.MartSnapshotFactory()
    rows = []
    for year, gender, n in ((2023, "Woman", 60), (2023, "Man", 40), (2024, "Woman", 3)):
        rows += [
            factories.MartRowFactory.build(
                snapshot=snapshot,
                year_of_registration=year,
                gender=gender,
                exploitation_types=["Sexual", "Labour", "Other", "Begging"],
            )
            for _ in range(n)
        ]
    MartRow.objects.bulk_create(rows)
    return snapshot


def ask_dp(user, *, epsilon="1", dimensions=("yearOfRegistration", "gender"), **kwargs):
    return extract_request(
        actor=user,
        dimensions=list(dimensions),
        filters=kwargs.pop("filters", {"year_from": 2020, "year_to": 2024}),
        file_format=kwargs.pop("file_format", "csv"),
        mode="dp",
        epsilon=epsilon,
        **kwargs,
    )


def test_a_dp_request_spends_its_epsilon_in_the_same_transaction(researcher, mart):
    extract = ask_dp(researcher, epsilon="1.5")
    assert extract.mode == "dp" and extract.mechanism == "laplace"
    assert ledger.budget_remaining(researcher=researcher) == Decimal("2.5")
    entry = PrivacyLedgerEntry.objects.get()
    assert entry.extract_id == extract.pk
    requested = AuditEvent.objects.get(action=AuditAction.EXTRACT_REQUESTED)
    assert requested.detail["mode"] == "dp" and requested.detail["epsilon"] == "1.5000"


def test_a_request_over_budget_records_no_extract(researcher, mart):
    ask_dp(researcher, epsilon="3")
    with pytest.raises(ledger.BudgetExceeded):
        ask_dp(researcher, epsilon="2")
    assert Extract.objects.count() == 1
    assert ledger.budget_remaining(researcher=researcher) == Decimal(1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"epsilon": "abc"}, "epsilon"),
        ({"epsilon": None}, "epsilon"),
        ({"epsilon": "50"}, "epsilon"),
        ({"mechanism": "uniform"}, "mechanism"),
        ({"delta": "0.1"}, "delta"),
        ({"mechanism": "gaussian", "delta": 0}, "delta"),
        ({"delta": "x"}, "delta"),
        ({"filters": {}}, "year_from"),
        ({"filters": {"year_from": 1900, "year_to": 2024}}, "year_from"),
        ({"dimensions": ("recruiterRelation",)}, "dimensions"),
    ],
)
def test_bad_dp_input_is_refused_with_a_field_error_and_spends_nothing(
    researcher, mart, kwargs, field
):
    with pytest.raises(ValidationError) as refused:
        ask_dp(researcher, **kwargs)
    assert field in refused.value.message_dict
    assert not Extract.objects.exists()
    assert not PrivacyLedgerEntry.objects.exists()


def test_an_unknown_mode_is_refused(researcher, mart):
    with pytest.raises(ValidationError) as refused:
        extract_request(
            actor=researcher,
            dimensions=["gender"],
            filters={},
            file_format="csv",
            mode="exact",
        )
    assert "mode" in refused.value.message_dict


def test_dp_build_publishes_the_full_cube_with_margins(
    researcher, mart, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        extract = ask_dp(researcher, epsilon="4")
    extract.refresh_from_db()
    assert extract.status == Extract.Status.SUCCEEDED, extract.message
    levels = dp_build.levels_for("gender", {})
    assert len(extract.result["rows"]) == 5 * len(levels)  # the years 2020–2024 of one band
    assert all(row["count"] >= 0 and row["margin"] >= 1 for row in extract.result["rows"])
    # The small cell (3 women in 2024) is shown with its margin, not hidden.
    small = next(r for r in extract.result["rows"] if r["values"] == ["2024", "Woman"])
    assert small["count"] is not None
    total = sum(r["count"] for r in extract.result["rows"])
    assert extract.result["grand_total"] == total
    report = extract.report
    assert report["mode"] == "dp" and report["epsilon"] == 4.0 and report["delta"] == 0
    assert report["mechanism"] == "laplace" and report["sensitivity"] == 1
    assert report["cell_margin_of_error"] == small["margin"]
    with zipfile.ZipFile(extract_path(extract=extract)) as package:
        name = f"{writers.TABLE_NAME}.csv"
        lines = list(csv.reader(io.StringIO(package.read(name).decode("utf-8-sig"))))
    assert lines[0][-1] == "margin_of_error"


def test_dp_build_bounds_a_multi_valued_variable(
    researcher, mart, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        extract = ask_dp(researcher, epsilon="2", dimensions=("typeOfExploitation",), filters={})
    extract.refresh_from_db()
    assert extract.status == Extract.Status.SUCCEEDED, extract.message
    assert extract.report["sensitivity"] == 3
    # Non-additive total over a multi-valued variable is not published.
    assert extract.result["grand_total"] is None


def test_the_truncation_in_sql_keeps_the_first_values_in_code_order(researcher, mart):
    sql, params = dp_build.cell_count_sql(
        dimensions=["typeOfExploitation"],
        snapshot_id=mart.pk,
        filters={},
        policy={"suppressed_countries": []},
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counted = {values: n for values, n in cursor.fetchall()}
    kept = set(dp.truncate_values(["Sexual", "Labour", "Other", "Begging"]))
    assert set(counted) == kept
    assert all(n == 103 for n in counted.values())


def test_redownloading_spends_nothing(client, researcher, mart, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        extract = ask_dp(researcher, epsilon="1")
    before = ledger.budget_remaining(researcher=researcher)
    for _ in range(3):
        extract_file_for_download(user=researcher, extract_id=extract.pk)
    assert ledger.budget_remaining(researcher=researcher) == before
    assert PrivacyLedgerEntry.objects.count() == 1


def test_the_complement_filter_attack_in_dp_mode_costs_budget_and_then_stops(researcher, mart):
    """Issue 11 §3: differential privacy composes, so the complement attack (all
    citizenships, then all but one) is paid for from the budget instead of leaking, and is
    refused once the year's ε is spent; the refusal names what is left, never a count."""
    years = {"year_from": 2020, "year_to": 2024}
    codes = sorted(country_codes())
    everyone = ask_dp(researcher, epsilon="2", filters={**years, "citizenship": codes})
    all_but_one = ask_dp(
        researcher,
        epsilon="2",
        filters={**years, "citizenship": [c for c in codes if c != "NPL"]},
    )
    assert ledger.budget_remaining(researcher=researcher) == Decimal(0)
    spent = PrivacyLedgerEntry.objects.filter(kind=PrivacyLedgerEntry.Kind.SPEND)
    assert {e.extract_id for e in spent} == {everyone.pk, all_but_one.pk}
    with pytest.raises(ledger.BudgetExceeded) as refused:
        ask_dp(researcher, epsilon="0.01", filters=years)
    assert "ε = 0 is left" in refused.value.message
    assert not any(str(n) in refused.value.message for n in (60, 103))
    assert Extract.objects.count() == 2
