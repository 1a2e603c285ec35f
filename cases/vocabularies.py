"""Shared coded vocabularies (HTCDS 2.0 codes, ISO 3166, ISO 639).

Codes are the project's internal values, so a record maps to the standard with no translation.
"""

from __future__ import annotations

import gettext
import unicodedata
from collections.abc import Iterable
from functools import cache

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

# pycountry ships the ISO translations as gettext catalogs of its own (msgid: the English name).
COUNTRY_DOMAIN = "iso3166-1"
LANGUAGE_DOMAIN = "iso639-3"
CURRENCY_DOMAIN = "iso4217"


def _active_language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


@cache
def _iso_catalog(domain: str, language: str) -> gettext.NullTranslations:
    return gettext.translation(
        domain,
        pycountry.LOCALES_DIR,
        languages=[translation.to_locale(language)],
        fallback=True,
    )


def _collation_key(name: str) -> tuple[str, str]:
    """Alphabetical order without a collation library: accents and case do not count first
    (Égypte between Écosse and Espagne), the exact spelling breaks ties. Cyrillic and Arabic
    letters sort in their alphabets' order by code point."""
    decomposed = unicodedata.normalize("NFKD", name)
    base = "".join(char for char in decomposed if not unicodedata.combining(char))
    return (base.casefold(), name)


def _localised(domain: str, pairs: Iterable[tuple[str, str]], language: str):
    catalog = _iso_catalog(domain, language)
    named = ((code, catalog.gettext(english)) for code, english in pairs)
    return tuple(sorted(named, key=lambda pair: _collation_key(pair[1])))


@cache
def _country_choices(language: str) -> tuple[tuple[str, str], ...]:
    return _localised(COUNTRY_DOMAIN, ((c.alpha_3, c.name) for c in pycountry.countries), language)


@cache
def _language_choices(language: str) -> tuple[tuple[str, str], ...]:
    pairs = ((lang.alpha_2, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2"))
    return _localised(LANGUAGE_DOMAIN, pairs, language)


def country_choices() -> tuple[tuple[str, str], ...]:
    """ISO 3166-1 alpha-3 codes (as CTDC uses), named and ordered in the active language.

    Pass the function itself (not its result) as a form field's choices, so each request
    gets its own language."""
    return _country_choices(_active_language())


@cache
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.countries)


@cache
def _currency_choices(language: str) -> tuple[tuple[str, str], ...]:
    named = _localised(
        CURRENCY_DOMAIN, ((c.alpha_3, c.name) for c in pycountry.currencies), language
    )
    return tuple((code, f"{code} — {name}") for code, name in named)


def currency_choices() -> tuple[tuple[str, str], ...]:
    """ISO 4217 codes, each with its name in the active language (pycountry's catalog)."""
    return _currency_choices(_active_language())


@cache
def country_alpha2_to_alpha3() -> dict[str, str]:
    """ISO 3166-1 alpha-2 -> alpha-3: the standard HTCDS XLSForm's country choices are
    alpha-2 (``AF``), Harbour keeps alpha-3 (``AFG``) as CTDC does."""
    return {c.alpha_2: c.alpha_3 for c in pycountry.countries}


def country_names() -> dict[str, str]:
    return dict(country_choices())


def language_choices() -> tuple[tuple[str, str], ...]:
    """ISO 639-1 two-letter codes, named and ordered in the active language."""
    return _language_choices(_active_language())


@cache
def language_codes() -> frozenset[str]:
    return frozenset(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


def blank_first(blank: tuple[str, str], choices):
    """``[blank, *choices]`` for a form field; a callable (a list in the active language)
    stays a callable, evaluated when the field is rendered or validated."""
    if callable(choices):
        return lambda: [blank, *choices()]
    return [blank, *choices]


class Gender(models.TextChoices):
    """HTCDS prs_Gender."""

    FEMININE = "Feminine", _("Feminine")
    MASCULINE = "Masculine", _("Masculine")
    TRANSGENDER_FEMININE = "TransgenderFeminine", _("Transgender feminine")
    TRANSGENDER_MASCULINE = "TransgenderMasculine", _("Transgender masculine")
    NON_CONFORMING = "NonConforming", _("Non-conforming")
    NOT_SPECIFIED = "NonSpecifiedUnknown", _("Not specified / unknown")


class CaseStatus(models.TextChoices):
    """Lifecycle of a case; the last four are HTCDS cas_Status values."""

    SCREENING = "screening", _("Screening")
    PENDING_REVIEW = "pending_review", _("Pending review")
    ACTIVE = "active", _("Active")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")
    CLOSED_REFERRED = "closed_referred", _("Closed (referred)")


# A closed case is read-only until a central administrator reopens it.
CLOSED_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED})


