"""The CTDC file as historical research data: import, mart, extract = an independent count."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases.models import Case, Person
from cases.vocabularies import CaseStatus
from intake import messages
from intake.models import ImportJob
from research_exports.mart import mart_rebuild
from research_exports.models import MartSnapshot
from research_exports.releases import release_publish
from tests.research_exports.test_extracts import built, cells

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "fixtures" / "ctdc-2021-sample.csv"
K = 11

# CTDC 2021 labels -> the labels of the published variables (CTDC's 2024 codebook), written
# out here independently of the importer's mapping.
GENDER = {
    "Female": "Woman",
    "Male": "Man",
    "Transgender/NonConforming": "Trans/Transgender/NonConforming",
}
AGE = {"09--17": "9--17"}
MONTHS = {
    "0--12 (0-1 yr)": "0--12",
    "13--24 (1-2 yrs)": "13--24",
    "25--60 (2-5 yrs)": "25+",
    "61+ (5+ yrs)": "25+",
}


def _sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(newline="") as file:
        return list(csv.DictReader(file))


def independent_count(columns: list[str]) -> Counter:
    """A plain group-by of the file, every row (a blank year of registration is a group)."""
    counts: Counter = Counter()
    for row in _sample_rows():
        key = []
        for column in columns:
            value = row[column]
            if column == "gender":
                value = GENDER.get(value, "")
            elif column == "ageBroad":
                value = AGE.get(value, value)
            elif column == "traffickMonths":
                value = MONTHS.get(value, "")
            key.append(value)
        counts[tuple(key)] += 1
    return counts


@pytest.fixture(autouse=True)
def extract_settings(settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path / "extracts"
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    settings.RESEARCH_THRESHOLD_K = K
    settings.RESEARCH_ROUNDING_BASE = 1


@pytest.fixture
def imported(central_admin, mission_a):
    call_command(
        "import_cases",
        str(SAMPLE),
        "--format",
        "ctdc",
        "--source",
        "ctdc-2021",
        "--mission",
        mission_a.code,
        "--actor",
        central_admin.email,
    )
    return ImportJob.objects.get()


def test_ctdc_rows_become_closed_cases_without_identity(imported):
    rows = _sample_rows()
    without_year = sum(1 for row in rows if not row["yearOfRegistration"])
    assert without_year > 0, "the sample holds rows without a year of registration"
    assert imported.rows_imported == len(rows)
    assert imported.rows_invalid == 0
    undated = Case.objects.filter(registration_date_unknown=True)
    assert undated.count() == without_year
    assert set(undated.values_list("registered_on", flat=True)) == {timezone.localdate()}
    dated = Case.objects.filter(registration_date_unknown=False)
    assert {d.month for d in dated.values_list("registered_on", flat=True)} == {1}
    assert {p.given_name for p in Person.objects.all()} == {""}
    assert not Person.objects.exclude(blind_index="").exists()
    assert set(Case.objects.values_list("status", flat=True)) == {CaseStatus.CLOSED}


def test_reimporting_the_ctdc_file_adds_nothing(imported, central_admin, mission_a):
    before = Case.objects.count()
    call_command(
        "import_cases",
        str(SAMPLE),
        "--format",
        "ctdc",
        "--source",
        "ctdc-2021",
        "--mission",
        mission_a.code,
        "--actor",
        central_admin.email,
    )
    assert Case.objects.count() == before


@pytest.mark.parametrize(
    ("dimensions", "columns"),
    [
        (["gender"], ["gender"]),
        (["ageBroad"], ["ageBroad"]),
        (["yearOfRegistration"], ["yearOfRegistration"]),
        (["citizenship"], ["citizenship"]),
        # Two variables: citizenship x duration is too sparse on 3,000 rows (113 of its 144
        # non-empty cells hold 1-10 people), so gender x duration and gender x age stand in.
        (["gender", "traffickMonths"], ["gender", "traffickMonths"]),
        (["gender", "ageBroad"], ["gender", "ageBroad"]),
        (["CountryOfExploitation"], ["CountryOfExploitation"]),
    ],
)
def test_an_extract_reproduces_an_independent_count_of_the_file(
    imported, central_admin, researcher, django_capture_on_commit_callbacks, dimensions, columns
):
    snapshot = mart_rebuild(source=MartSnapshot.Source.SCHEDULE)
    assert snapshot.row_count == imported.rows_imported
    release_publish(actor=central_admin, name="CTDC 2021 sample")
    extract = built(researcher, django_capture_on_commit_callbacks, dimensions=dimensions)
    expected = independent_count(columns)

    published = cells(extract)
    assert published, "the extract has cells"
    shown = 0
    for key, count in published.items():
        truth = expected.get(key, 0)
        if 0 < truth < K:
            assert count is None, key
        if count is not None:
            assert count == truth, key
            shown += 1
    assert shown > 0
    # Every small group of the file is in the table, and hidden.
    for key, truth in expected.items():
        if 0 < truth < K:
            assert published.get(key, "absent") is None, key


def test_a_ctdc_file_with_identity_columns_is_refused(central_admin, mission_a, tmp_path):
    header = SAMPLE.read_text().splitlines()[0]
    bad = tmp_path / "ctdc.csv"
    bad.write_text(header + ",prs_FirstName\n2019,Female,21--23" + "," * 35 + ",Ana\n")
    with pytest.raises(Exception, match="does not know"):
        call_command(
            "import_cases",
            str(bad),
            "--format",
            "ctdc",
            "--mission",
            mission_a.code,
            "--actor",
            central_admin.email,
        )
    assert Case.objects.count() == 0
    assert ImportJob.objects.get().failure == messages.UNKNOWN_COLUMN


def test_the_case_page_says_when_the_source_gave_no_registration_date(
    imported, central_admin, client_for
):
    undated = Case.objects.filter(registration_date_unknown=True).first()
    dated = Case.objects.filter(registration_date_unknown=False).first()
    client = client_for(central_admin)
    note = "the source record gives no registration date"
    assert note in client.get(f"/cases/{undated.pk}/").content.decode()
    assert note not in client.get(f"/cases/{dated.pk}/").content.decode()
