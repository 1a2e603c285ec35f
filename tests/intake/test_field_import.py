"""Field submissions (KoBoToolbox / ODK Central exports) through the one import service.

Every export is built here from the XLSForm Harbour generates (``intake.xlsform``): its
question names, group paths, types and choice lists. So if the form and the import drift
apart (a question renamed, a code list changed, a column without a mapping), these fail.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import zipfile
from dataclasses import dataclass, field

import pytest
from openpyxl import Workbook, load_workbook

from cases.models import Case
from cases.vocabularies import CaseStatus
from intake import messages, services, storage
from intake.field_columns import FIELD_FORMATS, field_layout
from intake.models import ImportedRecord, ImportJob
from intake.readers import READERS
from intake.readers._xlsform_fields import LANGUAGE_COLUMNS, REPEAT_COLUMNS, SCREENING_COLUMNS
from intake.xlsform import screening_xlsform
from screening.forms import ROW_LIMIT
from screening.models import Perpetrator, Screening, TraffickingEvent

pytestmark = pytest.mark.django_db

FIRST = "0b6f3f8e-1111-4c1e-9a55-00000000f001"
SECOND = "0b6f3f8e-2222-4c1e-9a55-00000000f002"
MAIN_SHEET = "Harbour Screening"
# Answers whose value a generic one would not fit (dates in order, a consistent
# determination, a birth year that matches the birth date...). Every other question gets the
# first code of its list (two for a multiple choice), "TRUE", a number or a text.
ANSWERS = {
    "cas_RegistrationDate": "2024-03-02",
    "prs_FirstName": "Amina",
    "prs_SecondName": "Rahman",
    "prs_Birthdate": "1999-05-04",
    "prs_BirthYear": "1999",
    "cas_IncomingReferralDate": "2024-02-20",
    # The organisation type is asked only after a referral by an organisation.
    "cas_ReferralSource": "Organisation",
    "vic_RecruitmentDate": "2023-01-05",
    "vic_ExploitationStartDate": "2023-02-01",
    "vic_ExploitationEndDate": "2023-09-01",
    "vic_ExitDate": "2023-09-02",
    "cas_InterviewDate": "2024-03-01",
    "prs_NumberOfChildren": "2",
    "prs_Gender": "Feminine",
    "prs_PrimaryLanguage": "ne",
    "prs_SecondaryLanguage": "hi",
    "vic_TraffickingStatus": "PossibleVictimOfTrafficking",
    "vic_EligibleForAssistance": "TRUE",
    "vic_Narrative": "Told in her words; with a semicolon\nand a second line",
}
# Relevant only for a person who is not eligible: the phone leaves it unanswered here.
UNASKED = {"cas_OutgoingReferralDetails"}
EVENTS = [
    {
        "hte_Type": "Recruitment",
        "hte_Country": "NPL",
        "hte_City": "Pokhara",
        "hte_Date": "2023-01-05",
    },
    {"hte_Type": "Exploitation", "hte_Country": "IND"},
]
PERPETRATORS = [
    {"per_RoleInProcess": "Transporter RecruiterOrIntermediary", "per_Gender": "Masculine"}
]


@dataclass
class Form:
    """The generated XLSForm as the tests need it."""

    paths: dict[str, list[str]] = field(default_factory=dict)  # question -> group path
    types: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)
    repeat_of: dict[str, str] = field(default_factory=dict)  # question -> its repeat group
    repeat_paths: dict[str, list[str]] = field(default_factory=dict)

    def main_questions(self) -> list[str]:
        return [name for name in self.paths if name not in self.repeat_of]

    def repeat_questions(self, repeat: str) -> list[str]:
        return [name for name, group in self.repeat_of.items() if group == repeat]


@pytest.fixture(scope="module")
def form() -> Form:
    workbook = load_workbook(io.BytesIO(screening_xlsform()), read_only=True)
    survey = list(workbook["survey"].iter_rows(values_only=True))
    header = list(survey[0])
    result = Form()
    stack: list[str] = []
    repeats: list[str] = []
    for row in survey[1:]:
        kind, name = row[header.index("type")], row[header.index("name")]
        if kind in ("begin_group", "begin_repeat"):
            stack.append(name)
            if kind == "begin_repeat":
                repeats.append(name)
                result.repeat_paths[name] = list(stack)
        elif kind in ("end_group", "end_repeat"):
            stack.pop()
            if kind == "end_repeat":
                repeats.pop()
        else:
            result.paths[name] = [*stack, name]
            result.types[name] = kind
            if repeats:
                result.repeat_of[name] = repeats[-1]
    for list_name, code, *_labels in list(workbook["choices"].iter_rows(values_only=True))[1:]:
        result.choices.setdefault(list_name, []).append(str(code))
    workbook.close()
    return result


def _generic(form: Form, name: str) -> str:
    kind, _space, list_name = form.types[name].partition(" ")
    if kind == "select_one":
        return form.choices[list_name][0]
    if kind == "select_multiple":
        return " ".join(form.choices[list_name][:2])
    if kind == "date":
        return "2023-06-01"
    if kind == "integer":
        return "1"
    return f"answer to {name}"


def submission(form: Form, **changes: str | None) -> dict[str, str]:
    """Every main question answered (bar UNASKED), with ``changes`` (None: unanswered)."""
    answers = {
        name: ANSWERS.get(name) or _generic(form, name)
        for name in form.main_questions()
        if name not in UNASKED
    }
    for name, value in changes.items():
        if value is None:
            answers.pop(name, None)
        else:
            answers[name] = value
    return answers


@dataclass
class Submission:
    uuid: str
    answers: dict[str, str]
    events: list[dict[str, str]] = field(default_factory=lambda: list(EVENTS))
    perpetrators: list[dict[str, str]] = field(default_factory=lambda: list(PERPETRATORS))

    def repeats(self) -> dict[str, list[dict[str, str]]]:
        return {"events": self.events, "perpetrators": self.perpetrators}


def _main_header(form: Form, separator: str) -> list[str]:
    return [separator.join(form.paths[name]) for name in form.main_questions()]


def _csv(rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode("utf-8")


def kobo_csv(form: Form, submissions: list[Submission]) -> bytes:
    """KoBo's CSV export (XML values and headers, ';'): no repeat groups in it."""
    names = form.main_questions()
    header = [
        "start",
        *_main_header(form, "/"),
        "meta/instanceID",
        "_id",
        "_uuid",
        "_submission_time",
        "__version__",
        "_index",
    ]
    rows = [header]
    for index, item in enumerate(submissions, start=1):
        answers = [item.answers.get(name, "") for name in names]
        rows.append(
            [
                "2024-03-01T09:00:00.000+05:45",
                *answers,
                f"uuid:{item.uuid}",
                str(100 + index),
                item.uuid,
                "2024-03-02T10:00:00",
                "vAbc",
                str(index),
            ]
        )
    return _csv(rows, delimiter=";")


