"""The Screening Interview Form: structured answers, sections A to H, and the determination.

Every analysable answer is a code from cases.vocabularies; free text (localities, narratives,
reasoning, review comments) is encrypted at rest and never leaves the case record.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.fields import EncryptedTextField
from cases.vocabularies import (
    CaseStatus,
    DecisionMakingOrganisation,
    EducationLevel,
    ExploitationType,
    Gender,
    LabourIndustry,
    MaritalStatus,
    MeansOfControl,
    OrganisationType,
    PerpetratorRole,
    RecruitmentMethod,
    ReferralReason,
    SexualExploitationType,
    TraffickingEventType,
    TraffickingStatus,
    Vulnerability,
    WebsiteOrApp,
    validate_countries,
    validate_country,
    validate_languages,
)

FORM_VERSION = "2026.1"


def _codes(choices: type[models.TextChoices], verbose_name, max_length: int = 64) -> ArrayField:
    return ArrayField(
        models.CharField(max_length=max_length, choices=choices.choices),
        verbose_name=verbose_name,
        default=list,
        blank=True,
    )


def _countries(verbose_name) -> ArrayField:
    return ArrayField(
        models.CharField(max_length=3),
        verbose_name=verbose_name,
        default=list,
        blank=True,
        validators=[validate_countries],
    )


# The case statuses in which a screening may be started or continued (services and the case page).
OPEN_CASE_STATUSES = {CaseStatus.SCREENING, CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP}


class ReferralSource(models.TextChoices):
    SELF = "SelfReferral", _("Self-referral")
    ORGANISATION = "Organisation", _("Referred by an organisation")


class RecruiterRelation(models.TextChoices):
    INTIMATE_PARTNER = "IntimatePartner", _("Intimate partner")
    FRIEND = "Friend", _("Friend")
    FAMILY = "Family", _("Family")
    OTHER = "Other", _("Other")
    UNKNOWN = "Unknown", _("Unknown")


class MigrantType(models.TextChoices):
    REGULAR = "RegularMigrant", _("Regular migrant")
    IRREGULAR = "IrregularMigrant", _("Irregular migrant")
    ASYLUM_SEEKER = "AsylumSeeker", _("Asylum seeker")
    REFUGEE = "Refugee", _("Refugee")
    INTERNALLY_DISPLACED = "InternallyDisplaced", _("Internally displaced person")
    NOT_A_MIGRANT = "NotAMigrant", _("Not a migrant")


class TravelDocument(models.TextChoices):
    GENUINE_OWN = "GenuineOwn", _("Genuine, own document")
    FALSE = "False", _("False or fraudulent document")
    NONE = "None", _("No document")


class DocumentHolder(models.TextChoices):
    PERSON = "Person", _("The person")
    TRAFFICKER = "Trafficker", _("The trafficker or an intermediary")
    EMPLOYER = "Employer", _("The employer")
    OTHER = "Other", _("Other")


class BorderCrossing(models.TextChoices):
    REGULAR = "Regular", _("Regular")
    IRREGULAR = "Irregular", _("Irregular")
    NONE = "None", _("No border crossed")
    UNKNOWN = "Unknown", _("Unknown")


class TransportMeans(models.TextChoices):
    AIR = "Air", _("Air")
    LAND = "Land", _("Land")
    SEA = "Sea", _("Sea or river")


class ExitMode(models.TextChoices):
    ESCAPED = "Escaped", _("Escaped")
    RELEASED = "Released", _("Released")
    RESCUED = "RescuedByAuthorities", _("Rescued by authorities")
    ASSISTED = "AssistedByOrganisation", _("Assisted by an organisation")
    OTHER = "Other", _("Other")


class IdentifiedBy(models.TextChoices):
    SELF = "Self", _("Self-identified")
    LAW_ENFORCEMENT = "LawEnforcement", _("Law enforcement")
    NGO = "NGO", _("NGO")
    GOVERNMENT = "Government", _("Government agency")
    INTERNATIONAL_ORGANISATION = "InternationalOrganisation", _("International organisation")
    COMMUNITY = "Community", _("Family or community member")
    OTHER = "Other", _("Other")


class Screening(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for review")
        RETURNED = "returned", _("Returned for correction")
        APPROVED = "approved", _("Approved")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="screenings")
    form_version = models.CharField(max_length=16, default=FORM_VERSION, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = EncryptedTextField(_("review comment"), blank=True)

    # A. Interview
    interview_date = models.DateField(_("interview date"), null=True, blank=True)
    interview_country = models.CharField(
        _("interview country"), max_length=3, blank=True, validators=[validate_country]
    )
    interview_locality = EncryptedTextField(_("interview locality"), blank=True)
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    interview_language = models.CharField(_("interview language"), max_length=3, blank=True)
    interpreter_used = models.BooleanField(_("interpreter used"), null=True, blank=True)
    referral_source = models.CharField(
        _("how the person came to the mission"),
        max_length=16,
        choices=ReferralSource.choices,
        blank=True,
    )
    referring_organisation_type = models.CharField(
        _("referring organisation type"),
        max_length=40,
        choices=OrganisationType.choices,
        blank=True,
    )
    incoming_referral_date = models.DateField(_("incoming referral date"), null=True, blank=True)
    incoming_referral_reason = models.CharField(
        _("incoming referral reason"), max_length=40, choices=ReferralReason.choices, blank=True
    )

    # B. Consent (HTCDS con_Consent)
    consent_interview = models.BooleanField(_("consents to the interview"), null=True, blank=True)
    consent_purpose_explained = models.BooleanField(
        _("told the purpose of the interview"), null=True, blank=True
    )
    consent_data_use_explained = models.BooleanField(
        _("told how the data will be used"), null=True, blank=True
    )
    consent_research = models.BooleanField(
        _("agrees to non-identifying data being used for research"), null=True, blank=True
    )
    consent_access_rights_explained = models.BooleanField(
        _("told of the right to see their data"), null=True, blank=True
    )
    consent_retention_explained = models.BooleanField(
        _("told how long data is kept"), null=True, blank=True
    )
    consent_withdrawal_explained = models.BooleanField(
        _("told how to withdraw consent"), null=True, blank=True
    )
    consent_taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    consent_taken_at = models.DateTimeField(_("consent taken at"), null=True, blank=True)

    # C. Person and vulnerability
    gender = models.CharField(_("gender"), max_length=24, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    age_at_registration = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False, validators=[MaxValueValidator(120)]
    )
    minor_at_registration = models.BooleanField(null=True, blank=True, editable=False)
    minor_at_recruitment = models.BooleanField(_("minor at recruitment"), null=True, blank=True)
    minor_at_exploitation = models.BooleanField(_("minor at exploitation"), null=True, blank=True)
    citizenships = _countries(_("citizenship(s)"))
    marital_status = models.CharField(
        _("marital status"), max_length=24, choices=MaritalStatus.choices, blank=True
    )
    number_of_children = models.PositiveSmallIntegerField(
        _("number of children"), null=True, blank=True, validators=[MaxValueValidator(30)]
    )
    education_level = models.CharField(
        _("highest education (ISCED)"), max_length=40, choices=EducationLevel.choices, blank=True
    )
    languages = ArrayField(
        models.CharField(max_length=3),
        verbose_name=_("languages"),
        default=list,
        blank=True,
        validators=[validate_languages],
    )
    migrant_type = models.CharField(
        _("migrant type"), max_length=24, choices=MigrantType.choices, blank=True
    )
    individual_vulnerabilities = _codes(Vulnerability, _("individual vulnerability factors"))
    household_vulnerabilities = _codes(Vulnerability, _("household vulnerability factors"))
    community_vulnerabilities = _codes(Vulnerability, _("community vulnerability factors"))

    # D. Recruitment
    recruitment_date = models.DateField(_("recruitment date"), null=True, blank=True)
    recruitment_country = models.CharField(
        _("recruitment country"), max_length=3, blank=True, validators=[validate_country]
    )
    recruitment_locality = EncryptedTextField(_("recruitment place"), blank=True)
    recruitment_methods = _codes(RecruitmentMethod, _("methods of recruitment"))
    recruitment_websites = _codes(WebsiteOrApp, _("websites and apps used in recruitment"))
    abducted = models.BooleanField(_("abducted"), null=True, blank=True)
    recruiter_relation = models.CharField(
        _("relationship to recruiter"), max_length=16, choices=RecruiterRelation.choices, blank=True
    )
    promised_job_sector = models.CharField(
        _("job sector promised"), max_length=64, choices=LabourIndustry.choices, blank=True
    )
    promised_destination_country = models.CharField(
        _("destination promised"), max_length=3, blank=True, validators=[validate_country]
    )
    fees_or_debt_incurred = models.BooleanField(_("fees or debt incurred"), null=True, blank=True)

    # E. Transportation (the route itself is TraffickingEvent rows)
    travel_document = models.CharField(
        _("travel document used"), max_length=16, choices=TravelDocument.choices, blank=True
    )
    travel_document_held_by = models.CharField(
        _("document held by"), max_length=16, choices=DocumentHolder.choices, blank=True
    )
    border_crossing = models.CharField(
        _("border crossing"), max_length=16, choices=BorderCrossing.choices, blank=True
    )
    transport_means = _codes(TransportMeans, _("means of transport"))

    # F. Exploitation
    exploitation_countries = _countries(_("countries of exploitation"))
    exploitation_start = models.DateField(_("exploitation start"), null=True, blank=True)
    exploitation_end = models.DateField(_("exploitation end"), null=True, blank=True)
    exploitation_months = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    exploitation_types = _codes(ExploitationType, _("types of exploitation"))
    labour_industries = _codes(LabourIndustry, _("forced-labour industries"))
    sexual_exploitation_types = _codes(SexualExploitationType, _("types of sexual exploitation"))
    means_of_control = _codes(MeansOfControl, _("means of control"))

    # G. Exit
    exit_mode = models.CharField(
        _("how the situation ended"), max_length=32, choices=ExitMode.choices, blank=True
    )
    exit_date = models.DateField(_("exit date"), null=True, blank=True)
    identified_by = models.CharField(
        _("identified by"), max_length=32, choices=IdentifiedBy.choices, blank=True
    )

    # H. Determination
    trafficking_status = models.CharField(
        _("trafficking status"), max_length=32, choices=TraffickingStatus.choices, blank=True
    )
    decision_organisation = models.CharField(
        _("decision-making organisation"),
        max_length=40,
        choices=DecisionMakingOrganisation.choices,
        blank=True,
    )
    reasoning_act = EncryptedTextField(_("reasoning: the act"), blank=True)
    reasoning_means = EncryptedTextField(_("reasoning: the means"), blank=True)
    reasoning_purpose = EncryptedTextField(_("reasoning: the purpose"), blank=True)
    eligible_for_assistance = models.BooleanField(
        _("eligible for assistance"), null=True, blank=True
    )
    referral_made = EncryptedTextField(_("referral made (not eligible)"), blank=True)

    narrative = EncryptedTextField(_("what happened, in the person's words"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="screening_status_submitted"),
            models.Index(fields=["case", "-created_at"], name="screening_case_created"),
            GinIndex(fields=["exploitation_types"], name="screening_exploitation_gin"),
            GinIndex(fields=["means_of_control"], name="screening_means_gin"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "submitted", "returned", "approved"]),
                name="screening_status_valid",
            ),
            # Only one screening of a case can be open (draft, submitted or returned) at a time.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status__in=["draft", "submitted", "returned"]),
                name="screening_one_open_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"Screening {self.pk}"


class TraffickingEvent(models.Model):
    """One step of the route (HTCDS hte_): recruitment, transit or exploitation."""

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="events")
    position = models.PositiveSmallIntegerField()
    event_type = models.CharField(_("type"), max_length=16, choices=TraffickingEventType.choices)
    country = models.CharField(_("country"), max_length=3, validators=[validate_country])
    locality = EncryptedTextField(_("locality"), blank=True)
    date = models.DateField(_("date"), null=True, blank=True)

    class Meta:
        ordering = ["screening", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["screening", "position"], name="trafficking_event_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.event_type} {self.country}"


class Perpetrator(models.Model):
    """A person involved in the trafficking, described by codes only."""

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="perpetrators")
    position = models.PositiveSmallIntegerField()
    roles = _codes(PerpetratorRole, _("role(s) in the process"))
    gender = models.CharField(_("gender"), max_length=24, choices=Gender.choices, blank=True)
    citizenship = models.CharField(
        _("citizenship"), max_length=3, blank=True, validators=[validate_country]
    )
    relation = models.CharField(
        _("relation to the person"), max_length=16, choices=RecruiterRelation.choices, blank=True
    )

    class Meta:
        ordering = ["screening", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["screening", "position"], name="perpetrator_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Perpetrator {self.position}"
