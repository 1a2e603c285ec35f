"""Synthetic assistance for demo and benchmark cases. Never for real records.

Every share, amount and name here is an assumption: CTDC, which shapes the cases and
screenings, records nothing about assistance. The rows follow the rules the assistance
services enforce, so a seeded record looks like one a caseworker entered: sub-types only in
their category, stay dates only for accommodation, exact costs with an ISO 4217 currency,
personal data shared only with consent recorded, movements that went planned, confirmed,
departed, arrived in order with a go assessment before departure, legs only for travel.
Free text is short, generic and synthetic.
"""

from __future__ import annotations

import datetime
import itertools
import random
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from accounts.models import Mission
from cases.bulk import CopyTable, Weighted, at, days
from cases.models import Case
from cases.vocabularies import CaseStatus, OrganisationType, ReferralReason, SupportPlanType
from screening.models import Screening

from .models import (
    SERVICE_SUB_TYPES,
    AssessmentDecision,
    AssistanceInterview,
    AssistanceService,
    DocumentationNeed,
    HealthNeed,
    ImmediateNeed,
    LegalNeed,
    Movement,
    MovementLeg,
    MovementType,
    Organisation,
    PersonWish,
    Provider,
    Referral,
    RiskLevel,
    ServiceCategory,
    SupportPlan,
    TransportMeans,
    TravelDocumentStatus,
)

ASSISTED_STATUSES = frozenset({CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP, CaseStatus.CLOSED})
S = ServiceCategory

# The demo directory: (name, type, service categories it provides) per mission country.
DIRECTORY: dict[str, tuple[tuple[str, str, frozenset[str]], ...]] = {
    "NPL": (
        ("Kathmandu Safe Home", OrganisationType.NGO, frozenset({S.ACCOMMODATION, S.RECEPTION})),
        (
            "Valley Community Clinic",
            OrganisationType.HealthServiceOrganisation,
            frozenset({S.MEDICAL, S.PSYCHOSOCIAL}),
        ),
        (
            "Nepal Legal Aid Forum",
            OrganisationType.LegalService,
            frozenset({S.LEGAL_COUNSELLING, S.LEGAL_REPRESENTATION}),
        ),
        (
            "District Women and Children Office",
            OrganisationType.LocalGovernmentOrganisation,
            frozenset({S.DOCUMENTATION, S.FAMILY_TRACING}),
        ),
        (
            "Pokhara Skills Institute",
            OrganisationType.SchoolOrCollege,
            frozenset({S.EDUCATION, S.VOCATIONAL_TRAINING}),
        ),
    ),
    "THA": (
        (
            "Bangkok Shelter Foundation",
            OrganisationType.NGO,
            frozenset({S.ACCOMMODATION, S.RECEPTION, S.FAMILY_TRACING}),
        ),
        (
            "Riverside General Hospital",
            OrganisationType.HealthServiceOrganisation,
            frozenset({S.MEDICAL}),
        ),
        ("Mekong Counselling Network", OrganisationType.NGO, frozenset({S.PSYCHOSOCIAL})),
        (
            "Migrant Rights Legal Clinic",
            OrganisationType.LegalService,
            frozenset({S.LEGAL_COUNSELLING, S.LEGAL_REPRESENTATION}),
        ),
        (
            "Provincial Immigration Office",
            OrganisationType.ImmigrationService,
            frozenset({S.DOCUMENTATION}),
        ),
        (
            "Chiang Mai Vocational College",
            OrganisationType.SchoolOrCollege,
            frozenset({S.EDUCATION, S.VOCATIONAL_TRAINING}),
        ),
    ),
    "UKR": (
        (
            "Kyiv Crisis Centre",
            OrganisationType.NGO,
            frozenset({S.ACCOMMODATION, S.RECEPTION, S.PSYCHOSOCIAL}),
        ),
        (
            "City Polyclinic No. 5",
            OrganisationType.HealthServiceOrganisation,
            frozenset({S.MEDICAL}),
        ),
        (
            "Free Legal Aid Centre",
            OrganisationType.CentralGovernmentOrganisation,
            frozenset({S.LEGAL_COUNSELLING, S.LEGAL_REPRESENTATION}),
        ),
        (
            "Regional Migration Service",
            OrganisationType.ImmigrationService,
            frozenset({S.DOCUMENTATION}),
        ),
        (
            "Employment Retraining Centre",
            OrganisationType.LocalGovernmentOrganisation,
            frozenset({S.VOCATIONAL_TRAINING, S.EDUCATION}),
        ),
    ),
}

