"""The Screening Interview Form as an XLSForm, for offline collection with KoBoToolbox / ODK.

Everything is read from the HTML form: its sections (``screening.sections``), its fields and
code lists (``screening.forms``), its conditions, and the checks of ``screening.services``.
So a vocabulary, a section or a rule changed there changes the phone form too. Column names
come from ``intake.readers._xlsform_fields``, which the submission readers use as well.

What the form refuses matches what Harbour refuses when a section is saved as a draft (unknown
codes, dates in the future, an end before its start, contradictory answers); it also refuses
the date order that Harbour checks on submission. Answers Harbour requires only on submission
are left optional: an imported screening is a draft that a caseworker completes and submits.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import translation
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

import cases.vocabularies
import screening.models
from cases.forms import PersonFieldsForm
from cases.vocabularies import country_choices, language_choices
from screening import services as screening_services
from screening.conditions import BY_FIELD
from screening.forms import (
    ROW_LIMIT,
    PerpetratorForm,
    TraffickingEventForm,
    YesNoField,
    section_form_class,
)
from screening.models import FORM_VERSION
from screening.sections import SECTIONS, SECTIONS_BEFORE_CONSENT

from .readers._xlsform_fields import (
    IDENTITY_COLUMNS,
    LANGUAGE_COLUMNS,
    NO,
    REPEAT_COLUMNS,
    SCREENING_COLUMNS,
    YES,
)

FORM_ID = "harbour_screening"
FORM_TITLE = _("Harbour Screening Interview Form")
IDENTITY_TITLE = _("Person registered")
YES_NO_LIST = "yes_no"
COUNTRY_LIST = "country"
LANGUAGE_LIST = "language"
YES_NO_LABELS = ((YES, _("Yes")), (NO, _("No")))
TOO_LONG_MESSAGE = _("This answer is too long.")
OUT_OF_RANGE_MESSAGE = _("This number is out of range.")
TOO_MANY_ROWS_MESSAGE = _("At most %(limit)d rows.")
PRIMARY_LANGUAGE_LABEL = _("Primary language")
SECONDARY_LANGUAGE_LABEL = _("Secondary language")
ROW_TITLES = {"events": _("Route events"), "perpetrators": _("Perpetrators")}
ROW_FORMS: dict[str, type[forms.Form]] = {
    "events": TraffickingEventForm,
    "perpetrators": PerpetratorForm,
}

# Chronological order that screening_submission_errors checks (each present date on or after
# every earlier present one). The phone checks each pair on whichever date it asks later.
DATE_ORDER = ("recruitment_date", "exploitation_start", "exit_date", "interview_date")
# Harbour refuses these in the future (screening.services.DATE_FIELDS).
NO_FUTURE_DATES = frozenset(screening_services.DATE_FIELDS)
# What case registration needs, so every submission can become a case; the rest is optional.
REQUIRED_COLUMNS = frozenset(
    {
        "cas_RegistrationDate",
        "prs_FirstName",
        "prs_Gender",
        "con_Consent",
        "cas_InterviewDate",
        "hte_Type",
        "hte_Country",
    }
)


@dataclass
class Question:
    """One survey row. Text values may be lazy; they are rendered once per language."""

    type: str
    name: str
    label: Any = ""
    hint: Any = ""
    required: bool = False
    relevant: str = ""
    constraint: str = ""
    constraint_messages: list[Any] = field(default_factory=list)
    appearance: str = ""
    default: str = ""


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@cache
def _list_names() -> dict[tuple[str, ...], str]:
    """Code tuple -> list name, for every vocabulary of cases and screening."""
    names: dict[tuple[str, ...], str] = {
        tuple(code for code, _label in country_choices()): COUNTRY_LIST,
        tuple(code for code, _label in language_choices()): LANGUAGE_LIST,
    }
    for module in (cases.vocabularies, screening.models):
        for attr in vars(module).values():
            if (
                isinstance(attr, type)
                and issubclass(attr, models.TextChoices)
                and attr is not models.TextChoices
            ):
                names.setdefault(tuple(attr.values), _camel_to_snake(attr.__name__))
    return names


class _Builder:
    def __init__(self) -> None:
        self.questions: list[Question] = []
        self.choice_lists: dict[str, list[tuple[str, Any]]] = {YES_NO_LIST: list(YES_NO_LABELS)}
        self.kinds: dict[str, str] = {}  # column -> "select_one" / "select_multiple" / ...

    def list_for(self, column: str, choices: Iterable[tuple[Any, Any]]) -> str:
        items = [(str(code), label) for code, label in choices if code != ""]
        codes = tuple(code for code, _label in items)
        name = _list_names().get(codes) or column.lower()
        existing = self.choice_lists.setdefault(name, items)
        if [code for code, _label in existing] != list(codes):
            raise ValueError(f"two different code lists named {name!r}")
        return name

    def question(self, column: str, form_field: forms.Field, *, help_text: Any = "") -> Question:
        label = form_field.label
        hint = help_text or form_field.help_text
        if isinstance(form_field, YesNoField):
            question = Question(f"select_one {YES_NO_LIST}", column, label, hint)
        elif isinstance(form_field, forms.MultipleChoiceField):
            name = self.list_for(column, form_field.choices)
            question = Question(f"select_multiple {name}", column, label, hint)
        elif isinstance(form_field, forms.ChoiceField):
            name = self.list_for(column, form_field.choices)
            question = Question(f"select_one {name}", column, label, hint)
        elif isinstance(form_field, forms.DateField):
            question = Question("date", column, label, hint)
        elif isinstance(form_field, forms.IntegerField):
            question = Question("integer", column, label, hint)
            self._number_range(question, form_field)
        elif isinstance(form_field, forms.CharField):
            question = Question("text", column, label, hint)
            if isinstance(form_field.widget, forms.Textarea):
                question.appearance = "multiline"
            if form_field.max_length:
                self.constrain(
                    question, f"string-length(.) <= {form_field.max_length}", TOO_LONG_MESSAGE
                )
        else:
            raise ValueError(f"no XLSForm question type for {column!r}")
        if len(self.choice_lists.get(question.type.partition(" ")[2], ())) > 20:
            question.appearance = "minimal autocomplete"
        question.required = column in REQUIRED_COLUMNS or form_field.required
        self.kinds[column] = question.type.partition(" ")[0]
        return question

    def _number_range(self, question: Question, form_field: forms.IntegerField) -> None:
        lowest = form_field.min_value
        highest = None
        for validator in form_field.validators:
            if isinstance(validator, MaxValueValidator):
                highest = validator.limit_value
        checks = [f". >= {lowest}"] if lowest is not None else []
        if highest is not None:
            checks.append(f". <= {highest}")
        if question.name == SCREENING_COLUMNS["birth_year"]:
            # SectionForm.clean_birth_year: not after this year.
            checks.append(". <= number(format-date(today(), '%Y'))")
        if checks:
            self.constrain(question, " and ".join(checks), OUT_OF_RANGE_MESSAGE)

    @staticmethod
    def constrain(question: Question, check: str, message: Any) -> None:
        question.constraint = (
            f"{question.constraint} and ({check})" if question.constraint else (f"({check})")
        )
        question.constraint_messages.append(message)

    def add(self, question: Question) -> None:
        self.questions.append(question)

    def group(self, kind: str, name: str, label: Any, relevant: str = "") -> None:
        self.questions.append(Question(f"begin_{kind}", name, label, relevant=relevant))

    def end(self, kind: str, name: str) -> None:
        self.questions.append(Question(f"end_{kind}", name))


def _ref(column: str) -> str:
    return "${" + column + "}"


def _if_answered(column: str, check: str) -> str:
    return f"string-length({_ref(column)}) = 0 or {check}"


def _screening_questions(builder: _Builder, section: str) -> None:
    form_class = section_form_class(section)
    for name in SECTIONS[section]["fields"]:
        if name == "languages":
            _language_questions(builder, form_class.base_fields[name])
            continue
        column = SCREENING_COLUMNS[name]
        question = builder.question(column, form_class.base_fields[name])
        if name in NO_FUTURE_DATES:
            builder.constrain(
                question, ". <= today()", _(screening_services.DATE_IN_FUTURE_MESSAGE)
            )
        _date_order(builder, question, name)
        if name in BY_FIELD:
            condition = BY_FIELD[name]
            depends_on, value = condition.depends_on, condition.value
            other = SCREENING_COLUMNS[depends_on]
            if builder.kinds.get(other) == "select_multiple":
                question.relevant = f"selected({_ref(other)}, '{value}')"
            else:
                question.relevant = f"{_ref(other)} = '{value}'"
        _cross_checks(builder, question, name)
        builder.add(question)


def _language_questions(builder: _Builder, form_field: forms.MultipleChoiceField) -> None:
    """The screening's list of languages, asked as HTCDS's primary and secondary language."""
    labels = (PRIMARY_LANGUAGE_LABEL, SECONDARY_LANGUAGE_LABEL)
    for column, label in zip(LANGUAGE_COLUMNS, labels, strict=True):
        single = forms.ChoiceField(label=label, choices=form_field.choices, required=False)
        builder.add(builder.question(column, single, help_text=form_field.help_text))


def _date_order(builder: _Builder, question: Question, name: str) -> None:
    if name not in DATE_ORDER:
        return
    asked = [field for section in SECTIONS.values() for field in section["fields"]]
    position = DATE_ORDER.index(name)
    checks = []
    for other in DATE_ORDER:
        if other == name or asked.index(other) > asked.index(name):
            continue  # the later-asked date of a pair carries the check
        operator = ">=" if DATE_ORDER.index(other) < position else "<="
        column = SCREENING_COLUMNS[other]
        checks.append(f"({_if_answered(column, f'. {operator} {_ref(column)}')})")
    if checks:
        builder.constrain(
            question,
            " and ".join(checks),
            _(screening_services.DATE_ORDER_MESSAGE),
        )


def _cross_checks(builder: _Builder, question: Question, name: str) -> None:
    """The checks of screening.services._section_checks that span two answers."""
    if name == "exploitation_end":
        start = SCREENING_COLUMNS["exploitation_start"]
        builder.constrain(
            question,
            _if_answered(start, f". >= {_ref(start)}"),
            _(screening_services.END_BEFORE_START_MESSAGE),
        )
    elif name == "eligible_for_assistance":
        status = _ref(SCREENING_COLUMNS["trafficking_status"])
        builder.constrain(
            question,
            f"not(. = '{YES}' and {status} = 'NotAVictimOfTrafficking')",
            _(screening_services.NOT_A_VICTIM_ELIGIBLE_MESSAGE),
        )
    elif name == "referral_made":
        # Required on submission for a person who is not eligible, and only for them.
        question.relevant = f"{_ref(SCREENING_COLUMNS['eligible_for_assistance'])} = '{NO}'"
        question.required = True


def _row_questions(builder: _Builder, kind: str) -> None:
    builder.group("repeat", kind, ROW_TITLES[kind])
    form_fields = ROW_FORMS[kind].base_fields
    for index, (name, column) in enumerate(REPEAT_COLUMNS[kind].items()):
        question = builder.question(column, form_fields[name])
        if name == "date":
            # TraffickingEventForm.clean_date
            builder.constrain(
                question, ". <= today()", _(screening_services.DATE_IN_FUTURE_MESSAGE)
            )
        if index == 0:
            # ROW_LIMIT: the formsets keep at most that many rows.
            builder.constrain(
                question,
                f"position(..) <= {ROW_LIMIT}",
                _too_many_rows(),
            )
        builder.add(question)
    builder.end("repeat", kind)


def _too_many_rows_text() -> str:
    return str(TOO_MANY_ROWS_MESSAGE) % {"limit": ROW_LIMIT}


_too_many_rows = lazy(_too_many_rows_text, str)


def _identity_questions(builder: _Builder) -> None:
    builder.group("group", "registration", IDENTITY_TITLE)
    person_fields = PersonFieldsForm.base_fields
    for name, column in IDENTITY_COLUMNS.items():
        question = builder.question(column, person_fields[name])
        if isinstance(person_fields[name], forms.DateField):
            builder.constrain(
                question, ". <= today()", _(screening_services.DATE_IN_FUTURE_MESSAGE)
            )
        if name == "registered_on":
            question.default = "today()"
        builder.add(question)
    builder.end("group", "registration")


def screening_questions() -> _Builder:
    """The survey and choice lists, before rendering (also what the tests inspect)."""
    builder = _Builder()
    _identity_questions(builder)
    consent = _ref(SCREENING_COLUMNS["consent_interview"])
    for key, section in SECTIONS.items():
        # Harbour saves nothing past the consent section until the person has consented.
        relevant = "" if key in SECTIONS_BEFORE_CONSENT else f"{consent} = '{YES}'"
        title = format_lazy("{}. {}", section["letter"], section["title"])
        builder.group("group", key, title, relevant=relevant)
        _screening_questions(builder, key)
        if section.get("rows"):
            _row_questions(builder, section["rows"])
        builder.end("group", key)
    return builder


def language_columns() -> list[tuple[str, str]]:
    """(language code, XLSForm language name) for every language the UI offers."""
    return [(code, f"{name} ({code})") for code, name in settings.LANGUAGES]


def _render(value: Any, code: str) -> str:
    if value in ("", None):
        return ""
    with translation.override(code):
        return str(value)


def _messages(messages: list[Any], code: str) -> str:
    return " ".join(_render(message, code) for message in messages)


def screening_xlsform() -> bytes:
    """The XLSForm workbook (sheets survey, choices, settings) as XLSX bytes."""
    builder = screening_questions()
    languages = language_columns()
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(
        [
            "type",
            "name",
            *(f"label::{name}" for _code, name in languages),
            *(f"hint::{name}" for _code, name in languages),
            "required",
            "relevant",
            "constraint",
            *(f"constraint_message::{name}" for _code, name in languages),
            "appearance",
            "default",
        ]
    )
    for question in builder.questions:
        survey.append(
            [
                question.type,
                question.name,
                *(_render(question.label, code) for code, _name in languages),
                *(_render(question.hint, code) for code, _name in languages),
                "yes" if question.required else "",
                question.relevant,
                question.constraint,
                *(_messages(question.constraint_messages, code) for code, _name in languages),
                question.appearance,
                question.default,
            ]
        )
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", *(f"label::{name}" for _code, name in languages)])
    for list_name, items in builder.choice_lists.items():
        for code, label in items:
            choices.append([list_name, code, *(_render(label, lang) for lang, _name in languages)])
    default_language = dict(languages)[settings.LANGUAGE_CODE]
    settings_sheet = workbook.create_sheet("settings")
    settings_sheet.append(["form_title", "form_id", "version", "default_language"])
    settings_sheet.append(
        [_render(FORM_TITLE, settings.LANGUAGE_CODE), FORM_ID, FORM_VERSION, default_language]
    )
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def xlsform_filename() -> str:
    return f"{FORM_ID}-{FORM_VERSION}.xlsx"
