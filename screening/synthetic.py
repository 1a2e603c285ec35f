"""Synthetic screenings for demo and benchmark cases. Never for real records.

Numbers marked CTDC are row counts from the CTDC Global Synthetic Dataset, 2021 release
(Counter Trafficking Data Collaborative, 25 August 2021; 193,025 rows;
https://www.ctdatacollaborative.org), counted over the rows that answered the variable. The
dataset itself is not part of Harbour. Everything else is an assumption and says so.

The answers follow the rules the screening services enforce, so a seeded screening looks like
one a caseworker filled in: codes from cases.vocabularies, forced-labour industries only with
forced labour, sexual exploitation types only with sexual exploitation, dates in order, age
and duration derived by ``services._derive``. Free text is short, generic and synthetic.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from accounts.models import User
from cases.bulk import CopyTable, Weighted, at, days
from cases.models import Case
from cases.synthetic import LANGUAGES
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
)

from .models import (
    BorderCrossing,
    DocumentHolder,
    ExitMode,
    IdentifiedBy,
    MigrantType,
    Perpetrator,
    RecruiterRelation,
    ReferralSource,
    Screening,
    TraffickingEvent,
    TransportMeans,
    TravelDocument,
)
from .sections import SECTION_KEYS, SECTIONS
from .services import MINOR_AGE, _derive

FL = ExploitationType.ForcedLabour
SE = ExploitationType.SexualExploitation

# CTDC isForcedLabour / isSexualExploit / isOtherExploit combinations (F, S, O) over the
# mission's rows (citizenship or country of exploitation is the mission's country), by gender;
# "" is every gender, used for the genders CTDC has too few rows of.
EXPLOITATION_MIXES: dict[str, dict[str, dict[str, int]]] = {
    "NPL": {"": {"F": 20, "S": 1}},
    "THA": {
        Gender.FEMININE: {"S": 123, "O": 20, "F": 8},
        Gender.MASCULINE: {"F": 60},
        "": {"S": 133, "F": 70, "O": 44},
    },
    "UKR": {
        Gender.FEMININE: {"F": 2181, "S": 2060, "FS": 84, "O": 82},
        Gender.MASCULINE: {"F": 3342, "O": 12},
        "": {"F": 5885, "S": 2085, "O": 114, "FS": 86},
    },
}

# CTDC has no breakdown of isOtherExploit ("forced marriage, forced military, organ removal,
# ..."). Assumption: these shares.
OTHER_EXPLOITATION: dict[str, int] = {
    ExploitationType.ForcedMarriage: 35,
    ExploitationType.ForcedBegging: 20,
    ExploitationType.Servitude: 20,
    ExploitationType.ForcedMilitaryByNonStateActors: 4,
    ExploitationType.OrganRemoval: 1,
    ExploitationType.Other: 20,
}

# CTDC typeOfLabour* among forced-labour rows: Agriculture 4480 (ISIC A), Construction 3482
# (F), DomesticWork 5087 (T), Hospitality 1224 (I). CTDC's "Other" (8788) is split over other
# ISIC sections by assumption: 40 % C, 15 % G, 10 % B, 10 % H, 25 % S.
LABOUR_INDUSTRIES: dict[str, int] = {
    LabourIndustry.A_AgricultureForestryAndFishing: 4480,
    LabourIndustry.F_Construction: 3482,
    LabourIndustry.T_ActivitiesOfHouseholdsAsEmployers: 5087,
    LabourIndustry.I_AccommodationAndFoodServiceActivities: 1224,
    LabourIndustry.C_Manufacturing: 3515,
    LabourIndustry.G_WholesaleAndRetailTradeRepairOfMotorVehicles: 1318,
    LabourIndustry.B_MiningAndQuarrying: 879,
    LabourIndustry.H_TransportationAndStorage: 879,
    LabourIndustry.S_OtherServiceActivities: 2197,
}

# CTDC typeOfSex* among sexual-exploitation rows; CTDC's "Other" (1037) split evenly between
# the two HTCDS codes it can mean (assumption).
SEXUAL_EXPLOITATION_TYPES: dict[str, int] = {
    SexualExploitationType.Prostitution: 16248,
    SexualExploitationType.Pornography: 2249,
    SexualExploitationType.RemoteInteractiveServices: 519,
    SexualExploitationType.PrivateSexualServices: 518,
}

# CTDC meansOfControl* flags and the HTCDS code each one is recorded as. HTCDS has no code for
# restricted movement, so CTDC's RestrictsMovement is recorded as Other.
MEANS_CODES: dict[str, str] = {
    "DebtBondage": MeansOfControl.DebtBondage,
    "TakesEarnings": MeansOfControl.TakesEarnings,
    "Threats": MeansOfControl.PhysicalThreats,
    "PsychologicalAbuse": MeansOfControl.PsychologicalAbuse,
    "PhysicalAbuse": MeansOfControl.PhysicalAbuse,
    "SexualAbuse": MeansOfControl.SexualAbuse,
    "FalsePromises": MeansOfControl.FalsePromises,
    "PsychoactiveSubstances": MeansOfControl.PsychoactiveSubstance,
    "RestrictsMovement": MeansOfControl.Other,
    "RestrictsMedicalCare": MeansOfControl.RestrictsMedicalCare,
    "ExcessiveWorkingHours": MeansOfControl.ExcessiveWorkingHours,
    "ThreatOfLawEnforce": MeansOfControl.ThreatsLawEnforcement,
    "WithholdsNecessities": MeansOfControl.WithholdsNecessities,
    "WithholdsDocuments": MeansOfControl.WithholdsDocuments,
    "Other": MeansOfControl.Other,
}
# CTDC: share of rows with each flag, among rows that answered means of control, for forced
# labour only (25,737 rows), sexual exploitation only (27,685) and other exploitation only (716).
MEANS_SHARES: dict[str, dict[str, float]] = {
    "F": {
        "TakesEarnings": 0.596,
        "ExcessiveWorkingHours": 0.532,
        "PsychologicalAbuse": 0.507,
        "Threats": 0.494,
        "FalsePromises": 0.494,
        "RestrictsMovement": 0.481,
        "WithholdsDocuments": 0.399,
        "WithholdsNecessities": 0.298,
        "PhysicalAbuse": 0.285,
        "ThreatOfLawEnforce": 0.278,
        "RestrictsMedicalCare": 0.225,
        "DebtBondage": 0.216,
        "Other": 0.171,
        "SexualAbuse": 0.023,
        "PsychoactiveSubstances": 0.01,
    },
    "S": {
        "PsychologicalAbuse": 0.352,
        "Threats": 0.324,
        "RestrictsMovement": 0.311,
        "PhysicalAbuse": 0.291,
        "PsychoactiveSubstances": 0.233,
        "Other": 0.211,
        "SexualAbuse": 0.205,
        "TakesEarnings": 0.119,
        "FalsePromises": 0.103,
        "DebtBondage": 0.067,
        "WithholdsNecessities": 0.058,
        "WithholdsDocuments": 0.048,
        "ExcessiveWorkingHours": 0.03,
        "RestrictsMedicalCare": 0.018,
        "ThreatOfLawEnforce": 0.015,
    },
    "O": {
        "Other": 0.369,
        "PhysicalAbuse": 0.345,
        "FalsePromises": 0.328,
        "Threats": 0.306,
        "PsychologicalAbuse": 0.281,
        "WithholdsNecessities": 0.279,
        "RestrictsMedicalCare": 0.214,
        "RestrictsMovement": 0.198,
        "SexualAbuse": 0.154,
        "ExcessiveWorkingHours": 0.085,
        "DebtBondage": 0.053,
        "WithholdsDocuments": 0.042,
        "TakesEarnings": 0.025,
        "ThreatOfLawEnforce": 0.013,
        "PsychoactiveSubstances": 0.001,
    },
}

# CTDC traffickMonths bands by exploitation (F, S, O rows): (shortest, longest) days, count.
# The open 61+ band is capped at ten years here.
DURATION_BANDS: dict[str, dict[tuple[int, int], int]] = {
    "F": {(0, 365): 3343, (366, 730): 3140, (731, 1826): 1967, (1827, 3652): 1215},
    "S": {(0, 365): 1266, (366, 730): 217, (731, 1826): 211, (1827, 3652): 159},
    "O": {(0, 365): 327, (366, 730): 210, (731, 1826): 123, (1827, 3652): 10},
}

# CTDC recruiterRelation* rows with one relation (multiple relations are under 1 %); the
# share recorded as unknown is an assumption.
RECRUITER_RELATIONS: dict[str, int] = {
    RecruiterRelation.OTHER: 18834,
    RecruiterRelation.FRIEND: 7322,
    RecruiterRelation.FAMILY: 5755,
    RecruiterRelation.INTIMATE_PARTNER: 5135,
    RecruiterRelation.UNKNOWN: 6000,
}

# CTDC top countries of exploitation of the mission country's own citizens (nationals assisted
# at home after exploitation at home or abroad). Foreign citizens in a mission's caseload were
# exploited in the mission's country, as in the CTDC rows the mission profiles come from.
EXPLOITATION_COUNTRIES: dict[str, dict[str, int]] = {
    "NPL": {"LBN": 96, "KEN": 46, "MYS": 43, "NPL": 40, "IRQ": 21},
    "THA": {"ZAF": 230, "THA": 175, "JPN": 75, "IDN": 56, "DNK": 31, "USA": 31, "CHE": 28},
    "UKR": {"RUS": 6997, "POL": 1641, "TUR": 437, "UKR": 391, "CZE": 132, "ARE": 122, "IRQ": 68},
}

# Assumptions from here on: CTDC does not record these answers.
TRANSIT_SHARE = 0.2
TRANSIT_COUNTRIES: dict[str, tuple[str, ...]] = {
    "NPL": ("IND", "ARE", "QAT"),
    "THA": ("MYS", "LAO", "KHM", "MMR"),
    "UKR": ("POL", "MDA", "HUN", "ROU", "TUR"),
}
NO_SCREENING_SHARE = 0.4  # of cases still in screening: the interview has not started
CONSENT_REFUSED_SHARE = 0.08  # of started screenings
NO_RESEARCH_CONSENT_SHARE = 0.12
NOT_A_VICTIM_SHARE = 0.07  # of determinations waiting for review
ACTUAL_VICTIM_SHARE = 0.75  # of eligible determinations; the rest are possible victims
INTERVIEW_DELAY_DAYS = (0, 0, 0, 1, 1, 2, 3, 5, 7, 14)  # registration to interview
EXIT_BEFORE_INTERVIEW_DAYS = 180
RECRUITMENT_BEFORE_START_DAYS = 120
PERPETRATOR_COUNTS = {0: 30, 1: 50, 2: 20}
REFERRAL_SOURCES = {ReferralSource.ORGANISATION: 70, ReferralSource.SELF: 30}
ORGANISATION_TYPES = {
    OrganisationType.NGO: 40,
    OrganisationType.LawEnforcement: 25,
    OrganisationType.ImmigrationService: 15,
    OrganisationType.CentralGovernmentOrganisation: 10,
    OrganisationType.LocalGovernmentOrganisation: 5,
    OrganisationType.HealthServiceOrganisation: 5,
}
DECISION_ORGANISATIONS = {
    DecisionMakingOrganisation.NGO: 45,
    DecisionMakingOrganisation.Police: 25,
    DecisionMakingOrganisation.NonPoliceGovernmentalOrganization: 20,
    DecisionMakingOrganisation.CourtOrProsecution: 5,
    DecisionMakingOrganisation.Other: 5,
}
MARITAL_STATUSES = {
    MaritalStatus.Single: 45,
    MaritalStatus.Married: 35,
    MaritalStatus.Divorced: 10,
    MaritalStatus.Separated: 6,
    MaritalStatus.Widowed: 4,
}
EDUCATION_LEVELS = {
    EducationLevel.PrimaryEducation: 30,
    EducationLevel.LowerSecondaryEducation: 30,
    EducationLevel.UpperSecondaryEducation: 25,
    EducationLevel.PostSecondaryNonTertiaryEducation: 8,
    EducationLevel.BachelorsOrEquivalentLevel: 7,
}
VULNERABILITIES = {
    Vulnerability.Poverty: 40,
    Vulnerability.Education: 15,
    Vulnerability.Migration: 15,
    Vulnerability.AbusePhysical: 8,
    Vulnerability.DisabilityAndPhysicalHealth: 6,
    Vulnerability.MentalHealth: 5,
    Vulnerability.Discrimination: 5,
    Vulnerability.Addiction: 3,
    Vulnerability.Homelessness: 3,
}
RECRUITMENT_METHODS = {
    RecruitmentMethod.ThroughFriendsOrSocialEvents: 30,
    RecruitmentMethod.ThroughFamilyOrFamilyEvents: 15,
    RecruitmentMethod.ThroughOnlineSocialNetworks: 20,
    RecruitmentMethod.ThroughAnOnlineAdvertisement: 15,
    RecruitmentMethod.AtWork: 10,
    RecruitmentMethod.ThroughANewspaperAdvert: 5,
    RecruitmentMethod.Other: 5,
}
EXIT_MODES = {
    ExitMode.ESCAPED: 30,
    ExitMode.RESCUED: 25,
    ExitMode.ASSISTED: 25,
    ExitMode.RELEASED: 15,
    ExitMode.OTHER: 5,
}
IDENTIFIED_BY = {
    IdentifiedBy.NGO: 30,
    IdentifiedBy.LAW_ENFORCEMENT: 25,
    IdentifiedBy.SELF: 15,
    IdentifiedBy.INTERNATIONAL_ORGANISATION: 15,
    IdentifiedBy.GOVERNMENT: 10,
    IdentifiedBy.COMMUNITY: 5,
}
PERPETRATOR_GENDERS = {Gender.MASCULINE: 65, Gender.FEMININE: 30, Gender.NOT_SPECIFIED: 5}

# Short, generic, obviously synthetic text: the free-text fields are encrypted, and a demo
# must never hold anything that reads like a real person's story.
REASONING_ACT = "Synthetic demo record: recruitment and transfer by a third party."
REASONING_MEANS = "Synthetic demo record: control through the means recorded above."
REASONING_PURPOSE = "Synthetic demo record: exploitation as recorded above."
REASONING_NOT_A_VICTIM = "Synthetic demo record: the elements of trafficking are not met."
REFERRAL_TEXT = "Synthetic demo record: referred to migrant support services."

# Fields screening_start fills from the case, so even a draft that saved nothing has them.
START_FIELDS = frozenset(
    {"interview_date", "interview_country", "gender", "birth_year", "citizenships", "languages"}
)
PAST_SCREENING = {
    CaseStatus.PENDING_REVIEW,
    CaseStatus.ACTIVE,
    CaseStatus.FOLLOW_UP,
    CaseStatus.CLOSED,
    CaseStatus.CLOSED_REFERRED,
}


_MIXES = {
    mission: {gender: Weighted(mix) for gender, mix in by_gender.items()}
    for mission, by_gender in EXPLOITATION_MIXES.items()
}
_OTHER_EXPLOITATION = Weighted(OTHER_EXPLOITATION)
_INDUSTRIES = Weighted(LABOUR_INDUSTRIES)
_SEX_TYPES = Weighted(SEXUAL_EXPLOITATION_TYPES)
_MEANS = {
    group: [(MEANS_CODES[flag], share) for flag, share in shares.items()]
    for group, shares in MEANS_SHARES.items()
}
_DURATIONS = {group: Weighted(bands) for group, bands in DURATION_BANDS.items()}
_RECRUITER = Weighted(RECRUITER_RELATIONS)
_DESTINATIONS = {country: Weighted(c) for country, c in EXPLOITATION_COUNTRIES.items()}
_PERPETRATOR_COUNT = Weighted(PERPETRATOR_COUNTS)
_REFERRAL_SOURCE = Weighted(REFERRAL_SOURCES)
_ORGANISATION_TYPE = Weighted(ORGANISATION_TYPES)
_DECISION_ORGANISATION = Weighted(DECISION_ORGANISATIONS)
_MARITAL = Weighted(MARITAL_STATUSES)
_EDUCATION = Weighted(EDUCATION_LEVELS)
_VULNERABILITY = Weighted(VULNERABILITIES)
_RECRUITMENT_METHOD = Weighted(RECRUITMENT_METHODS)
_EXIT_MODE = Weighted(EXIT_MODES)
_IDENTIFIED_BY = Weighted(IDENTIFIED_BY)
_PERPETRATOR_GENDER = Weighted(PERPETRATOR_GENDERS)


def _some(rng: random.Random, choose: Weighted, most: int) -> list[str]:
    return sorted({choose(rng) for _ in range(rng.randrange(most + 1))})


def _means(rng: random.Random, group: str) -> list[str]:
    codes = {code for code, share in _MEANS[group] if rng.random() < share}
    if not codes:
        # CTDC counts only rows with at least one means recorded.
        codes.add(_MEANS[group][0][0])
    return sorted(codes)


def _exploitation(
    rng: random.Random, *, case: Case, answers: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Sections D to G and the route and perpetrator rows of a person found to be trafficked."""
    person = case.person
    mission = case.mission.country
    citizenship = person.citizenships[0] if person.citizenships else mission
    mixes = _MIXES[mission]
    mix = (mixes.get(person.gender) or mixes[""])(rng)
    group = mix[0]
    types = [FL] if "F" in mix else []
    if "S" in mix:
        types.append(SE)
    if "O" in mix:
        types.append(_OTHER_EXPLOITATION(rng))
    if citizenship == mission and mission in _DESTINATIONS:
        country = _DESTINATIONS[mission](rng)
    else:
        country = mission

    floor = datetime.date(person.birth_year, 1, 1) if person.birth_year else datetime.date.min
    interview = answers["interview_date"]
    exit_date = max(interview - days(rng, EXIT_BEFORE_INTERVIEW_DAYS), floor)
    low, high = _DURATIONS[group](rng)
    start = max(exit_date - datetime.timedelta(days=rng.randint(low, high)), floor)
    recruited = max(start - days(rng, RECRUITMENT_BEFORE_START_DAYS), floor)
    means = _means(rng, group)
    industry = _INDUSTRIES(rng) if FL in types else ""
    cross_border = country != citizenship
    relation = _RECRUITER(rng)
    border = (
        (BorderCrossing.REGULAR if rng.random() < 0.65 else BorderCrossing.IRREGULAR)
        if cross_border
        else BorderCrossing.NONE
    )

    answers.update(
        recruitment_date=recruited,
        recruitment_country=citizenship,
        recruitment_methods=[_RECRUITMENT_METHOD(rng)],
        abducted=rng.random() < 0.03,
        recruiter_relation=relation,
        promised_job_sector=industry,
        promised_destination_country=country,
        fees_or_debt_incurred=MeansOfControl.DebtBondage in means,
        travel_document=(
            (TravelDocument.GENUINE_OWN if rng.random() < 0.7 else TravelDocument.FALSE)
            if cross_border
            else ""
        ),
        border_crossing=border,
        migrant_type={
            BorderCrossing.REGULAR: MigrantType.REGULAR,
            BorderCrossing.IRREGULAR: MigrantType.IRREGULAR,
        }.get(border, MigrantType.NOT_A_MIGRANT),
        transport_means=[
            TransportMeans.AIR if cross_border and rng.random() < 0.4 else TransportMeans.LAND
        ],
        exploitation_countries=[country],
        exploitation_start=start,
        exploitation_end=exit_date,
        exploitation_types=types,
        labour_industries=[industry] if industry else [],
        sexual_exploitation_types=[_SEX_TYPES(rng)] if SE in types else [],
        means_of_control=means,
        exit_mode=_EXIT_MODE(rng),
        exit_date=exit_date,
        identified_by=_IDENTIFIED_BY(rng),
    )
    if cross_border:
        answers["travel_document_held_by"] = (
            DocumentHolder.TRAFFICKER
            if MeansOfControl.WithholdsDocuments in means
            else DocumentHolder.PERSON
        )

    events = [
        {"event_type": TraffickingEventType.Recruitment, "country": citizenship, "date": recruited}
    ]
    if cross_border and rng.random() < TRANSIT_SHARE:
        transit = [c for c in TRANSIT_COUNTRIES.get(mission, ()) if c not in (citizenship, country)]
        if transit:
            events.append(
                {
                    "event_type": TraffickingEventType.Transit,
                    "country": rng.choice(transit),
                    "date": recruited + (start - recruited) / 2,
                }
            )
    events.append(
        {"event_type": TraffickingEventType.Exploitation, "country": country, "date": start}
    )

    perpetrators = []
    for position in range(_PERPETRATOR_COUNT(rng)):
        recruiter = position == 0
        perpetrators.append(
            {
                "roles": (
                    [PerpetratorRole.RecruiterOrIntermediary]
                    if recruiter
                    else [PerpetratorRole.Exploiter, PerpetratorRole.ControlledIndividual]
                ),
                "gender": _PERPETRATOR_GENDER(rng),
                "citizenship": citizenship if recruiter else country,
                "relation": relation if recruiter else RecruiterRelation.OTHER,
            }
        )
    return events, perpetrators