# A place name per country, for movement legs: the main city or crossing point.
PLACES: dict[str, str] = {
    "NPL": "Kathmandu",
    "THA": "Bangkok",
    "KHM": "Phnom Penh",
    "LAO": "Vientiane",
    "MMR": "Yangon",
    "VNM": "Hanoi",
    "UGA": "Kampala",
    "UZB": "Tashkent",
    "BGD": "Dhaka",
    "COL": "Bogotá",
    "UKR": "Kyiv",
    "MDA": "Chișinău",
    "RUS": "Moscow",
    "KGZ": "Bishkek",
    "POL": "Przemyśl",
    "CAN": "Toronto",
    "AUS": "Sydney",
    "SWE": "Stockholm",
    "NOR": "Oslo",
}
# Journeys made by road: Thailand's neighbours, and Moldova from Ukraine.
LAND_BORDERS = frozenset({("THA", "KHM"), ("THA", "LAO"), ("THA", "MMR"), ("UKR", "MDA")})
# Ukraine's airspace is closed: other journeys leave by road to Poland, then fly.
EXIT_BY_ROAD: dict[str, str] = {"UKR": "POL"}
RESETTLEMENT_COUNTRIES = ("CAN", "AUS", "SWE", "NOR")

# Currency shares per mission country, and units per US dollar (rounded, for amounts only).
CURRENCIES: dict[str, dict[str, int]] = {
    "NPL": {"NPR": 70, "USD": 30},
    "THA": {"THB": 75, "USD": 25},
    "UKR": {"UAH": 60, "EUR": 30, "USD": 10},
}
PER_USD: dict[str, Decimal] = {
    "USD": Decimal(1),
    "EUR": Decimal("0.92"),
    "NPR": Decimal(133),
    "THB": Decimal(35),
    "UAH": Decimal(41),
}
# Currencies that are paid in whole units in practice.
WHOLE_UNITS = frozenset({"NPR", "THB", "UAH"})
# Cost range in US dollars, and the share of services with a cost recorded.
COSTS: dict[str, tuple[int, int, float]] = {
    S.FINANCIAL: (50, 800, 1.0),
    S.MEDICAL: (20, 600, 0.6),
    S.ACCOMMODATION: (100, 1500, 0.5),
}

CATEGORY_WEIGHTS: dict[str, int] = {
    S.RECEPTION: 20,
    S.ACCOMMODATION: 12,
    S.MEDICAL: 14,
    S.PSYCHOSOCIAL: 14,
    S.LEGAL_COUNSELLING: 8,
    S.LEGAL_REPRESENTATION: 3,
    S.DOCUMENTATION: 8,
    S.SECURITY: 4,
    S.EDUCATION: 3,
    S.VOCATIONAL_TRAINING: 5,
    S.FINANCIAL: 12,
    S.FAMILY_TRACING: 3,
    S.OTHER: 2,
}
SERVICE_COUNT_WEIGHTS = {1: 10, 2: 22, 3: 26, 4: 20, 5: 13, 6: 9}
PROVIDER_ORGANISATION_SHARE = 0.45
SERVICE_STATUS_WEIGHTS: dict[str, dict[str, int]] = {
    CaseStatus.ACTIVE: {
        AssistanceService.Status.PLANNED: 20,
        AssistanceService.Status.IN_PROGRESS: 30,
        AssistanceService.Status.PROVIDED: 35,
        AssistanceService.Status.DECLINED: 10,
        AssistanceService.Status.CANCELLED: 5,
    },
    CaseStatus.FOLLOW_UP: {
        AssistanceService.Status.PROVIDED: 75,
        AssistanceService.Status.IN_PROGRESS: 10,
        AssistanceService.Status.DECLINED: 10,
        AssistanceService.Status.CANCELLED: 5,
    },
    CaseStatus.CLOSED: {
        AssistanceService.Status.PROVIDED: 80,
        AssistanceService.Status.DECLINED: 10,
        AssistanceService.Status.CANCELLED: 10,
    },
}

