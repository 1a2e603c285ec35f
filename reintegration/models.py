"""Reintegration: the plan agreed with the person, the assistance given under it, and the
monitoring visits that score how the economic, social and psychosocial dimensions develop.

Coded answers (options, statuses, scores, reasons) stay in clear columns so they can be
counted; everything written in words (assessment, goals, notes) is encrypted at rest.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assistance.models import Organisation, Provider
from cases.fields import EncryptedTextField

SCORE_MIN = 1
SCORE_MAX = 5
DEFAULT_MONITORING_MONTHS = (3, 6, 12)


def default_monitoring_months() -> list[int]:
    return list(DEFAULT_MONITORING_MONTHS)


class Dimension(models.TextChoices):
    ECONOMIC = "economic", _("Economic")
    SOCIAL = "social", _("Social")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial")


class ReintegrationOption(models.TextChoices):
    CASH_BASED = "cash_based", _("Cash-based support")
    IN_KIND = "in_kind", _("In-kind support")
    BUSINESS_START_UP_GRANT = "business_start_up_grant", _("Business start-up grant")
    BUSINESS_DEVELOPMENT = "business_development", _("Business development support")
    JOB_PLACEMENT = "job_placement", _("Job placement")
    VOCATIONAL_TRAINING = "vocational_training", _("Vocational training")
    SCHOLARSHIP_PRIMARY = "scholarship_primary", _("Scholarship (primary)")
    SCHOLARSHIP_SECONDARY = "scholarship_secondary", _("Scholarship (secondary)")
    SCHOLARSHIP_TERTIARY = "scholarship_tertiary", _("Scholarship (tertiary)")
    FINANCIAL_MANAGEMENT_TRAINING = (
        "financial_management_training",
        _("Financial management training"),
    )
    SAVINGS_GROUP = "savings_group", _("Savings or self-help group")
    HOUSING_SUPPORT = "housing_support", _("Housing support")
    FAMILY_MEDIATION = "family_mediation", _("Family mediation and reunification")
    MEDICAL_FOLLOW_UP = "medical_follow_up", _("Medical follow-up")
    PSYCHOSOCIAL_FOLLOW_UP = "psychosocial_follow_up", _("Psychosocial follow-up")


# The dimension an option serves (IOM's integrated approach): income and work are economic;
# access to schooling, housing and health services is social; wellbeing and family and
# community relations are psychosocial.
OPTION_DIMENSION: dict[str, str] = {
    ReintegrationOption.CASH_BASED: Dimension.ECONOMIC,
    ReintegrationOption.IN_KIND: Dimension.ECONOMIC,
    ReintegrationOption.BUSINESS_START_UP_GRANT: Dimension.ECONOMIC,
    ReintegrationOption.BUSINESS_DEVELOPMENT: Dimension.ECONOMIC,
    ReintegrationOption.JOB_PLACEMENT: Dimension.ECONOMIC,
    ReintegrationOption.VOCATIONAL_TRAINING: Dimension.ECONOMIC,
    ReintegrationOption.FINANCIAL_MANAGEMENT_TRAINING: Dimension.ECONOMIC,
    ReintegrationOption.SAVINGS_GROUP: Dimension.ECONOMIC,
    ReintegrationOption.SCHOLARSHIP_PRIMARY: Dimension.SOCIAL,
    ReintegrationOption.SCHOLARSHIP_SECONDARY: Dimension.SOCIAL,
    ReintegrationOption.SCHOLARSHIP_TERTIARY: Dimension.SOCIAL,
    ReintegrationOption.HOUSING_SUPPORT: Dimension.SOCIAL,
    ReintegrationOption.MEDICAL_FOLLOW_UP: Dimension.SOCIAL,
    ReintegrationOption.FAMILY_MEDIATION: Dimension.PSYCHOSOCIAL,
    ReintegrationOption.PSYCHOSOCIAL_FOLLOW_UP: Dimension.PSYCHOSOCIAL,
}


class EconomicReason(models.TextChoices):
    INCOME_STABLE = "income_stable", _("Stable income")
    EMPLOYED = "employed", _("Employed")
    BUSINESS_RUNNING = "business_running", _("Business running")
    IN_TRAINING = "in_training", _("In training")
    INCOME_IRREGULAR = "income_irregular", _("Irregular income")
    NO_INCOME = "no_income", _("No income")
    DEBT = "debt", _("Debt")


class SocialReason(models.TextChoices):
    HOUSING_SECURE = "housing_secure", _("Housing secure")
    IN_SCHOOL = "in_school", _("In school")
    SERVICES_ACCESSED = "services_accessed", _("Accesses health and public services")
    DOCUMENTS_MISSING = "documents_missing", _("Documents missing")
    HOUSING_INSECURE = "housing_insecure", _("Housing insecure")
    NO_ACCESS_TO_SERVICES = "no_access_to_services", _("No access to services")


class PsychosocialReason(models.TextChoices):
    WELLBEING_IMPROVED = "wellbeing_improved", _("Wellbeing improved")
    FAMILY_SUPPORT = "family_support", _("Family support")
    COMMUNITY_ACCEPTED = "community_accepted", _("Accepted by the community")
    STIGMA = "stigma", _("Stigma")
    ISOLATED = "isolated", _("Isolated")
    FAMILY_CONFLICT = "family_conflict", _("Conflict in the family")
    DISTRESS = "distress", _("Distress")


DIMENSION_REASONS: dict[str, type[models.TextChoices]] = {
    Dimension.ECONOMIC: EconomicReason,
    Dimension.SOCIAL: SocialReason,
    Dimension.PSYCHOSOCIAL: PsychosocialReason,
}


class ReintegrationPlan(models.Model):
    """The case's reintegration plan: one per case, edited in place.

    The monitoring schedule counts months from the anchor date: the arrival of the case's
    return or onward movement, or the plan's start for local integration or no movement.
    """

    class AnchorSource(models.TextChoices):
        ARRIVAL = "arrival", _("Arrival of the movement")
        PLAN_START = "plan_start", _("Start of the plan")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="reintegration_plan"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    needs = EncryptedTextField(_("needs"), blank=True)
    skills = EncryptedTextField(_("skills"), blank=True)
    family_situation = EncryptedTextField(_("family situation"), blank=True)
    risks = EncryptedTextField(_("risks"), blank=True)
    economic_goals = EncryptedTextField(_("economic goals"), blank=True)
    social_goals = EncryptedTextField(_("social goals"), blank=True)
    psychosocial_goals = EncryptedTextField(_("psychosocial goals"), blank=True)
    start_date = models.DateField(_("start date"))
    monitoring_months = ArrayField(
        models.PositiveSmallIntegerField(),
        verbose_name=_("monitoring schedule (months after the anchor date)"),
        default=default_monitoring_months,
    )
    anchor_date = models.DateField(_("anchor date"), editable=False)
    anchor_source = models.CharField(
        _("anchor"), max_length=12, choices=AnchorSource.choices, editable=False
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(anchor_source__in=["arrival", "plan_start"]),
                name="reint_plan_anchor_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(monitoring_months__len__gte=1), name="reint_plan_schedule_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"Reintegration plan {self.pk}"


class ReintegrationAssistance(models.Model):
    """One item of reintegration assistance. A decline is a status, not an error."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        PROVIDED = "provided", _("Provided")
        DECLINED = "declined", _("Declined by the person")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="reintegration_assistance"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    option = models.CharField(
        _("type of support"), max_length=32, choices=ReintegrationOption.choices
    )
    # Derived from the option by the service; a column so that it can be counted.
    dimension = models.CharField(
        _("dimension"), max_length=12, choices=Dimension.choices, editable=False
    )
    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reintegration_assistance",
        verbose_name=_("providing organisation"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency (ISO 4217)"), max_length=3, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-start_date", "-created_at"]
        indexes = [
            models.Index(fields=["case", "dimension", "status"], name="reint_assist_case_dim"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["planned", "in_progress", "provided", "declined", "cancelled"]
                ),
                name="reint_assist_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(option__in=ReintegrationOption.values),
                name="reint_assist_option_valid",
            ),
            models.CheckConstraint(
                condition=Q(dimension__in=Dimension.values), name="reint_assist_dimension_valid"
            ),
            models.CheckConstraint(
                condition=(Q(provider="organisation") & Q(organisation__isnull=False))
                | (Q(provider="iom") & Q(organisation__isnull=True)),
                name="reint_assist_provider_consistent",
            ),
            models.CheckConstraint(
                condition=(Q(amount__isnull=True) & Q(currency=""))
                | (Q(amount__gte=0) & Q(currency__regex=r"^[A-Z]{3}$")),
                name="reint_assist_amount_with_currency",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="reint_assist_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Reintegration assistance {self.pk}"


class MonitoringVisit(models.Model):
    """A monitoring visit: scheduled by the plan, or added as an extra one.

    A visit done scores each dimension from 1 (worst) to 5 (best) with a coded reason.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        OVERDUE = "overdue", _("Overdue")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="monitoring_visits"
    )
    plan = models.ForeignKey(
        ReintegrationPlan, on_delete=models.PROTECT, related_name="visits", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The month of the plan's schedule this visit is for; None for an extra visit.
    schedule_month = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    planned_date = models.DateField(_("planned date"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED
    )
    done_date = models.DateField(_("date of the visit"), null=True, blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("visited by"),
    )
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices, blank=True)
    economic_score = models.PositiveSmallIntegerField(_("economic score"), null=True, blank=True)
    economic_reason = models.CharField(
        _("economic: main reason"), max_length=32, choices=EconomicReason.choices, blank=True
    )
    social_score = models.PositiveSmallIntegerField(_("social score"), null=True, blank=True)
    social_reason = models.CharField(
        _("social: main reason"), max_length=32, choices=SocialReason.choices, blank=True
    )
    psychosocial_score = models.PositiveSmallIntegerField(
        _("psychosocial score"), null=True, blank=True
    )
    psychosocial_reason = models.CharField(
        _("psychosocial: main reason"),
        max_length=32,
        choices=PsychosocialReason.choices,
        blank=True,
    )
    retrafficked = models.BooleanField(_("the person has been trafficked again"), default=False)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["planned_date", "created_at"]
        indexes = [
            models.Index(fields=["case", "planned_date"], name="monitoring_visit_case_date"),
            models.Index(fields=["status", "planned_date"], name="monitoring_visit_status_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "overdue", "done", "cancelled"]),
                name="monitoring_visit_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(mode__in=["", "in_person", "phone"]),
                name="monitoring_visit_mode_valid",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{dimension}_score__isnull": True})
                    | Q(
                        **{
                            f"{dimension}_score__gte": SCORE_MIN,
                            f"{dimension}_score__lte": SCORE_MAX,
                        }
                    ),
                    name=f"monitoring_visit_{dimension}_score_range",
                )
                for dimension in Dimension.values
            ),
            # A visit done has its date, visitor, mode and all three scores; one not done has
            # none of them.
            models.CheckConstraint(
                condition=(
                    Q(status="done")
                    & Q(done_date__isnull=False)
                    & Q(visited_by__isnull=False)
                    & ~Q(mode="")
                    & Q(economic_score__isnull=False)
                    & Q(social_score__isnull=False)
                    & Q(psychosocial_score__isnull=False)
                )
                | (
                    ~Q(status="done")
                    & Q(done_date__isnull=True)
                    & Q(economic_score__isnull=True)
                    & Q(social_score__isnull=True)
                    & Q(psychosocial_score__isnull=True)
                    & Q(retrafficked=False)
                ),
                name="monitoring_visit_done_complete",
            ),
            models.UniqueConstraint(
                fields=["plan", "schedule_month"],
                condition=Q(status__in=["scheduled", "overdue", "done"]),
                name="monitoring_visit_one_per_month",
            ),
        ]

    def __str__(self) -> str:
        return f"Monitoring visit {self.pk}"

    def scores(self) -> dict[str, int | None]:
        return {dimension: getattr(self, f"{dimension}_score") for dimension in Dimension.values}