def kobo_xlsx(form: Form, submissions: list[Submission]) -> bytes:
    """KoBo's XLSX export: the submissions, then one sheet per repeat group."""
    workbook = Workbook()
    main = workbook.active
    main.title = MAIN_SHEET
    names = form.main_questions()
    main.append([*_main_header(form, "/"), "meta/instanceID", "_id", "_uuid", "_index"])
    for index, item in enumerate(submissions, start=1):
        main.append(
            [
                *(item.answers.get(name, "") for name in names),
                f"uuid:{item.uuid}",
                100 + index,
                item.uuid,
                index,
            ]
        )
    for repeat in ("events", "perpetrators"):
        sheet = workbook.create_sheet(repeat)
        questions = form.repeat_questions(repeat)
        sheet.append(
            [
                *("/".join(form.paths[name]) for name in questions),
                "_index",
                "_parent_table_name",
                "_parent_index",
                "_submission__uuid",
            ]
        )
        row_index = 0
        for index, item in enumerate(submissions, start=1):
            for entry in item.repeats()[repeat]:
                row_index += 1
                sheet.append(
                    [
                        *(entry.get(name, "") for name in questions),
                        row_index,
                        MAIN_SHEET,
                        index,
                        item.uuid,
                    ]
                )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def kobo_json(form: Form, submissions: list[Submission]) -> bytes:
    """KoBo's API JSON export: group paths as keys, repeat groups as lists."""
    results = []
    for index, item in enumerate(submissions, start=1):
        entry: dict = {"_id": 100 + index, "formhub/uuid": "f0", "__version__": "vAbc"}
        entry.update(
            {"/".join(form.paths.get(name, [name])): value for name, value in item.answers.items()}
        )
        for repeat, rows in item.repeats().items():
            path = "/".join(form.repeat_paths[repeat])
            entry[path] = [
                {"/".join(form.paths[name]): value for name, value in row.items()} for row in rows
            ]
        entry["meta/instanceID"] = f"uuid:{item.uuid}"
        entry["_uuid"] = item.uuid
        results.append(entry)
    return json.dumps({"count": len(results), "next": None, "results": results}).encode()


