"""The extract request form. It parses input; the service (``extract_request``) decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cases.vocabularies import ExploitationType, country_choices
from config.errors import ApplicationError

from .models import Extract, ExtractMode
from .privacy import dp
from .variables import MAX_DIMENSIONS, VARIABLES

FILTER_FIELDS = (
    "year_from",
    "year_to",
    "citizenship",
    "country_of_exploitation",
    "exploitation_type",
)
YEAR_MIN = 1900
YEAR_MAX = 2100
DIMENSIONS_HELP = _("Choose 1 to %(max)d variables to count people by.")
DELTA_HELP = _(
    "Gaussian noise only: the small probability (at most %(max)s, for example 0.000001) that "
    "the table reveals more than ε says. Leave it empty for Laplace."
)


def variable_choices() -> list[tuple[str, str]]:
    return [(name, variable.label) for name, variable in VARIABLES.items()]


class ExtractRequestForm(forms.Form):
    dimensions = forms.MultipleChoiceField(
        label=_("Dimensions"),
        choices=variable_choices,
        widget=forms.CheckboxSelectMultiple,
    )
    year_from = forms.IntegerField(
        label=_("From year"),
        required=False,
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        help_text=_("Years come in fixed 5-year bands: start with a year ending in 0 or 5."),
    )
    year_to = forms.IntegerField(
        label=_("To year"),
        required=False,
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        help_text=_("End with a year ending in 4 or 9."),
    )
    citizenship = forms.MultipleChoiceField(
        label=_("Citizenship"),
        choices=country_choices,
        required=False,
        help_text=_("Leave empty for every citizenship."),
    )
    country_of_exploitation = forms.MultipleChoiceField(
        label=_("Country of exploitation"),
        choices=country_choices,
        required=False,
        help_text=_("Leave empty for every country."),
    )
    exploitation_type = forms.ChoiceField(
        label=_("Type of exploitation"),
        choices=[("", _("Any")), *ExploitationType.choices],
        required=False,
    )
    file_format = forms.ChoiceField(
        label=_("File format"),
        choices=Extract.Format.choices,
        initial=Extract.Format.CSV,
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(
        label=_("Language of the data dictionary and report"),
        choices=settings.LANGUAGES,
        # The page's language unless the researcher picks another; codes are language-free.
        initial=translation.get_language,
        required=False,
        help_text=_("Labels and explanations are written in this language; codes stay the same."),
    )

    # Differential privacy: parsed here, validated (and the ε spent) by the service.
    mode = forms.ChoiceField(
        label=_("Protection"),
        choices=ExtractMode.choices,
        initial=ExtractMode.SUPPRESSED,
        widget=forms.RadioSelect,
        required=False,
    )
    epsilon = forms.CharField(
        label=_("Privacy budget to spend (ε)"),
        required=False,
        max_length=20,
        help_text=_(
            "Only for differentially private counts. ε says how much the table may reveal "
            "about any one person: with a small ε (say 0.5) nobody can tell from the table "
            "whether a given person is in the data, but every count carries more noise; with "
            "a large ε (say 4) counts are closer to the truth and say more about each person. "
            "It is taken from your yearly budget when you request the extract."
        ),
    )
    mechanism = forms.ChoiceField(
        label=_("Noise"),
        choices=[
            ("laplace", _("Discrete Laplace (pure ε, δ = 0)")),
            ("gaussian", _("Discrete Gaussian (ε and a small δ)")),
        ],
        initial="laplace",
        required=False,
    )
    delta = forms.CharField(
        label=_("Chance of a larger leak (δ)"),
        required=False,
        max_length=20,
    )

    release = forms.ChoiceField(
        label=_("Release"),
        required=False,
        help_text=_(
            "Suppressed counts come from a published release of the research data; the "
            "latest is chosen unless you pick an earlier one."
        ),
    )

    def __init__(self, *args: Any, releases: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set per form, not at import: the help text is translated for the request's language.
        self.fields["dimensions"].help_text = DIMENSIONS_HELP % {"max": MAX_DIMENSIONS}
        self.fields["delta"].help_text = DELTA_HELP % {"max": dp.DELTA_MAX}
        self.fields["release"].choices = [(str(release.pk), release.name) for release in releases]

    def filters(self) -> dict[str, Any]:
        """The chosen filters; an empty one is left out, meaning "no restriction"."""
        data = self.cleaned_data
        return {name: data[name] for name in FILTER_FIELDS if data.get(name) not in (None, "", [])}

    def add_service_error(self, exc: ValidationError | ApplicationError) -> None:
        """The service's refusal, next to the field it names (or above the form)."""
        if isinstance(exc, ApplicationError):
            self.add_error(None, exc.message)
            for field, messages in exc.errors.items():
                self.add_error(field if field in self.fields else None, messages)
            return
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class ReleasePublishForm(forms.Form):
    name = forms.CharField(
        label=_("Release name"),
        max_length=100,
        help_text=_("For example 2026 Q1. Researchers see it on every extract of the release."),
    )
    snapshot = forms.ChoiceField(
        label=_("Research mart snapshot"),
        required=False,
        help_text=_("The current snapshot unless you choose another built one."),
    )

    def __init__(self, *args: Any, snapshots: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["snapshot"].choices = [("", _("The current snapshot"))] + [
            (str(s.pk), _("Snapshot %(id)s (%(rows)s rows)") % {"id": s.pk, "rows": s.row_count})
            for s in snapshots
        ]

    def add_service_error(self, exc: ApplicationError) -> None:
        if not exc.errors:
            self.add_error(None, exc.message)
        for field, messages in exc.errors.items():
            self.add_error(field if field in self.fields else None, messages)
