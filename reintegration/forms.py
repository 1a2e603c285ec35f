"""HTML forms of the reintegration pages. They parse input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from assistance.models import Provider
from assistance.selectors import organisation_list
from cases.forms import CurrencySelect, ServiceErrorsMixin
from cases.models import Case

from .models import (
    SCORE_MAX,
    SCORE_MIN,
    Dimension,
    EconomicReason,
    MonitoringVisit,
    PsychosocialReason,
    ReintegrationAssistance,
    ReintegrationOption,
    SocialReason,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})
MAX_TEXT = 10_000
SCORE_CHOICES = [(str(n), str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]
SCORE_HELP = _("1 is the worst situation, 5 the best.")


def _select(choices) -> list[tuple[str, Any]]:
    return [("", _("Select…")), *choices]


def _text(label, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_TEXT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PlanForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    needs = _text(_("Needs"))
    skills = _text(_("Skills"))
    family_situation = _text(_("Family situation"))
    risks = _text(_("Risks"))
    economic_goals = _text(_("Economic goals"))
    social_goals = _text(_("Social goals"))
    psychosocial_goals = _text(_("Psychosocial goals"))
    start_date = forms.DateField(label=_("Start date"), widget=DATE_WIDGET)
    monitoring_months = forms.CharField(
        label=_("Monitoring visits (months after arrival or the plan's start)"),
        max_length=200,
        initial="3, 6, 12",
        help_text=_(
            "Months, separated by commas, in increasing order, at most 60. Visits are "
            "counted from the arrival of the return, or from the start of the plan."
        ),
    )

    def __init__(self, *args, plan=None, **kwargs) -> None:
        if plan is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{name: getattr(plan, name) for name in self.base_fields if name != "version"},
                    "version": plan.version,
                    "monitoring_months": ", ".join(str(m) for m in plan.monitoring_months),
                },
            )
        super().__init__(*args, **kwargs)
        if plan is not None:
            self.fields["version"].required = True

    def plan_data(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class AssistanceForm(ServiceErrorsMixin, forms.Form):
    option = forms.ChoiceField(
        label=_("Type of support"), choices=_select(ReintegrationOption.choices)
    )
    provider = forms.ChoiceField(
        label=_("Provider"),
        choices=Provider.choices,
        initial=Provider.IOM,
        widget=forms.RadioSelect,
    )
    organisation = forms.ModelChoiceField(
        label=_("Partner organisation"),
        queryset=organisation_list(),
        required=False,
        help_text=_("Only when a partner organisation provides it."),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=ReintegrationAssistance.Status.choices,
        initial=ReintegrationAssistance.Status.PLANNED,
    )
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DATE_WIDGET)
    end_date = forms.DateField(label=_("End date"), required=False, widget=DATE_WIDGET)
    # Text: the service parses the amount exactly and says what is wrong with it.
    amount = forms.CharField(
        label=_("Amount"), required=False, max_length=32, help_text=_("For example 125.50")
    )
    currency = forms.CharField(
        label=_("Currency"),
        required=False,
        max_length=8,
        help_text=_("ISO 4217 code, for example EUR"),
        widget=CurrencySelect,
    )
    notes = _text(_("Notes"))


class AssistanceStatusForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    to_status = forms.ChoiceField(label=_("New status"))
    end_date = forms.DateField(label=_("End date"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, allowed: list[tuple[str, Any]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = _select(allowed)


class VisitAddForm(ServiceErrorsMixin, forms.Form):
    planned_date = forms.DateField(label=_("Planned date"), widget=DATE_WIDGET)


class VisitRecordForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    done_date = forms.DateField(label=_("Date of the visit"), widget=DATE_WIDGET)
    mode = forms.ChoiceField(
        label=_("Mode"), choices=MonitoringVisit.Mode.choices, widget=forms.RadioSelect
    )
    visited_by = forms.ModelChoiceField(label=_("Visited by"), queryset=User.objects.none())
    economic_score = forms.ChoiceField(
        label=_("Economic score"), choices=SCORE_CHOICES, widget=forms.RadioSelect
    )
    economic_reason = forms.ChoiceField(
        label=_("Economic: main reason"), choices=_select(EconomicReason.choices)
    )
    social_score = forms.ChoiceField(
        label=_("Social score"), choices=SCORE_CHOICES, widget=forms.RadioSelect
    )
    social_reason = forms.ChoiceField(
        label=_("Social: main reason"), choices=_select(SocialReason.choices)
    )
    psychosocial_score = forms.ChoiceField(
        label=_("Psychosocial score"), choices=SCORE_CHOICES, widget=forms.RadioSelect
    )
    psychosocial_reason = forms.ChoiceField(
        label=_("Psychosocial: main reason"), choices=_select(PsychosocialReason.choices)
    )
    retrafficked = forms.BooleanField(
        label=_("The person has been trafficked again"),
        required=False,
        help_text=_("This flags the case as re-trafficking."),
    )
    notes = _text(_("Notes"))

    def __init__(self, *args, case: Case, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Whether the visitor may see the case is the service's rule; this lists likely ones.
        self.fields["visited_by"].queryset = (
            User.objects.filter(
                Q(memberships__mission_id=case.mission_id) | Q(is_central_admin=True),
                is_active=True,
            )
            .distinct()
            .order_by("full_name", "email")
        )
        self.fields["visited_by"].label_from_instance = lambda u: u.full_name or u.email
        for dimension in Dimension.values:
            self.fields[f"{dimension}_score"].help_text = SCORE_HELP

    def dimensions(self) -> list[tuple[Any, Any, Any]]:
        return [
            (label, self[f"{code}_score"], self[f"{code}_reason"])
            for code, label in Dimension.choices
        ]

    def record_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "done_date": data["done_date"],
            "mode": data["mode"],
            "visited_by": data["visited_by"],
            "scores": {d: data[f"{d}_score"] for d in Dimension.values},
            "reasons": {d: data[f"{d}_reason"] for d in Dimension.values},
            "retrafficked": data["retrafficked"],
            "notes": data["notes"],
        }


class OverdueFilterForm(forms.Form):
    mission = forms.ModelChoiceField(
        label=_("Mission"), queryset=None, required=False, empty_label=_("All missions")
    )

    def __init__(self, *args, missions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = missions
        self.fields["mission"].label_from_instance = lambda m: f"{m.code} — {m.name}"
