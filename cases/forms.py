"""HTML forms for registering and editing a case. They parse input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Mission, User
from config.errors import ApplicationError

from .models import Case
from .selectors import registrable_missions
from .services import COMMENT_MAX_LENGTH
from .vocabularies import (
    ClosureReason,
    Gender,
    ReopenReason,
    country_choices,
    currency_choices,
    language_choices,
)

MAX_LINES = 20
TOO_MANY_LINES_MESSAGE = _("Enter at most %(max)d lines.")
LINE_TOO_LONG_MESSAGE = _("Each line can have at most %(max)d characters.")
BIRTH_YEAR_HELP = _("Only if the full date of birth is not known.")


def filterable_select(filter_label: str) -> forms.SelectMultiple:
    """A multiple select that harbour.js gives a filter box; the labels are its UI text."""
    return forms.SelectMultiple(
        attrs={
            "data-filterable": "",
            "data-filter-label": filter_label,
            "data-chosen-label": _("Selected"),
            "data-remove-label": _("Remove"),
            "size": 8,
        }
    )


class LinesField(forms.CharField):
    """A textarea of one value per line, cleaned to a list without blank lines."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *, max_line_length: int = 100, **kwargs) -> None:
        self.max_line_length = max_line_length
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value) or ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) > MAX_LINES:
            raise ValidationError(TOO_MANY_LINES_MESSAGE, params={"max": MAX_LINES})
        if any(len(line) > self.max_line_length for line in lines):
            raise ValidationError(LINE_TOO_LONG_MESSAGE, params={"max": self.max_line_length})
        return lines


class CaseworkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name or obj.email


def _caseworkers(missions) -> Any:
    return (
        User.objects.filter(
            is_active=True,
            memberships__mission__in=missions,
            memberships__role=Membership.Role.CASEWORKER,
        )
        .distinct()
        .order_by("full_name", "email")
    )


class CurrencySelect(forms.Select):
    """An ISO 4217 currency chosen from a list named in the active language, never typed.

    The field behind it stays text: a code posted from elsewhere reaches the service, whose
    message says what is wrong with it."""

    def get_context(self, name, value, attrs):
        self.choices = [("", "—"), *currency_choices()]
        context = super().get_context(name, value, attrs)
        # The text field's length limit is no attribute of a list.
        context["widget"]["attrs"].pop("maxlength", None)
        return context


class ServiceErrorsMixin:
    """Puts a service's refusal next to the fields it names."""

    def add_service_error(self, exc: ValidationError | ApplicationError) -> None:
        if isinstance(exc, ApplicationError):
            errors = exc.errors or {}
            if not any(errors.values()):
                self.add_error(None, exc.message)
                return
        elif hasattr(exc, "error_dict"):
            errors = exc.message_dict
        else:
            self.add_error(None, exc.messages)
            return
        for field, messages in errors.items():
            self.add_error(field if field in self.fields else None, list(messages))