def odk_zip(form: Form, submissions: list[Submission]) -> bytes:
    """ODK Central's zip: the submissions' CSV ('-' group paths) and one CSV per repeat."""
    names = form.main_questions()
    main = [["SubmissionDate", *_main_header(form, "-"), "meta-instanceID", "KEY", "ReviewState"]]
    for item in submissions:
        key = f"uuid:{item.uuid}"
        main.append(
            ["2024-03-02T10:00:00.000Z", *(item.answers.get(n, "") for n in names), key, key, ""]
        )
    members = {"harbour_screening.csv": _csv(main)}
    for repeat in ("events", "perpetrators"):
        questions = form.repeat_questions(repeat)
        rows = [[*questions, "PARENT_KEY", "KEY"]]
        for item in submissions:
            key = f"uuid:{item.uuid}"
            for position, entry in enumerate(item.repeats()[repeat], start=1):
                rows.append(
                    [
                        *(entry.get(name, "") for name in questions),
                        key,
                        f"{key}/{'/'.join(form.repeat_paths[repeat])}[{position}]",
                    ]
                )
        members[f"harbour_screening-{repeat}.csv"] = _csv(rows)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


EXPORTS = {
    "kobo-csv": (kobo_csv, "submissions.csv"),
    "kobo-xlsx": (kobo_xlsx, "submissions.xlsx"),
    "kobo-json": (kobo_json, "submissions.json"),
    "odk-csv": (odk_zip, "harbour_screening.zip"),
}
# KoBo's CSV export leaves repeat groups out; the others carry them.
WITH_REPEATS = pytest.mark.parametrize("fmt", ["kobo-xlsx", "kobo-json", "odk-csv"])
# The row number a report gives the first submission: the line in a CSV or a sheet, the
# position in a JSON list.
FIRST_ROW = {"kobo-csv": 2, "kobo-xlsx": 2, "kobo-json": 1, "odk-csv": 2}


@pytest.fixture(params=sorted(EXPORTS))
def fmt(request) -> str:
    return request.param


@pytest.fixture
def export(form, fmt):
    build, name = EXPORTS[fmt]

    def _export(*submissions: Submission) -> tuple[bytes, str]:
        return build(form, list(submissions)), name

    return _export


@pytest.fixture
def field_upload(upload, fmt, export):
    def _upload(*submissions: Submission, **options):
        data, name = export(*submissions)
        return upload(data, name=name, fmt=fmt, source="kobo", **options)

    return _upload


def _errors(job) -> set[tuple[int, str, str]]:
    return {tuple(error) for error in job.report["errors"]}


def _expected(form: Form, answers: dict[str, str]) -> dict[str, object]:
    """The screening field values the form's answers stand for, by the form's own types."""
    by_column = {column: name for name, column in SCREENING_COLUMNS.items()}
    expected: dict[str, object] = {}
    for column, text in answers.items():
        name = by_column.get(column)
        if name is None or column in LANGUAGE_COLUMNS:
            continue
        kind = form.types[column].partition(" ")[0]
        if form.types[column] == "select_one yes_no":
            expected[name] = text == "TRUE"
        elif kind == "select_multiple":
            expected[name] = sorted(text.split())
        elif kind == "date":
            expected[name] = datetime.date.fromisoformat(text)
        elif kind == "integer":
            expected[name] = int(text)
        else:
            expected[name] = text
    expected["languages"] = sorted(answers[column] for column in LANGUAGE_COLUMNS)
    return expected


# -- the form and the import agree -----------------------------------------------------------


