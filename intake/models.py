"""Import jobs and the provenance of every imported case.

A job's report holds row numbers, column names and reason codes only, never a cell's value:
the file itself is personal data and lives, encrypted, outside the database until it is
imported or expires (``intake.storage``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class Status(models.TextChoices):
        VALIDATING = "validating", _("Validating")
        VALIDATED = "validated", _("Validated: waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        SUCCEEDED = "succeeded", _("Imported")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # A reader name (intake.readers): htcds, ctdc, and the KoBo/ODK formats.
    format = models.CharField(max_length=32)
    # Where the records come from (a legacy system, a release): external ids are unique per
    # mission and source.
    source = models.CharField(_("source"), max_length=64)
    mission = models.ForeignKey(
        "accounts.Mission", on_delete=models.PROTECT, related_name="import_jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.VALIDATING)
    # SHA-256 of the file's name: a name can itself be personal ("maria-lopez.xlsx").
    file_name_hash = models.CharField(max_length=64)
    # ".csv", ".xlsx"...: what the reader is told the file is (the name itself is not kept).
    file_extension = models.CharField(max_length=8, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    # Options: field submissions come in with their screening as a draft; historical
    # records (CTDC) carry no identity and arrive closed.
    screening_draft = models.BooleanField(default=False)
    historical = models.BooleanField(default=False)
    import_valid_rows = models.BooleanField(default=False)
    cancel_requested = models.BooleanField(default=False)
    rows_total = models.PositiveIntegerField(default=0)
    rows_validated = models.PositiveIntegerField(default=0)
    rows_invalid = models.PositiveIntegerField(default=0)
    rows_existing = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    # {"file_errors": [code...], "errors": [[row, column, code]...], "errors_by_column":
    #  {column: {code: count}}, "errors_truncated": bool, "duplicates": [row...]}
    report = models.JSONField(default=dict, blank=True)
    # A code (intake.messages), never an exception's text.
    failure = models.CharField(max_length=40, blank=True)
    upload_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="import_job_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "validating",
                        "validated",
                        "importing",
                        "succeeded",
                        "failed",
                        "cancelled",
                    ]
                ),
                name="import_job_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk}"

    @property
    def rows_valid(self) -> int:
        return self.rows_validated - self.rows_invalid

    @property
    def rows_to_import(self) -> int:
        return self.rows_valid - self.rows_existing

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.IMPORTING)


class ImportedRecord(models.Model):
    """Provenance of an imported case: which job, which row, under which external id."""

    job = models.ForeignKey(ImportJob, on_delete=models.PROTECT, related_name="records")
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="import_record"
    )
    mission = models.ForeignKey("accounts.Mission", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=64)
    external_id = models.CharField(max_length=128)
    row_number = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "source", "external_id"], name="imported_record_external_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"