class PersonFieldsForm(ServiceErrorsMixin, forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=150)
    family_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    aliases = LinesField(
        label=_("Other names used"), help_text=_("One per line."), max_line_length=150
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    birth_year = forms.IntegerField(
        label=_("Birth year"), required=False, min_value=1900, help_text=BIRTH_YEAR_HELP
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=[("", _("Select…")), *Gender.choices])
    citizenships = forms.MultipleChoiceField(
        label=_("Citizenship(s)"),
        choices=country_choices,
        required=False,
        help_text=_("Select one or more countries."),
        widget=filterable_select(_("Type to find a country")),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        choices=language_choices,
        required=False,
        help_text=_("Select one or more languages."),
        widget=filterable_select(_("Type to find a language")),
    )
    identity_documents = LinesField(
        label=_("Identity document numbers"), help_text=_("One per line."), max_line_length=64
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    address = forms.CharField(
        label=_("Address"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    registered_on = forms.DateField(
        label=_("Registration date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    assigned_to = CaseworkerChoiceField(
        label=_("Assigned caseworker"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Not assigned"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_name"].widget.attrs["autocomplete"] = "off"
        self.fields["family_name"].widget.attrs["autocomplete"] = "off"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # A full date of birth carries its year; only an explicit, different year is an error.
        dob = cleaned.get("date_of_birth")
        if (
            dob is not None
            and cleaned.get("birth_year") is None
            and not self.has_error("birth_year")
        ):
            cleaned["birth_year"] = dob.year
        return cleaned

    def person_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "given_name": data["given_name"],
            "family_name": data["family_name"],
            "aliases": data["aliases"],
            "date_of_birth": data["date_of_birth"],
            "birth_year": data["birth_year"],
            "gender": data["gender"],
            "citizenships": data["citizenships"],
            "languages": data["languages"],
            "identity_documents": data["identity_documents"],
            "phone": data["phone"],
            "address": data["address"],
        }


class CaseCreateForm(PersonFieldsForm):
    mission = forms.ModelChoiceField(label=_("Mission"), queryset=Mission.objects.none())

    field_order = ["mission"]

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        missions = registrable_missions(user)
        self.fields["mission"].queryset = missions
        self.fields["assigned_to"].queryset = _caseworkers(missions)
        self.fields["assigned_to"].help_text = _("A caseworker of the chosen mission.")
        self.fields["registered_on"].initial = timezone.localdate
        if len(missions) == 1:
            self.fields["mission"].initial = missions[0].pk


class CaseEditForm(PersonFieldsForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, case: Case, **kwargs) -> None:
        person = case.person
        kwargs.setdefault(
            "initial",
            {
                "given_name": person.given_name,
                "family_name": person.family_name,
                "aliases": person.aliases,
                "date_of_birth": person.date_of_birth,
                # The year of a full date is derived from it; showing it would invite a
                # mismatch when the date is corrected.
                "birth_year": None if person.date_of_birth else person.birth_year,
                "gender": person.gender,
                "citizenships": person.citizenships,
                "languages": person.languages,
                "identity_documents": person.identity_documents,
                "phone": person.phone,
                "address": person.address,
                "registered_on": case.registered_on,
                "assigned_to": case.assigned_to_id,
                "version": case.version,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = _caseworkers([case.mission_id])

    def update_data(self) -> dict[str, Any]:
        return {
            **self.person_data(),
            "registered_on": self.cleaned_data["registered_on"],
            "assigned_to": self.cleaned_data["assigned_to"],
        }


# Closure and reopening

COMMENT_WIDGET = forms.Textarea(attrs={"rows": 3})
REFERRAL_CONFIRM_MESSAGE = _("Confirm that the case closes now.")


class ClosureRequestForm(ServiceErrorsMixin, forms.Form):
    # Prefixed: the case page holds other sections' forms, and ids must stay unique.
    prefix = "closure"
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.ChoiceField(
        label=_("Reason for closure"), choices=[("", _("Select…")), *ClosureReason.choices]
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=COMMENT_WIDGET,
        help_text=_(
            "Required for “Other”. A referral closes the case at once; any other reason "
            "waits for a central administrator."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I understand a referral closes the case now, without approval."),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("reason") == ClosureReason.REFERRED and not cleaned.get("confirm"):
            self.add_error("confirm", REFERRAL_CONFIRM_MESSAGE)
        return cleaned


class ClosureDecisionForm(ServiceErrorsMixin, forms.Form):
    APPROVE = "approve"
    RETURN = "return"

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(APPROVE, _("Approve: close the case")), (RETURN, _("Return the request"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=COMMENT_WIDGET,
        help_text=_("Required when you return the request: say what is missing."),
    )


class ReopenForm(ServiceErrorsMixin, forms.Form):
    prefix = "reopen"
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.ChoiceField(
        label=_("Reason for reopening"), choices=[("", _("Select…")), *ReopenReason.choices]
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=COMMENT_WIDGET,
        help_text=_("Required for “Other”."),
    )


class ClosureQueueFilterForm(forms.Form):
    mission = forms.ModelChoiceField(
        label=_("Mission"),
        queryset=Mission.objects.order_by("code"),
        required=False,
        empty_label=_("All missions"),
    )
