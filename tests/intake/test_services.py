import datetime
import json
from collections import Counter

import pytest
from django.db import connection

from cases import crypto
from cases.models import AuditAction, AuditEvent, Case, CaseStatusCount, Person
from cases.selectors import case_search
from cases.vocabularies import CaseStatus
from config.errors import ApplicationError
from intake import messages, services, storage
from intake.models import ImportedRecord, ImportJob
from intake.rejected import rejected_rows_csv
from screening.models import Screening, TraffickingEvent
from tests import factories
from tests.intake.conftest import HEADER, ROWS, csv_text, xlsx_bytes

pytestmark = pytest.mark.django_db


def _errors(job) -> set[tuple[str, str]]:
    return {(column, code) for _row, column, code in job.report["errors"]}


def test_a_valid_file_imports_people_cases_screenings_and_route(upload, run, mission_a):
    job = run(upload(csv_text(*ROWS)))

    assert job.status == ImportJob.Status.SUCCEEDED
    assert (job.rows_total, job.rows_imported, job.rows_invalid) == (2, 2, 0)
    record = ImportedRecord.objects.select_related("case__person").get(external_id="L-1")
    case = record.case
    assert (record.job_id, record.row_number, record.source) == (job.pk, 2, "legacy")
    assert case.mission == mission_a
    assert case.reference == "AAA-2024-00001"
    assert case.status == CaseStatus.ACTIVE
    assert case.person.given_name == "Amina"
    assert case.person.date_of_birth == datetime.date(1999, 5, 4)
    assert case.person.birth_year == 1999
    assert case.person.age_at_registration == 24
    assert case.person.citizenships == ["BGD", "IND"]
    assert case.person.blind_index == crypto.blind_index(
        given_name="Amina", family_name="Rahman", date_of_birth=datetime.date(1999, 5, 4)
    )
    screening = case.screenings.get()
    assert screening.status == Screening.Status.APPROVED
    assert screening.exploitation_types == ["ForcedLabour", "SexualExploitation"]
    assert screening.exploitation_months == 8
    assert screening.eligible_for_assistance is True
    assert list(screening.events.values_list("event_type", "country", "locality")) == [
        ("Recruitment", "BGD", "Dhaka"),
        ("Exploitation", "MYS", ""),
    ]
    # The second row has answers but no determination: its screening waits as a draft.
    second = ImportedRecord.objects.get(external_id="L-2").case
    assert second.status == CaseStatus.SCREENING
    assert second.screenings.get().status == Screening.Status.DRAFT


def test_imported_persons_are_found_by_name(upload, run):
    run(upload(csv_text(*ROWS)))

    found = case_search(queryset=Case.objects.all(), query="amina 1999")

    assert [c.person.given_name for c in found.select_related("person")] == ["Amina"]