def test_every_question_of_the_form_has_an_import_column(form):
    layout = field_layout()
    repeat_columns = {name for columns in layout.repeats.values() for name in columns}

    assert set(form.main_questions()) <= set(layout.columns)
    assert {n for n in form.paths if n in form.repeat_of} == repeat_columns
    assert set(layout.repeats) == set(form.repeat_paths) == set(REPEAT_COLUMNS)


def test_every_code_the_form_offers_is_one_the_import_accepts(form):
    layout = field_layout()
    columns = {**layout.columns, **{n: c for r in layout.repeats.values() for n, c in r.items()}}
    for name, question_type in form.types.items():
        kind, _space, list_name = question_type.partition(" ")
        if kind not in ("select_one", "select_multiple") or list_name == "yes_no":
            continue
        assert set(form.choices[list_name]) == set(columns[name].allowed()), name


def test_the_field_formats_are_registered_readers():
    assert set(READERS) >= FIELD_FORMATS


# -- a whole export imports into draft screenings ------------------------------------------


def test_an_export_imports_as_new_cases_with_draft_screenings(
    form, fmt, field_upload, run, mission_a
):
    answers = submission(form)
    job = field_upload(Submission(FIRST, answers), Submission(SECOND, submission(form)))
    assert job.status == ImportJob.Status.VALIDATED, job.report
    assert job.screening_draft is True
    assert (job.rows_total, job.rows_invalid) == (2, 0), job.report

    job = run(job)

    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.rows_imported == 2
    record = ImportedRecord.objects.select_related("case__person").get(external_id=FIRST)
    assert (record.source, record.row_number) == ("kobo", FIRST_ROW[fmt])
    case = record.case
    assert case.mission == mission_a
    assert case.status == CaseStatus.SCREENING
    assert case.registered_on == datetime.date(2024, 3, 2)
    person = case.person
    assert (person.given_name, person.family_name) == ("Amina", "Rahman")
    assert person.date_of_birth == datetime.date(1999, 5, 4)
    assert (person.birth_year, person.age_at_registration) == (1999, 24)
    assert person.gender == "Feminine"
    assert person.citizenships == sorted(answers["prs_Citizenship"].split())
    assert person.languages == ["hi", "ne"]
    screening = case.screenings.get()
    # Field data is never approved on the way in: a caseworker checks and submits it.
    assert screening.status == Screening.Status.DRAFT
    assert screening.submitted_at is None and screening.reviewed_at is None
    for name, value in _expected(form, answers).items():
        assert getattr(screening, name) == value, name
    assert screening.referral_made == ""
    assert screening.exploitation_months == 8


@WITH_REPEATS
def test_repeat_groups_become_route_steps_and_perpetrators(form, fmt, field_upload, run):
    run(field_upload(Submission(FIRST, submission(form))))

    screening = ImportedRecord.objects.get(external_id=FIRST).case.screenings.get()
    steps = TraffickingEvent.objects.filter(screening=screening).order_by("position")
    assert [(s.position, s.event_type, s.country, s.locality, s.date) for s in steps] == [
        (0, "Recruitment", "NPL", "Pokhara", datetime.date(2023, 1, 5)),
        (1, "Exploitation", "IND", "", None),
    ]
    (perpetrator,) = Perpetrator.objects.filter(screening=screening)
    assert perpetrator.roles == ["RecruiterOrIntermediary", "Transporter"]
    assert perpetrator.gender == "Masculine"


def test_importing_the_same_export_twice_creates_nothing_new(form, field_upload, run):
    export = [Submission(FIRST, submission(form)), Submission(SECOND, submission(form))]
    run(field_upload(*export))
    counts = (Case.objects.count(), Screening.objects.count(), TraffickingEvent.objects.count())

    again = run(field_upload(*export))

    assert again.status == ImportJob.Status.SUCCEEDED
    assert (again.rows_existing, again.rows_imported) == (2, 0)
    assert (
        Case.objects.count(),
        Screening.objects.count(),
        TraffickingEvent.objects.count(),
    ) == counts


def test_the_same_submission_from_another_export_is_not_imported_again(
    form, upload, run, field_upload
):
    run(field_upload(Submission(FIRST, submission(form))))
    data = kobo_json(form, [Submission(FIRST, submission(form))])

    again = run(upload(data, name="again.json", fmt="kobo-json", source="kobo"))

    assert (again.rows_existing, again.rows_imported) == (1, 0)
    assert Case.objects.count() == 1


