"""Synthetic reintegration for demo and benchmark cases. Never for real records.

Every share, amount and score here is an assumption. The rows follow the rules the
reintegration services enforce, so a seeded record looks like one a caseworker entered: one
plan per case whose schedule counts from the arrival of the return (or from the plan's start
for local integration), visits on the dates the schedule gives, done visits with all three
scores and a reason from their dimension, exact amounts with an ISO 4217 currency. Scores
mostly drift up from visit to visit; a few visits find the person trafficked again, and
their cases are flagged as re-trafficking. Free text is short, generic and synthetic.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from assistance.models import Movement, MovementType, Organisation, Provider, ServiceCategory
from assistance.synthetic import CURRENCIES, DIRECTORY, PER_USD, WHOLE_UNITS
from cases.bulk import CopyTable, Weighted, at
from cases.models import Case
from cases.vocabularies import CaseStatus

from .models import (
    DIMENSION_REASONS,
    OPTION_DIMENSION,
    SCORE_MAX,
    SCORE_MIN,
    Dimension,
    EconomicReason,
    MonitoringVisit,
    PsychosocialReason,
    ReintegrationAssistance,
    ReintegrationOption,
    ReintegrationPlan,
    SocialReason,
)
from .services import add_months

REINTEGRATED_STATUSES = frozenset({CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP, CaseStatus.CLOSED})
PLAN_SHARE = 0.9
SCHEDULES = Weighted({(3, 6, 12): 80, (1, 3, 6, 12): 10, (6, 12, 24): 6, (3, 6, 12, 18, 24): 4})
VISIT_DONE_SHARE = 0.85
PHONE_SHARE = 0.3
RETRAFFICKED_SHARE = 0.03
# How a score moves from one visit to the next: mostly up.
DRIFT = Weighted({-1: 12, 0: 33, 1: 40, 2: 15})
FIRST_SCORE = Weighted({1: 25, 2: 40, 3: 25, 4: 10})

OPTION_WEIGHTS = Weighted(
    {
        ReintegrationOption.CASH_BASED: 10,
        ReintegrationOption.IN_KIND: 8,
        ReintegrationOption.BUSINESS_START_UP_GRANT: 12,
        ReintegrationOption.BUSINESS_DEVELOPMENT: 6,
        ReintegrationOption.JOB_PLACEMENT: 7,
        ReintegrationOption.VOCATIONAL_TRAINING: 12,
        ReintegrationOption.SCHOLARSHIP_PRIMARY: 2,
        ReintegrationOption.SCHOLARSHIP_SECONDARY: 4,
        ReintegrationOption.SCHOLARSHIP_TERTIARY: 2,
        ReintegrationOption.FINANCIAL_MANAGEMENT_TRAINING: 6,
        ReintegrationOption.SAVINGS_GROUP: 5,
        ReintegrationOption.HOUSING_SUPPORT: 7,
        ReintegrationOption.FAMILY_MEDIATION: 6,
        ReintegrationOption.MEDICAL_FOLLOW_UP: 7,
        ReintegrationOption.PSYCHOSOCIAL_FOLLOW_UP: 10,
    }
)
ITEM_COUNT = Weighted({1: 20, 2: 35, 3: 30, 4: 15})
# Amount range in US dollars for the options that come with money.
AMOUNTS: dict[str, tuple[int, int]] = {
    ReintegrationOption.CASH_BASED: (50, 400),
    ReintegrationOption.IN_KIND: (30, 300),
    ReintegrationOption.BUSINESS_START_UP_GRANT: (300, 1500),
    ReintegrationOption.BUSINESS_DEVELOPMENT: (100, 800),
    ReintegrationOption.SCHOLARSHIP_PRIMARY: (50, 200),
    ReintegrationOption.SCHOLARSHIP_SECONDARY: (100, 400),
    ReintegrationOption.SCHOLARSHIP_TERTIARY: (300, 1200),
    ReintegrationOption.HOUSING_SUPPORT: (100, 900),
}
PROVIDER_ORGANISATION_SHARE = 0.35
# Which partners of the demo directory can give an option (by the service categories they
# provide); money and groups come from IOM.
OPTION_CATEGORIES: dict[str, frozenset[str]] = {
    ReintegrationOption.JOB_PLACEMENT: frozenset({ServiceCategory.VOCATIONAL_TRAINING}),
    ReintegrationOption.VOCATIONAL_TRAINING: frozenset({ServiceCategory.VOCATIONAL_TRAINING}),
    ReintegrationOption.BUSINESS_DEVELOPMENT: frozenset({ServiceCategory.VOCATIONAL_TRAINING}),
    ReintegrationOption.FINANCIAL_MANAGEMENT_TRAINING: frozenset(
        {ServiceCategory.VOCATIONAL_TRAINING, ServiceCategory.EDUCATION}
    ),
    ReintegrationOption.SCHOLARSHIP_PRIMARY: frozenset({ServiceCategory.EDUCATION}),
    ReintegrationOption.SCHOLARSHIP_SECONDARY: frozenset({ServiceCategory.EDUCATION}),
    ReintegrationOption.SCHOLARSHIP_TERTIARY: frozenset({ServiceCategory.EDUCATION}),
    ReintegrationOption.HOUSING_SUPPORT: frozenset({ServiceCategory.ACCOMMODATION}),
    ReintegrationOption.MEDICAL_FOLLOW_UP: frozenset({ServiceCategory.MEDICAL}),
    ReintegrationOption.PSYCHOSOCIAL_FOLLOW_UP: frozenset({ServiceCategory.PSYCHOSOCIAL}),
    ReintegrationOption.FAMILY_MEDIATION: frozenset(
        {ServiceCategory.FAMILY_TRACING, ServiceCategory.PSYCHOSOCIAL}
    ),
}
_PROVIDES = {
    (country, name): categories
    for country, rows in DIRECTORY.items()
    for name, _type, categories in rows
}
ITEM_STATUS = {
    CaseStatus.ACTIVE: Weighted(
        {
            ReintegrationAssistance.Status.PLANNED: 30,
            ReintegrationAssistance.Status.IN_PROGRESS: 35,
            ReintegrationAssistance.Status.PROVIDED: 25,
            ReintegrationAssistance.Status.DECLINED: 6,
            ReintegrationAssistance.Status.CANCELLED: 4,
        }
    ),
    CaseStatus.FOLLOW_UP: Weighted(
        {
            ReintegrationAssistance.Status.IN_PROGRESS: 15,
            ReintegrationAssistance.Status.PROVIDED: 70,
            ReintegrationAssistance.Status.DECLINED: 10,
            ReintegrationAssistance.Status.CANCELLED: 5,
        }
    ),
    CaseStatus.CLOSED: Weighted(
        {
            ReintegrationAssistance.Status.PROVIDED: 80,
            ReintegrationAssistance.Status.DECLINED: 10,
            ReintegrationAssistance.Status.CANCELLED: 10,
        }
    ),
}

# Reasons that go with a good score (4–5) and with a poor one (1–2); 3 takes either.
GOOD_REASONS: dict[str, tuple[str, ...]] = {
    Dimension.ECONOMIC: (
        EconomicReason.INCOME_STABLE,
        EconomicReason.EMPLOYED,
        EconomicReason.BUSINESS_RUNNING,
        EconomicReason.IN_TRAINING,
    ),
    Dimension.SOCIAL: (
        SocialReason.HOUSING_SECURE,
        SocialReason.IN_SCHOOL,
        SocialReason.SERVICES_ACCESSED,
    ),
    Dimension.PSYCHOSOCIAL: (
        PsychosocialReason.WELLBEING_IMPROVED,
        PsychosocialReason.FAMILY_SUPPORT,
        PsychosocialReason.COMMUNITY_ACCEPTED,
    ),
}
POOR_REASONS: dict[str, tuple[str, ...]] = {
    dimension: tuple(code for code in reasons.values if code not in GOOD_REASONS[dimension])
    for dimension, reasons in DIMENSION_REASONS.items()
}

ASSESSMENT = {
    "needs": "Income, stable housing and follow-up care.",
    "skills": "Basic literacy; some farming and sewing experience.",
    "family_situation": "Lives with relatives who support the return.",
    "risks": "Debt to the recruiter; the recruiter is known in the area.",
    "economic_goals": "A small business or a job with regular income within a year.",
    "social_goals": "Secure housing and access to health services.",
    "psychosocial_goals": "Regular counselling and family mediation.",
}
VISIT_NOTES = "Visit went as planned."
_CURRENCIES = {country: Weighted(weights) for country, weights in CURRENCIES.items()}
RETRAFFICKED_NOTES = "The person reports having been recruited and exploited again."


def _reason(rng: random.Random, dimension: str, score: int) -> str:
    if score >= 4 or (score == 3 and rng.random() < 0.5):
        return rng.choice(GOOD_REASONS[dimension])
    return rng.choice(POOR_REASONS[dimension])


def _amount(rng: random.Random, option: str, country: str) -> tuple[Decimal | None, str]:
    bounds = AMOUNTS.get(option)
    if bounds is None or country not in CURRENCIES:
        return None, ""
    currency = _CURRENCIES[country](rng)
    cents = int(Decimal(rng.randint(bounds[0] * 100, bounds[1] * 100)) * PER_USD[currency])
    if currency in WHOLE_UNITS:
        cents -= cents % 100
    return (Decimal(cents) / 100).quantize(Decimal("0.01")), currency


# Enum.values builds a new list on every read.
DIMENSIONS = Dimension.values


class _Tables:
    def __init__(self) -> None:
        self.plans = CopyTable(ReintegrationPlan)
        self.items = CopyTable(ReintegrationAssistance)
        self.visits = CopyTable(MonitoringVisit)

    def write(self) -> None:
        for table in (self.plans, self.items, self.visits):
            table.write()


def _anchors(cases: list[Case]) -> dict[Any, tuple[datetime.date, str, datetime.date]]:
    """Per case: (anchor date, anchor source, earliest plan start) from its movements.

    The last return or onward movement that arrived anchors on its arrival, as in
    ``services.monitoring_anchor``; otherwise local integration that was not cancelled
    anchors on the plan's start, made once the movement was planned.
    """
    arrivals: dict[Any, datetime.datetime] = {}
    local: dict[Any, datetime.date] = {}
    rows = (
        Movement.objects.filter(case_id__in=[case.pk for case in cases])
        .exclude(status=Movement.Status.CANCELLED)
        .values_list("case_id", "movement_type", "status", "arrived_at", "created_at")
    )
    for case_id, movement_type, status, arrived_at, created_at in rows:
        if movement_type == MovementType.LOCAL_INTEGRATION:
            local[case_id] = min(local.get(case_id, created_at.date()), created_at.date())
        elif status == Movement.Status.ARRIVED and arrived_at is not None:
            arrivals[case_id] = max(arrivals.get(case_id, arrived_at), arrived_at)
    anchors: dict[Any, tuple[datetime.date, str, datetime.date]] = {
        case_id: (day, ReintegrationPlan.AnchorSource.PLAN_START, day)
        for case_id, day in local.items()
    }
    for case_id, arrived_at in arrivals.items():
        day = timezone.localdate(arrived_at)
        anchors[case_id] = (day, ReintegrationPlan.AnchorSource.ARRIVAL, day)
    return anchors


class _Reintegrated:
    """One case's plan, assistance and monitoring history, built into the shared tables."""

    def __init__(
        self,
        rng: random.Random,
        *,
        case: Case,
        anchor: tuple[datetime.date, str, datetime.date],
        directory: dict[str, list[Organisation]],
        tables: _Tables,
        today: datetime.date,
        now: datetime.datetime,
    ) -> None:
        self.rng = rng
        self.case = case
        self.country = case.mission.country
        self.caseworker_id = case.created_by_id
        self.organisations = directory.get(self.country, [])
        self.tables = tables
        self.today = today
        self.now = now
        self.anchor_date, self.anchor_source, self.earliest = anchor
        self.retrafficked = False

    def build(self) -> None:
        rng = self.rng
        start = min(self.earliest + datetime.timedelta(days=rng.randint(0, 21)), self.today)
        if self.anchor_source == ReintegrationPlan.AnchorSource.PLAN_START:
            self.anchor_date = start
        months = list(SCHEDULES(rng))
        created = at(start, rng, self.now)
        plan_id = uuid.uuid4()
        self.tables.plans.add(
            {
                "id": plan_id,
                "case_id": self.case.pk,
                "created_by_id": self.caseworker_id,
                "created_at": created,
                "updated_at": created,
                "start_date": start,
                "monitoring_months": months,
                "anchor_date": self.anchor_date,
                "anchor_source": self.anchor_source,
                **ASSESSMENT,
            }
        )
        for _ in range(ITEM_COUNT(rng)):
            self.item(start)
        self.visits(plan_id, months, created)

    def item(self, start: datetime.date) -> None:
        rng = self.rng
        option = OPTION_WEIGHTS(rng)
        status = ITEM_STATUS[self.case.status](rng)
        wanted = OPTION_CATEGORIES.get(option, frozenset())
        serving = [
            o for o in self.organisations if wanted & _PROVIDES.get((o.country, o.name), set())
        ]
        organisation = (
            rng.choice(serving) if serving and rng.random() < PROVIDER_ORGANISATION_SHARE else None
        )
        begun = status in (
            ReintegrationAssistance.Status.IN_PROGRESS,
            ReintegrationAssistance.Status.PROVIDED,
        )
        item_start = item_end = None
        if begun:
            item_start = min(start + datetime.timedelta(days=rng.randint(0, 90)), self.today)
            if status == ReintegrationAssistance.Status.PROVIDED:
                item_end = min(
                    item_start + datetime.timedelta(days=rng.randint(0, 120)), self.today
                )
        elif status == ReintegrationAssistance.Status.PLANNED:
            item_start = self.today + datetime.timedelta(days=rng.randint(1, 60))
        amount, currency = _amount(rng, option, self.country) if begun else (None, "")
        created = at(start, rng, self.now)
        self.tables.items.add(
            {
                "id": uuid.uuid4(),
                "case_id": self.case.pk,
                "version": 1 if status == ReintegrationAssistance.Status.PLANNED else 2,
                "created_by_id": self.caseworker_id,
                "created_at": created,
                "updated_at": max(created, at(item_end or start, rng, self.now)),
                "option": option,
                "dimension": OPTION_DIMENSION[option],
                "provider": Provider.ORGANISATION if organisation else Provider.IOM,
                "organisation_id": organisation.pk if organisation else None,
                "status": status,
                "start_date": item_start,
                "end_date": item_end,
                "amount": amount,
                "currency": currency,
            }
        )

    def visits(self, plan_id: uuid.UUID, months: list[int], created: datetime.datetime) -> None:
        rng = self.rng
        grace = datetime.timedelta(days=settings.HARBOUR_MONITORING_GRACE_DAYS)
        open_case = self.case.status != CaseStatus.CLOSED
        scores = {dimension: FIRST_SCORE(rng) for dimension in DIMENSIONS}
        for month in months:
            planned = add_months(self.anchor_date, month)
            row: dict[str, Any] = {
                "id": uuid.uuid4(),
                "case_id": self.case.pk,
                "plan_id": plan_id,
                "created_by_id": self.caseworker_id,
                "created_at": created,
                "updated_at": created,
                "schedule_month": month,
                "planned_date": planned,
                "status": MonitoringVisit.Status.SCHEDULED,
            }
            due = planned + grace < self.today
            if self.retrafficked or not due:
                # Monitoring stops once the person has been trafficked again, or the case closed.
                if self.retrafficked or not open_case:
                    row["status"] = MonitoringVisit.Status.CANCELLED
                self.tables.visits.add(row)
                continue
            if rng.random() >= VISIT_DONE_SHARE:
                row["status"] = (
                    MonitoringVisit.Status.OVERDUE
                    if open_case
                    else MonitoringVisit.Status.CANCELLED
                )
                self.tables.visits.add(row)
                continue
            done = min(planned + datetime.timedelta(days=rng.randint(0, 14)), self.today)
            retrafficked = rng.random() < RETRAFFICKED_SHARE
            for dimension in DIMENSIONS:
                step = -2 if retrafficked else DRIFT(rng)
                scores[dimension] = max(SCORE_MIN, min(SCORE_MAX, scores[dimension] + step))
                row[f"{dimension}_score"] = scores[dimension]
                row[f"{dimension}_reason"] = _reason(rng, dimension, scores[dimension])
            row.update(
                status=MonitoringVisit.Status.DONE,
                version=2,
                done_date=done,
                visited_by_id=self.caseworker_id,
                mode=(
                    MonitoringVisit.Mode.PHONE
                    if rng.random() < PHONE_SHARE
                    else MonitoringVisit.Mode.IN_PERSON
                ),
                retrafficked=retrafficked,
                notes=RETRAFFICKED_NOTES if retrafficked else VISIT_NOTES,
                updated_at=max(created, at(done, rng, self.now)),
            )
            self.retrafficked = retrafficked
            self.tables.visits.add(row)


def reintegration_seed(
    rng: random.Random,
    *,
    cases: Iterable[Case],
    directory: dict[str, list[Organisation]],
    today: datetime.date,
    now: datetime.datetime,
) -> int:
    """Write the reintegration of newly created synthetic ``cases`` (with ``mission`` and
    ``created_by`` loaded, assistance already written) with COPY: for each active, follow-up
    or closed case whose return or onward movement arrived, or that integrates locally.
    Cases whose monitoring found re-trafficking are flagged in one UPDATE. Returns how many
    cases got a plan."""
    candidates = [case for case in cases if case.status in REINTEGRATED_STATUSES]
    anchors = _anchors(candidates)
    tables = _Tables()
    retrafficked = []
    count = 0
    for case in candidates:
        anchor = anchors.get(case.pk)
        if anchor is None or rng.random() >= PLAN_SHARE:
            continue
        built = _Reintegrated(
            rng,
            case=case,
            anchor=anchor,
            directory=directory,
            tables=tables,
            today=today,
            now=now,
        )
        built.build()
        if built.retrafficked:
            retrafficked.append(case.pk)
        count += 1
    tables.write()
    if retrafficked:
        Case.objects.filter(pk__in=retrafficked).update(retrafficked=True)
    return count