class ClosureReason(models.TextChoices):
    """Why a case was closed (HTCDS cas_ReasonForCaseClosure style)."""

    REINTEGRATION_COMPLETED = "ReintegrationCompleted", _("Reintegration completed")
    DECLINED_ASSISTANCE = "DeclinedFurtherAssistance", _("Person declined further assistance")
    LOST_CONTACT = "LostContact", _("Lost contact")
    REFERRED = "ReferredToAnotherOrganisation", _("Referred to another organisation")
    RELOCATED = "Relocated", _("Relocated")
    DECEASED = "Deceased", _("Deceased")
    OTHER = "Other", _("Other")


class ReopenReason(models.TextChoices):
    """Why a closed case was reopened."""

    NEW_NEEDS = "NewAssistanceNeeds", _("New assistance needs")
    CONTACT_RESUMED = "ContactResumed", _("Contact with the person resumed")
    CLOSED_IN_ERROR = "ClosedInError", _("Closed in error")
    OTHER = "Other", _("Other")


UNKNOWN_CODE_MESSAGE = _("Unknown code: %(code)s.")


def validate_codes(values: Iterable[str], allowed: frozenset[str]) -> None:
    unknown = sorted({v for v in values if v not in allowed})
    if unknown:
        raise ValidationError(
            UNKNOWN_CODE_MESSAGE, code="unknown_code", params={"code": ", ".join(unknown)}
        )


def validate_country(value: str) -> None:
    validate_codes([value], country_codes())


def validate_countries(values: Iterable[str]) -> None:
    validate_codes(values, country_codes())


def validate_languages(values: Iterable[str]) -> None:
    validate_codes(values, language_codes())


# Every label _choices makes, for the test that the translation catalogue can find them all.
COMPUTED_LABELS: set[str] = set()


def _choices(
    name: str, codes: str, labels: dict[str, str] | None = None
) -> type[models.TextChoices]:
    """A TextChoices from a space-separated list of HTCDS codes; labels split the CamelCase."""
    labels = labels or {}
    members = []
    for code in codes.split():
        # Computed labels are looked up in the translation catalogue at render time;
        # cases/vocabulary_labels.py lists them for makemessages (a test keeps it in step).
        english = labels.get(code) or _split_camel(code)
        COMPUTED_LABELS.add(english)
        members.append((code, (code, _(english))))
    return models.TextChoices(name, members)


def _split_camel(code: str) -> str:
    section, sep, rest = code.partition("_")
    if sep and len(section) == 1:
        # ISIC section codes: "F_Construction" -> "F: Construction".
        return f"{section}: {_split_camel(rest)}"
    text = code.replace("_", " ")
    words: list[str] = []
    current = ""
    for i, ch in enumerate(text):
        after = text[i + 1] if i + 1 < len(text) else ""
        # A capital starts a word after a small letter ("DebtBondage"), and so does the last
        # capital of a run that a small letter follows ("AtAPlace" -> "At", "A", "Place").
        starts = (
            ch.isupper()
            and current
            and current[-1] != " "
            and (not current[-1].isupper() or after.islower())
        )
        if starts:
            words.append(current)
            current = ch
        else:
            current += ch
    words.append(current)
    text = " ".join(w.strip() for w in words if w.strip())
    return text[:1].upper() + text[1:].lower()


