"""The case list filters, shared by the HTML list and the API list."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Mission, User

from .models import AuditAction, AuditEvent, Case
from .search import QUERY_MAX_LENGTH
from .selectors import case_search
from .vocabularies import CaseStatus, country_choices

ANY = _("Any")


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Name, alias, phone, date of birth or reference"),
        max_length=QUERY_MAX_LENGTH,
        method="filter_search",
    )
    # Status is a plain column of the case: no join can repeat a row, so no DISTINCT.
    status = django_filters.MultipleChoiceFilter(
        choices=CaseStatus.choices,
        label=_("Status"),
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    mission = django_filters.ModelChoiceFilter(
        queryset=Mission.objects.none(), label=_("Mission"), empty_label=ANY
    )
    assigned_to = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), label=_("Assigned to"), empty_label=ANY
    )
    registered_from = django_filters.DateFilter(
        field_name="registered_on",
        lookup_expr="gte",
        label=_("Registered from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    registered_to = django_filters.DateFilter(
        field_name="registered_on",
        lookup_expr="lte",
        label=_("Registered to"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    citizenship = django_filters.ChoiceFilter(
        field_name="person__citizenships",
        lookup_expr="contains",
        choices=country_choices,
        label=_("Citizenship"),
        method="filter_citizenship",
        empty_label=ANY,
    )

    # Central administrators only: for anyone else the filter does not exist, so the flag
    # cannot be probed through the list.
    retrafficked = django_filters.BooleanFilter(
        label=_("Re-trafficking"),
        widget=forms.NullBooleanSelect,
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Choices never offer what the user cannot see.
        if not (user is not None and user.is_authenticated and user.sees_all_missions):
            del self.filters["retrafficked"]
        if user is not None and user.is_authenticated and user.sees_all_missions:
            missions = Mission.objects.all()
        elif user is not None and user.is_authenticated:
            missions = Mission.objects.filter(pk__in=user.caseworker_mission_ids)
        else:
            missions = Mission.objects.none()
        self.filters["mission"].queryset = missions
        self.filters["assigned_to"].queryset = User.objects.filter(
            memberships__mission__in=missions, memberships__role=Membership.Role.CASEWORKER
        ).distinct()

    def filter_search(self, queryset, name, value):
        return case_search(queryset=queryset, query=value)

    def filter_citizenship(self, queryset, name, value):
        return queryset.filter(person__citizenships__contains=[value])


def search_query(filterset: CaseFilter) -> str:
    """The search terms of a bound, valid case filter ("" when none): what is audited."""
    if not filterset.is_bound or not filterset.is_valid():
        return ""
    return (filterset.form.cleaned_data.get("q") or "").strip()


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditEventFilter(django_filters.FilterSet):
    """Filters of the audit trail. Dates are whole days in the server's time zone."""

    actor = django_filters.ModelChoiceFilter(
        queryset=User.objects.order_by("email"), label=_("User"), empty_label=ANY
    )
    case_reference = django_filters.CharFilter(
        label=_("Case reference"), max_length=32, method="filter_case_reference"
    )
    action = django_filters.ChoiceFilter(
        choices=AuditAction.choices, label=_("Action"), empty_label=ANY
    )
    occurred_from = django_filters.DateFilter(
        label=_("From"),
        method="filter_occurred_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    occurred_to = django_filters.DateFilter(
        label=_("To"),
        method="filter_occurred_to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_case_reference(self, queryset, name, value):
        # References are stored upper-case; an exact match uses the index.
        return queryset.filter(case_reference=value.strip().upper())

    # Comparing the indexed timestamp with day boundaries, rather than its date, keeps the
    # index usable.
    def filter_occurred_from(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=_start_of_day(value))

    def filter_occurred_to(self, queryset, name, value):
        if value >= datetime.date.max:
            return queryset
        return queryset.filter(occurred_at__lt=_start_of_day(value + datetime.timedelta(days=1)))
