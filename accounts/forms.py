"""Forms of the accounts pages. They parse input; the services decide and write."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from cases.vocabularies import blank_first, country_choices

from . import selectors
from .models import Membership, Mission

SIGN_IN_FAILED_MESSAGE = _(
    "The email address or password is not correct, or the account cannot sign in."
)


class SignInForm(AuthenticationForm):
    """Email and password. Every refusal reads the same, so the form never tells whether an
    account exists or is active."""

    # Named "username" because django-axes counts failures by that form field.
    username = forms.CharField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": SIGN_IN_FAILED_MESSAGE,
        "inactive": SIGN_IN_FAILED_MESSAGE,
    }

    def clean_username(self) -> str:
        # Lower-cased before authenticate(): addresses are stored lower-case, and axes must
        # count "A@x" and "a@x" as the same account.
        return self.cleaned_data["username"].strip().lower()


class UserCreateForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters, not a common password, not only digits."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    is_central_admin = forms.BooleanField(label=_("Central administrator"), required=False)
    is_researcher = forms.BooleanField(
        label=_("Researcher"),
        required=False,
        help_text=_("Researchers see anonymised research data only, never a case."),
    )


class UserEditForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    is_central_admin = forms.BooleanField(label=_("Central administrator"), required=False)
    is_researcher = forms.BooleanField(
        label=_("Researcher"),
        required=False,
        help_text=_("Researchers see anonymised research data only, never a case."),
    )


class UserFilterForm(forms.Form):
    ROLE_CHOICES = [
        ("", _("Any role")),
        (selectors.ROLE_CENTRAL_ADMIN, _("Central administrator")),
        (selectors.ROLE_CASEWORKER, _("Caseworker")),
        (selectors.ROLE_RESEARCHER, _("Researcher")),
        (selectors.ROLE_NONE, _("No role")),
    ]
    ACTIVE_CHOICES = [("", _("Active or not")), ("yes", _("Active")), ("no", _("Inactive"))]

    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, required=False)
    mission = forms.ModelChoiceField(
        label=_("Mission"),
        queryset=Mission.objects.order_by("code"),
        required=False,
        empty_label=_("Any mission"),
    )
    active = forms.ChoiceField(label=_("Status"), choices=ACTIVE_CHOICES, required=False)

    def filters(self) -> dict:
        """Selector arguments; invalid values are ignored rather than failing the list."""
        data = self.cleaned_data if self.is_valid() else {}
        active = data.get("active", "")
        return {
            "role": data.get("role", ""),
            "mission": data.get("mission"),
            "is_active": {"yes": True, "no": False}.get(active),
        }


class MembershipAddForm(forms.Form):
    mission = forms.ModelChoiceField(
        label=_("Mission"),
        queryset=Mission.objects.none(),
        empty_label=_("Choose a mission"),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.CASEWORKER
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = selectors.mission_list(active_only=True)


class MissionCreateForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=8,
        help_text=_("2 to 8 capital letters, e.g. NPL. Case references start with it."),
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    country = forms.ChoiceField(label=_("Country"), choices=())
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = blank_first(("", _("Choose a country")), country_choices)

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class MissionEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    country = forms.ChoiceField(label=_("Country"), choices=())
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = blank_first(("", _("Choose a country")), country_choices)


class LanguageForm(forms.Form):
    """The switcher in every page's header: one select, one button, no script needed."""

    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
