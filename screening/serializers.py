"""API serializers shared by the screening endpoints.

The answer serializers are built from the model fields that ``SECTIONS`` lists, so the API
accepts exactly what a section saves, with every code checked against its vocabulary.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.vocabularies import country_choices, language_choices
from config.api.serializers import StrictInputSerializer

from .models import Perpetrator, Screening, TraffickingEvent
from .sections import SECTIONS
from .selectors import route_countries

MAX_TEXT_LENGTH = 10_000
MAX_CODES = 50
MAX_ROWS = 50
MIN_BIRTH_YEAR = 1900

# A rejected code is not quoted back: a client may have put anything in that place.
UNKNOWN_CODE_MESSAGE = _("Unknown code.")
FUTURE_YEAR_MESSAGE = _("This year is in the future.")

# Answers whose codes come from ISO vocabularies, not from choices on the model field.
COUNTRY_ANSWERS = frozenset(
    {
        "interview_country",
        "citizenships",
        "recruitment_country",
        "promised_destination_country",
        "exploitation_countries",
        "country",
        "citizenship",
    }
)
LANGUAGE_ANSWERS = frozenset({"interview_language", "languages"})


def _not_in_future_year(value: int | None) -> None:
    if value is not None and value > timezone.localdate().year:
        raise serializers.ValidationError(FUTURE_YEAR_MESSAGE)


def _vocabulary(model_field: models.Field) -> tuple | None:
    if model_field.name in COUNTRY_ANSWERS:
        return country_choices()
    if model_field.name in LANGUAGE_ANSWERS:
        return language_choices()
    base = model_field.base_field if isinstance(model_field, ArrayField) else model_field
    return tuple(base.choices) if base.choices else None


def _code_field(choices: tuple, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices, error_messages={"invalid_choice": UNKNOWN_CODE_MESSAGE}, **kwargs
    )


def _answer_field(model: type[models.Model], name: str) -> serializers.Field:
    """The API field for one model field: codes as choices, text bounded, blanks as the model."""
    model_field = model._meta.get_field(name)
    required = not model_field.blank
    vocabulary = _vocabulary(model_field)
    if isinstance(model_field, ArrayField):
        return serializers.ListField(
            child=_code_field(vocabulary), max_length=MAX_CODES, required=required
        )
    if vocabulary is not None:
        return _code_field(vocabulary, allow_blank=not required, required=required)
    if isinstance(model_field, models.BooleanField):
        return serializers.BooleanField(allow_null=model_field.null, required=required)
    if isinstance(model_field, models.DateField):
        return serializers.DateField(allow_null=model_field.null, required=required)
    if isinstance(model_field, models.PositiveSmallIntegerField):
        validators = list(model_field.validators)
        min_value = 0
        if name == "birth_year":
            min_value = MIN_BIRTH_YEAR
            validators.append(_not_in_future_year)
        return serializers.IntegerField(
            allow_null=model_field.null,
            required=required,
            min_value=min_value,
            validators=validators,
        )
    if isinstance(model_field, models.TextField):
        return serializers.CharField(
            allow_blank=not required, required=required, max_length=MAX_TEXT_LENGTH
        )
    raise TypeError(name)


def _serializer(name: str, doc: str, model: type[models.Model], fields: list[str]) -> type:
    attrs: dict = {field: _answer_field(model, field) for field in fields}
    attrs["__doc__"] = doc
    attrs["Meta"] = type("Meta", (), {"ref_name": name})
    return type(name, (StrictInputSerializer,), attrs)


ANSWER_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    key: _serializer(
        f"Screening{key.title()}Answers",
        f"Section {section['letter']} ({key}) of the Screening Interview Form.",
        Screening,
        section["fields"],
    )
    for key, section in SECTIONS.items()
}
ROW_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    "events": _serializer(
        "TraffickingEventRow",
        "One step of the route, in order from origin to destination.",
        TraffickingEvent,
        ["event_type", "country", "locality", "date"],
    ),
    "perpetrators": _serializer(
        "PerpetratorRow",
        "A person involved in the trafficking, by codes only.",
        Perpetrator,
        ["roles", "gender", "citizenship", "relation"],
    ),
}

ScreeningSectionsOutputSerializer = type(
    "ScreeningSectionsOutputSerializer",
    (serializers.Serializer,),
    {
        **{key: serializer(source="*") for key, serializer in ANSWER_SERIALIZERS.items()},
        "Meta": type("Meta", (), {"ref_name": "ScreeningSections"}),
    },
)


class ScreeningSummaryOutputSerializer(serializers.ModelSerializer):
    """A screening without any answer text: what a list row, or the answer to a write, shows."""

    eligible = serializers.BooleanField(
        source="eligible_for_assistance", allow_null=True, read_only=True
    )

    class Meta:
        model = Screening
        fields = [
            "id",
            "case",
            "status",
            "version",
            "form_version",
            "created_at",
            "submitted_at",
            "reviewed_at",
            "trafficking_status",
            "eligible",
            "age_at_registration",
            "minor_at_registration",
            "exploitation_months",
        ]
        read_only_fields = fields
        ref_name = "ScreeningSummary"


class ScreeningDetailOutputSerializer(ScreeningSummaryOutputSerializer):
    """Every answer, grouped by section, with the route and the perpetrators."""

    sections = ScreeningSectionsOutputSerializer(source="*")
    events = ROW_SERIALIZERS["events"](many=True)
    perpetrators = ROW_SERIALIZERS["perpetrators"](many=True)
    route = serializers.SerializerMethodField()

    class Meta(ScreeningSummaryOutputSerializer.Meta):
        fields = [
            *ScreeningSummaryOutputSerializer.Meta.fields,
            "updated_at",
            "created_by",
            "interviewer",
            "consent_taken_by",
            "consent_taken_at",
            "submitted_by",
            "reviewed_by",
            "review_comment",
            "sections",
            "events",
            "perpetrators",
            "route",
        ]
        read_only_fields = fields
        ref_name = "ScreeningDetail"

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_route(self, screening: Screening) -> list[str]:
        return route_countries(screening=screening)
