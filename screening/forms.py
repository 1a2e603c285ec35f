"""HTML forms of the Screening Interview Form. They parse input; the services decide.

One form per section, built from the model fields that ``SECTIONS`` lists, so a section page
can never post an answer that belongs to another section. Code lists become choice fields, so
an unknown code is refused here already (and again by the service).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import Mission
from cases.fields import EncryptedTextField
from cases.vocabularies import (
    Gender,
    PerpetratorRole,
    TraffickingEventType,
    blank_first,
    country_choices,
    language_choices,
    validate_countries,
    validate_country,
    validate_languages,
)
from config.errors import ApplicationError

from . import conditions
from .models import RecruiterRelation, Screening
from .sections import SECTIONS

# Lists longer than this get a filter box (screening.js) and a scrolling select.
LONG_LIST = 12
BLANK_CHOICE = ("", _("Select…"))
YES_NO_CHOICES = [("True", _("Yes")), ("False", _("No")), ("", _("Not answered"))]
MIN_BIRTH_YEAR = 1900
ROW_LIMIT = 30
FILTER_LABEL = _("Filter the list")
CHOOSE_DECISION_MESSAGE = _("Choose whether to approve or return the determination.")

# Field -> (field it depends on, value that makes it apply), from the one list of
# screening.conditions. Without JavaScript every field is shown with a hint; screening.js
# hides (and disables) a field while it does not apply.
CONDITIONS: dict[str, tuple[str, str]] = {
    c.field: (c.depends_on, c.value) for c in conditions.CONDITIONS
}
CONDITION_HINTS = {c.field: c.hint for c in conditions.CONDITIONS}
FIELD_HINTS = {
    "birth_year": _("Age and minority at registration are computed from it."),
    "exploitation_end": _("Leave empty if the exploitation has not ended."),
    "reasoning_means": _("Not required when the person was a minor."),
    "referral_made": _("Only for a person who is not eligible for assistance."),
    "narrative": _("Kept encrypted in the case record; never used in research data."),
}
TEXTAREA_FIELDS = frozenset(
    {"reasoning_act", "reasoning_means", "reasoning_purpose", "referral_made", "narrative"}
)


def _filterable(attrs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"data-code-filter": FILTER_LABEL, **(attrs or {})}


def _multiple(choices, *, label, long_list: bool) -> forms.MultipleChoiceField:
    if long_list:
        widget: forms.Widget = forms.SelectMultiple(attrs=_filterable({"size": 8}))
    else:
        widget = forms.CheckboxSelectMultiple
    return forms.MultipleChoiceField(label=label, choices=choices, required=False, widget=widget)


def _single(choices, *, label, long_list: bool = False) -> forms.ChoiceField:
    attrs = _filterable() if long_list else {}
    return forms.ChoiceField(
        label=label,
        choices=blank_first(BLANK_CHOICE, choices),
        required=False,
        widget=forms.Select(attrs=attrs),
    )


class YesNoField(forms.TypedChoiceField):
    """Yes, no, or not answered (None): the model's nullable booleans, as radio buttons."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs) -> None:
        super().__init__(
            choices=YES_NO_CHOICES,
            coerce=lambda value: value == "True",
            empty_value=None,
            required=False,
            **kwargs,
        )


def screening_form_field(name: str) -> forms.Field:
    """The form field for one answer of the Screening model."""
    model_field = Screening._meta.get_field(name)
    label = capfirst(model_field.verbose_name)
    if isinstance(model_field, ArrayField):
        validators = model_field.validators
        if validate_countries in validators:
            return _multiple(country_choices, label=label, long_list=True)
        if validate_languages in validators:
            return _multiple(language_choices, label=label, long_list=True)
        choices = model_field.base_field.choices
        return _multiple(choices, label=label, long_list=len(choices) > LONG_LIST)
    if name == "interview_language":
        return _single(language_choices, label=label, long_list=True)
    if validate_country in model_field.validators:
        return _single(country_choices, label=label, long_list=True)
    if model_field.choices:
        return _single(model_field.choices, label=label, long_list=len(model_field.choices) > 20)
    if isinstance(model_field, models.BooleanField):
        return YesNoField(label=label)
    if isinstance(model_field, models.DateField):
        return forms.DateField(
            label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
    if isinstance(model_field, models.PositiveSmallIntegerField):
        return forms.IntegerField(
            label=label,
            required=False,
            min_value=MIN_BIRTH_YEAR if name == "birth_year" else 0,
            validators=model_field.validators,
        )
    if isinstance(model_field, EncryptedTextField):
        if name in TEXTAREA_FIELDS:
            return forms.CharField(
                label=label, required=False, max_length=5000, widget=forms.Textarea({"rows": 4})
            )
        return forms.CharField(label=label, required=False, max_length=200)
    raise ImproperlyConfigured(f"No form field for the screening answer {name!r}.")


class ServiceErrorsMixin:
    """Puts a service's refusal next to the fields it names; the rest goes above the form."""

    def add_service_error(self, exc: ValidationError | ApplicationError) -> None:
        if isinstance(exc, ApplicationError):
            self.add_error(None, exc.message)
            return
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, list(messages))


