"""The items of the trafficking profile that further details may add to or correct.

They are the screening's own answers (recruitment, route, exploitation with its means of
control, perpetrators), taken from the Screening Interview Form's field definitions, so a code
is valid here exactly when it is valid in the screening. Route steps and perpetrators are rows.

A value has two parts: the coded part, kept as JSON (codes, countries, ISO dates, yes/no), and
the part written in words (a locality), kept encrypted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from cases.fields import EncryptedTextField
from cases.vocabularies import (
    country_names,
    validate_codes,
    validate_countries,
    validate_country,
)
from config.validation import DATE_IN_FUTURE_MESSAGE
from screening.models import Perpetrator, Screening, TraffickingEvent
from screening.sections import SECTIONS

PROFILE_SECTIONS = ("recruitment", "route", "exploitation")
# The person's own account is not a coded item: it stays with the screening.
NOT_PROFILE_ITEMS = frozenset({"narrative"})
ROW_MODELS: dict[str, type[models.Model]] = {
    "events": TraffickingEvent,
    "perpetrators": Perpetrator,
}
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    "events": ("event_type", "country", "locality", "date"),
    "perpetrators": ("roles", "gender", "citizenship", "relation"),
}
ROW_LABELS = {
    "events": gettext_lazy("Route: steps"),
    "perpetrators": gettext_lazy("Perpetrators"),
}

UNKNOWN_ITEM_MESSAGE = gettext_noop("This is not an item of the trafficking profile.")
LIST_REQUIRED_MESSAGE = gettext_noop("Give a list of codes.")
ROW_REQUIRED_MESSAGE = gettext_noop("Give the answers of the row.")
UNKNOWN_ROW_FIELD_MESSAGE = gettext_noop("This answer does not belong to the row.")
VALUE_INVALID_MESSAGE = gettext_noop("Enter a valid value.")
TEXT_TOO_LONG_MESSAGE = gettext_noop("Keep this under 200 characters.")
# As in the screening's form: a place, not a narrative.
MAX_PLACE_LENGTH = 200


@dataclass(frozen=True)
class ProfileItem:
    code: str
    section: str
    label: str
    is_rows: bool = False


@cache
def profile_items() -> dict[str, ProfileItem]:
    """Every item, in the order of the form: a section's answers, then its rows."""
    items: dict[str, ProfileItem] = {}
    for section in PROFILE_SECTIONS:
        info = SECTIONS[section]
        for name in info["fields"]:
            if name in NOT_PROFILE_ITEMS:
                continue
            label = capfirst(Screening._meta.get_field(name).verbose_name)
            items[name] = ProfileItem(code=name, section=section, label=label)
        rows = info.get("rows")
        if rows:
            items[rows] = ProfileItem(
                code=rows, section=section, label=ROW_LABELS[rows], is_rows=True
            )
    return items


def item_choices() -> list[tuple[str, str]]:
    return [(item.code, str(item.label)) for item in profile_items().values()]


def _is_text(field: models.Field) -> bool:
    return isinstance(field, EncryptedTextField)


