"""Forms of the second-factor pages: a code, and a name for a new device."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

CODE_MAX_LENGTH = 32


class CodeForm(forms.Form):
    """A code from the authenticator app, or one of the recovery codes."""

    # Named otp_token, which django-axes is told never to store (AXES_SENSITIVE_PARAMETERS).
    otp_token = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX_LENGTH,
        help_text=_("The 6-digit code from your authenticator app, or a recovery code."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )

    def clean_otp_token(self) -> str:
        return self.cleaned_data["otp_token"].strip()


class EnrolForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code from the app"),
        max_length=CODE_MAX_LENGTH,
        help_text=_("Enter the 6-digit code the app shows for Harbour."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
    name = forms.CharField(
        label=_("Name of this device"),
        max_length=64,
        required=False,
        help_text=_("For example: work phone. Shown on your security page only."),
    )

    def clean_otp_token(self) -> str:
        return self.cleaned_data["otp_token"].strip()