def test_identity_is_encrypted_at_rest(upload, run):
    run(upload(csv_text(*ROWS)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT given_name, family_name, date_of_birth FROM cases_person")
        stored = json.dumps(cursor.fetchall())
    for plain in ("Amina", "Rahman", "1999-05-04", "Okello"):
        assert plain not in stored


def test_one_audit_event_with_counts_only(upload, run, central_admin):
    run(upload(csv_text(*ROWS)))
    event = AuditEvent.objects.get(action=AuditAction.CASES_IMPORTED)
    assert event.actor == central_admin
    assert event.detail["imported"] == 2
    assert event.detail["rows"] == 2
    assert "Amina" not in json.dumps(event.detail)
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_CREATED).exists()


def test_reimporting_the_same_file_changes_nothing(upload, run):
    run(upload(csv_text(*ROWS)))
    again = run(upload(csv_text(*ROWS)))
    assert (again.rows_existing, again.rows_imported) == (2, 0)
    assert Case.objects.count() == 2
    assert Screening.objects.count() == 2


def test_a_person_matching_an_existing_blind_index_is_reported_not_merged(upload, run):
    existing = factories.CaseFactory(
        person__given_name="Amina",
        person__family_name="Rahman",
        person__date_of_birth=datetime.date(1999, 5, 4),
    )
    existing.person.blind_index = crypto.blind_index(
        given_name="Amina", family_name="Rahman", date_of_birth=datetime.date(1999, 5, 4)
    )
    existing.person.save()
    job = upload(csv_text(*ROWS))
    assert job.rows_duplicate == 1
    assert job.report["duplicates"] == [2]
    run(job)
    assert Person.objects.filter(blind_index=existing.person.blind_index).count() == 2


BAD_CELLS = [
    # (column, bad value, reason) — one per kind of bad input the issue names
    ("prs_Birthdate", "4 May 1999", messages.NOT_A_DATE),
    ("prs_Gender", "Female", messages.UNKNOWN_CODE),
    ("vic_TypeOfExploitation", "ForcedLabour;Slavery", messages.UNKNOWN_CODE),
    ("prs_Citizenship", "XXX", messages.UNKNOWN_CODE),
    ("con_Consent", "maybe", messages.NOT_YES_NO),
    ("vic_ExploitationEndDate", "2022-01-01", messages.DATE_ORDER),
    ("prs_Birthdate", "2025-01-01", messages.DATE_ORDER),
    ("cas_RegistrationDate", "2999-01-01", messages.DATE_IN_FUTURE),
    ("prs_FirstName", '=HYPERLINK("http://x")', messages.FORMULA),
    ("prs_SecondName", "+1+2", messages.FORMULA),
    ("prs_MobilePhone", "-2+3", messages.FORMULA),
    ("prs_FirstName", "@SUM(A1)", messages.FORMULA),
    ("prs_Gender", "", messages.REQUIRED),
    # Only a historical record may lack its registration date.
    ("cas_RegistrationDate", "", messages.REQUIRED),
    # Answers that apply only after another answer (screening.conditions), as the service.
    ("vic_ForcedLabourIndustry", "F_Construction", messages.NOT_APPLICABLE["labour_industries"]),
    (
        "vic_TypeOfSexExploitation",
        "Prostitution",
        messages.NOT_APPLICABLE["sexual_exploitation_types"],
    ),
]


def _with_cell(column: str, value: str) -> str:
    header = (
        "external_id,cas_RegistrationDate,prs_FirstName,prs_SecondName,prs_Birthdate,"
        "prs_Gender,prs_Citizenship,con_Consent,vic_TypeOfExploitation,"
        "vic_ExploitationStartDate,vic_ExploitationEndDate,prs_MobilePhone,"
        "vic_ForcedLabourIndustry,vic_TypeOfSexExploitation"
    )
    values = dict.fromkeys(header.split(","), "")
    values.update(
        {
            "external_id": "X-1",
            "cas_RegistrationDate": "2024-03-01",
            "prs_FirstName": "Amina",
            "prs_Gender": "Feminine",
            "vic_ExploitationStartDate": "2023-01-01",
        }
    )
    values[column] = value
    row = ",".join(f'"{v}"' if "," in v or '"' in v else v for v in values.values())
    return csv_text(row.replace('"http://x"', '""http://x""'), header=header)


@pytest.mark.parametrize(("column", "value", "reason"), BAD_CELLS)
def test_each_bad_cell_is_reported_by_row_column_and_reason_and_nothing_is_written(
    upload, central_admin, column, value, reason
):
    job = upload(_with_cell(column, value))

    assert job.status == ImportJob.Status.VALIDATED
    assert job.rows_invalid == 1
    assert (2, column, reason) in {tuple(e) for e in job.report["errors"]}
    # The report names the column and the reason, never the value.
    if value:
        assert value not in json.dumps(job.report)
    with pytest.raises(ApplicationError) as refused:
        services.import_confirm(actor=central_admin, job_id=job.pk, enqueue=False)
    assert refused.value.code == messages.HAS_ERRORS
    assert Case.objects.count() == 0
    assert Person.objects.count() == 0


def test_a_duplicate_external_id_in_the_file_is_an_error(upload):
    job = upload(csv_text(ROWS[0], ROWS[0]))
    assert job.rows_invalid == 1
    assert [3, "external_id", messages.DUPLICATE_IN_FILE] in job.report["errors"]


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        ("external_id,prs_Nickname\nX,Y\n", "cases.csv", messages.UNKNOWN_COLUMN),
        (csv_text(*ROWS).encode("utf-16"), "cases.csv", messages.NOT_CSV_OR_XLSX),
        (
            csv_text(*ROWS).encode("utf-8") + "Zoë".encode("latin-1"),
            "cases.csv",
            messages.WRONG_ENCODING,
        ),
        (b"%PDF-1.4\n\x00\x01binary", "cases.pdf", messages.NOT_CSV_OR_XLSX),
        (csv_text(*ROWS), "cases.txt", messages.NOT_CSV_OR_XLSX),
        (b"PK\x03\x04not really a zip", "cases.xlsx", messages.NOT_CSV_OR_XLSX),
        (HEADER + "\n", "cases.csv", messages.NO_ROWS),
        ("a,a\n1,2\n", "cases.csv", messages.DUPLICATE_COLUMN),
    ],
)
def test_a_file_that_cannot_be_read_fails_with_a_clear_code_and_writes_nothing(
    upload, content, name, code, import_dir
):
    job = upload(content, name=name)
    assert job.status == ImportJob.Status.FAILED
    assert job.failure == code
    assert messages.message(code)
    assert Case.objects.count() == 0
    assert not storage.upload_exists(job.pk)


