"""HTML forms of direct assistance. They parse input; the services decide.

Code lists are choice fields, so an unknown code is refused here already (and again by the
service). The cost and the currency stay text: the service parses them exactly and says what
is wrong with them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Mission
from cases.forms import CurrencySelect, ServiceErrorsMixin
from cases.vocabularies import (
    ReferralReason,
    SupportPlanType,
    blank_first,
    country_choices,
    language_choices,
)
from config.errors import ApplicationError, StaleVersionError

from .models import (
    SERVICE_SUB_TYPES,
    AssessmentDecision,
    AssistanceService,
    DocumentationNeed,
    HealthNeed,
    ImmediateNeed,
    LegalNeed,
    MovementType,
    PersonWish,
    Provider,
    Referral,
    RiskLevel,
    ServiceCategory,
    ServiceSubType,
    TransportMeans,
    TravelDocumentStatus,
)
from .selectors import organisation_list
from .services import INTERVIEW_FIELDS, SUPPORT_PLAN_FIELDS

BLANK_CHOICE = ("", _("Select…"))
YES_NO_CHOICES = [("True", _("Yes")), ("False", _("No")), ("", _("Not answered"))]
LEG_ROWS = 3
NOTES_MAX_LENGTH = 5000
PLACE_MAX_LENGTH = 200
# The service checks the amount and the code; these only keep absurd input out.
COST_MAX_LENGTH = 32
CURRENCY_MAX_LENGTH = 8


def _date(label, *, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"})
    )


def _notes(label, *, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _choice(label, choices, *, required: bool = True, **kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=blank_first(BLANK_CHOICE, choices), required=required, **kwargs
    )


def _codes(label, choices) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


def _country(label) -> forms.ChoiceField:
    return _choice(label, country_choices)


def _organisations(label, *, required: bool) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=organisation_list(active_only=True),
        required=required,
        empty_label=_("Select…"),
    )


class YesNoField(forms.TypedChoiceField):
    """Yes, no, or not answered (None), as radio buttons."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs) -> None:
        super().__init__(
            choices=YES_NO_CHOICES,
            coerce=lambda value: value == "True",
            empty_value=None,
            required=False,
            **kwargs,
        )


