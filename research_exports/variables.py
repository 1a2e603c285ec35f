"""The research variables: what a researcher can group by, and how each maps to CTDC.

Generalisations (bands, merged groups) are applied when the mart is built, so the mart never
holds anything finer than what is listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# HTCDS gender -> CTDC gender (transgender and non-conforming not broken down, for privacy).
CTDC_GENDER = {
    "Feminine": "Woman",
    "Masculine": "Man",
    "TransgenderFeminine": "Trans/Transgender/NonConforming",
    "TransgenderMasculine": "Trans/Transgender/NonConforming",
    "NonConforming": "Trans/Transgender/NonConforming",
}

# CTDC ageBroad bands: (label, lowest age, highest age or None).
AGE_BANDS = (
    ("0--8", 0, 8),
    ("9--17", 9, 17),
    ("18--20", 18, 20),
    ("21--23", 21, 23),
    ("24--26", 24, 26),
    ("27--29", 27, 29),
    ("30--38", 30, 38),
    ("39--47", 39, 47),
    ("48+", 48, None),
)

# CTDC traffickMonths bands.
MONTH_BANDS = (("0--12", 0, 12), ("13--24", 13, 24), ("25+", 25, None))

# HTCDS means of control -> CTDC's eight merged groups ("Other" has no group).
MEANS_GROUPS = {
    "DebtBondage": "meansDebtBondageEarnings",
    "TakesEarnings": "meansDebtBondageEarnings",
    "PhysicalThreats": "meansThreats",
    "ThreatsLawEnforcement": "meansThreats",
    "ThreatensChildrenFamily": "meansThreats",
    "PhysicalAbuse": "meansAbusePsyPhySex",
    "SexualAbuse": "meansAbusePsyPhySex",
    "PsychologicalAbuse": "meansAbusePsyPhySex",
    "FalsePromises": "meansFalsePromises",
    "PsychoactiveSubstance": "meansDrugsAlcohol",
    "RestrictsFinancialAccess": "meansDenyBasicNeeds",
    "RestrictsMedicalCare": "meansDenyBasicNeeds",
    "WithholdsNecessities": "meansDenyBasicNeeds",
    "ExcessiveWorkingHours": "meansExcessiveWorkHours",
    "WithholdsDocuments": "meansWithholdDocs",
}

MISSING = ""

# Years are published in fixed bands (1900--1904, 1905--1909, ...): a year filter selects whole
# bands, since two ranges one year apart would give that year's counts by subtraction.
YEAR_MIN = 1900
YEAR_BAND_YEARS = 5
_BAND_START = f"(year_of_registration - mod(year_of_registration - {YEAR_MIN}, {YEAR_BAND_YEARS}))"


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    description: str
    column: str  # column of research_exports_martrow, or an SQL expression over it
    multi_valued: bool = False
    ctdc_name: str = ""


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable(
            "yearOfRegistration",
            _("Year of registration"),
            _("Year the person was registered by the mission."),
            "year_of_registration::text",
            ctdc_name="yearOfRegistration",
        ),
        Variable(
            "yearBand",
            _("Year of registration, 5-year band"),
            _(
                "Fixed five-year bands of the year of registration (2020--2024, ...). A year "
                "filter is published as this variable, one column per band."
            ),
            f"{_BAND_START}::text || '--' || ({_BAND_START} + {YEAR_BAND_YEARS - 1})::text",
        ),
        Variable(
            "missionCountry",
            _("Mission country"),
            _("Country of the mission that assisted the person (ISO 3166 alpha-3)."),
            "mission_country",
        ),
        Variable(
            "gender",
            _("Gender"),
            _("Man, Woman, or Trans/Transgender/NonConforming (not broken down, for privacy)."),
            "gender",
            ctdc_name="gender",
        ),
        Variable(
            "ageBroad",
            _("Age band at registration"),
            _("CTDC age bands at registration."),
            "age_broad",
            ctdc_name="ageBroad",
        ),
        Variable(
            "majorityStatus",
            _("Minor or adult at registration"),
            _("Whether the person was under 18 when registered."),
            "CASE minor_at_registration WHEN true THEN 'Minor' WHEN false THEN 'Adult' ELSE '' END",
            ctdc_name="majorityStatus",
        ),
        Variable(
            "citizenship",
            _("Citizenship"),
            _("First citizenship recorded (ISO 3166 alpha-3)."),
            "citizenship",
            ctdc_name="citizenship",
        ),
        Variable(
            "CountryOfExploitation",
            _("Country of exploitation"),
            _("First country of exploitation recorded (ISO 3166 alpha-3)."),
            "country_of_exploitation",
            ctdc_name="CountryOfExploitation",
        ),
        Variable(
            "route",
            _("Route (origin to destination)"),
            _("Country of recruitment and country of exploitation, as a pair."),
            "CASE WHEN route_origin = '' OR route_destination = '' THEN '' "
            "ELSE route_origin || '>' || route_destination END",
        ),
        Variable(
            "traffickMonths",
            _("Duration of trafficking"),
            _("Months of exploitation, in CTDC bands."),
            "traffick_months",
            ctdc_name="traffickMonths",
        ),
        Variable(
            "typeOfExploitation",
            _("Type of exploitation"),
            _("HTCDS exploitation types; a person can have several."),
            "exploitation_types",
            multi_valued=True,
            ctdc_name="isForcedLabour / isSexualExploit / isOtherExploit",
        ),
        Variable(
            "typeOfLabour",
            _("Forced-labour industry"),
            _("ISIC sections of forced labour; a person can have several."),
            "labour_industries",
            multi_valued=True,
            ctdc_name="typeOfLabour*",
        ),
        Variable(
            "typeOfSex",
            _("Type of sexual exploitation"),
            _("Types of sexual exploitation; a person can have several."),
            "sexual_exploitation_types",
            multi_valued=True,
            ctdc_name="typeOfSex*",
        ),
        Variable(
            "meansOfControl",
            _("Means of control"),
            _("CTDC's eight merged groups of means of control; a person can have several."),
            "means_of_control",
            multi_valued=True,
            ctdc_name="means*",
        ),
        Variable(
            "recruiterRelation",
            _("Relation to the recruiter"),
            _("Intimate partner, friend, family, other or unknown."),
            "recruiter_relation",
            ctdc_name="recruiterRelation*",
        ),
        Variable(
            "traffickingStatus",
            _("Trafficking status"),
            _("Determination: possible or actual victim of trafficking."),
            "trafficking_status",
        ),
        Variable(
            "isRetrafficked",
            _("Re-trafficking"),
            _(
                "Whether the person was trafficked again: found at a monitoring visit, or "
                "registered again as a new case (true or false)."
            ),
            "CASE WHEN is_retrafficked THEN 'true' ELSE 'false' END",
        ),
        *(
            Variable(
                f"{dimension}ReintegrationScore",
                label,
                _(
                    "Score from 1 (worst) to 5 (best) at the latest monitoring visit done; "
                    "empty when no visit has been done."
                ),
                f"COALESCE({dimension}_score::text, '{MISSING}')",
            )
            for dimension, label in (
                ("economic", _("Reintegration: economic score")),
                ("social", _("Reintegration: social score")),
                ("psychosocial", _("Reintegration: psychosocial score")),
            )
        ),
    )
}

MAX_DIMENSIONS = 4
