"""The research mart (one de-identified row per case) and researchers' extract jobs.

Mart rows hold coded, generalised variables only: no identifier, no free text, no date finer
than a year, no case reference. Extracts read one snapshot of the mart, never live tables.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


def _codes(verbose_name) -> ArrayField:
    return ArrayField(
        models.CharField(max_length=64), verbose_name=verbose_name, default=list, blank=True
    )


class MartSnapshot(models.Model):
    class Status(models.TextChoices):
        BUILDING = "building", _("Building")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        SCHEDULE = "schedule", _("Daily schedule")
        ADMINISTRATOR = "administrator", _("Central administrator")

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BUILDING)
    source = models.CharField(max_length=16, choices=Source.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Exactly one snapshot is current; extracts requested now read it.
    is_current = models.BooleanField(default=False)
    row_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    build_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="mart_one_current_snapshot",
            ),
        ]

    def __str__(self) -> str:
        return f"Snapshot {self.pk}"


class ResearchRelease(models.Model):
    """A mart snapshot a central administrator published for suppressed-count extracts.

    Suppressed extracts read releases only, never the nightly mart: each release is a fixed
    set of counts, published rarely (for example quarterly), so a researcher cannot compare
    two rebuilds a case apart. Its snapshot is kept as long as the release exists.
    """

    snapshot = models.OneToOneField(MartSnapshot, on_delete=models.PROTECT, related_name="release")
    name = models.CharField(max_length=100, unique=True)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class MartRow(models.Model):
    """One case, de-identified. Column names follow CTDC where CTDC has the variable."""

    snapshot = models.ForeignKey(MartSnapshot, on_delete=models.CASCADE, related_name="rows")
    # Null for a historical record whose source gives no year (published as unknown).
    year_of_registration = models.PositiveSmallIntegerField(null=True)
    mission_country = models.CharField(max_length=3)
    gender = models.CharField(max_length=40, blank=True)  # CTDC categories
    age_broad = models.CharField(max_length=8, blank=True)  # CTDC ageBroad bands
    minor_at_registration = models.BooleanField(null=True)
    citizenship = models.CharField(max_length=3, blank=True)
    country_of_exploitation = models.CharField(max_length=3, blank=True)
    route_origin = models.CharField(max_length=3, blank=True)
    route_destination = models.CharField(max_length=3, blank=True)
    traffick_months = models.CharField(max_length=8, blank=True)  # CTDC bands
    exploitation_types = _codes(_("exploitation types"))
    labour_industries = _codes(_("forced-labour industries"))
    sexual_exploitation_types = _codes(_("sexual exploitation types"))
    means_of_control = _codes(_("means of control (CTDC groups)"))
    recruiter_relation = models.CharField(max_length=16, blank=True)
    trafficking_status = models.CharField(max_length=32, blank=True)
    # Re-trafficking: a monitoring visit found it, or a later case of the same person was linked.
    is_retrafficked = models.BooleanField(default=False)
    # Scores (1-5) of the latest monitoring visit done, per reintegration dimension.
    economic_score = models.PositiveSmallIntegerField(null=True)
    social_score = models.PositiveSmallIntegerField(null=True)
    psychosocial_score = models.PositiveSmallIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["snapshot", "year_of_registration"], name="mart_year")]

    def __str__(self) -> str:
        return f"Mart row {self.pk}"


class ExtractMode(models.TextChoices):
    SUPPRESSED = "suppressed", _("Suppressed counts")
    DP = "dp", _("Differentially private counts")


class Extract(models.Model):
    """A researcher's request for an aggregate table, and the job that builds it.

    The row is the source of truth for the job's state; the worker holds a lease while it
    works so a sweeper can requeue a job whose worker died.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        JSON = "json", "JSON"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="extracts"
    )
    snapshot = models.ForeignKey(MartSnapshot, on_delete=models.PROTECT, related_name="extracts")
    # The release a suppressed extract reads (its snapshot is the release's); none for DP.
    release = models.ForeignKey(
        ResearchRelease,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="extracts",
    )
    dimensions = ArrayField(models.CharField(max_length=40), size=4)
    filters = models.JSONField(default=dict, blank=True)
    format = models.CharField(max_length=4, choices=Format.choices)
    # The language of the data dictionary, labels and report (codes are language-free).
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    policy = models.JSONField(default=dict, blank=True)
    # Differential privacy (issue 11 §3): noisy counts instead of suppression.
    mode = models.CharField(
        max_length=12, choices=ExtractMode.choices, default=ExtractMode.SUPPRESSED
    )
    epsilon = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    delta = models.FloatField(default=0)
    mechanism = models.CharField(max_length=12, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True)  # for the researcher; never data values
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    # The disclosure-controlled table and report, for the result page and its charts.
    result = models.JSONField(null=True, blank=True)
    report = models.JSONField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="extract_owner_created"),
            models.Index(fields=["status", "lease_expires_at"], name="extract_status_lease"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="extract_progress_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"Extract {self.pk}"


# The privacy budget models live with the rest of the DP code; importing them here registers
# them in this app.
from .privacy.models import PrivacyBudget, PrivacyLedgerEntry  # noqa: E402

__all__ = [
    "Extract",
    "ExtractMode",
    "MartRow",
    "MartSnapshot",
    "PrivacyBudget",
    "PrivacyLedgerEntry",
    "ResearchRelease",
]