OrganisationType = _choices(
    "OrganisationType",
    "NGO LawEnforcement HealthServiceOrganisation CentralGovernmentOrganisation "
    "LocalGovernmentOrganisation ImmigrationService LegalService CorporateBusiness "
    "SchoolOrCollege",
    {"NGO": "NGO"},
)
MaritalStatus = _choices(
    "MaritalStatus", "Single Married Widowed Divorced Separated RegisteredPartnership"
)
EducationLevel = _choices(
    "EducationLevel",
    "EarlyChildhoodEducation PrimaryEducation LowerSecondaryEducation UpperSecondaryEducation "
    "PostSecondaryNonTertiaryEducation ShortCycleTertiaryEducation BachelorsOrEquivalentLevel "
    "MastersOrEquivalentLevel DoctoralOrEquivalentLevel",
)
TraffickingStatus = _choices(
    "TraffickingStatus",
    "PossibleVictimOfTrafficking ActualVictimOfTrafficking NotAVictimOfTrafficking",
)
DecisionMakingOrganisation = _choices(
    "DecisionMakingOrganisation",
    "Police NGO CourtOrProsecution NonPoliceGovernmentalOrganization Other",
    {"NGO": "NGO"},
)
WebsiteOrApp = _choices(
    "WebsiteOrApp",
    "Facebook Instagram WhatsApp Telegram FacebookMessenger Viber SnapChat Line 4Sale WeChat "
    "QQ QZone TikTok Twitter Other",
    {
        "WhatsApp": "WhatsApp",
        "TikTok": "TikTok",
        "WeChat": "WeChat",
        "SnapChat": "Snapchat",
        "QQ": "QQ",
        "QZone": "Qzone",
        "4Sale": "4Sale",
        "FacebookMessenger": "Facebook Messenger",
    },
)
RecruitmentMethod = _choices(
    "RecruitmentMethod",
    "AtAPlaceOfBusiness AtAnEducationalInstitution AtWork ThroughOnlineSocialNetworks "
    "ThroughAnOnlineAdvertisement ThroughATelevisionAdvert ThroughANewspaperAdvert "
    "ThroughFamilyOrFamilyEvents ThroughFriendsOrSocialEvents Other",
)
MeansOfControl = _choices(
    "MeansOfControl",
    "PhysicalThreats ThreatsLawEnforcement ThreatensChildrenFamily DebtBondage FalsePromises "
    "PhysicalAbuse SexualAbuse TakesEarnings RestrictsFinancialAccess RestrictsMedicalCare "
    "WithholdsNecessities PsychologicalAbuse PsychoactiveSubstance ExcessiveWorkingHours "
    "WithholdsDocuments Other",
)
ExploitationType = _choices(
    "ExploitationType",
    "ForcedLabour SexualExploitation ChildLabour ForcedMarriage Servitude "
    "ForcedMilitaryByNonStateActors OrganRemoval ForcedBegging ForcedAdoption Surrogacy Other",
)
LabourIndustry = _choices(
    "LabourIndustry",
    "A_AgricultureForestryAndFishing B_MiningAndQuarrying C_Manufacturing "
    "D_ElectricityGasSteamAndAirConditioningSupply E_WaterSupplySewerageWasteManagement "
    "F_Construction G_WholesaleAndRetailTradeRepairOfMotorVehicles H_TransportationAndStorage "
    "I_AccommodationAndFoodServiceActivities J_InformationAndCommunication "
    "K_FinancialAndInsuranceActivities L_RealEstateActivities "
    "M_ProfessionalScientificAndTechnicalActivities N_AdministrativeAndSupportServiceActivities "
    "O_PublicAdministrationAndDefence P_Education Q_HumanHealthAndSocialWorkActivities "
    "R_ArtsEntertainmentAndRecreation S_OtherServiceActivities "
    "T_ActivitiesOfHouseholdsAsEmployers U_ActivitiesOfExtraterritorialOrganizations",
)
SexualExploitationType = _choices(
    "SexualExploitationType",
    "Prostitution Pornography RemoteInteractiveServices PrivateSexualServices",
)
Vulnerability = _choices(
    "Vulnerability",
    "Addiction SocialGroup Discrimination Poverty DisabilityAndPhysicalHealth MentalHealth "
    "Migration Homelessness AbuseSocialMedia AbusePhysical Education WorkEnvironment",
)
PerpetratorRole = _choices(
    "PerpetratorRole",
    "TravellingPartner Transporter RecruiterOrIntermediary BrokerTravelAgent "
    "TransferredIndividual HarbouredIndividual SoldIndividual BoughtIndividual "
    "ReceivedIndividual ControlledIndividual Smuggler Abuser Kidnapper Exploiter Other",
)
ReferralReason = _choices(
    "ReferralReason", "AdditionalServicesRequired MigrationOrChangeOfLocation Other"
)
TraffickingEventType = _choices("TraffickingEventType", "Recruitment Transit Exploitation")
SupportPlanType = _choices(
    "SupportPlanType",
    "Education Financial Health LabourExploitationRehabilitation Legal Livelihood "
    "RightsBasedTraining SexualExploitationRehabilitation SocialCare",
)