def _screening(
    rng: random.Random,
    *,
    case: Case,
    reviewer: User,
    today: datetime.date,
    now: datetime.datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]] | None:
    """One screening of ``case`` as the services would have left it, with its rows."""
    status = case.status
    started = status in PAST_SCREENING or rng.random() >= NO_SCREENING_SHARE
    if not started:
        return None
    person = case.person
    mission = case.mission.country
    caseworker = case.created_by
    interview = min(
        case.registered_on + datetime.timedelta(rng.choice(INTERVIEW_DELAY_DAYS)), today
    )
    interviewed_at = at(interview, rng, now)
    mission_language = LANGUAGES.get(mission, "")
    language = person.languages[0] if person.languages else mission_language
    organisation = _REFERRAL_SOURCE(rng) == ReferralSource.ORGANISATION
    answers: dict[str, Any] = {
        "id": uuid.uuid4(),
        "case_id": case.pk,
        "created_by_id": caseworker.pk,
        "created_at": interviewed_at,
        "updated_at": interviewed_at,
        "interview_date": interview,
        "interview_country": mission,
        "interviewer_id": caseworker.pk,
        "interview_language": language,
        "interpreter_used": language != mission_language,
        "referral_source": ReferralSource.ORGANISATION if organisation else ReferralSource.SELF,
        "referring_organisation_type": _ORGANISATION_TYPE(rng) if organisation else "",
        "incoming_referral_date": interview - days(rng, 7) if organisation else None,
        "incoming_referral_reason": ReferralReason.AdditionalServicesRequired
        if organisation
        else "",
        "consent_taken_by_id": caseworker.pk,
        "consent_taken_at": interviewed_at,
        "gender": person.gender,
        "birth_year": person.birth_year,
        "citizenships": list(person.citizenships),
        "languages": list(person.languages),
    }
    if status == CaseStatus.SCREENING and rng.random() < CONSENT_REFUSED_SHARE:
        answers.update(
            consent_interview=False,
            consent_purpose_explained=True,
            consent_data_use_explained=True,
        )
        _finish(answers, case=case, saved=2)
        return answers, [], []

    answers.update(
        consent_interview=True,
        consent_purpose_explained=True,
        consent_data_use_explained=True,
        consent_research=rng.random() >= NO_RESEARCH_CONSENT_SHARE,
        consent_access_rights_explained=True,
        consent_retention_explained=True,
        consent_withdrawal_explained=True,
    )
    age = case.registered_on.year - person.birth_year if person.birth_year else None
    adult = age is None or age >= MINOR_AGE
    answers.update(
        marital_status=_MARITAL(rng) if adult else MaritalStatus.Single,
        number_of_children=rng.choice((0, 0, 1, 1, 2, 3)) if adult else 0,
        education_level=_EDUCATION(rng),
        migrant_type=MigrantType.NOT_A_MIGRANT,
        individual_vulnerabilities=_some(rng, _VULNERABILITY, 2),
        household_vulnerabilities=_some(rng, _VULNERABILITY, 1),
    )

    not_a_victim = status == CaseStatus.CLOSED_REFERRED or (
        status == CaseStatus.PENDING_REVIEW and rng.random() < NOT_A_VICTIM_SHARE
    )
    events: list[dict[str, Any]] = []
    perpetrators: list[dict[str, Any]] = []
    if not not_a_victim:
        events, perpetrators = _exploitation(rng, case=case, answers=answers)
    answers.update(
        decision_organisation=_DECISION_ORGANISATION(rng),
        reasoning_act=REASONING_NOT_A_VICTIM if not_a_victim else REASONING_ACT,
        reasoning_purpose=REASONING_NOT_A_VICTIM if not_a_victim else REASONING_PURPOSE,
        eligible_for_assistance=not not_a_victim,
    )
    if not_a_victim:
        answers.update(
            trafficking_status=TraffickingStatus.NotAVictimOfTrafficking,
            referral_made=REFERRAL_TEXT,
        )
    else:
        answers["trafficking_status"] = (
            TraffickingStatus.ActualVictimOfTrafficking
            if rng.random() < ACTUAL_VICTIM_SHARE
            else TraffickingStatus.PossibleVictimOfTrafficking
        )

    if status == CaseStatus.SCREENING:
        # A draft: the sections after the last one saved are still empty.
        saved = rng.randrange(2, len(SECTION_KEYS))
        _clear_sections(answers, SECTION_KEYS[saved:])
        if "route" in SECTION_KEYS[saved:]:
            events = []
        if "exploitation" in SECTION_KEYS[saved:]:
            perpetrators = []
        _finish(answers, case=case, saved=saved)
        return answers, events, perpetrators

    if adult:
        answers["reasoning_means"] = REASONING_NOT_A_VICTIM if not_a_victim else REASONING_MEANS
    submitted_at = min(interviewed_at + days(rng, 7), now)
    answers.update(
        status=Screening.Status.SUBMITTED,
        submitted_by_id=caseworker.pk,
        submitted_at=submitted_at,
        updated_at=submitted_at,
    )
    saved = len(SECTION_KEYS) + 1
    if status != CaseStatus.PENDING_REVIEW:
        reviewed_at = min(submitted_at + datetime.timedelta(days=1) + days(rng, 14), now)
        answers.update(
            status=Screening.Status.APPROVED,
            reviewed_by_id=reviewer.pk,
            reviewed_at=reviewed_at,
            updated_at=reviewed_at,
        )
        saved += 1
    _finish(answers, case=case, saved=saved)
    return answers, events, perpetrators


