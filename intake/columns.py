"""The columns an import file may carry: HTCDS 2.0 field names, what each maps to, its type.

The validation (``intake.validation``) and the downloadable template (``intake.template``)
both read this one list, and the allowed codes come from the project's own vocabularies, so
neither can drift from what Harbour stores. A few columns Harbour needs have no HTCDS field;
they keep the HTCDS prefix of their section and say so in their description.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.vocabularies import (
    DecisionMakingOrganisation,
    EducationLevel,
    ExploitationType,
    Gender,
    LabourIndustry,
    MaritalStatus,
    MeansOfControl,
    RecruitmentMethod,
    ReferralReason,
    SexualExploitationType,
    TraffickingEventType,
    TraffickingStatus,
    WebsiteOrApp,
    country_codes,
    language_codes,
)
from screening.models import RecruiterRelation

from .readers._xlsform_fields import EVENTS_REPEAT


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    INT = "int"
    BOOL = "bool"
    CODE = "code"
    CODES = "codes"
    COUNTRY = "country"
    COUNTRIES = "countries"
    LANGUAGE = "language"


@dataclass(frozen=True)
class Column:
    name: str
    # "record.<x>", "person.<field>", "case.<field>" or "screening.<field>" (several targets
    # separated by spaces: a citizenship is the person's and the screening's).
    target: str
    kind: Kind
    description: str
    choices: type[models.TextChoices] | None = None
    required: bool = False
    identity: bool = False
    max_length: int = 200
    low: int | None = None
    high: int | None = None
    # The allowed codes when no TextChoices holds them (a field form's code list).
    codes: Callable[[], frozenset[str]] | None = None
    # Other spellings of an allowed code, read as that code (a field submission from the
    # standard HTCDS XLSForm answers a country in alpha-2).
    aliases: Callable[[], dict[str, str]] | None = None

    def canonical(self, code: str) -> str:
        if self.aliases is None:
            return code
        return self.aliases().get(code, code)

    def allowed(self) -> frozenset[str] | None:
        if self.codes is not None:
            return self.codes()
        if self.choices is not None:
            return frozenset(str(v) for v in self.choices.values)
        if self.kind in (Kind.COUNTRY, Kind.COUNTRIES):
            return country_codes()
        if self.kind == Kind.LANGUAGE:
            return language_codes()
        return None

    @property
    def targets(self) -> list[tuple[str, str]]:
        return [tuple(t.split(".", 1)) for t in self.target.split()]


EXTERNAL_ID = "external_id"
REGISTERED_ON = "cas_RegistrationDate"

COLUMNS: tuple[Column, ...] = (
    Column(
        EXTERNAL_ID,
        "record.external_id",
        Kind.TEXT,
        _(
            "Harbour: the record's id in the system it comes from. Importing the same id "
            "again changes nothing."
        ),
        required=True,
        max_length=128,
    ),
    Column(
        REGISTERED_ON,
        "case.registered_on",
        Kind.DATE,
        _("Harbour: the date the person was registered (YYYY-MM-DD)."),
        required=True,
    ),
    Column(
        "prs_FirstName",
        "person.given_name",
        Kind.TEXT,
        _("Given name(s). Encrypted."),
        identity=True,
    ),
    Column(
        "prs_SecondName",
        "person.family_name",
        Kind.TEXT,
        _("Family name(s). Encrypted."),
        identity=True,
    ),
    Column(
        "prs_Birthdate",
        "person.date_of_birth",
        Kind.DATE,
        _("Date of birth (YYYY-MM-DD). Encrypted; its year is kept as a coded field."),
        identity=True,
    ),
    Column(
        "prs_IdentityNumber",
        "person.identity_documents",
        Kind.TEXT,
        _("Identity document number. Encrypted."),
        identity=True,
    ),
    Column("prs_MobilePhone", "person.phone", Kind.TEXT, _("Phone. Encrypted."), identity=True),
    Column(
        "prs_MailingStreet", "person.address", Kind.TEXT, _("Address. Encrypted."), identity=True
    ),
    Column(
        "prs_Gender",
        "person.gender screening.gender",
        Kind.CODE,
        _("Gender."),
        choices=Gender,
        required=True,
    ),
    Column(
        "prs_AgeAtRegistration",
        "person.age_at_registration",
        Kind.INT,
        _("Harbour: age when registered, for records without a birth date."),
        low=0,
        high=120,
    ),
    Column(
        "prs_Citizenship",
        "person.citizenships screening.citizenships",
        Kind.COUNTRIES,
        _("Citizenship(s), ISO 3166 alpha-3, several separated by ';'."),
    ),
    Column(
        "prs_PrimaryLanguage",
        "person.languages screening.languages",
        Kind.LANGUAGE,
        _("Primary language, ISO 639-1."),
    ),
    Column(
        "prs_SecondaryLanguage",
        "person.languages screening.languages",
        Kind.LANGUAGE,
        _("Secondary language, ISO 639-1."),
    ),
    Column(
        "prs_MaritalStatus",
        "screening.marital_status",
        Kind.CODE,
        _("Marital status."),
        choices=MaritalStatus,
    ),
    Column(
        "prs_NumberOfChildren",
        "screening.number_of_children",
        Kind.INT,
        _("Number of children."),
        low=0,
        high=30,
    ),
    Column(
        "prs_HighestLevelOfEducation",
        "screening.education_level",
        Kind.CODE,
        _("Highest level of education (ISCED)."),
        choices=EducationLevel,
    ),
    Column(
        "con_Consent",
        "screening.consent_interview",
        Kind.BOOL,
        _("Consents to the interview: 1 or 0."),
    ),
    Column(
        "con_ResearchConsent",
        "screening.consent_research",
        Kind.BOOL,
        _("Harbour: agrees to non-identifying data being used for research: 1 or 0."),
    ),
    Column(
        "cas_IncomingReferralDate",
        "screening.incoming_referral_date",
        Kind.DATE,
        _("Date of the incoming referral (YYYY-MM-DD)."),
    ),
    Column(
        "cas_ReasonForIncomingReferral",
        "screening.incoming_referral_reason",
        Kind.CODE,
        _("Reason for the incoming referral."),
        choices=ReferralReason,
    ),
    Column(
        "vic_TraffickingStatus",
        "screening.trafficking_status",
        Kind.CODE,
        _("Determination of trafficking status."),
        choices=TraffickingStatus,
    ),
    Column(
        "vic_TraffickingStatusDecisionMakingOrg",
        "screening.decision_organisation",
        Kind.CODE,
        _("Organisation that made the determination."),
        choices=DecisionMakingOrganisation,
    ),
    Column(
        "vic_EligibleForAssistance",
        "screening.eligible_for_assistance",
        Kind.BOOL,
        _(
            "Harbour: eligible for assistance, 1 or 0. Left empty, it follows the trafficking "
            "status (a victim is eligible, a person not a victim is not)."
        ),
    ),
    Column(
        "vic_RelationshipToTrafficker",
        "screening.recruiter_relation",
        Kind.CODE,
        _("Relationship to the recruiter."),
        choices=RecruiterRelation,
    ),
    Column(
        "vic_MethodOfRecruitment",
        "screening.recruitment_methods",
        Kind.CODES,
        _("Methods of recruitment, several separated by ';'."),
        choices=RecruitmentMethod,
    ),
    Column(
        "vic_RecruitmentWebsitesAndApps",
        "screening.recruitment_websites",
        Kind.CODES,
        _("Websites and apps used in recruitment, several separated by ';'."),
        choices=WebsiteOrApp,
    ),
    Column(
        "vic_MethodsOfControl",
        "screening.means_of_control",
        Kind.CODES,
        _("Means of control, several separated by ';'."),
        choices=MeansOfControl,
    ),
    Column(
        "vic_TypeOfExploitation",
        "screening.exploitation_types",
        Kind.CODES,
        _("Types of exploitation, several separated by ';'."),
        choices=ExploitationType,
    ),
    Column(
        "vic_ForcedLabourIndustry",
        "screening.labour_industries",
        Kind.CODES,
        _("Forced-labour industries (ISIC sections), several separated by ';'."),
        choices=LabourIndustry,
    ),
    Column(
        "vic_TypeOfSexExploitation",
        "screening.sexual_exploitation_types",
        Kind.CODES,
        _("Types of sexual exploitation, several separated by ';'."),
        choices=SexualExploitationType,
    ),
    Column(
        "vic_LocationOfExploitation",
        "screening.exploitation_countries",
        Kind.COUNTRIES,
        _("Countries of exploitation, ISO 3166 alpha-3, several separated by ';'."),
    ),
    Column(
        "vic_ExploitationStartDate",
        "screening.exploitation_start",
        Kind.DATE,
        _("Harbour: start of the exploitation (YYYY-MM-DD)."),
    ),
    Column(
        "vic_ExploitationEndDate",
        "screening.exploitation_end",
        Kind.DATE,
        _("Harbour: end of the exploitation (YYYY-MM-DD), not before its start."),
    ),
    Column(
        "vic_ExploitationMonths",
        "screening.exploitation_months",
        Kind.INT,
        _("Harbour: months of exploitation, for records without its dates."),
        low=0,
        high=1200,
    ),
    Column(
        "vic_MinorAtExploitation",
        "screening.minor_at_exploitation",
        Kind.BOOL,
        _("Harbour: under 18 at the start of the exploitation, 1 or 0."),
    ),
)

# Trafficking events (HTCDS hte_): numbered columns hte_Type_1, hte_Country_1, ... in a file,
# a repeat group in a field submission; both arrive as SourceRow.repeats[EVENTS], the name of
# the field form's repeat group.
EVENTS = EVENTS_REPEAT
MAX_EVENTS = 5
EVENT_COLUMNS: tuple[Column, ...] = (
    Column(
        "hte_Type",
        "event.event_type",
        Kind.CODE,
        _("Type of the route step."),
        choices=TraffickingEventType,
        required=True,
    ),
    Column(
        "hte_Country",
        "event.country",
        Kind.COUNTRY,
        _("Country of the route step, ISO 3166 alpha-3."),
        required=True,
    ),
    Column("hte_City", "event.locality", Kind.TEXT, _("Place of the route step. Encrypted.")),
    Column("hte_Date", "event.date", Kind.DATE, _("Date of the route step (YYYY-MM-DD).")),
)

BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
EVENT_BY_NAME: dict[str, Column] = {c.name: c for c in EVENT_COLUMNS}


@dataclass(frozen=True)
class Layout:
    """What a family of formats may carry: its columns and its repeat groups (name -> columns).

    HTCDS files carry ``COLUMNS`` and up to ``MAX_EVENTS`` numbered route steps; field
    submissions carry the field form's questions (``intake.field_columns``).
    """

    columns: dict[str, Column]
    repeats: dict[str, dict[str, Column]]
    # At most this many rows of each repeat group.
    max_rows: dict[str, int]
    # Columns and repeat groups a person answers only after consenting to the interview.
    after_consent: frozenset[str] = field(default_factory=frozenset)
    # (screening field, column) of dates that must come in this order when present.
    date_order: tuple[tuple[str, str], ...] = ()


HTCDS_LAYOUT = Layout(
    columns=BY_NAME, repeats={EVENTS: EVENT_BY_NAME}, max_rows={EVENTS: MAX_EVENTS}
)


def event_column_names(position: int) -> list[str]:
    """The file columns of the route step at ``position`` (1-based)."""
    return [f"{c.name}_{position}" for c in EVENT_COLUMNS]


def file_columns() -> list[str]:
    """Every column a file may carry, in template order."""
    names = [c.name for c in COLUMNS]
    for position in range(1, MAX_EVENTS + 1):
        names += event_column_names(position)
    return names