SUPPORT_PLAN_SHARE = 0.85
REFERRAL_SHARE = 0.35
SECOND_REFERRAL_SHARE = 0.2
OUTGOING_SHARE = 0.8
SHARES_DATA_SHARE = 0.6
REFERRAL_REASONS = Weighted(
    {
        ReferralReason.AdditionalServicesRequired: 75,
        ReferralReason.MigrationOrChangeOfLocation: 15,
        ReferralReason.Other: 10,
    }
)

# The person's wish, for a foreign citizen and for one assisted in their own country.
WISH_ABROAD = Weighted(
    {
        PersonWish.RETURN: 70,
        PersonWish.STAY: 12,
        PersonWish.THIRD_COUNTRY: 3,
        PersonWish.UNDECIDED: 15,
    }
)
WISH_AT_HOME = Weighted(
    {PersonWish.STAY: 70, PersonWish.THIRD_COUNTRY: 3, PersonWish.UNDECIDED: 27}
)
MOVEMENT_FOR_WISH = {
    PersonWish.RETURN: MovementType.VOLUNTARY_RETURN,
    PersonWish.STAY: MovementType.LOCAL_INTEGRATION,
    PersonWish.THIRD_COUNTRY: MovementType.RESETTLEMENT,
}
# Share of cases, by case status, whose wish led to a recorded movement. Local integration at
# home is recorded less often: there is usually nothing to organise.
MOVEMENT_SHARE = {CaseStatus.ACTIVE: 0.45, CaseStatus.FOLLOW_UP: 0.8, CaseStatus.CLOSED: 0.9}
LOCAL_INTEGRATION_AT_HOME_SHARE = 0.1
ACTIVE_MOVEMENT_STATUS = Weighted(
    {
        Movement.Status.PLANNED: 30,
        Movement.Status.CONFIRMED: 25,
        Movement.Status.DEPARTED: 10,
        Movement.Status.ARRIVED: 35,
    }
)
MOVEMENT_STEPS = (
    Movement.Status.PLANNED,
    Movement.Status.CONFIRMED,
    Movement.Status.DEPARTED,
    Movement.Status.ARRIVED,
)
NO_GO_SHARE = 0.1
TRAVEL_DOCUMENTS = Weighted(
    {
        TravelDocumentStatus.VALID_DOCUMENT: 45,
        TravelDocumentStatus.LAISSEZ_PASSER: 40,
        TravelDocumentStatus.BEING_ISSUED: 15,
    }
)

RISK_LEVELS = Weighted({RiskLevel.LOW: 50, RiskLevel.MEDIUM: 35, RiskLevel.HIGH: 15})
OBJECTIVES = "Safety, recovery and a sustainable livelihood agreed with the person."
ACTION_PLAN = "Shelter and health care first, then counselling, documents and training."
GO_REASONING = "Family assessment positive; no known risk at destination."
NO_GO_REASONING = "Risk at destination not yet cleared; assessment to be repeated."
REFERRAL_DETAILS = "Referred for specialised support."

_CATEGORIES = Weighted(CATEGORY_WEIGHTS)
_SERVICE_COUNT = Weighted(SERVICE_COUNT_WEIGHTS)
_SERVICE_STATUS = {status: Weighted(w) for status, w in SERVICE_STATUS_WEIGHTS.items()}
_CURRENCIES = {country: Weighted(w) for country, w in CURRENCIES.items()}
_SUB_TYPES = {category: sorted(codes) for category, codes in SERVICE_SUB_TYPES.items()}