def test_the_command_imports_an_export(form, fmt, export, central_admin, mission_a, tmp_path):
    from django.core.management import call_command

    data, name = export(Submission(FIRST, submission(form)))
    path = tmp_path / name
    path.write_bytes(data)
    out = io.StringIO()

    call_command(
        "import_cases",
        str(path),
        "--mission",
        mission_a.code,
        "--format",
        fmt,
        "--source",
        "kobo",
        "--actor",
        central_admin.email,
        stdout=out,
    )

    assert "Imported 1 case(s)" in out.getvalue()
    screening = ImportedRecord.objects.get(external_id=FIRST).case.screenings.get()
    assert screening.status == Screening.Status.DRAFT


# -- bad input: a clear error on its row, and nothing of that row saved -------------------------


BAD_ANSWERS = [
    ("prs_Gender", "Female", messages.UNKNOWN_CODE),
    ("vic_TypeOfExploitation", "ForcedLabour Slavery", messages.UNKNOWN_CODE),
    ("cas_InterviewCountry", "XXX", messages.UNKNOWN_CODE),
    ("con_ResearchConsent", "maybe", messages.NOT_YES_NO),
    ("cas_InterviewDate", "2999-01-01", messages.DATE_IN_FUTURE),
    ("prs_Birthdate", "1 May 1999", messages.NOT_A_DATE),
    ("prs_NumberOfChildren", "31", messages.OUT_OF_RANGE),
    ("vic_ExitDate", "2022-01-01", messages.DATE_ORDER),
    ("vic_ExploitationEndDate", "2023-01-01", messages.DATE_ORDER),
    ("prs_BirthYear", "1998", messages.DATE_ORDER),
    ("cas_InterviewLocality", "=HYPERLINK(1)", messages.FORMULA),
    ("cas_RegistrationDate", None, messages.REQUIRED),
    ("prs_FirstName", None, messages.REQUIRED),
    ("prs_Gender", None, messages.REQUIRED),
    ("con_Consent", None, messages.REQUIRED),
    ("cas_InterviewDate", None, messages.REQUIRED),
]


# A birth year that contradicts the birth date is reported on the birth date, as in a file.
REPORTED_ON = {"prs_BirthYear": "prs_Birthdate"}


@pytest.mark.parametrize(("column", "value", "reason"), BAD_ANSWERS)
def test_a_bad_answer_is_reported_on_its_row_and_nothing_of_it_is_saved(
    form, fmt, field_upload, run, column, value, reason
):
    good = Submission(FIRST, submission(form))
    bad = Submission(SECOND, submission(form, **{column: value}))

    job = field_upload(good, bad)

    assert job.rows_invalid == 1
    assert (FIRST_ROW[fmt] + 1, REPORTED_ON.get(column, column), reason) in _errors(job)
    assert all(row == FIRST_ROW[fmt] + 1 for row, _column, _reason in job.report["errors"])
    job = run(job, import_valid_rows=True)
    assert job.rows_imported == 1
    assert list(ImportedRecord.objects.values_list("external_id", flat=True)) == [FIRST]
    assert Case.objects.count() == Screening.objects.count() == 1


def test_a_file_with_a_bad_row_imports_nothing_unless_valid_rows_are_chosen(
    form, field_upload, central_admin
):
    job = field_upload(
        Submission(FIRST, submission(form)),
        Submission(SECOND, submission(form, prs_Gender="Female")),
    )

    with pytest.raises(services.ApplicationError):
        services.import_confirm(actor=central_admin, job_id=job.pk, enqueue=False)
    assert not Case.objects.exists()


def test_answers_past_consent_without_consent_are_refused(form, fmt, field_upload):
    job = field_upload(Submission(FIRST, submission(form, con_Consent="FALSE")))

    assert (FIRST_ROW[fmt], "vic_TypeOfExploitation", messages.CONSENT_REQUIRED) in _errors(job)
    assert (FIRST_ROW[fmt], "prs_Gender", messages.CONSENT_REQUIRED) in _errors(job)


