"""Forms of the password pages. They parse and check input; the services write."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.utils.translation import gettext_lazy as _

CURRENT_PASSWORD_WRONG_MESSAGE = _("Your current password is not correct.")
PASSWORDS_DIFFER_MESSAGE = _("The two new passwords differ.")


class NewPasswordFields(forms.Form):
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html,
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", PASSWORDS_DIFFER_MESSAGE)
        return data


class PasswordChangeForm(NewPasswordFields):
    """Current password, then the new one twice. The validators run in the service."""

    field_order = ["current_password", "new_password1", "new_password2"]

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, *args, user, request, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        # Through the authentication backends, django-axes included: a wrong guess here counts
        # towards the lockout as on the sign-in page, so a session left open on a shared
        # computer cannot be used to try passwords without limit.
        checked = authenticate(self.request, username=self.user.email, password=password)
        if checked is None or checked.pk != self.user.pk:
            raise forms.ValidationError(CURRENT_PASSWORD_WRONG_MESSAGE, code="password_incorrect")
        return password


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class PasswordResetSetForm(NewPasswordFields):
    """The new password twice, on a reset link's page (Django's reset view passes ``user``)."""

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