def _to_json(field: models.Field, value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(field, ArrayField):
        return list(value or [])
    return value


def _plain_type_ok(field: models.Field, raw: Any) -> bool:
    """Whether a single answer has a type its field can parse (anything else would be a 500)."""
    if isinstance(raw, list | dict):
        return False
    if isinstance(field, models.CharField | models.TextField):
        return isinstance(raw, str)
    if isinstance(field, models.DateField):
        return isinstance(raw, str | datetime.date | None)
    if isinstance(field, models.BooleanField):
        return isinstance(raw, bool | None)
    return True


def _clean_field(field: models.Field, raw: Any, instance: models.Model) -> Any:
    """One answer, checked by the screening's own field: vocabularies, countries, dates."""
    if raw == "" and field.null:
        raw = None
    if raw is None and not field.null:
        raw = [] if isinstance(field, ArrayField) else ""
    if isinstance(field, ArrayField):
        if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
            raise ValidationError(_(LIST_REQUIRED_MESSAGE))
        # Before Django's own check, which formats an unknown code containing "%" badly.
        if field.base_field.choices:
            validate_codes(raw, frozenset(str(code) for code, _label in field.base_field.choices))
        raw = list(dict.fromkeys(raw))
    elif not _plain_type_ok(field, raw):
        raise ValidationError(_(VALUE_INVALID_MESSAGE))
    if _is_text(field) and len(raw) > MAX_PLACE_LENGTH:
        raise ValidationError(_(TEXT_TOO_LONG_MESSAGE))
    value = field.clean(raw, instance)
    if isinstance(value, datetime.date) and value > timezone.localdate():
        raise ValidationError(_(DATE_IN_FUTURE_MESSAGE))
    return value


def clean_value(item: ProfileItem, raw: Any) -> tuple[Any, str]:
    """The coded part (as JSON) and the words of a new answer; ``ValidationError`` keyed by
    ``value`` or ``value.<field>`` otherwise."""
    if not item.is_rows:
        field = Screening._meta.get_field(item.code)
        try:
            value = _clean_field(field, raw, Screening())
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from None
        if _is_text(field):
            return None, str(value or "").strip()
        return _to_json(field, value), ""
    if not isinstance(raw, dict):
        raise ValidationError({"value": [_(ROW_REQUIRED_MESSAGE)]})
    model = ROW_MODELS[item.code]
    errors: dict[str, list[str]] = {}
    for key in sorted(set(raw) - set(ROW_FIELDS[item.code])):
        errors[f"value.{key}"] = [_(UNKNOWN_ROW_FIELD_MESSAGE)]
    instance = model()
    coded: dict[str, Any] = {}
    text = ""
    for name in ROW_FIELDS[item.code]:
        field = model._meta.get_field(name)
        try:
            value = _clean_field(field, raw.get(name), instance)
        except ValidationError as exc:
            errors[f"value.{name}"] = exc.messages
            continue
        if _is_text(field):
            text = str(value or "").strip()
        else:
            coded[name] = _to_json(field, value)
    if errors:
        raise ValidationError(errors)
    return coded, text


def screening_value(item: ProfileItem, screening: Screening | None) -> tuple[Any, str]:
    """A scalar item's answer in the screening, in the same two parts as a change."""
    if screening is None:
        field = Screening._meta.get_field(item.code)
        return (None, "") if _is_text(field) else (_to_json(field, field.get_default()), "")
    field = Screening._meta.get_field(item.code)
    value = getattr(screening, item.code)
    if _is_text(field):
        return None, value or ""
    return _to_json(field, value), ""


def screening_rows(item: ProfileItem, screening: Screening | None) -> list[tuple[int, dict, str]]:
    """A row item's rows in the screening: (position, coded part, words)."""
    if screening is None:
        return []
    rows = screening.events.all() if item.code == "events" else screening.perpetrators.all()
    model = ROW_MODELS[item.code]
    result = []
    for row in rows:
        coded: dict[str, Any] = {}
        text = ""
        for name in ROW_FIELDS[item.code]:
            field = model._meta.get_field(name)
            if _is_text(field):
                text = getattr(row, name) or ""
            else:
                coded[name] = _to_json(field, getattr(row, name))
        result.append((row.position, coded, text))
    return result


def is_empty(value: Any, text: str) -> bool:
    return value in (None, "", []) and not text


def _labels(field: models.Field, value: Any) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, bool):
        return [_("Yes") if value else _("No")]
    values = value if isinstance(value, list) else [value]
    if isinstance(field, ArrayField):
        base = field.base_field
        labels = dict(base.choices) if base.choices else {}
        if validate_countries in field.validators:
            labels = country_names()
    elif field.choices:
        labels = dict(field.choices)
    elif validate_country in field.validators:
        labels = country_names()
    elif isinstance(field, models.DateField):
        return [date_format(datetime.date.fromisoformat(v)) for v in values]
    else:
        labels = {}
    return [str(labels.get(v, v)) for v in values]


def display_value(item: ProfileItem, value: Any, text: str) -> list[str]:
    """A scalar item's value as the words a person reads."""
    if text:
        return [text]
    return _labels(Screening._meta.get_field(item.code), value)


def display_row(item: ProfileItem, value: dict | None, text: str) -> list[tuple[str, str]]:
    """A row as (label, words) pairs, in the order of the form."""
    model = ROW_MODELS[item.code]
    value = value or {}
    parts = []
    for name in ROW_FIELDS[item.code]:
        field = model._meta.get_field(name)
        shown = [text] if _is_text(field) and text else _labels(field, value.get(name))
        parts.append((str(capfirst(field.verbose_name)), ", ".join(shown)))
    return parts