class VersionForm(ServiceErrorsMixin, forms.Form):
    """A form that edits or moves on a versioned record: the version it was loaded at."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # Set when the service refused the write as stale: the page offers the current version.
    stale = False

    def add_service_error(self, exc: ValidationError | ApplicationError) -> None:
        self.stale = isinstance(exc, StaleVersionError)
        super().add_service_error(exc)


class InterviewForm(ServiceErrorsMixin, forms.Form):
    """An assistance interview and its needs assessment. The signed-in user is the interviewer."""

    interview_date = _date(_("Interview date"), required=True)
    language = _choice(_("Language of the interview"), language_choices)
    interpreter_used = forms.BooleanField(label=_("An interpreter was used"), required=False)
    immediate_needs = _codes(_("Immediate needs"), ImmediateNeed.choices)
    immediate_needs_notes = _notes(_("Immediate needs: notes"))
    health_needs = _codes(_("Health needs"), HealthNeed.choices)
    health_notes = _notes(_("Health: notes"))
    psychosocial_support_needed = YesNoField(label=_("Psychosocial support needed"))
    psychosocial_notes = _notes(_("Psychosocial: notes"))
    legal_needs = _codes(_("Legal needs"), LegalNeed.choices)
    legal_notes = _notes(_("Legal: notes"))
    documentation_needs = _codes(_("Documentation needs"), DocumentationNeed.choices)
    documentation_notes = _notes(_("Documentation: notes"))
    safety_risk_level = forms.ChoiceField(
        label=_("Safety risk level"), choices=RiskLevel.choices, widget=forms.RadioSelect
    )
    safety_risk_reasoning = _notes(_("Safety risk: reasoning"), rows=4)
    wish = forms.ChoiceField(
        label=_("The person's wish"), choices=PersonWish.choices, widget=forms.RadioSelect
    )
    wish_notes = _notes(_("The person's wish, in their words"), rows=4)

    def answers(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in INTERVIEW_FIELDS if name in self.fields}


class InterviewEditForm(InterviewForm, VersionForm):
    pass


class SupportPlanForm(VersionForm):
    plan_types = _codes(_("Type(s) of support"), SupportPlanType.choices)
    objectives = _notes(_("Objectives"), rows=4)
    action_plan = _notes(_("Action plan"), rows=6)
    start_date = _date(_("Start date"), required=True)
    planned_end_date = _date(_("Planned end date"))
    actual_end_date = _date(_("Actual end date"))

    def __init__(self, *args, editing: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A new plan has no version yet.
        if not editing:
            del self.fields["version"]

    def answers(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in SUPPORT_PLAN_FIELDS}


def sub_type_choices() -> list:
    """Sub-types grouped under their category, so the list says which belongs where."""
    labels = dict(ServiceSubType.choices)
    groups: list = [BLANK_CHOICE]
    for category, label in ServiceCategory.choices:
        codes = SERVICE_SUB_TYPES.get(category)
        if codes:
            groups.append(
                (label, [(code, labels[code]) for code in ServiceSubType if code in codes])
            )
    return groups


class ServiceForm(ServiceErrorsMixin, forms.Form):
    category = _choice(_("Category"), ServiceCategory.choices)
    sub_type = forms.ChoiceField(label=_("Sub-type"), choices=sub_type_choices, required=False)
    provider = forms.ChoiceField(
        label=_("Provided by"), choices=Provider.choices, widget=forms.RadioSelect
    )
    organisation = _organisations(_("Partner organisation"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=AssistanceService.Status.choices,
        initial=AssistanceService.Status.PLANNED,
    )
    start_date = _date(_("Start date"))
    end_date = _date(_("End date"))
    admission_date = _date(_("Admission date"))
    exit_date = _date(_("Exit date"))
    cost = forms.CharField(label=_("Cost"), required=False, max_length=COST_MAX_LENGTH)
    currency = forms.CharField(
        label=_("Currency"),
        required=False,
        max_length=CURRENCY_MAX_LENGTH,
        widget=CurrencySelect,
    )
    notes = _notes(_("Notes"), rows=4)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].help_text = _("Only when a partner organisation provides it.")
        # assistance.js shows these only when they apply; without it they are all shown.
        self.fields["organisation"].widget.attrs.update(
            {"data-show-if-field": "provider", "data-show-if-value": Provider.ORGANISATION}
        )
        for name in ("admission_date", "exit_date"):
            self.fields[name].widget.attrs.update(
                {
                    "data-show-if-field": "category",
                    "data-show-if-value": ServiceCategory.ACCOMMODATION,
                }
            )
        self.fields["sub_type"].widget.attrs["data-sub-type-of"] = "category"
        self.fields["cost"].help_text = _("For example 125.50.")
        self.fields["currency"].help_text = _("ISO 4217 code, for example EUR.")
        self.fields["admission_date"].help_text = _("Accommodation only.")
        self.fields["exit_date"].help_text = _("Accommodation only.")

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}


# Statuses a service can be moved to; the service decides which are allowed from where.
SERVICE_TARGET_STATUSES = [
    (status, label)
    for status, label in AssistanceService.Status.choices
    if status != AssistanceService.Status.PLANNED
]


class ServiceStatusForm(VersionForm):
    to_status = forms.ChoiceField(
        label=_("New status"), choices=SERVICE_TARGET_STATUSES, widget=forms.RadioSelect
    )
    end_date = _date(_("End date"))


class ReferralForm(ServiceErrorsMixin, forms.Form):
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Referral.Direction.choices, widget=forms.RadioSelect
    )
    referral_date = _date(_("Referral date"), required=True)
    organisation = _organisations(_("Organisation"), required=True)
    reason = _choice(_("Reason"), ReferralReason.choices)
    details = _notes(_("Details"), rows=4)
    shares_personal_data = forms.BooleanField(
        label=_("This referral shares the person's personal data"), required=False
    )
    consent_given = forms.BooleanField(
        label=_("The person consents to sharing their personal data"),
        required=False,
        help_text=_("Ask the person before an outgoing referral shares their data."),
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        # An unticked box records no consent decision, not a refusal.
        data["consent_given"] = True if data["consent_given"] else None
        return data


class MovementForm(ServiceErrorsMixin, forms.Form):
    movement_type = _choice(_("Type of movement"), MovementType.choices)
    origin_country = _country(_("Origin country"))
    destination_country = _country(_("Destination country"))
    travel_document_status = _choice(_("Travel documents"), TravelDocumentStatus.choices)
    reception_organisation = _organisations(_("Receiving organisation"), required=False)
    reception_mission = forms.ModelChoiceField(
        label=_("Receiving mission"),
        queryset=Mission.objects.filter(is_active=True).order_by("code"),
        required=False,
        empty_label=_("Select…"),
        help_text=_("A receiving organisation or a receiving mission, not both."),
    )

    def movement_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class LegForm(forms.Form):
    """One leg of the journey. A row left empty is ignored."""

    from_country = _country(_("From country"))
    from_place = forms.CharField(label=_("From place"), required=False, max_length=PLACE_MAX_LENGTH)
    to_country = _country(_("To country"))
    to_place = forms.CharField(label=_("To place"), required=False, max_length=PLACE_MAX_LENGTH)
    planned_date = _date(_("Planned date"), required=True)
    transport_means = _choice(_("Means of transport"), TransportMeans.choices)
    escorted = forms.BooleanField(label=_("Escorted"), required=False)


class LegFormSetBase(forms.BaseFormSet):
    def filled_forms(self) -> list[forms.Form]:
        return [form for form in self.forms if form.has_changed()]

    def legs(self) -> list[dict[str, Any]]:
        return [dict(form.cleaned_data) for form in self.filled_forms()]

    def add_leg_errors(self, errors: dict[str, list[str]]) -> dict[str, list[str]]:
        """Put the service's ``legs.<index>.<field>`` errors on their rows; return the rest."""
        filled = self.filled_forms()
        rest: dict[str, list[str]] = {}
        for key, messages in errors.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "legs" and parts[1].isdigit():
                index, field = int(parts[1]), parts[2]
                if index < len(filled):
                    form = filled[index]
                    form.add_error(field if field in form.fields else None, list(messages))
                    continue
            rest[key] = messages
        return rest


LegFormSet = forms.formset_factory(
    LegForm,
    formset=LegFormSetBase,
    extra=LEG_ROWS,
    max_num=LEG_ROWS,
    absolute_max=LEG_ROWS,
    validate_max=True,
)


def leg_formset(data=None) -> LegFormSetBase:
    return LegFormSet(data, prefix="legs")


class AssessmentForm(VersionForm):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=AssessmentDecision.choices, widget=forms.RadioSelect
    )
    reasoning = forms.CharField(
        label=_("Reasoning"),
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The risks found and what the family assessment showed."),
    )


class TransitionForm(VersionForm):
    to_status = forms.CharField(widget=forms.HiddenInput, max_length=16)
