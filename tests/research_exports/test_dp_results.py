"""What a DP extract shows and writes (mode, ε, δ, mechanism, sensitivity, error bars), and
what a failed DP build does with the ε it was given."""

from __future__ import annotations

import io
import threading
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from research_exports import extracts, writers
from research_exports.extracts import extract_build, extract_path, extract_request, extract_retry
from research_exports.models import Extract, MartRow, PrivacyLedgerEntry
from research_exports.privacy import ledger
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def dp_settings(settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    settings.HARBOUR_DP_EPSILON_PER_YEAR = 4.0


@pytest.fixture
def mart():
    snapshot = factories.MartSnapshotFactory()
    MartRow.objects.bulk_create(
        [
            factories.MartRowFactory.build(
                snapshot=snapshot, year_of_registration=2020 + i % 5, gender="Woman"
            )
            for i in range(40)
        ]
    )
    return snapshot


def request_dp(user, *, file_format="csv", mechanism="laplace", delta=0):
    return extract_request(
        actor=user,
        dimensions=["yearOfRegistration", "gender"],
        filters={"year_from": 2020, "year_to": 2024},
        file_format=file_format,
        mode="dp",
        epsilon="2",
        mechanism=mechanism,
        delta=delta,
    )


def built(user, django_capture_on_commit_callbacks, **kwargs) -> Extract:
    with django_capture_on_commit_callbacks(execute=True):
        extract = request_dp(user, **kwargs)
    extract.refresh_from_db()
    assert extract.status == Extract.Status.SUCCEEDED, extract.message
    return extract


def test_the_xlsx_report_sheet_states_the_mechanism(
    researcher, mart, django_capture_on_commit_callbacks
):
    extract = built(
        researcher,
        django_capture_on_commit_callbacks,
        file_format="xlsx",
        mechanism="gaussian",
        delta="0.000001",
    )
    with zipfile.ZipFile(extract_path(extract=extract)) as package:
        text = package.read("disclosure_report.txt").decode()
        workbook = io.BytesIO(package.read(f"{writers.TABLE_NAME}.xlsx"))
    sheet = load_workbook(workbook)["disclosure_report"]
    lines = [row[0] for row in sheet.iter_rows(values_only=True) if row[0]]
    for body in (text, "\n".join(lines)):
        assert "Mechanism: gaussian." in body
        assert "ε = 2.0, δ = 1e-06" in body
        assert "one person can change at most 1 cells" in body
        assert f"within ± {extract.report['cell_margin_of_error']} of the true count" in body
        # Nothing of the suppression policy, which does not apply to this table.
        assert "Threshold" not in body


def test_the_result_page_shows_margins_of_totals_and_error_bars(
    client_for, researcher, mart, django_capture_on_commit_callbacks
):
    extract = built(researcher, django_capture_on_commit_callbacks)
    html = (
        client_for(researcher)
        .get(reverse("research:extract_detail", kwargs={"extract_id": extract.pk}))
        .content.decode()
    )
    assert f"± {extract.result['grand_margin']}</small>" in html
    for total in extract.result["row_totals"]:
        assert f"± {total['margin']}</small>" in html
    assert 'class="chart-error"' in html
    assert "Noise scale" in html and "laplace" in html and "Sensitivity" in html


def test_a_failed_dp_build_keeps_its_epsilon_and_a_retry_spends_nothing_more(
    researcher, mart, monkeypatch, settings, django_capture_on_commit_callbacks
):
    """The documented rule: ε is spent at request time and is not refunded when the build
    fails; a failed extract can be retried for free, and it is released at most once."""
    settings.RESEARCH_EXTRACT_MAX_ATTEMPTS = 1

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(extracts.dp_build, "build", broken)
    extract = request_dp(researcher)
    extract_build(extract_id=extract.pk)
    extract.refresh_from_db()
    assert extract.status == Extract.Status.FAILED
    assert extract.result is None
    assert ledger.budget_remaining(researcher=researcher) == Decimal(2)

    monkeypatch.undo()
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    with django_capture_on_commit_callbacks(execute=True):
        extract_retry(actor=researcher, extract_id=extract.pk)
    extract.refresh_from_db()
    assert extract.status == Extract.Status.SUCCEEDED
    assert ledger.budget_remaining(researcher=researcher) == Decimal(2)
    assert PrivacyLedgerEntry.objects.filter(kind=PrivacyLedgerEntry.Kind.SPEND).count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_dp_requests_through_the_service_never_overspend(monkeypatch):
    """The whole request path (validation, quota lock, extract row, spend) on real PostgreSQL,
    one connection per thread: the budget never goes below zero and each refused request
    leaves neither an extract nor a ledger entry."""
    monkeypatch.setattr(extracts, "_enqueue", lambda extract_id: None)
    researcher = factories.ResearcherFactory()
    mart = factories.MartSnapshotFactory()
    MartRow.objects.bulk_create(
        [factories.MartRowFactory.build(snapshot=mart, year_of_registration=2021)]
    )
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one_request() -> None:
        try:
            barrier.wait()
            extract_request(
                actor=researcher,
                dimensions=["gender"],
                filters={},
                file_format="csv",
                mode="dp",
                epsilon="0.3",
            )
            outcome = "spent"
        except ledger.BudgetExceeded:
            outcome = "refused"
        except Exception as exc:
            outcome = f"error {type(exc).__name__}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one_request) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["spent"] * 13
    assert Extract.objects.filter(requested_by=researcher).count() == 13
    assert PrivacyLedgerEntry.objects.filter(researcher=researcher).count() == 13
    assert ledger.budget_remaining(researcher=researcher) == Decimal("0.1")