def test_an_oversized_file_is_refused_before_anything_is_stored(
    central_admin, mission_a, settings, import_dir
):
    settings.HARBOUR_IMPORT_MAX_BYTES = 100
    data = csv_text(*ROWS).encode()
    with pytest.raises(ApplicationError) as refused:
        services.import_job_create(
            actor=central_admin,
            mission=mission_a,
            format="htcds",
            source="legacy",
            file_name="big.csv",
            file_size=len(data),
            chunks=[data],
            enqueue=False,
        )
    assert refused.value.code == messages.FILE_TOO_LARGE
    assert ImportJob.objects.count() == 0
    assert not any(import_dir.glob("*")) if import_dir.exists() else True


def test_the_upload_is_stored_encrypted(upload, import_dir):
    job = upload(csv_text(*ROWS))
    stored = storage.upload_path(job.pk).read_bytes()
    assert b"Amina" not in stored
    assert job.file_name_hash == services.file_name_hash("cases.csv")


def test_an_xlsx_file_imports_with_dates_as_dates(upload, run):
    data = xlsx_bytes(
        [
            ["external_id", "cas_RegistrationDate", "prs_FirstName", "prs_Gender"],
            ["X-1", datetime.datetime(2024, 2, 1), "Lena", "Feminine"],
            ["X-2", "2024-02-02", "Omar", "Masculine"],
        ]
    )
    job = run(upload(data, name="cases.xlsx"))
    assert job.rows_imported == 2
    assert sorted(Case.objects.values_list("registered_on", flat=True)) == [
        datetime.date(2024, 2, 1),
        datetime.date(2024, 2, 2),
    ]


def test_an_xlsx_formula_is_refused(upload):
    data = xlsx_bytes(
        [
            ["external_id", "cas_RegistrationDate", "prs_FirstName", "prs_Gender"],
            ["X-1", "2024-02-01", "=1+1", "Feminine"],
        ]
    )
    job = upload(data, name="cases.xlsx")
    assert job.report["errors"] == [[2, "prs_FirstName", messages.FORMULA]]


def test_import_valid_rows_imports_them_and_returns_the_rejected_rows(upload, run, central_admin):
    bad = "L-3,2024-03-01,=cmd,Doe,,Feminine,,,,,,,,,,,,,,,"
    job = run(upload(csv_text(*ROWS, bad)), import_valid_rows=True)

    assert (job.status, job.rows_imported, job.rows_invalid) == ("succeeded", 2, 1)
    body = b"".join(rejected_rows_csv(actor=central_admin, job_id=job.pk)).decode("utf-8-sig")
    lines = body.splitlines()
    assert lines[0].startswith("harbour_row,harbour_errors,external_id")
    assert len(lines) == 2
    assert lines[1].startswith("4,prs_FirstName: formula,L-3,2024-03-01,'=cmd,Doe")
    # Delivered once: the upload is gone afterwards.
    assert not storage.upload_exists(job.pk)
    with pytest.raises(ApplicationError):
        rejected_rows_csv(actor=central_admin, job_id=job.pk)


