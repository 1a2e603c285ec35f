"""HTML forms of further trafficking details and of joint case-sharing decisions.

They parse input; the services decide. The answer of a further detail is asked with the
screening's own form fields, so the same codes are offered and accepted.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Mission
from cases.forms import ServiceErrorsMixin
from cases.models import Case, CaseAccessReason
from screening.forms import PerpetratorForm, TraffickingEventForm
from screening.forms import screening_form_field as _screening_field

from .forms import BLANK_CHOICE
from .models import AssistanceInterview, TraffickingDetailKind
from .profile_items import ROW_FIELDS, ProfileItem, item_choices

REASON_MAX_LENGTH = 5000
# The case page holds both sharing forms: their fields need distinct names and ids.
PROPOSE_PREFIX = "share"
GRANT_PREFIX = "grant"
ROW_FORMS: dict[str, type[forms.Form]] = {
    "events": TraffickingEventForm,
    "perpetrators": PerpetratorForm,
}


class DetailItemForm(forms.Form):
    """Step one: which item of the profile the change is about."""

    item = forms.ChoiceField(label=_("Item of the trafficking profile"), choices=())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [BLANK_CHOICE, *item_choices()]


class DetailChangeForm(ServiceErrorsMixin, forms.Form):
    """Step two: the addition or correction of one item, with the reason for it."""

    kind = forms.ChoiceField(
        label=_("Kind of change"),
        choices=TraffickingDetailKind.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "An addition adds to what is known; a correction replaces an answer that was wrong."
        ),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("How this became known. Kept encrypted in the case record."),
    )

    def __init__(
        self,
        *args,
        item: ProfileItem,
        rows: list[dict[str, Any]],
        interviews: list[AssistanceInterview],
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        if item.is_rows:
            choices = [
                (str(row["position"]), _("Row %(number)s") % {"number": row["position"] + 1})
                for row in rows
                if row["position"] is not None
            ]
            self.fields["row_position"] = forms.TypedChoiceField(
                label=_("Row corrected"),
                choices=[("", _("None: add a new row")), *choices],
                coerce=int,
                empty_value=None,
                required=False,
                help_text=_("Only for a correction: the row of the screening it replaces."),
            )
            for name, field in ROW_FORMS[item.code].base_fields.items():
                self.fields[name] = copy.deepcopy(field)
        else:
            self.fields["value"] = _screening_field(item.code)
            self.fields["value"].label = _("New answer: %(item)s") % {"item": item.label}
        self.fields["interview"] = forms.TypedChoiceField(
            label=_("Learned in the assistance interview of"),
            choices=[("", _("Not in an interview")), *_interview_choices(interviews)],
            required=False,
            empty_value=None,
        )
        # The reason comes last, after the answer it explains.
        self.order_fields(["kind", "row_position", *ROW_FIELDS.get(item.code, ()), "value"])

    def value(self) -> Any:
        if not self.item.is_rows:
            return self.cleaned_data.get("value")
        return {name: self.cleaned_data.get(name) for name in ROW_FORMS[self.item.code].base_fields}

    def add_service_error(self, exc: ValidationError | Exception) -> None:
        # The service names a row's answers "value.<field>": here they are fields of their own.
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
            exc = ValidationError(
                {key.removeprefix("value."): messages for key, messages in exc.message_dict.items()}
            )
        super().add_service_error(exc)


def _interview_choices(interviews: list[AssistanceInterview]) -> list[tuple[str, str]]:
    return [(str(i.pk), i.interview_date.isoformat()) for i in interviews]


class DetailReviewForm(ServiceErrorsMixin, forms.Form):
    DECISIONS = [("accept", _("Accept the change")), ("reject", _("Reject the change"))]

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea({"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ProposeSharingForm(ServiceErrorsMixin, forms.Form):
    mission = forms.ModelChoiceField(
        label=_("Receiving mission"), queryset=Mission.objects.none(), empty_label=_("Select…")
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=[BLANK_CHOICE, *CaseAccessReason.choices])

    def __init__(self, *args, case: Case, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mission"].queryset = (
            Mission.objects.filter(is_active=True).exclude(pk=case.mission_id).order_by("code")
        )


class ProposalDecisionForm(ServiceErrorsMixin, forms.Form):
    DECISIONS = [
        ("approve", _("Approve: my mission continues this case with them")),
        ("decline", _("Decline")),
    ]

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RevokeForm(ServiceErrorsMixin, forms.Form):
    """A confirmation: revoking has no answer to give."""