def _clear_sections(answers: dict[str, Any], sections: Iterable[str]) -> None:
    for section in sections:
        for field in SECTIONS[section]["fields"]:
            if field not in START_FIELDS:
                answers.pop(field, None)


def _finish(answers: dict[str, Any], *, case: Case, saved: int) -> None:
    """Derived answers as the services compute them; ``saved`` counts the writes after start
    (section saves, submission, review), each of which moved ``version`` on by one.
    """
    derived = SimpleNamespace(
        case=case,
        birth_year=answers.get("birth_year"),
        exploitation_start=answers.get("exploitation_start"),
        exploitation_end=answers.get("exploitation_end"),
    )
    _derive(derived)
    answers["age_at_registration"] = derived.age_at_registration
    answers["minor_at_registration"] = derived.minor_at_registration
    answers["exploitation_months"] = derived.exploitation_months
    birth_year = answers.get("birth_year")
    if birth_year:
        if answers.get("recruitment_date"):
            answers["minor_at_recruitment"] = (
                answers["recruitment_date"].year - birth_year < MINOR_AGE
            )
        if answers.get("exploitation_start"):
            answers["minor_at_exploitation"] = (
                answers["exploitation_start"].year - birth_year < MINOR_AGE
            )
    answers["version"] = 1 + saved


def screenings_seed(
    rng: random.Random,
    *,
    cases: Iterable[Case],
    reviewer: User,
    today: datetime.date,
    now: datetime.datetime,
) -> int:
    """Write the screenings of newly created synthetic ``cases`` (with ``person``, ``mission``
    and ``created_by`` loaded) with COPY: one per case whose status is past screening, and a
    draft or nothing for a case still in screening. Returns how many screenings it wrote.
    """
    screenings = CopyTable(Screening)
    events = CopyTable(TraffickingEvent)
    perpetrators = CopyTable(Perpetrator)
    for case in cases:
        built = _screening(rng, case=case, reviewer=reviewer, today=today, now=now)
        if built is None:
            continue
        answers, route, people = built
        screenings.add(answers)
        for position, event in enumerate(route):
            events.add({"screening_id": answers["id"], "position": position, **event})
        for position, perpetrator in enumerate(people):
            perpetrators.add({"screening_id": answers["id"], "position": position, **perpetrator})
    count = len(screenings.rows)
    screenings.write()
    events.write()
    perpetrators.write()
    return count
