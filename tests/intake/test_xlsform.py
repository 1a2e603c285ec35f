"""The XLSForm of the Screening Interview Form (issue 13 §3): accepted by pyxform, and what
it allows is what Harbour's own form and services allow."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.translation import trans_real
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from cases.forms import PersonFieldsForm
from cases.vocabularies import (
    ExploitationType,
    Gender,
    LabourIndustry,
    Vulnerability,
    country_codes,
    language_codes,
)
from intake import xlsform
from intake.readers._xlsform_fields import (
    IDENTITY_COLUMNS,
    LANGUAGE_COLUMNS,
    NO,
    REPEAT_COLUMNS,
    SCREENING_COLUMNS,
    YES,
)
from intake.views_xlsform import XLSX_CONTENT_TYPE
from screening import services as screening_services
from screening.forms import (
    CONDITIONS,
    ROW_FIELDS,
    PerpetratorForm,
    TraffickingEventForm,
    YesNoField,
    section_form_class,
)
from screening.models import FORM_VERSION, Screening
from screening.sections import SECTIONS, SECTIONS_BEFORE_CONSENT
from tests.second_factor import verified_login

EN = "English (en)"


def _sheet_rows(sheet) -> list[dict[str, str]]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    return [
        {name: ("" if cell is None else str(cell)) for name, cell in zip(header, row, strict=True)}
        for row in rows
    ]


@pytest.fixture(scope="module")
def workbook_bytes() -> bytes:
    return xlsform.screening_xlsform()


@pytest.fixture(scope="module")
def sheets(workbook_bytes):
    workbook = load_workbook(io.BytesIO(workbook_bytes), read_only=True)
    result = {name: _sheet_rows(workbook[name]) for name in ("survey", "choices", "settings")}
    workbook.close()
    return result


@pytest.fixture(scope="module")
def survey(sheets) -> dict[str, dict[str, str]]:
    return {row["name"]: row for row in sheets["survey"] if not row["type"].startswith("end_")}


@pytest.fixture(scope="module")
def choice_lists(sheets) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for row in sheets["choices"]:
        lists.setdefault(row["list_name"], []).append(row["name"])
    return lists


def _codes_of(survey, choice_lists, column: str) -> list[str]:
    list_name = survey[column]["type"].split(" ", 1)[1]
    return choice_lists[list_name]


def _form_codes(form_field) -> list[str]:
    return [str(code) for code, _label in form_field.choices if code != ""]


def test_pyxform_converts_it_without_errors_or_warnings(workbook_bytes):
    warnings: list[str] = []

    result = convert(xlsform=io.BytesIO(workbook_bytes), warnings=warnings, form_name="data")

    assert warnings == []
    assert f'id="{xlsform.FORM_ID}"' in result.xform
    assert f'version="{FORM_VERSION}"' in result.xform
    translations = set(re.findall(r'<translation lang="([^"]+)"', result.xform))
    assert translations == {f"{name} ({code})" for code, name in settings.LANGUAGES}


def test_every_answer_of_every_section_has_its_question(survey):
    for section in SECTIONS.values():
        for name in section["fields"]:
            if name == "languages":
                assert set(LANGUAGE_COLUMNS) <= set(survey)
            else:
                assert SCREENING_COLUMNS[name] in survey, name
    for kind, columns in REPEAT_COLUMNS.items():
        assert survey[kind]["type"] == "begin_repeat"
        assert set(columns) == set(ROW_FIELDS[kind])
        assert set(columns.values()) <= set(survey)
    assert set(IDENTITY_COLUMNS.values()) <= set(survey)


def test_the_sections_come_in_the_html_forms_order(sheets):
    groups = [row["name"] for row in sheets["survey"] if row["type"] == "begin_group"]

    assert groups == ["registration", *SECTIONS]


def test_choice_lists_are_harbours_vocabularies(survey, choice_lists):
    for section in SECTIONS:
        fields = section_form_class(section).base_fields
        for name in SECTIONS[section]["fields"]:
            column = SCREENING_COLUMNS[name]
            if name == "languages":
                for language_column in LANGUAGE_COLUMNS:
                    codes = _codes_of(survey, choice_lists, language_column)
                    assert codes == _form_codes(fields[name])
            elif isinstance(fields[name], YesNoField):
                assert survey[column]["type"] == "select_one yes_no"
            elif survey[column]["type"].startswith("select_"):
                assert _codes_of(survey, choice_lists, column) == _form_codes(fields[name]), name
    for kind, form in (("events", TraffickingEventForm), ("perpetrators", PerpetratorForm)):
        for name, column in REPEAT_COLUMNS[kind].items():
            if survey[column]["type"].startswith("select_"):
                codes = _codes_of(survey, choice_lists, column)
                assert codes == _form_codes(form.base_fields[name]), name


def test_known_lists_hold_the_standard_codes(survey, choice_lists):
    assert _codes_of(survey, choice_lists, "prs_Gender") == list(Gender.values)
    assert set(_codes_of(survey, choice_lists, "prs_Citizenship")) == country_codes()
    assert set(_codes_of(survey, choice_lists, "prs_PrimaryLanguage")) == language_codes()
    assert _codes_of(survey, choice_lists, "vic_TypeOfExploitation") == list(
        ExploitationType.values
    )
    assert _codes_of(survey, choice_lists, "vic_ForcedLabourIndustry") == list(
        LabourIndustry.values
    )
    assert _codes_of(survey, choice_lists, "vic_IndividualVulnerabilities") == list(
        Vulnerability.values
    )
    assert choice_lists["yes_no"] == [YES, NO]


def test_multiple_answers_are_select_multiple_and_single_ones_select_one(survey):
    assert survey["vic_TypeOfExploitation"]["type"].startswith("select_multiple ")
    assert survey["prs_Citizenship"]["type"].startswith("select_multiple ")
    assert survey["prs_Gender"]["type"].startswith("select_one ")
    assert survey["con_Consent"]["type"] == "select_one yes_no"
    assert survey["cas_InterviewDate"]["type"] == "date"
    assert survey["prs_NumberOfChildren"]["type"] == "integer"


def test_conditions_of_the_html_form_are_relevance(survey):
    for name, (depends_on, value) in CONDITIONS.items():
        relevant = survey[SCREENING_COLUMNS[name]]["relevant"]
        other = "${" + SCREENING_COLUMNS[depends_on] + "}"
        assert relevant in (f"selected({other}, '{value}')", f"{other} = '{value}'")
    assert survey["vic_ForcedLabourIndustry"]["relevant"] == (
        "selected(${vic_TypeOfExploitation}, 'ForcedLabour')"
    )


def test_sections_after_consent_need_the_persons_consent(survey):
    for key in SECTIONS:
        expected = "" if key in SECTIONS_BEFORE_CONSENT else "${con_Consent} = 'TRUE'"
        assert survey[key]["relevant"] == expected


def test_dates_harbour_refuses_in_the_future_are_refused_on_the_phone(survey):
    for name in screening_services.DATE_FIELDS:
        assert "(. <= today())" in survey[SCREENING_COLUMNS[name]]["constraint"], name
    assert "(. <= today())" in survey["hte_Date"]["constraint"]
    message = survey["cas_InterviewDate"][f"constraint_message::{EN}"]
    assert screening_services.DATE_IN_FUTURE_MESSAGE in message


def test_the_date_order_is_the_one_harbour_checks():
    """Each DATE_ORDER pair swapped is refused by screening_submission_errors."""
    base = datetime.date(2024, 1, 1)
    order = xlsform.DATE_ORDER
    for earlier_index, earlier in enumerate(order):
        for later in order[earlier_index + 1 :]:
            screening = Screening(**{earlier: base + datetime.timedelta(days=1), later: base})
            errors = screening_services._dates_in_order(screening)
            assert errors, (earlier, later)
            in_order = Screening(**{earlier: base, later: base + datetime.timedelta(days=1)})
            assert screening_services._dates_in_order(in_order) == {}


def test_every_pair_of_ordered_dates_is_checked_once_on_the_phone(survey):
    columns = {name: SCREENING_COLUMNS[name] for name in xlsform.DATE_ORDER}
    checked = set()
    for name, column in columns.items():
        constraint = survey[column]["constraint"]
        for other, other_column in columns.items():
            if "${" + other_column + "}" in constraint:
                checked.add(frozenset({name, other}))
    pairs = {frozenset({a, b}) for a in columns for b in columns if a != b}
    assert checked == pairs
    assert (
        "(string-length(${vic_RecruitmentDate}) = 0 or . >= ${vic_RecruitmentDate})"
        in (survey["vic_ExploitationStartDate"]["constraint"])
    )


def test_cross_checks_of_the_services_are_constraints(survey):
    assert ". >= ${vic_ExploitationStartDate}" in survey["vic_ExploitationEndDate"]["constraint"]
    assert (
        "not(. = 'TRUE' and ${vic_TraffickingStatus} = 'NotAVictimOfTrafficking')"
        in survey["vic_EligibleForAssistance"]["constraint"]
    )
    referral = survey["cas_OutgoingReferralDetails"]
    assert referral["relevant"] == "${vic_EligibleForAssistance} = 'FALSE'"
    assert referral["required"] == "yes"


def test_numbers_and_text_have_harbours_limits(survey):
    birth_year = survey["prs_BirthYear"]["constraint"]
    assert ". >= 1900" in birth_year
    assert "number(format-date(today(), '%Y'))" in birth_year
    assert "(. >= 0 and . <= 30)" in survey["prs_NumberOfChildren"]["constraint"]
    assert "string-length(.) <= 200" in survey["cas_InterviewLocality"]["constraint"]
    assert "string-length(.) <= 5000" in survey["vic_Narrative"]["constraint"]
    assert survey["vic_Narrative"]["appearance"] == "multiline"
    assert "position(..) <= 30" in survey["hte_Type"]["constraint"]


def test_what_registration_needs_is_required_and_nothing_else_of_the_screening(survey):
    required = {name for name, row in survey.items() if row["required"] == "yes"}

    assert required == {
        "cas_RegistrationDate",
        "prs_FirstName",
        "prs_Gender",
        "con_Consent",
        "cas_InterviewDate",
        "hte_Type",
        "hte_Country",
        "cas_OutgoingReferralDetails",
    }
    assert PersonFieldsForm.base_fields["given_name"].required
    assert survey["cas_RegistrationDate"]["default"] == "today()"


def test_every_language_has_its_label_hint_and_message_columns(sheets):
    survey_header = set(sheets["survey"][0])
    for code, name in settings.LANGUAGES:
        column = f"{name} ({code})"
        assert {f"label::{column}", f"hint::{column}", f"constraint_message::{column}"} <= (
            survey_header
        )
        assert f"label::{column}" in sheets["choices"][0]
    assert sheets["settings"][0]["default_language"] == EN


def test_labels_are_rendered_in_each_language(monkeypatch):
    catalog = trans_real.TranslationCatalog()
    catalog["gender"] = "genre"
    catalog["Feminine"] = "Féminin"
    monkeypatch.setattr(trans_real.translation("fr"), "_catalog", catalog)

    workbook = load_workbook(io.BytesIO(xlsform.screening_xlsform()), read_only=True)
    survey = {row["name"]: row for row in _sheet_rows(workbook["survey"])}
    choices = [row for row in _sheet_rows(workbook["choices"]) if row["list_name"] == "gender"]
    workbook.close()

    assert survey["prs_Gender"]["label::Français (fr)"] == "Genre"
    assert survey["prs_Gender"][f"label::{EN}"] == "Gender"
    assert choices[0]["label::Français (fr)"] == "Féminin"
    assert choices[0][f"label::{EN}"] == "Feminine"


def test_no_label_is_empty(sheets):
    for row in sheets["survey"]:
        if not row["type"].startswith("end_"):
            for code, name in settings.LANGUAGES:
                assert row[f"label::{name} ({code})"], (row["name"], code)


def test_the_command_writes_the_workbook(tmp_path, workbook_bytes):
    target = tmp_path / "form.xlsx"

    call_command("export_xlsform", "-o", str(target), stdout=io.StringIO())

    assert target.read_bytes()[:4] == b"PK\x03\x04"
    workbook = load_workbook(target, read_only=True)
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    workbook.close()


def test_the_command_refuses_a_path_it_cannot_write(tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_xlsform", "-o", str(tmp_path / "missing" / "form.xlsx"))


@pytest.mark.django_db
def test_an_administrator_downloads_the_form(client, central_admin):
    verified_login(client, central_admin)

    response = client.get(reverse("intake_xlsform:screening_form"))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == (
        f'attachment; filename="{xlsform.xlsform_filename()}"'
    )
    assert "no-store" in response["Cache-Control"]
    assert response.content[:4] == b"PK\x03\x04"


@pytest.mark.django_db
def test_the_download_refuses_other_methods(client, central_admin):
    verified_login(client, central_admin)

    assert client.post(reverse("intake_xlsform:screening_form")).status_code == 405


@pytest.mark.django_db
def test_the_review_page_links_to_the_download_for_administrators(client, central_admin):
    verified_login(client, central_admin)

    page = client.get(reverse("screening:review_queue"))

    assert reverse("intake_xlsform:screening_form") in page.content.decode()