@WITH_REPEATS
def test_too_many_route_steps_are_refused(form, fmt, field_upload):
    steps = [{"hte_Type": "Transit", "hte_Country": "THA"}] * (ROW_LIMIT + 1)

    job = field_upload(Submission(FIRST, submission(form), events=steps))

    assert _errors(job) == {(FIRST_ROW[fmt], f"hte_Type_{ROW_LIMIT + 1}", messages.TOO_MANY_ROWS)}


@WITH_REPEATS
def test_the_form_limit_of_route_steps_is_accepted(form, fmt, field_upload, run):
    steps = [{"hte_Type": "Transit", "hte_Country": "THA"}] * ROW_LIMIT

    job = run(field_upload(Submission(FIRST, submission(form), events=steps)))

    assert job.rows_imported == 1
    assert TraffickingEvent.objects.count() == ROW_LIMIT


@WITH_REPEATS
@pytest.mark.parametrize(
    ("step", "column", "reason"),
    [
        ({"hte_Type": "Teleport", "hte_Country": "THA"}, "hte_Type_2", messages.UNKNOWN_CODE),
        ({"hte_Type": "Transit"}, "hte_Country_2", messages.REQUIRED),
        (
            {"hte_Type": "Transit", "hte_Country": "THA", "hte_Date": "2999-01-01"},
            "hte_Date_2",
            messages.DATE_IN_FUTURE,
        ),
    ],
)
def test_a_bad_route_step_is_reported_by_its_position(
    form, fmt, field_upload, step, column, reason
):
    job = field_upload(Submission(FIRST, submission(form), events=[EVENTS[0], step]))

    assert _errors(job) == {(FIRST_ROW[fmt], column, reason)}


@WITH_REPEATS
def test_a_bad_perpetrator_code_is_reported(form, fmt, field_upload):
    job = field_upload(
        Submission(FIRST, submission(form), perpetrators=[{"per_RoleInProcess": "Boss"}])
    )

    assert _errors(job) == {(FIRST_ROW[fmt], "per_RoleInProcess_1", messages.UNKNOWN_CODE)}


def test_a_submission_twice_in_one_export_is_reported(form, fmt, field_upload):
    job = field_upload(Submission(FIRST, submission(form)), Submission(FIRST, submission(form)))

    assert (FIRST_ROW[fmt] + 1, "external_id", messages.DUPLICATE_IN_FILE) in _errors(job)


def test_a_question_harbour_does_not_know_refuses_the_file(form, upload):
    answers = {**submission(form), "vic_FavouriteColour": "blue"}
    data = kobo_json(form, [Submission(FIRST, answers)])

    job = upload(data, name="export.json", fmt="kobo-json")

    assert job.status == ImportJob.Status.FAILED
    assert job.failure == messages.UNKNOWN_COLUMN
    assert job.report["columns"] == ["vic_FavouriteColour"]


def test_a_reader_refusal_keeps_the_readers_message(upload):
    job = upload(b"name;other\nA;B\n", name="export.csv", fmt="kobo-csv")

    assert job.status == ImportJob.Status.FAILED
    assert job.failure == messages.UNREADABLE
    assert "submission id column" in job.report["detail"]


def test_a_file_of_another_format_is_refused_cleanly(form, upload):
    data = kobo_xlsx(form, [Submission(FIRST, submission(form))])

    job = upload(data, name="export.csv", fmt="kobo-csv")

    assert job.status == ImportJob.Status.FAILED
    assert "XLSX" in job.report["detail"]
    assert not Case.objects.exists()


# -- an upload gone from disk ------------------------------------------------------------------


def test_validation_of_an_upload_gone_from_disk_fails_cleanly(central_admin, mission_a):
    job = services.import_job_create(
        actor=central_admin,
        mission=mission_a,
        format="kobo-csv",
        source="kobo",
        file_name="export.csv",
        file_size=10,
        chunks=[b"0123456789"],
        enqueue=False,
    )
    storage.upload_delete(job.pk)

    job = services.import_validate(job_id=job.pk)

    assert job.status == ImportJob.Status.FAILED
    assert job.failure == messages.UPLOAD_MISSING
    assert job.finished_at is not None