def test_screening_as_draft_for_field_submissions(upload, run):
    job = run(upload(csv_text(ROWS[0]), screening_draft=True))
    case = Case.objects.get()
    assert job.rows_imported == 1
    assert case.status == CaseStatus.SCREENING
    assert case.screenings.get().status == Screening.Status.DRAFT


def test_a_not_eligible_determination_closes_the_case_as_referred(upload, run):
    row = "N-1,2024-03-01,Ana,,,Feminine,,,1,0,NotAVictimOfTrafficking,,,,,,,,,,"
    run(upload(csv_text(row)))
    case = Case.objects.get()
    assert case.status == CaseStatus.CLOSED_REFERRED
    assert case.identity_removal_due_on is not None


def test_not_a_victim_cannot_be_eligible(upload):
    header = (
        "external_id,cas_RegistrationDate,prs_FirstName,prs_Gender,vic_TraffickingStatus,"
        "vic_EligibleForAssistance"
    )
    job = upload(csv_text("N-1,2024-03-01,Ana,Feminine,NotAVictimOfTrafficking,1", header=header))
    assert _errors(job) == {("vic_EligibleForAssistance", messages.NOT_A_VICTIM_ELIGIBLE)}


def test_cancelling_a_running_import_writes_nothing(upload, central_admin):
    job = upload(csv_text(*ROWS))
    services.import_confirm(actor=central_admin, job_id=job.pk, enqueue=False)
    services.import_cancel(actor=central_admin, job_id=job.pk)
    job = services.import_run(job_id=job.pk)
    assert job.status == ImportJob.Status.CANCELLED
    assert Case.objects.count() == 0
    assert TraffickingEvent.objects.count() == 0
    assert AuditEvent.objects.filter(action=AuditAction.CASES_IMPORTED).count() == 1


def test_cancelling_a_validated_import_deletes_the_upload(upload, central_admin):
    job = upload(csv_text(*ROWS))
    services.import_cancel(actor=central_admin, job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert not storage.upload_exists(job.pk)


def test_only_central_administrators_import(caseworker_a, researcher, mission_a):
    for user in (caseworker_a, researcher):
        with pytest.raises(ApplicationError):
            services.import_job_create(
                actor=user,
                mission=mission_a,
                format="htcds",
                source="legacy",
                file_name="x.csv",
                file_size=1,
                chunks=[b"x"],
                enqueue=False,
            )
    assert ImportJob.objects.count() == 0


def test_expired_uploads_are_deleted(upload, settings):
    job = upload(csv_text(*ROWS))
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=job.created_at
        - datetime.timedelta(hours=settings.HARBOUR_IMPORT_RETENTION_HOURS + 1)
    )
    assert services.import_expire() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert not storage.upload_exists(job.pk)


def test_imported_cases_are_in_the_dashboard_counts(upload, run, mission_a):
    run(upload(csv_text(*ROWS)))

    kept = Counter(
        {
            (mission_id, status): count
            for mission_id, status, count in CaseStatusCount.objects.filter(
                count__gt=0
            ).values_list("mission_id", "status", "count")
        }
    )
    assert kept == Counter(Case.objects.values_list("mission_id", "status"))
    assert kept == Counter(
        {(mission_a.pk, CaseStatus.ACTIVE): 1, (mission_a.pk, CaseStatus.SCREENING): 1}
    )


def test_an_answer_that_applies_is_imported(upload, run):
    """The industry of forced labour and the type of sexual exploitation, each with its
    exploitation type: the rows the condition checks refuse otherwise are valid."""
    text = _with_cell("vic_TypeOfExploitation", "ForcedLabour;SexualExploitation")
    text = text.replace(",,\n", ",F_Construction,Prostitution\n")
    job = upload(text)
    assert job.rows_invalid == 0, job.report["errors"]
    run(job)
    screening = Screening.objects.get()
    assert screening.labour_industries == ["F_Construction"]
    assert screening.sexual_exploitation_types == ["Prostitution"]


def test_each_condition_has_a_translated_report_message():
    from screening.conditions import CONDITIONS

    for condition in CONDITIONS:
        assert str(messages.message(messages.NOT_APPLICABLE[condition.field])) == condition.message