def organisations_ensure(missions: Iterable[Mission]) -> dict[str, list[Organisation]]:
    """The demo directory of each mission's country, created where missing (found by name)."""
    directory: dict[str, list[Organisation]] = {}
    for mission in missions:
        for name, organisation_type, _categories in DIRECTORY.get(mission.country, ()):
            organisation, _created = Organisation.objects.get_or_create(
                name=name,
                country=mission.country,
                defaults={"organisation_type": organisation_type},
            )
            directory.setdefault(mission.country, []).append(organisation)
    return directory


def _categories_of(organisation: Organisation) -> frozenset[str]:
    for name, _type, categories in DIRECTORY.get(organisation.country, ()):
        if name == organisation.name:
            return categories
    return frozenset()


def _between(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    """A day from ``start`` to ``end``, nearer the start; ``start`` when the range is empty."""
    if end <= start:
        return start
    return min(start + days(rng, (end - start).days + 1), end)


def _cost(rng: random.Random, category: str, country: str) -> tuple[Decimal | None, str]:
    low, high, share = COSTS.get(category, (0, 0, 0.0))
    if rng.random() >= share:
        return None, ""
    currency = _CURRENCIES[country](rng)
    cents = int(Decimal(rng.randint(low * 100, high * 100)) * PER_USD[currency])
    if currency in WHOLE_UNITS or category == S.FINANCIAL:
        cents -= cents % 100
    return (Decimal(cents) / 100).quantize(Decimal("0.01")), currency


# Enum.values builds a new list on every read; the seed draws from these a million times.
IMMEDIATE_NEED_CODES = ImmediateNeed.values
HEALTH_NEED_CODES = HealthNeed.values
LEGAL_NEED_CODES = LegalNeed.values
DOCUMENTATION_NEED_CODES = DocumentationNeed.values
SUPPORT_PLAN_TYPE_CODES = SupportPlanType.values


class _Tables:
    def __init__(self) -> None:
        self.interviews = CopyTable(AssistanceInterview)
        self.plans = CopyTable(SupportPlan)
        self.services = CopyTable(AssistanceService)
        self.referrals = CopyTable(Referral)
        self.movements = CopyTable(Movement)
        self.legs = CopyTable(MovementLeg)

    def write(self) -> None:
        for table in (
            self.interviews,
            self.plans,
            self.services,
            self.referrals,
            self.movements,
            self.legs,
        ):
            table.write()


class _Assisted:
    """One case's assistance, built row by row into the shared tables."""

    def __init__(
        self,
        rng: random.Random,
        *,
        case: Case,
        screening: tuple[datetime.date, datetime.datetime, str, bool],
        directory: dict[str, list[Organisation]],
        tables: _Tables,
        today: datetime.date,
        now: datetime.datetime,
    ) -> None:
        self.rng = rng
        self.case = case
        self.country = case.mission.country
        citizenships = case.person.citizenships
        self.citizenship = citizenships[0] if citizenships else self.country
        self.caseworker_id = case.created_by_id
        self.organisations = directory.get(self.country, [])
        self.tables = tables
        self.today = today
        self.now = now
        screened_on, approved_at, self.language, self.interpreter = screening
        # Assistance begins once the screening is approved.
        self.begins = max(screened_on, approved_at.date())

    def build(self) -> None:
        wish = self.interview()
        if self.rng.random() < SUPPORT_PLAN_SHARE:
            self.plan()
        for _ in range(_SERVICE_COUNT(self.rng)):
            self.service()
        if self.rng.random() < REFERRAL_SHARE:
            self.referral()
            if self.rng.random() < SECOND_REFERRAL_SHARE:
                self.referral()
        self.movement(wish)

    def _stamp(self, day: datetime.date) -> datetime.datetime:
        return at(day, self.rng, self.now)

    def interview(self) -> str:
        rng = self.rng
        self.interviewed_on = min(self.begins + days(rng, 30), self.today)
        moment = self._stamp(self.interviewed_on)
        abroad = self.citizenship != self.country
        wish = (WISH_ABROAD if abroad else WISH_AT_HOME)(rng)
        self.tables.interviews.add(
            {
                "id": uuid.uuid4(),
                "case_id": self.case.pk,
                "created_by_id": self.caseworker_id,
                "created_at": moment,
                "updated_at": moment,
                "interview_date": self.interviewed_on,
                "interviewer_id": self.caseworker_id,
                "language": self.language,
                "interpreter_used": self.interpreter,
                "immediate_needs": sorted(set(rng.sample(IMMEDIATE_NEED_CODES, rng.randint(1, 3)))),
                "health_needs": sorted(set(rng.sample(HEALTH_NEED_CODES, rng.randint(0, 2)))),
                "psychosocial_support_needed": rng.random() < 0.7,
                "legal_needs": sorted(set(rng.sample(LEGAL_NEED_CODES, rng.randint(0, 2)))),
                "documentation_needs": (
                    [DocumentationNeed.TRAVEL_DOCUMENT]
                    if abroad and wish == PersonWish.RETURN
                    else sorted(set(rng.sample(DOCUMENTATION_NEED_CODES, rng.randint(0, 1))))
                ),
                "safety_risk_level": RISK_LEVELS(rng),
                "wish": wish,
            }
        )
        return wish

    def plan(self) -> None:
        rng = self.rng
        start = _between(
            rng, self.interviewed_on, min(self.interviewed_on + days(rng, 14), self.today)
        )
        planned_end = start + datetime.timedelta(days=rng.randint(90, 365))
        closed = self.case.status == CaseStatus.CLOSED
        actual_end = _between(rng, start, self.today) if closed else None
        created = self._stamp(start)
        updated = self._stamp(actual_end) if actual_end else created
        self.tables.plans.add(
            {
                "id": uuid.uuid4(),
                "case_id": self.case.pk,
                "version": 2 if actual_end else 1,
                "created_by_id": self.caseworker_id,
                "created_at": created,
                "updated_at": max(created, updated),
                "plan_types": sorted(set(rng.sample(SUPPORT_PLAN_TYPE_CODES, rng.randint(1, 3)))),
                "objectives": OBJECTIVES,
                "action_plan": ACTION_PLAN,
                "start_date": start,
                "planned_end_date": planned_end,
                "actual_end_date": actual_end,
            }
        )

    def _organisation(self, category: str) -> Organisation | None:
        if self.rng.random() >= PROVIDER_ORGANISATION_SHARE:
            return None
        serving = [o for o in self.organisations if category in _categories_of(o)]
        return self.rng.choice(serving) if serving else None

    def service(self) -> None:
        rng = self.rng
        category = _CATEGORIES(rng)
        sub_types = _SUB_TYPES.get(category)
        status = _SERVICE_STATUS[self.case.status](rng)
        organisation = self._organisation(category)
        start = end = None
        recorded = self.interviewed_on
        if status == AssistanceService.Status.PLANNED:
            start = self.today + datetime.timedelta(days=rng.randint(1, 30))
        elif status in (AssistanceService.Status.IN_PROGRESS, AssistanceService.Status.PROVIDED):
            start = _between(rng, self.interviewed_on, self.today)
            recorded = start
            if status == AssistanceService.Status.PROVIDED:
                end = _between(rng, start, self.today)
        cost = currency = None
        if status in (AssistanceService.Status.IN_PROGRESS, AssistanceService.Status.PROVIDED):
            cost, currency = _cost(rng, category, self.country)
        stay = category == S.ACCOMMODATION and start is not None and start <= self.today
        created = self._stamp(recorded)
        finished = end or recorded
        self.tables.services.add(
            {
                "id": uuid.uuid4(),
                "case_id": self.case.pk,
                "created_by_id": self.caseworker_id,
                "created_at": created,
                "updated_at": max(created, self._stamp(finished)),
                "category": category,
                "sub_type": rng.choice(sub_types) if sub_types else "",
                "provider": Provider.ORGANISATION if organisation else Provider.IOM,
                "organisation_id": organisation.pk if organisation else None,
                "status": status,
                "start_date": start,
                "end_date": end,
                "admission_date": start if stay else None,
                "exit_date": end if stay else None,
                "cost": cost,
                "currency": currency or "",
            }
        )

    def referral(self) -> None:
        rng = self.rng
        if not self.organisations:
            return
        day = _between(rng, self.interviewed_on, self.today)
        moment = self._stamp(day)
        outgoing = rng.random() < OUTGOING_SHARE
        shares = outgoing and rng.random() < SHARES_DATA_SHARE
        row: dict[str, Any] = {
            "id": uuid.uuid4(),
            "case_id": self.case.pk,
            "created_by_id": self.caseworker_id,
            "created_at": moment,
            "direction": Referral.Direction.OUTGOING if outgoing else Referral.Direction.INCOMING,
            "referral_date": day,
            "organisation_id": rng.choice(self.organisations).pk,
            "reason": REFERRAL_REASONS(rng),
            "details": REFERRAL_DETAILS if rng.random() < 0.3 else "",
            "shares_personal_data": shares,
            "consent_given": None,
        }
        if shares:
            # Consent is recorded with the referral, before the data leaves.
            row.update(
                consent_given=True,
                consent_recorded_by_id=self.caseworker_id,
                consent_recorded_at=moment,
            )
        self.tables.referrals.add(row)

    def _destination(self, movement_type: str) -> str | None:
        if movement_type == MovementType.LOCAL_INTEGRATION:
            return self.country
        if movement_type == MovementType.VOLUNTARY_RETURN:
            return self.citizenship if self.citizenship != self.country else None
        third = [c for c in RESETTLEMENT_COUNTRIES if c not in (self.country, self.citizenship)]
        return self.rng.choice(third)

    def movement(self, wish: str) -> None:
        rng = self.rng
        movement_type = MOVEMENT_FOR_WISH.get(wish)
        if movement_type is None or rng.random() >= MOVEMENT_SHARE[self.case.status]:
            return
        at_home = self.citizenship == self.country
        if (
            movement_type == MovementType.LOCAL_INTEGRATION
            and at_home
            and rng.random() >= LOCAL_INTEGRATION_AT_HOME_SHARE
        ):
            return
        destination = self._destination(movement_type)
        if destination is None:
            return
        status = (
            ACTIVE_MOVEMENT_STATUS(rng)
            if self.case.status == CaseStatus.ACTIVE
            else Movement.Status.ARRIVED
        )
        step = MOVEMENT_STEPS.index(status)
        travels = movement_type != MovementType.LOCAL_INTEGRATION
        if not travels:
            document = TravelDocumentStatus.NOT_NEEDED
        else:
            document = TRAVEL_DOCUMENTS(rng)
            if step >= 2 and document == TravelDocumentStatus.BEING_ISSUED:
                # A document still being issued blocks departure.
                document = TravelDocumentStatus.LAISSEZ_PASSER

        planned_on = _between(rng, self.interviewed_on, self.today)
        created = self._stamp(planned_on)
        decision = ""
        if step >= 2 or (step == 1 and rng.random() < 0.7):
            decision = AssessmentDecision.GO
        elif step == 0 and rng.random() < NO_GO_SHARE:
            decision = AssessmentDecision.NO_GO
        elif step == 0 and rng.random() < 0.25:
            decision = AssessmentDecision.GO
        departed_on = _between(rng, planned_on, self.today) if step >= 2 else None
        row: dict[str, Any] = {
            "id": uuid.uuid4(),
            "case_id": self.case.pk,
            "version": 1 + step + (1 if decision else 0),
            "created_by_id": self.caseworker_id,
            "created_at": created,
            "updated_at": created,
            "movement_type": movement_type,
            "origin_country": self.country,
            "destination_country": destination,
            "travel_document_status": document,
            "status": status,
        }
        if decision:
            assessed_on = departed_on or planned_on
            row.update(
                assessment_decision=decision,
                assessment_reasoning=(
                    GO_REASONING if decision == AssessmentDecision.GO else NO_GO_REASONING
                ),
                assessed_by_id=self.caseworker_id,
                assessed_at=max(created, self._stamp(_between(rng, planned_on, assessed_on))),
            )
            row["updated_at"] = row["assessed_at"]
        arrived_on = None
        if travels:
            arrived_on = self._legs(row, planned_on, departed_on, arrived=step == 3)
        elif step == 3:
            arrived_on = departed_on
        if departed_on is not None:
            row["departed_at"] = max(row["updated_at"], self._stamp(departed_on))
            row["updated_at"] = row["departed_at"]
        if step == 3:
            row["arrived_at"] = max(row["departed_at"], self._stamp(arrived_on))
            row["updated_at"] = row["arrived_at"]
        self.tables.movements.add(row)

    def _legs(
        self,
        movement: dict[str, Any],
        planned_on: datetime.date,
        departed_on: datetime.date | None,
        *,
        arrived: bool,
    ) -> datetime.date | None:
        """Add the movement's legs; return the day of the last one when it has arrived."""
        rng = self.rng
        origin, destination = movement["origin_country"], movement["destination_country"]
        road = (origin, destination) in LAND_BORDERS
        hop = EXIT_BY_ROAD.get(origin) if not road else None
        stops = [origin, hop, destination] if hop else [origin, destination]
        if departed_on is None:
            first = max(planned_on, self.today) + datetime.timedelta(days=rng.randint(7, 60))
        else:
            first = departed_on
        day = first
        for position, (start, end) in enumerate(itertools.pairwise(stops)):
            by_road = road or (hop is not None and position == 0)
            # A departed movement has made its first leg; an arrived one all of them.
            done = departed_on is not None and (arrived or position == 0)
            actual = min(day, self.today) if done else None
            self.tables.legs.add(
                {
                    "movement_id": movement["id"],
                    "position": position,
                    "from_country": start,
                    "from_place": PLACES.get(start, ""),
                    "to_country": end,
                    "to_place": PLACES.get(end, ""),
                    "planned_date": actual or day,
                    "actual_date": actual,
                    "transport_means": TransportMeans.LAND if by_road else TransportMeans.AIR,
                    "escorted": rng.random() < 0.6,
                }
            )
            day = (actual or day) + datetime.timedelta(days=1)
        return min(day - datetime.timedelta(days=1), self.today) if arrived else None


def assistance_seed(
    rng: random.Random,
    *,
    cases: Iterable[Case],
    directory: dict[str, list[Organisation]],
    today: datetime.date,
    now: datetime.datetime,
) -> int:
    """Write the assistance of newly created synthetic ``cases`` (with ``person``,
    ``mission`` and ``created_by`` loaded, screenings already written) with COPY: for each
    active, follow-up or closed case whose approved screening found it eligible. Returns how
    many cases it assisted.
    """
    assisted = [case for case in cases if case.status in ASSISTED_STATUSES]
    screenings = {
        case_id: (screened_on, approved_at, language, interpreter)
        for case_id, screened_on, approved_at, language, interpreter in Screening.objects.filter(
            case_id__in=[case.pk for case in assisted],
            status=Screening.Status.APPROVED,
            eligible_for_assistance=True,
        ).values_list(
            "case_id", "interview_date", "reviewed_at", "interview_language", "interpreter_used"
        )
    }
    tables = _Tables()
    count = 0
    for case in assisted:
        screening = screenings.get(case.pk)
        if screening is None:
            continue
        _Assisted(
            rng,
            case=case,
            screening=screening,
            directory=directory,
            tables=tables,
            today=today,
            now=now,
        ).build()
        count += 1
    tables.write()
    return count
