"""Filters of a case's services timeline."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import AssistanceService, ServiceCategory

ANY = _("Any")


class ServiceFilter(django_filters.FilterSet):
    # Plain columns of the service: no join can repeat a row, so no DISTINCT.
    category = django_filters.ChoiceFilter(
        choices=ServiceCategory.choices, label=_("Category"), empty_label=ANY
    )
    status = django_filters.ChoiceFilter(
        choices=AssistanceService.Status.choices, label=_("Status"), empty_label=ANY
    )

    class Meta:
        model = AssistanceService
        fields: list[str] = []
