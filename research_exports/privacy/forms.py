"""The form a central administrator sets a researcher's budget with (parsed here, decided by
``ledger.budget_set``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .filters import researchers
from .ledger import ALLOWANCE_MAX, YEAR_MAX, YEAR_MIN


class BudgetSetForm(forms.Form):
    researcher = forms.ModelChoiceField(queryset=researchers(), label=_("Researcher"))
    year = forms.IntegerField(label=_("Year"), min_value=YEAR_MIN, max_value=YEAR_MAX)
    allowance = forms.DecimalField(
        label=_("Privacy budget for the year (ε)"),
        min_value=0,
        max_value=ALLOWANCE_MAX,
        max_digits=8,
        decimal_places=4,
        help_text=_(
            "The total ε this researcher may spend in the year. Lowering it below what was "
            "already spent leaves nothing to spend; nothing spent is taken back."
        ),
    )
