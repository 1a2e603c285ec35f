"""The upload and confirmation forms. They parse input; ``intake.services`` decides."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Mission

FORMAT_CHOICES = (
    ("htcds", _("HTCDS file (CSV or XLSX)")),
    ("ctdc", _("CTDC dataset (historical, de-identified)")),
    ("kobo-csv", _("KoBoToolbox submissions, CSV export (draft screenings)")),
    ("kobo-xlsx", _("KoBoToolbox submissions, XLSX export (draft screenings)")),
    ("kobo-json", _("KoBoToolbox submissions, JSON export (draft screenings)")),
    ("odk-csv", _("ODK Central submissions, CSV or zip export (draft screenings)")),
)
TOO_LARGE_MESSAGE = _("The file is larger than the import limit of %(limit)d MB.")


class ImportUploadForm(forms.Form):
    mission = forms.ModelChoiceField(
        label=_("Mission"),
        queryset=Mission.objects.filter(is_active=True).only("pk", "code", "name"),
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="htcds")
    source = forms.CharField(
        label=_("Source"),
        max_length=64,
        initial="legacy",
        help_text=_(
            "Where the records come from (for example the name of the old system). "
            "External ids are unique per mission and source."
        ),
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8) or XLSX, header row of HTCDS field names; or a KoBoToolbox / ODK "
            "Central export of the screening form's submissions (XML values and headers)."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.HARBOUR_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(TOO_LARGE_MESSAGE % {"limit": limit // (1024 * 1024)})
        return upload


class ImportConfirmForm(forms.Form):
    import_valid_rows = forms.BooleanField(
        label=_("Import the valid rows and give me the rejected rows as a file"), required=False
    )
