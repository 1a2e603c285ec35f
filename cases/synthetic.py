"""Synthetic people and cases for demonstrations and benchmarks. Never for real records.

The weights below are facts taken from the CTDC Global Synthetic Dataset, 2021 release
(Counter Trafficking Data Collaborative, 25 August 2021; 193,025 rows, registration years
2002-2021; https://www.ctdatacollaborative.org). For each demo mission, "the mission's rows" are
the CTDC rows whose citizenship or country of exploitation is the mission's country: people
exploited there and nationals assisted there after exploitation elsewhere. Counts are CTDC row
counts with blank values left out (a caseworker records gender, age and citizenship at intake;
CTDC's blanks come from partner datasets that did not). The dataset itself is not part of
Harbour.

Statuses, the share of people with no exact date of birth and the split of cases between
missions are not in CTDC; they are assumptions, marked as such below.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

from faker import Faker

from . import crypto
from .vocabularies import CLOSED_STATUSES, CaseStatus, ClosureReason, Gender


@dataclass(frozen=True)
class MissionProfile:
    code: str
    name: str
    country: str
    # Assumption: how the demo's cases are split between missions (CTDC's split, 19,649 rows
    # for Ukraine against 270 for Nepal, would leave the Nepal mission nearly empty).
    share: float
    citizenships: dict[str, int]
    genders: dict[str, int]
    age_bands: dict[str, int]


# CTDC ageBroad bands: (youngest, oldest) age in years; the last band is open, capped here.
AGE_BANDS: dict[str, tuple[int, int]] = {
    "0--8": (0, 8),
    "09--17": (9, 17),
    "18--20": (18, 20),
    "21--23": (21, 23),
    "24--26": (24, 26),
    "27--29": (27, 29),
    "30--38": (30, 38),
    "39--47": (39, 47),
    "48+": (48, 70),
}

MISSION_PROFILES: tuple[MissionProfile, ...] = (
    MissionProfile(
        code="NPL",
        name="Nepal",
        country="NPL",
        share=0.25,
        # CTDC: all 270 Nepal rows are Nepali citizens.
        citizenships={"NPL": 270},
        genders={Gender.FEMININE: 48, Gender.MASCULINE: 4},
        age_bands={"21--23": 14, "24--26": 28, "27--29": 21, "30--38": 16, "39--47": 44},
    ),
    MissionProfile(
        code="THA",
        name="Thailand",
        country="THA",
        share=0.35,
        citizenships={
            "THA": 910,
            "KHM": 368,
            "LAO": 197,
            "UGA": 108,
            "MMR": 62,
            "VNM": 47,
            "UZB": 7,
            "BGD": 2,
            "COL": 1,
        },
        genders={Gender.FEMININE: 504, Gender.MASCULINE: 480, Gender.NON_CONFORMING: 22},
        age_bands={
            "0--8": 353,
            "09--17": 39,
            "18--20": 50,
            "21--23": 51,
            "24--26": 81,
            "27--29": 168,
            "30--38": 247,
            "39--47": 177,
            "48+": 125,
        },
    ),
    MissionProfile(
        code="UKR",
        name="Ukraine",
        country="UKR",
        share=0.40,
        citizenships={"UKR": 18480, "MDA": 345, "UZB": 138, "VNM": 124, "RUS": 53, "KGZ": 1},
        genders={Gender.FEMININE: 9632, Gender.MASCULINE: 8733},
        age_bands={
            "0--8": 216,
            "09--17": 544,
            "18--20": 921,
            "21--23": 1652,
            "24--26": 1771,
            "27--29": 1573,
            "30--38": 4972,
            "39--47": 2493,
            "48+": 1914,
        },
    ),
)

# CTDC registrations per year, 2015-2019 (the last five years before reporting lag shows),
# laid over the five most recent years: oldest first, the current year last.
REGISTRATION_YEAR_WEIGHTS: tuple[int, ...] = (11420, 24930, 17170, 26050, 27840)

# Assumption: most recent cases are still in screening or review, older ones move on to
# assistance, follow-up and closure. Keys: upper bound of the case's age in days.
STATUS_WEIGHTS_BY_AGE: tuple[tuple[int, dict[str, int]], ...] = (
    (
        90,
        {CaseStatus.SCREENING: 55, CaseStatus.PENDING_REVIEW: 20, CaseStatus.ACTIVE: 25},
    ),
    (
        365,
        {
            CaseStatus.SCREENING: 10,
            CaseStatus.PENDING_REVIEW: 10,
            CaseStatus.ACTIVE: 55,
            CaseStatus.FOLLOW_UP: 15,
            CaseStatus.CLOSED: 7,
            CaseStatus.CLOSED_REFERRED: 3,
        },
    ),
    (
        10**6,
        {
            CaseStatus.SCREENING: 3,
            CaseStatus.ACTIVE: 25,
            CaseStatus.FOLLOW_UP: 30,
            CaseStatus.CLOSED: 32,
            CaseStatus.CLOSED_REFERRED: 10,
        },
    ),
)

# Assumptions: share of people known only by birth year, and with no age at all.
BIRTH_YEAR_ONLY_SHARE = 0.06
AGE_UNKNOWN_SHARE = 0.04
PHONE_SHARE = 0.6
ADDRESS_SHARE = 0.4
DOCUMENT_SHARE = 0.3
ALIAS_SHARE = 0.05
UNASSIGNED_SHARE = 0.1

# Faker locale and ISO 639-1 language by citizenship. Citizenships Faker has no locale for
# get its generic English names rather than another country's.
LOCALES: dict[str, str] = {
    "NPL": "ne_NP",
    "THA": "th_TH",
    "VNM": "vi_VN",
    "UZB": "uz_UZ",
    "BGD": "bn_BD",
    "COL": "es_CO",
    "UKR": "uk_UA",
    "MDA": "ro_RO",
    "RUS": "ru_RU",
    "KGZ": "ru_RU",
    "UGA": "en_KE",
}
FALLBACK_LOCALE = "en"
# Locales whose Faker addresses look like the country's (others produce US-style ones).
LOCAL_ADDRESS_LOCALES = frozenset(
    {"ne_NP", "th_TH", "vi_VN", "bn_BD", "es_CO", "uk_UA", "ro_RO", "ru_RU"}
)
LANGUAGES: dict[str, str] = {
    "NPL": "ne",
    "THA": "th",
    "KHM": "km",
    "LAO": "lo",
    "MMR": "my",
    "VNM": "vi",
    "UZB": "uz",
    "BGD": "bn",
    "COL": "es",
    "UKR": "uk",
    "MDA": "ro",
    "RUS": "ru",
    "KGZ": "ky",
    "UGA": "lg",
}


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@cache
def _faker(locale: str) -> Faker:
    return Faker(locale)


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        # 29 February in a year that has none.
        return day.replace(year=day.year - years, day=28)


def registration_date(rng: random.Random, *, today: datetime.date) -> datetime.date:
    """A registration date in the last five calendar years, never after today."""
    offset = rng.choices(range(4, -1, -1), weights=REGISTRATION_YEAR_WEIGHTS)[0]
    year = today.year - offset
    start = datetime.date(year, 1, 1)
    end = min(datetime.date(year, 12, 31), today)
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def case_status(rng: random.Random, *, registered_on: datetime.date, today: datetime.date) -> str:
    age_days = (today - registered_on).days
    for limit, weights in STATUS_WEIGHTS_BY_AGE:
        if age_days < limit:
            return _weighted(rng, weights)
    return _weighted(rng, STATUS_WEIGHTS_BY_AGE[-1][1])


def person_fields(
    rng: random.Random, *, profile: MissionProfile, registered_on: datetime.date
) -> dict[str, Any]:
    """Field values of one synthetic Person, derived fields included, ready to save."""
    citizenship = _weighted(rng, profile.citizenships)
    gender = _weighted(rng, profile.genders)
    locale = LOCALES.get(citizenship, FALLBACK_LOCALE)
    fake = _faker(locale)
    fake.seed_instance(rng.getrandbits(32))

    if gender == Gender.FEMININE:
        given_name = fake.first_name_female()
    elif gender == Gender.MASCULINE:
        given_name = fake.first_name_male()
    else:
        given_name = fake.first_name()
    family_name = fake.last_name()

    date_of_birth = None
    birth_year = None
    age = None
    draw = rng.random()
    if draw >= AGE_UNKNOWN_SHARE:
        low, high = AGE_BANDS[_weighted(rng, profile.age_bands)]
        age = rng.randint(low, high)
        if draw < AGE_UNKNOWN_SHARE + BIRTH_YEAR_ONLY_SHARE:
            birth_year = registered_on.year - age
        else:
            # Any day in the year of life that makes the person exactly `age` at registration.
            latest = _years_before(registered_on, age)
            earliest = _years_before(registered_on, age + 1) + datetime.timedelta(days=1)
            date_of_birth = earliest + datetime.timedelta(
                days=rng.randrange((latest - earliest).days + 1)
            )
            birth_year = date_of_birth.year

    return {
        "given_name": given_name,
        "family_name": family_name,
        "aliases": [fake.first_name()] if rng.random() < ALIAS_SHARE else [],
        "date_of_birth": date_of_birth,
        "identity_documents": [fake.passport_number()] if rng.random() < DOCUMENT_SHARE else [],
        "phone": fake.phone_number() if rng.random() < PHONE_SHARE else "",
        "address": (
            fake.address().replace("\n", ", ")
            if locale in LOCAL_ADDRESS_LOCALES and rng.random() < ADDRESS_SHARE
            else ""
        ),
        "gender": gender,
        "birth_year": birth_year,
        "age_at_registration": age,
        "citizenships": [citizenship],
        "languages": [LANGUAGES[citizenship]] if citizenship in LANGUAGES else [],
        "blind_index": crypto.blind_index(
            given_name=given_name, family_name=family_name, date_of_birth=date_of_birth
        ),
    }


# Closures and re-trafficking links

CLOSURE_REASON_WEIGHTS = {
    ClosureReason.REINTEGRATION_COMPLETED: 45,
    ClosureReason.DECLINED_ASSISTANCE: 15,
    ClosureReason.LOST_CONTACT: 20,
    ClosureReason.RELOCATED: 10,
    ClosureReason.DECEASED: 1,
    ClosureReason.OTHER: 9,
}
PENDING_CLOSURE_SHARE = 0.03  # open, assisted cases with a closure request awaiting a decision
LINKED_PAIRS_PER_CASES = 400  # one re-trafficking pair per this many seeded cases
MIN_CASE_DAYS_BEFORE_CLOSURE = 30


@dataclass
class ClosureSeed:
    requests: list[Any]
    links: list[tuple[Any, Any]]


def closures_prepare(
    rng: random.Random, *, cases: list, reviewer, today: datetime.date, now: datetime.datetime
) -> ClosureSeed:
    """Closure fields of the seeded closed cases, set on the unsaved cases, with the requests
    that closed them; a few pending requests; a few people registered twice (the later person
    gets the earlier one's identity, and both cases are flagged). Save with ``closures_save``."""
    from .models import CaseClosureRequest
    from .services import retention_due_on

    requests = []
    for case in cases:
        if case.status in CLOSED_STATUSES:
            referred = case.status == CaseStatus.CLOSED_REFERRED
            reason = ClosureReason.REFERRED if referred else _weighted(rng, CLOSURE_REASON_WEIGHTS)
            earliest = case.registered_on + datetime.timedelta(days=MIN_CASE_DAYS_BEFORE_CLOSURE)
            span = max((today - earliest).days, 0)
            closed_on = min(earliest + datetime.timedelta(days=rng.randrange(span + 1)), today)
            closed_at = now - datetime.timedelta(days=(today - closed_on).days)
            case.closure_reason = reason
            case.closed_at = closed_at
            case.status_before_closure = CaseStatus.SCREENING if referred else CaseStatus.FOLLOW_UP
            case.identity_removal_due_on = retention_due_on(closed_on=closed_on)
            requested_at = closed_at - datetime.timedelta(days=0 if referred else rng.randint(1, 7))
            requests.append(
                CaseClosureRequest(
                    case=case,
                    reason=reason,
                    status=(
                        CaseClosureRequest.Status.CLOSED_AT_ONCE
                        if referred
                        else CaseClosureRequest.Status.APPROVED
                    ),
                    requested_by=case.created_by,
                    requested_at=requested_at,
                    decided_by=None if referred else reviewer,
                    decided_at=closed_at,
                )
            )
        elif case.status == CaseStatus.FOLLOW_UP and rng.random() < PENDING_CLOSURE_SHARE:
            requests.append(
                CaseClosureRequest(
                    case=case,
                    reason=_weighted(rng, CLOSURE_REASON_WEIGHTS),
                    requested_by=case.created_by,
                    requested_at=now - datetime.timedelta(days=rng.randint(0, 20)),
                )
            )

    links = []
    dated = [case for case in cases if case.person.date_of_birth is not None]
    for _ in range(len(cases) // LINKED_PAIRS_PER_CASES):
        if len(dated) < 2:
            break
        first, second = rng.sample(dated, 2)
        earlier, later = sorted((first, second), key=lambda c: (c.registered_on, c.reference))
        dated = [case for case in dated if case not in (first, second)]
        person, same = later.person, earlier.person
        person.given_name = same.given_name
        person.family_name = same.family_name
        person.date_of_birth = same.date_of_birth
        person.birth_year = same.birth_year
        person.gender = same.gender
        person.blind_index = same.blind_index
        dob, on = same.date_of_birth, later.registered_on
        person.age_at_registration = (
            on.year - dob.year - int((on.month, on.day) < (dob.month, dob.day))
        )
        earlier.retrafficked = later.retrafficked = True
        links.append((earlier, later))
    return ClosureSeed(requests=requests, links=links)


def closures_save(seed: ClosureSeed) -> int:
    """Insert the requests and links of ``closures_prepare`` once their cases are saved."""
    from .models import CaseClosureRequest, CaseLink

    CaseClosureRequest.objects.bulk_create(seed.requests, batch_size=2000)
    CaseLink.objects.bulk_create(
        [CaseLink(earlier_case=earlier, later_case=later) for earlier, later in seed.links]
    )
    return len(seed.requests)
