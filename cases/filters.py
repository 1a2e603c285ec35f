"""The case list filters, shared by the HTML list and the API list."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Mission, User

from .models import Case
from .vocabularies import CaseStatus, country_choices


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="reference",
        lookup_expr="icontains",
        label=_("Reference contains"),
        max_length=32,
    )
    status = django_filters.MultipleChoiceFilter(
        choices=CaseStatus.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    mission = django_filters.ModelChoiceFilter(queryset=Mission.objects.none(), label=_("Mission"))
    assigned_to = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), label=_("Assigned to")
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
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Choices never offer what the user cannot see.
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

    def filter_citizenship(self, queryset, name, value):
        return queryset.filter(person__citizenships__contains=[value])
