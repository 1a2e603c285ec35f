"""Direct assistance to an eligible person: interviews, support plan, services, referrals, movement.

Coded answers stay in clear columns so they can be counted; everything written in words (notes,
reasoning, places, plan text) is encrypted at rest and never leaves the case record.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.fields import EncryptedTextField
from cases.models import CaseAccessReason
from cases.vocabularies import (
    OrganisationType,
    ReferralReason,
    SupportPlanType,
    validate_country,
    validate_languages,
)


def validate_language(value: str) -> None:
    validate_languages([value])


class Organisation(models.Model):
    """A partner organisation. Its name describes an organisation, never a person."""

    name = models.CharField(_("name"), max_length=200)
    organisation_type = models.CharField(
        _("organisation type"), max_length=40, choices=OrganisationType.choices
    )
    country = models.CharField(_("country"), max_length=3, validators=[validate_country])
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "country"], name="organisation_name_country_unique"
            ),
            models.CheckConstraint(
                condition=Q(organisation_type__in=OrganisationType.values),
                name="organisation_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ImmediateNeed(models.TextChoices):
    FOOD = "Food", _("Food and water")
    CLOTHING = "Clothing", _("Clothing")
    SHELTER = "Shelter", _("Shelter")
    HYGIENE = "Hygiene", _("Hygiene items")
    MEDICAL_CARE = "MedicalCare", _("Urgent medical care")
    COMMUNICATION = "Communication", _("Contacting family")
    SAFETY = "Safety", _("Immediate safety")
    OTHER = "Other", _("Other")


class HealthNeed(models.TextChoices):
    PRIMARY_CARE = "PrimaryCare", _("Primary care")
    SPECIALIST_CARE = "SpecialistCare", _("Specialist care")
    SEXUAL_REPRODUCTIVE = "SexualReproductiveHealth", _("Sexual and reproductive health")
    MENTAL_HEALTH = "MentalHealth", _("Mental health")
    SUBSTANCE_USE = "SubstanceUse", _("Substance use")
    DENTAL = "Dental", _("Dental care")
    OTHER = "Other", _("Other")


class LegalNeed(models.TextChoices):
    IMMIGRATION_STATUS = "ImmigrationStatus", _("Immigration status")
    CRIMINAL_PROCEEDINGS = "CriminalProceedings", _("Criminal proceedings as a witness or victim")
    COMPENSATION = "Compensation", _("Compensation or unpaid wages")
    CIVIL_MATTERS = "CivilMatters", _("Family or civil matters")
    OTHER = "Other", _("Other")


class DocumentationNeed(models.TextChoices):
    IDENTITY_DOCUMENT = "IdentityDocument", _("Identity document")
    TRAVEL_DOCUMENT = "TravelDocument", _("Travel document")
    CIVIL_REGISTRATION = "CivilRegistration", _("Birth or civil registration")
    RESIDENCE_PERMIT = "ResidencePermit", _("Residence permit")
    OTHER = "Other", _("Other")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class PersonWish(models.TextChoices):
    RETURN = "return", _("Return to the country of origin")
    STAY = "stay", _("Stay in the current country")
    THIRD_COUNTRY = "third_country", _("Go to a third country")
    UNDECIDED = "undecided", _("Undecided")


def _codes(choices: type[models.TextChoices], verbose_name) -> ArrayField:
    return ArrayField(
        models.CharField(max_length=40, choices=choices.choices),
        verbose_name=verbose_name,
        default=list,
        blank=True,
    )


class AssistanceInterview(models.Model):
    """One assistance interview of an active case, with its needs assessment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="assistance_interviews"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    interview_date = models.DateField(_("interview date"))
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(_("language"), max_length=3, validators=[validate_language])
    interpreter_used = models.BooleanField(_("interpreter used"), default=False)

    immediate_needs = _codes(ImmediateNeed, _("immediate needs"))
    immediate_needs_notes = EncryptedTextField(_("immediate needs: notes"), blank=True)
    health_needs = _codes(HealthNeed, _("health needs"))
    health_notes = EncryptedTextField(_("health: notes"), blank=True)
    psychosocial_support_needed = models.BooleanField(
        _("psychosocial support needed"), null=True, blank=True
    )
    psychosocial_notes = EncryptedTextField(_("psychosocial: notes"), blank=True)
    legal_needs = _codes(LegalNeed, _("legal needs"))
    legal_notes = EncryptedTextField(_("legal: notes"), blank=True)
    documentation_needs = _codes(DocumentationNeed, _("documentation needs"))
    documentation_notes = EncryptedTextField(_("documentation: notes"), blank=True)
    safety_risk_level = models.CharField(
        _("safety risk level"), max_length=8, choices=RiskLevel.choices
    )
    safety_risk_reasoning = EncryptedTextField(_("safety risk: reasoning"), blank=True)
    wish = models.CharField(_("the person's wish"), max_length=16, choices=PersonWish.choices)
    wish_notes = EncryptedTextField(_("the person's wish, in their words"), blank=True)

    class Meta:
        ordering = ["-interview_date", "-created_at"]
        indexes = [
            models.Index(fields=["case", "-interview_date"], name="assist_interview_case_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(safety_risk_level__in=RiskLevel.values),
                name="assist_interview_risk_valid",
            ),
            models.CheckConstraint(
                condition=Q(wish__in=PersonWish.values), name="assist_interview_wish_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Assistance interview {self.pk}"


class SupportPlan(models.Model):
    """The case's support plan (HTCDS spl_): one per case, edited in place."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="support_plan")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    plan_types = ArrayField(
        models.CharField(max_length=40, choices=SupportPlanType.choices),
        verbose_name=_("type(s) of support"),
        default=list,
        blank=True,
    )
    objectives = EncryptedTextField(_("objectives"), blank=True)
    action_plan = EncryptedTextField(_("action plan"), blank=True)
    start_date = models.DateField(_("start date"))
    planned_end_date = models.DateField(_("planned end date"), null=True, blank=True)
    actual_end_date = models.DateField(_("actual end date"), null=True, blank=True)

    class Meta:
        indexes = [GinIndex(fields=["plan_types"], name="support_plan_types_gin")]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end_date__isnull=True)
                | Q(planned_end_date__gte=models.F("start_date")),
                name="support_plan_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(actual_end_date__isnull=True)
                | Q(actual_end_date__gte=models.F("start_date")),
                name="support_plan_actual_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Support plan {self.pk}"


class ServiceCategory(models.TextChoices):
    RECEPTION = "reception", _("Reception and immediate needs")
    ACCOMMODATION = "accommodation", _("Accommodation and shelter")
    MEDICAL = "medical", _("Medical")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial")
    LEGAL_COUNSELLING = "legal_counselling", _("Legal counselling")
    LEGAL_REPRESENTATION = "legal_representation", _("Legal representation")
    DOCUMENTATION = "documentation", _("Documentation")
    SECURITY = "security", _("Security")
    EDUCATION = "education", _("Education")
    VOCATIONAL_TRAINING = "vocational_training", _("Vocational training")
    FINANCIAL = "financial", _("Financial")
    FAMILY_TRACING = "family_tracing", _("Family tracing")
    OTHER = "other", _("Other")


class ServiceSubType(models.TextChoices):
    FOOD_AND_WATER = "food_and_water", _("Food and water")
    CLOTHING_AND_HYGIENE = "clothing_and_hygiene", _("Clothing and hygiene items")
    PHONE_CALL = "phone_call", _("Phone call to family")
    SHELTER_GOVERNMENT = "shelter_government", _("Government shelter")
    SHELTER_NGO = "shelter_ngo", _("NGO shelter")
    SAFE_HOUSE = "safe_house", _("Safe house")
    RENTED_ACCOMMODATION = "rented_accommodation", _("Rented accommodation")
    EMERGENCY_CARE = "emergency_care", _("Emergency care")
    PRIMARY_CARE = "primary_care", _("Primary care")
    SPECIALIST_CARE = "specialist_care", _("Specialist care")
    COUNSELLING = "counselling", _("Counselling")
    GROUP_SUPPORT = "group_support", _("Group support")
    PSYCHIATRIC_CARE = "psychiatric_care", _("Psychiatric care")
    IDENTITY_DOCUMENT = "identity_document", _("Identity document")
    TRAVEL_DOCUMENT = "travel_document", _("Travel document")
    CIVIL_REGISTRATION = "civil_registration", _("Civil registration")
    RISK_ASSESSMENT = "risk_assessment", _("Risk assessment")
    ESCORT = "escort", _("Escort")
    FORMAL_EDUCATION = "formal_education", _("Formal schooling")
    LANGUAGE_CLASSES = "language_classes", _("Language classes")
    CASH_GRANT = "cash_grant", _("Cash grant")
    ALLOWANCE = "allowance", _("Subsistence allowance")
    MICRO_BUSINESS_GRANT = "micro_business_grant", _("Micro-business grant")


# Which sub-types belong to which category; a category missing here takes no sub-type.
SERVICE_SUB_TYPES: dict[str, frozenset[str]] = {
    ServiceCategory.RECEPTION: frozenset(
        {
            ServiceSubType.FOOD_AND_WATER,
            ServiceSubType.CLOTHING_AND_HYGIENE,
            ServiceSubType.PHONE_CALL,
        }
    ),
    ServiceCategory.ACCOMMODATION: frozenset(
        {
            ServiceSubType.SHELTER_GOVERNMENT,
            ServiceSubType.SHELTER_NGO,
            ServiceSubType.SAFE_HOUSE,
            ServiceSubType.RENTED_ACCOMMODATION,
        }
    ),
    ServiceCategory.MEDICAL: frozenset(
        {ServiceSubType.EMERGENCY_CARE, ServiceSubType.PRIMARY_CARE, ServiceSubType.SPECIALIST_CARE}
    ),
    ServiceCategory.PSYCHOSOCIAL: frozenset(
        {ServiceSubType.COUNSELLING, ServiceSubType.GROUP_SUPPORT, ServiceSubType.PSYCHIATRIC_CARE}
    ),
    ServiceCategory.DOCUMENTATION: frozenset(
        {
            ServiceSubType.IDENTITY_DOCUMENT,
            ServiceSubType.TRAVEL_DOCUMENT,
            ServiceSubType.CIVIL_REGISTRATION,
        }
    ),
    ServiceCategory.SECURITY: frozenset({ServiceSubType.RISK_ASSESSMENT, ServiceSubType.ESCORT}),
    ServiceCategory.EDUCATION: frozenset(
        {ServiceSubType.FORMAL_EDUCATION, ServiceSubType.LANGUAGE_CLASSES}
    ),
    ServiceCategory.FINANCIAL: frozenset(
        {ServiceSubType.CASH_GRANT, ServiceSubType.ALLOWANCE, ServiceSubType.MICRO_BUSINESS_GRANT}
    ),
}


class Provider(models.TextChoices):
    IOM = "iom", _("IOM")
    ORGANISATION = "organisation", _("Partner organisation")


class AssistanceService(models.Model):
    """One service given (or offered) to the person. A decline is a status, not an error."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        PROVIDED = "provided", _("Provided")
        DECLINED = "declined", _("Declined by the person")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="assistance_services"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    category = models.CharField(_("category"), max_length=24, choices=ServiceCategory.choices)
    sub_type = models.CharField(
        _("sub-type"), max_length=24, choices=ServiceSubType.choices, blank=True
    )
    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("providing organisation"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    admission_date = models.DateField(_("admission date"), null=True, blank=True)
    exit_date = models.DateField(_("exit date"), null=True, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency (ISO 4217)"), max_length=3, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-start_date", "-created_at"]
        indexes = [
            models.Index(fields=["case", "category", "status"], name="assist_service_case_cat"),
            models.Index(fields=["status", "start_date"], name="assist_service_status_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["planned", "in_progress", "provided", "declined", "cancelled"]
                ),
                name="assist_service_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(category__in=ServiceCategory.values),
                name="assist_service_category_valid",
            ),
            models.CheckConstraint(
                condition=(Q(provider="organisation") & Q(organisation__isnull=False))
                | (Q(provider="iom") & Q(organisation__isnull=True)),
                name="assist_service_provider_consistent",
            ),
            models.CheckConstraint(
                condition=(Q(cost__isnull=True) & Q(currency=""))
                | (Q(cost__gte=0) & Q(currency__regex=r"^[A-Z]{3}$")),
                name="assist_service_cost_with_currency",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="assist_service_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(exit_date__isnull=True)
                | Q(admission_date__isnull=True)
                | Q(exit_date__gte=models.F("admission_date")),
                name="assist_service_exit_after_admission",
            ),
        ]

    def __str__(self) -> str:
        return f"Service {self.pk}"


class Referral(models.Model):
    """A referral (HTCDS cas_ referral fields), to or from another organisation."""

    class Direction(models.TextChoices):
        OUTGOING = "outgoing", _("Outgoing")
        INCOMING = "incoming", _("Incoming")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    referral_date = models.DateField(_("referral date"))
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("organisation"),
    )
    reason = models.CharField(_("reason"), max_length=40, choices=ReferralReason.choices)
    details = EncryptedTextField(_("details"), blank=True)
    shares_personal_data = models.BooleanField(_("shares personal data"), default=False)
    # The person's consent to this referral sharing their data; recorded before it is made.
    consent_given = models.BooleanField(_("the person consents to sharing"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    consent_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-referral_date", "-created_at"]
        indexes = [models.Index(fields=["case", "-referral_date"], name="referral_case_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=["outgoing", "incoming"]),
                name="referral_direction_valid",
            ),
            # The last line of defence for the consent rule the service enforces.
            models.CheckConstraint(
                condition=~Q(direction="outgoing", shares_personal_data=True)
                | Q(consent_given=True, consent_recorded_at__isnull=False),
                name="referral_sharing_needs_consent",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk}"


class MovementType(models.TextChoices):
    VOLUNTARY_RETURN = "voluntary_return", _("Voluntary return to the country of origin")
    LOCAL_INTEGRATION = "local_integration", _("Local integration (no travel)")
    RESETTLEMENT = "resettlement", _("Resettlement to a third country")


class TravelDocumentStatus(models.TextChoices):
    VALID_DOCUMENT = "valid_document", _("Has a valid travel document")
    BEING_ISSUED = "being_issued", _("Document being issued")
    LAISSEZ_PASSER = "laissez_passer", _("Laissez-passer")
    NOT_NEEDED = "not_needed", _("Not needed (no travel)")


class AssessmentDecision(models.TextChoices):
    GO = "go", _("Go")
    NO_GO = "no_go", _("No-go")


class TransportMeans(models.TextChoices):
    AIR = "air", _("Air")
    LAND = "land", _("Land")
    SEA = "sea", _("Sea or river")


class Movement(models.Model):
    """A return or onward movement of the person, and the assessment that clears it."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        CONFIRMED = "confirmed", _("Confirmed")
        DEPARTED = "departed", _("Departed")
        ARRIVED = "arrived", _("Arrived")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="movements")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    movement_type = models.CharField(_("type"), max_length=20, choices=MovementType.choices)
    origin_country = models.CharField(
        _("origin country"), max_length=3, validators=[validate_country]
    )
    destination_country = models.CharField(
        _("destination country"), max_length=3, validators=[validate_country]
    )
    travel_document_status = models.CharField(
        _("travel documents"), max_length=16, choices=TravelDocumentStatus.choices
    )
    assessment_decision = models.CharField(
        _("pre-departure risk and family assessment"),
        max_length=8,
        choices=AssessmentDecision.choices,
        blank=True,
    )
    assessment_reasoning = EncryptedTextField(_("assessment reasoning"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    assessed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reception_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receptions",
        verbose_name=_("receiving organisation"),
    )
    reception_mission = models.ForeignKey(
        "accounts.Mission",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receptions",
        verbose_name=_("receiving mission"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    departed_at = models.DateTimeField(null=True, blank=True, editable=False)
    arrived_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["case", "-created_at"], name="movement_case_created"),
            models.Index(fields=["status"], name="movement_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["planned", "confirmed", "departed", "arrived", "cancelled"]
                ),
                name="movement_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(movement_type__in=MovementType.values), name="movement_type_valid"
            ),
            # A no-go assessment never coexists with a movement that left.
            models.CheckConstraint(
                condition=~Q(status__in=["departed", "arrived"]) | Q(assessment_decision="go"),
                name="movement_departure_needs_go",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=["planned", "confirmed", "departed"]),
                name="movement_one_open_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"Movement {self.pk}"


class MovementLeg(models.Model):
    """One leg of a movement's journey."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="legs")
    position = models.PositiveSmallIntegerField()
    from_country = models.CharField(_("from country"), max_length=3, validators=[validate_country])
    from_place = EncryptedTextField(_("from place"), blank=True)
    to_country = models.CharField(_("to country"), max_length=3, validators=[validate_country])
    to_place = EncryptedTextField(_("to place"), blank=True)
    planned_date = models.DateField(_("planned date"))
    actual_date = models.DateField(_("actual date"), null=True, blank=True)
    transport_means = models.CharField(
        _("means of transport"), max_length=8, choices=TransportMeans.choices
    )
    escorted = models.BooleanField(_("escorted"), default=False)

    class Meta:
        ordering = ["movement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["movement", "position"], name="movement_leg_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.from_country} → {self.to_country}"


class TraffickingDetailKind(models.TextChoices):
    ADDITION = "addition", _("Addition")
    CORRECTION = "correction", _("Correction")


class TraffickingDetailChange(models.Model):
    """A further trafficking detail learned after the screening: an addition or a correction of
    one item of the trafficking profile. The screening's own answers are never overwritten; the
    case's current profile is read from the accepted changes over the current screening.

    ``value`` holds the coded part of the new answer (codes, countries, dates as ISO strings,
    yes/no); anything written in words (a locality) is in ``value_text``, encrypted, like the
    reason for the change and the reviewer's comment.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="trafficking_detail_changes"
    )
    # The screening whose answers were current when the change was recorded: a row position
    # is a position among that screening's rows.
    screening = models.ForeignKey(
        "screening.Screening", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    interview = models.ForeignKey(
        AssistanceInterview,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trafficking_detail_changes",
        verbose_name=_("assistance interview"),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    item = models.CharField(_("item"), max_length=40)
    kind = models.CharField(
        _("kind of change"), max_length=12, choices=TraffickingDetailKind.choices
    )
    row_position = models.PositiveSmallIntegerField(_("row corrected"), null=True, blank=True)
    value = models.JSONField(_("coded value"), null=True, blank=True)
    value_text = EncryptedTextField(_("value in words"), blank=True)
    reason = EncryptedTextField(_("reason for the change"))

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    review_comment = EncryptedTextField(_("review comment"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["case", "status", "created_at"], name="tdetail_case_status"),
            models.Index(fields=["status", "created_at"], name="tdetail_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "accepted", "rejected"]),
                name="tdetail_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["addition", "correction"]), name="tdetail_kind_valid"
            ),
            # Only a correction names a row; an addition of a row is appended.
            models.CheckConstraint(
                condition=Q(row_position__isnull=True) | Q(kind="correction"),
                name="tdetail_row_only_for_correction",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", reviewed_at__isnull=True)
                | (~Q(status="pending") & Q(reviewed_at__isnull=False)),
                name="tdetail_reviewed_when_decided",
            ),
            # Nobody reviews their own change.
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=models.F("created_by")),
                name="tdetail_no_self_review",
            ),
        ]

    def __str__(self) -> str:
        return f"Trafficking detail {self.pk}"


class CaseAccessProposal(models.Model):
    """A caseworker of the case's mission proposes sharing the case with another mission; a
    caseworker of that mission decides. Approval creates the ``CaseMissionAccess``, so access
    still flows only through ``Case.objects.visible_to``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting the other mission")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="access_proposals"
    )
    mission = models.ForeignKey(
        "accounts.Mission",
        on_delete=models.PROTECT,
        related_name="case_access_proposals",
        verbose_name=_("receiving mission"),
    )
    proposing_mission = models.ForeignKey(
        "accounts.Mission", on_delete=models.PROTECT, related_name="+", editable=False
    )
    reason = models.CharField(_("reason"), max_length=24, choices=CaseAccessReason.choices)
    version = models.PositiveIntegerField(default=1, editable=False)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # When the proposal stopped waiting: approved, declined or withdrawn.
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    access = models.OneToOneField(
        "cases.CaseMissionAccess",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="proposal",
    )

    class Meta:
        ordering = ["-proposed_at"]
        indexes = [
            models.Index(fields=["mission", "status", "proposed_at"], name="access_prop_mission"),
            models.Index(fields=["case", "status"], name="access_prop_case_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "mission"],
                condition=Q(status="pending"),
                name="access_prop_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "declined", "withdrawn"]),
                name="access_prop_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(reason__in=CaseAccessReason.values), name="access_prop_reason_valid"
            ),
            models.CheckConstraint(
                condition=~Q(mission=models.F("proposing_mission")),
                name="access_prop_other_mission",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(access__isnull=False),
                name="access_prop_approved_has_access",
            ),
            # Nobody approves their own proposal.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="access_prop_no_self_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"Proposal to share {self.case_id} with {self.mission_id}"
