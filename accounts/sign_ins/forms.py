"""The central administrators' filter of the sign-in history."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .selectors import SIGN_IN_HISTORY_ACTIONS

DATE_RANGE_MESSAGE = _("The start date must not be after the end date.")


class SignInFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Account"),
        queryset=User.objects.order_by("email"),
        required=False,
        empty_label=_("Any account"),
    )
    action = forms.ChoiceField(label=_("Event"), required=False, choices=())
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [
            ("", _("Any event")),
            *((action.value, action.label) for action in SIGN_IN_HISTORY_ACTIONS),
        ]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", DATE_RANGE_MESSAGE)
        return data

    def filters(self) -> dict:
        """Selector arguments. An invalid filter shows its error and filters on nothing."""
        if not self.is_valid():
            return {}
        return {
            "user": self.cleaned_data.get("user"),
            "action": self.cleaned_data.get("action", ""),
            "date_from": self.cleaned_data.get("date_from"),
            "date_to": self.cleaned_data.get("date_to"),
        }
