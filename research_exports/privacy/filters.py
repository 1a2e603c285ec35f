"""Filters of the central administrators' budget and ledger pages."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User

from .ledger import YEAR_MAX, YEAR_MIN
from .models import PrivacyBudget, PrivacyLedgerEntry

ANY = _("Any")


def researchers():
    return User.objects.filter(is_researcher=True).order_by("email")


class _ResearcherYearFilter(django_filters.FilterSet):
    researcher = django_filters.ModelChoiceFilter(
        queryset=researchers(), label=_("Researcher"), empty_label=ANY
    )
    year = django_filters.NumberFilter(label=_("Year"), min_value=YEAR_MIN, max_value=YEAR_MAX)


class BudgetFilter(_ResearcherYearFilter):
    class Meta:
        model = PrivacyBudget
        fields: list[str] = []


class LedgerFilter(_ResearcherYearFilter):
    kind = django_filters.ChoiceFilter(
        choices=PrivacyLedgerEntry.Kind.choices,
        label=pgettext_lazy(
            "privacy budget ledger: an entry spending epsilon or setting the budget", "Movement"
        ),
        empty_label=ANY,
    )

    class Meta:
        model = PrivacyLedgerEntry
        fields: list[str] = []
