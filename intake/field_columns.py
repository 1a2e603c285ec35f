"""The columns of a field submission (KoBoToolbox / ODK), read from the forms the XLSForm reads.

``intake.xlsform`` writes a question for every answer of the Screening Interview Form's
sections, the registration answers and the two repeat groups; this module gives the import
the column of each of those questions, typed and coded from the same form field, so what the
phone asks and what the import accepts cannot drift. A column the bulk-import table already
has (``intake.columns``) is reused as it is: the same answer has the same checks in a file and
in a submission. What the form requires, the import requires; answers past the consent
section need the person's consent, as the screening service and the form's relevance say.
"""

from __future__ import annotations

import dataclasses
from functools import cache

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MaxValueValidator

from cases.vocabularies import country_alpha2_to_alpha3, country_codes
from screening.forms import ROW_LIMIT, PerpetratorForm, YesNoField, section_form_class
from screening.sections import SECTIONS, SECTIONS_BEFORE_CONSENT

from .columns import (
    BY_NAME,
    EVENT_BY_NAME,
    EVENTS,
    EXTERNAL_ID,
    HTCDS_LAYOUT,
    Column,
    Kind,
    Layout,
)
from .readers._xlsform_fields import (
    IDENTITY_COLUMNS,
    LANGUAGE_COLUMNS,
    PERPETRATORS_REPEAT,
    REPEAT_COLUMNS,
    SCREENING_COLUMNS,
)
from .readers.odk import FIELD_FORMATS
from .xlsform import DATE_ORDER, REQUIRED_COLUMNS

PERPETRATORS = PERPETRATORS_REPEAT
# The screening keeps the person's birth year as the person's (``person_prepare`` checks it
# against the birth date and the registration); the writer copies it to the screening.
PERSON_ANSWERS = {"birth_year": "person.birth_year"}


def _codes(form_field: forms.ChoiceField):
    codes = frozenset(str(code) for code, _label in form_field.choices if code != "")
    return lambda: codes


def _column(name: str, target: str, form_field: forms.Field) -> Column:
    """A column typed as ``intake.xlsform`` types the question of ``form_field``."""
    label = form_field.label or name
    if isinstance(form_field, YesNoField):
        return Column(name, target, Kind.BOOL, label)
    if isinstance(form_field, forms.MultipleChoiceField):
        return Column(name, target, Kind.CODES, label, codes=_codes(form_field))
    if isinstance(form_field, forms.ChoiceField):
        return Column(name, target, Kind.CODE, label, codes=_codes(form_field))
    if isinstance(form_field, forms.DateField):
        return Column(name, target, Kind.DATE, label)
    if isinstance(form_field, forms.IntegerField):
        highest = None
        for validator in form_field.validators:
            if isinstance(validator, MaxValueValidator):
                highest = validator.limit_value
        return Column(name, target, Kind.INT, label, low=form_field.min_value, high=highest)
    if isinstance(form_field, forms.CharField):
        return Column(name, target, Kind.TEXT, label, max_length=form_field.max_length or 200)
    raise ImproperlyConfigured(f"No import column type for the field question {name!r}.")


def _required(column: Column) -> Column:
    if column.name in REQUIRED_COLUMNS and not column.required:
        return dataclasses.replace(column, required=True)
    return column


def _alpha2_countries(column: Column) -> Column:
    """A country question also takes the alpha-2 codes the standard HTCDS XLSForm answers."""
    allowed = column.allowed()
    if column.kind not in (Kind.CODE, Kind.CODES, Kind.COUNTRY, Kind.COUNTRIES) or not allowed:
        return column
    if not allowed <= country_codes():
        return column
    return dataclasses.replace(column, aliases=country_alpha2_to_alpha3)


@cache
def field_layout() -> Layout:
    """The layout every field-submission format (``FIELD_FORMATS``) is validated against."""
    columns: dict[str, Column] = {EXTERNAL_ID: BY_NAME[EXTERNAL_ID]}
    for column_name in IDENTITY_COLUMNS.values():
        columns[column_name] = _required(BY_NAME[column_name])
    after_consent: set[str] = set()
    for key, section in SECTIONS.items():
        form_fields = section_form_class(key).base_fields
        for name in section["fields"]:
            names = LANGUAGE_COLUMNS if name == "languages" else (SCREENING_COLUMNS[name],)
            for column_name in names:
                column = BY_NAME.get(column_name) or _column(
                    column_name, PERSON_ANSWERS.get(name, f"screening.{name}"), form_fields[name]
                )
                columns[column_name] = _alpha2_countries(_required(column))
                if key not in SECTIONS_BEFORE_CONSENT:
                    after_consent.add(column_name)
        if section.get("rows") and key not in SECTIONS_BEFORE_CONSENT:
            after_consent.add(section["rows"])
    events = {
        column_name: _alpha2_countries(_required(EVENT_BY_NAME[column_name]))
        for column_name in REPEAT_COLUMNS[EVENTS].values()
    }
    perpetrator_fields = PerpetratorForm.base_fields
    perpetrators = {
        column_name: _alpha2_countries(
            _column(column_name, f"perpetrator.{name}", perpetrator_fields[name])
        )
        for name, column_name in REPEAT_COLUMNS[PERPETRATORS].items()
    }
    return Layout(
        columns=columns,
        repeats={EVENTS: events, PERPETRATORS: perpetrators},
        max_rows={EVENTS: ROW_LIMIT, PERPETRATORS: ROW_LIMIT},
        after_consent=frozenset(after_consent),
        date_order=tuple((name, SCREENING_COLUMNS[name]) for name in DATE_ORDER),
    )


def layout_for(format: str) -> Layout:
    return field_layout() if format in FIELD_FORMATS else HTCDS_LAYOUT