class SectionForm(ServiceErrorsMixin, forms.Form):
    """Base of the per-section forms that ``section_form_class`` builds."""

    section: str = ""
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, screening: Screening, **kwargs) -> None:
        fields = SECTIONS[self.section]["fields"]
        initial = {name: getattr(screening, name) for name in fields}
        initial["version"] = screening.version
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for name, (depends_on, value) in CONDITIONS.items():
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"data-show-if-field": depends_on, "data-show-if-value": value}
                )
        if "birth_year" in self.fields:
            self.fields["birth_year"].widget.attrs["max"] = timezone.localdate().year

    def clean_birth_year(self) -> int | None:
        year = self.cleaned_data.get("birth_year")
        if year is not None and year > timezone.localdate().year:
            raise ValidationError(_("This year is in the future."))
        return year

    def answers(self) -> dict[str, Any]:
        """The section's answers, as the service takes them."""
        return {name: self.cleaned_data[name] for name in SECTIONS[self.section]["fields"]}


@cache
def section_form_class(section: str) -> type[SectionForm]:
    """The form of one section (``section`` must be a key of ``SECTIONS``)."""
    attrs: dict[str, Any] = {"section": section}
    for name in SECTIONS[section]["fields"]:
        field = screening_form_field(name)
        field.help_text = CONDITION_HINTS.get(name) or FIELD_HINTS.get(name, "")
        attrs[name] = field
    return type(SectionForm)(f"{section.title()}SectionForm", (SectionForm,), attrs)


class TraffickingEventForm(forms.Form):
    """One step of the route."""

    event_type = forms.ChoiceField(
        label=_("Type"), choices=[BLANK_CHOICE, *TraffickingEventType.choices]
    )
    country = forms.ChoiceField(
        label=_("Country"),
        choices=blank_first(BLANK_CHOICE, country_choices),
        widget=forms.Select(attrs=_filterable()),
    )
    locality = forms.CharField(label=_("Locality"), required=False, max_length=200)
    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_date(self):
        date = self.cleaned_data.get("date")
        if date is not None and date > timezone.localdate():
            raise ValidationError(_("This date is in the future."))
        return date


class PerpetratorForm(forms.Form):
    """One perpetrator, described by codes only."""

    roles = forms.MultipleChoiceField(
        label=_("Role(s) in the process"),
        choices=PerpetratorRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[BLANK_CHOICE, *Gender.choices], required=False
    )
    citizenship = forms.ChoiceField(
        label=_("Citizenship"),
        choices=blank_first(BLANK_CHOICE, country_choices),
        required=False,
        widget=forms.Select(attrs=_filterable()),
    )
    relation = forms.ChoiceField(
        label=_("Relation to the person"),
        choices=[BLANK_CHOICE, *RecruiterRelation.choices],
        required=False,
    )


class RowFormSetBase(forms.BaseFormSet):
    """Repeating rows: empty extra rows are ignored, ticked rows are deleted."""

    def kept_forms(self) -> list[forms.Form]:
        initial = set(self.initial_forms)
        return [
            form
            for form in self.forms
            if (form in initial or form.has_changed()) and not self._should_delete_form(form)
        ]

    def rows(self) -> list[dict[str, Any]]:
        return [
            {name: value for name, value in form.cleaned_data.items() if name != "DELETE"}
            for form in self.kept_forms()
        ]

    def add_row_errors(self, prefix: str, errors: dict[str, list[str]]) -> bool:
        """Put the service's ``<prefix>.<index>.<field>`` errors on the rows they name."""
        kept = self.kept_forms()
        placed = False
        for key, messages in errors.items():
            parts = key.split(".")
            if len(parts) != 3 or parts[0] != prefix or not parts[1].isdigit():
                continue
            index, field = int(parts[1]), parts[2]
            if index < len(kept):
                form = kept[index]
                form.add_error(field if field in form.fields else None, list(messages))
                placed = True
        return placed


def _row_formset(form_class: type[forms.Form]) -> type[forms.BaseFormSet]:
    return forms.formset_factory(
        form_class,
        formset=RowFormSetBase,
        extra=2,
        can_delete=True,
        max_num=ROW_LIMIT,
        absolute_max=ROW_LIMIT,
        validate_max=True,
    )


TraffickingEventFormSet = _row_formset(TraffickingEventForm)
PerpetratorFormSet = _row_formset(PerpetratorForm)
ROW_FORMSETS = {"events": TraffickingEventFormSet, "perpetrators": PerpetratorFormSet}
ROW_FIELDS = {
    "events": ("event_type", "country", "locality", "date"),
    "perpetrators": ("roles", "gender", "citizenship", "relation"),
}


def row_formset(kind: str, *, screening: Screening, data=None) -> RowFormSetBase:
    """The formset of a section's repeating rows, filled from the screening's stored rows."""
    related = screening.events if kind == "events" else screening.perpetrators
    initial = [{name: getattr(row, name) for name in ROW_FIELDS[kind]} for row in related.all()]
    return ROW_FORMSETS[kind](data, initial=initial, prefix=kind)


class SubmitForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReviewForm(ServiceErrorsMixin, forms.Form):
    DECISIONS = [
        ("approve", _("Approve the determination")),
        ("return", _("Return for correction")),
    ]

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=DECISIONS,
        widget=forms.RadioSelect,
        error_messages={"required": CHOOSE_DECISION_MESSAGE},
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=5000,
        widget=forms.Textarea({"rows": 4}),
        help_text=_("Required when you return the determination: say what needs correcting."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReviewQueueFilterForm(forms.Form):
    mission = forms.ModelChoiceField(
        label=_("Mission"),
        queryset=Mission.objects.order_by("code"),
        required=False,
        empty_label=_("All missions"),
    )
