import datetime

import pytest
from django.utils import timezone

from assistance.models import Movement, MovementType
from cases.vocabularies import CaseStatus
from reintegration import services
from tests import factories

TODAY = timezone.localdate()


@pytest.fixture
def active_case_a(case_a):
    case_a.status = CaseStatus.ACTIVE
    case_a.save(update_fields=["status"])
    return case_a


def plan_data(**overrides):
    data = {
        "needs": "Income and a safe place to live",
        "skills": "Tailoring",
        "family_situation": "Lives with her mother",
        "risks": "Recruiter still in the village",
        "economic_goals": "Open a tailoring shop",
        "social_goals": "Secure housing",
        "psychosocial_goals": "Regular counselling",
        "start_date": TODAY,
    }
    data.update(overrides)
    return data


def arrived_return(case, *, arrived_on: datetime.date) -> Movement:
    arrived_at = datetime.datetime.combine(arrived_on, datetime.time(12), tzinfo=datetime.UTC)
    return factories.MovementFactory(
        case=case,
        movement_type=MovementType.VOLUNTARY_RETURN,
        status=Movement.Status.ARRIVED,
        assessment_decision="go",
        departed_at=arrived_at - datetime.timedelta(hours=6),
        arrived_at=arrived_at,
    )


@pytest.fixture
def plan(active_case_a, caseworker_a):
    return services.plan_create(actor=caseworker_a, case_id=active_case_a.pk, data=plan_data())


def scores(economic=3, social=3, psychosocial=3):
    return {"economic": economic, "social": social, "psychosocial": psychosocial}


REASONS = {"economic": "income_stable", "social": "housing_secure", "psychosocial": "stigma"}


def record_kwargs(**overrides):
    kwargs = {
        "done_date": TODAY,
        "mode": "in_person",
        "scores": scores(),
        "reasons": dict(REASONS),
    }
    kwargs.update(overrides)
    return kwargs