def test_an_import_whose_upload_is_gone_fails_cleanly_and_writes_nothing(
    form, upload, central_admin
):
    job = upload(
        kobo_json(form, [Submission(FIRST, submission(form))]), name="e.json", fmt="kobo-json"
    )
    services.import_confirm(actor=central_admin, job_id=job.pk, enqueue=False)
    storage.upload_delete(job.pk)

    job = services.import_run(job_id=job.pk)

    assert job.status == ImportJob.Status.FAILED
    assert job.failure == messages.UPLOAD_MISSING
    assert job.rows_imported == 0
    assert not Case.objects.exists()
    assert not ImportedRecord.objects.exists()


# -- the Imports page ----------------------------------------------------------------------------


def test_an_export_is_uploaded_validated_and_imported_from_the_imports_page(
    form, client_for, central_admin, mission_a, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client = client_for(central_admin)
    data = kobo_xlsx(
        form,
        [
            Submission(FIRST, submission(form)),
            Submission(SECOND, submission(form, prs_FirstName="Binod", prs_Gender="Female")),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("intake:job_list"),
            {
                "mission": mission_a.pk,
                "format": "kobo-xlsx",
                "source": "kobo",
                "file": SimpleUploadedFile("export.xlsx", data),
            },
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert (job.format, job.screening_draft, job.rows_invalid) == ("kobo-xlsx", True, 1)

    page = client.get(response["Location"]).content.decode()
    assert "prs_Gender" in page
    assert "Binod" not in page and "Amina" not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("intake:job_confirm", kwargs={"job_id": job.pk}), {"import_valid_rows": "on"}
        )
    job.refresh_from_db()
    assert (job.status, job.rows_imported) == (ImportJob.Status.SUCCEEDED, 1)
    case = Case.objects.get()
    assert case.screenings.get().status == Screening.Status.DRAFT
    detail = client.get(reverse("intake:job_detail", kwargs={"job_id": job.pk})).content.decode()
    assert case.reference in detail
    rejected = client.get(reverse("intake:job_rejected", kwargs={"job_id": job.pk}))
    rows = list(
        csv.DictReader(io.StringIO(b"".join(rejected.streaming_content).decode("utf-8-sig")))
    )
    assert [row["prs_FirstName"] for row in rows] == ["Binod"]
    assert "prs_Gender: unknown_code" in rows[0]["harbour_errors"]
    assert (rows[0]["hte_Type_2"], rows[0]["per_Gender_1"]) == ("Exploitation", "Masculine")


def test_the_upload_form_offers_the_field_formats(client_for, central_admin):
    from django.urls import reverse

    page = client_for(central_admin).get(reverse("intake:job_list")).content.decode()

    for name in FIELD_FORMATS:
        assert f'value="{name}"' in page


def test_the_reason_a_reader_refused_a_file_is_shown(
    client_for, central_admin, mission_a, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client = client_for(central_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("intake:job_list"),
            {
                "mission": mission_a.pk,
                "format": "kobo-csv",
                "source": "kobo",
                "file": SimpleUploadedFile("export.csv", b"name;other\nA;B\n"),
            },
        )

    page = client.get(response["Location"]).content.decode()
    assert "submission id column" in page


@WITH_REPEATS
def test_countries_answered_in_alpha_2_as_the_standard_form_does_are_kept_in_alpha_3(
    form, fmt, field_upload, run
):
    answers = submission(form, prs_Citizenship="NP IN", cas_InterviewCountry="NP")
    events = [{**EVENTS[0], "hte_Country": "NP"}, {**EVENTS[1], "hte_Country": "IN"}]
    job = field_upload(Submission(FIRST, answers, events=events))
    assert job.status == ImportJob.Status.VALIDATED, job.report

    run(job)

    screening = ImportedRecord.objects.get(external_id=FIRST).case.screenings.get()
    assert screening.citizenships == ["IND", "NPL"]
    assert screening.interview_country == "NPL"
    steps = TraffickingEvent.objects.filter(screening=screening).order_by("position")
    assert [step.country for step in steps] == ["NPL", "IND"]


def test_a_two_letter_code_that_is_no_country_is_still_refused(form, fmt, field_upload):
    job = field_upload(Submission(FIRST, submission(form, cas_InterviewCountry="QQ")))

    assert _errors(job) == {(FIRST_ROW[fmt], "cas_InterviewCountry", messages.UNKNOWN_CODE)}
