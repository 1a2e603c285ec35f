import datetime
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from hypothesis import given
from hypothesis import strategies as st

from assistance.models import Movement, MovementType
from assistance.services import CURRENCY_INVALID_MESSAGE, CURRENCY_REQUIRED_MESSAGE
from cases.models import AuditAction, AuditEvent, Case
from cases.vocabularies import CaseStatus
from config.errors import ApplicationError, StaleVersionError
from config.validation import DATE_IN_FUTURE_MESSAGE
from reintegration import services
from reintegration.models import MonitoringVisit, ReintegrationAssistance, ReintegrationPlan
from tests import factories
from tests.reintegration.conftest import (
    TODAY,
    arrived_return,
    plan_data,
    record_kwargs,
    scores,
)

pytestmark = pytest.mark.django_db


def _visit_dates(plan) -> dict[int | None, datetime.date]:
    return {
        v.schedule_month: v.planned_date
        for v in plan.visits.exclude(status=MonitoringVisit.Status.CANCELLED)
    }


def _messages(exc_info, field) -> list[str]:
    return exc_info.value.message_dict[field]


# Plan and schedule


def test_default_schedule_is_3_6_12_months_after_the_arrival(active_case_a, caseworker_a):
    arrived_return(active_case_a, arrived_on=datetime.date(2025, 1, 31))

    plan = services.plan_create(actor=caseworker_a, case_id=active_case_a.pk, data=plan_data())

    assert plan.monitoring_months == [3, 6, 12]
    assert plan.anchor_source == ReintegrationPlan.AnchorSource.ARRIVAL
    assert plan.anchor_date == datetime.date(2025, 1, 31)
    # The 31st falls on the last day of a shorter month.
    assert _visit_dates(plan) == {
        3: datetime.date(2025, 4, 30),
        6: datetime.date(2025, 7, 31),
        12: datetime.date(2026, 1, 31),
    }
    assert all(v.status == MonitoringVisit.Status.SCHEDULED for v in plan.visits.all())


def test_without_a_movement_the_schedule_counts_from_the_plan_start(active_case_a, caseworker_a):
    start = datetime.date(2025, 3, 10)

    plan = services.plan_create(
        actor=caseworker_a, case_id=active_case_a.pk, data=plan_data(start_date=start)
    )

    assert plan.anchor_source == ReintegrationPlan.AnchorSource.PLAN_START
    assert _visit_dates(plan) == {
        3: datetime.date(2025, 6, 10),
        6: datetime.date(2025, 9, 10),
        12: datetime.date(2026, 3, 10),
    }


def test_local_integration_counts_from_the_plan_start(active_case_a, caseworker_a):
    movement = arrived_return(active_case_a, arrived_on=datetime.date(2025, 1, 5))
    Movement.objects.filter(pk=movement.pk).update(
        movement_type=MovementType.LOCAL_INTEGRATION, destination_country="THA"
    )
    start = datetime.date(2025, 2, 1)

    plan = services.plan_create(
        actor=caseworker_a, case_id=active_case_a.pk, data=plan_data(start_date=start)
    )

    assert plan.anchor_date == start
    assert plan.anchor_source == ReintegrationPlan.AnchorSource.PLAN_START


def test_a_custom_schedule_plans_its_own_months(active_case_a, caseworker_a):
    start = datetime.date(2025, 1, 15)

    plan = services.plan_create(
        actor=caseworker_a,
        case_id=active_case_a.pk,
        data=plan_data(start_date=start, monitoring_months=[1, 2, 24, 60]),
    )

    assert _visit_dates(plan) == {
        1: datetime.date(2025, 2, 15),
        2: datetime.date(2025, 3, 15),
        24: datetime.date(2027, 1, 15),
        60: datetime.date(2030, 1, 15),
    }


def test_the_schedule_is_accepted_as_text(active_case_a, caseworker_a):
    plan = services.plan_create(
        actor=caseworker_a, case_id=active_case_a.pk, data=plan_data(monitoring_months="2, 4 8")
    )

    assert plan.monitoring_months == [2, 4, 8]


@pytest.mark.parametrize(
    ("months", "message"),
    [
        ([], services.SCHEDULE_EMPTY_MESSAGE),
        ("", services.SCHEDULE_EMPTY_MESSAGE),
        ([0, 3], services.SCHEDULE_ORDER_MESSAGE),
        ([-3], services.SCHEDULE_ORDER_MESSAGE),
        ([6, 3], services.SCHEDULE_ORDER_MESSAGE),
        ([3, 3], services.SCHEDULE_ORDER_MESSAGE),
        ([3, 61], services.SCHEDULE_ORDER_MESSAGE),
        (["three"], services.SCHEDULE_INVALID_MESSAGE),
        ([True], services.SCHEDULE_INVALID_MESSAGE),
        ("3, x", services.SCHEDULE_INVALID_MESSAGE),
        (7, services.SCHEDULE_INVALID_MESSAGE),
    ],
)
def test_a_bad_schedule_is_refused_and_nothing_is_saved(
    active_case_a, caseworker_a, months, message
):
    with pytest.raises(ValidationError) as exc_info:
        services.plan_create(
            actor=caseworker_a,
            case_id=active_case_a.pk,
            data=plan_data(monitoring_months=months),
        )

    assert _messages(exc_info, "monitoring_months") == [message]
    assert not ReintegrationPlan.objects.exists()
    assert not MonitoringVisit.objects.exists()


@given(st.lists(st.integers(min_value=-5, max_value=70), max_size=8))
def test_parse_schedule_accepts_exactly_increasing_months_from_1_to_60(months):
    errors: dict[str, list[str]] = {}

    parsed = services.parse_schedule(months, errors)

    valid = (
        bool(months)
        and all(a < b for a, b in itertools.pairwise(months))
        and months[0] >= 1
        and months[-1] <= 60
    )
    assert (errors == {}) is valid
    assert parsed == (months if valid else [])


def test_creating_a_plan_is_audited_with_codes_only(plan, caseworker_a):
    created = AuditEvent.objects.get(action=AuditAction.REINTEGRATION_PLAN_CREATED)
    scheduled = AuditEvent.objects.get(action=AuditAction.MONITORING_VISIT_SCHEDULED)

    assert created.detail == {"months": [3, 6, 12], "anchor": "plan_start"}
    assert scheduled.detail == {"scheduled": 3, "moved": 0, "cancelled": 0, "months": [3, 6, 12]}
    assert "tailoring" not in str(created.detail).lower()


def test_goals_are_encrypted_at_rest(plan):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT economic_goals FROM reintegration_reintegrationplan WHERE id = %s", [plan.pk]
        )
        stored = cursor.fetchone()[0]

    assert "tailoring" not in stored.lower()
    assert ReintegrationPlan.objects.get(pk=plan.pk).economic_goals == "Open a tailoring shop"


@pytest.mark.parametrize("start", [datetime.date(9999, 12, 31), datetime.date(1, 1, 1)])
def test_a_start_date_years_away_is_refused_and_nothing_saved(active_case_a, caseworker_a, start):
    with pytest.raises(ValidationError) as exc_info:
        services.plan_create(
            actor=caseworker_a, case_id=active_case_a.pk, data=plan_data(start_date=start)
        )

    assert _messages(exc_info, "start_date") == [services.TOO_FAR_MESSAGE]
    assert not ReintegrationPlan.objects.exists()
    assert not MonitoringVisit.objects.exists()


def test_moving_the_start_years_away_is_refused(plan, caseworker_a):
    with pytest.raises(ValidationError) as exc_info:
        services.plan_update(
            actor=caseworker_a,
            plan_id=plan.pk,
            version=plan.version,
            data={"start_date": TODAY + datetime.timedelta(days=services.MAX_PLANNING_DAYS + 1)},
        )

    assert _messages(exc_info, "start_date") == [services.TOO_FAR_MESSAGE]
    plan.refresh_from_db()
    assert plan.start_date == TODAY
    assert plan.version == 1


def test_a_second_plan_is_refused(plan, caseworker_a):
    with pytest.raises(ApplicationError) as exc_info:
        services.plan_create(actor=caseworker_a, case_id=plan.case_id, data=plan_data())

    assert exc_info.value.message == services.PLAN_EXISTS_MESSAGE


def test_changing_the_schedule_replans_only_the_visits_not_yet_done(plan, caseworker_a):
    first = plan.visits.get(schedule_month=3)
    services.visit_record(
        actor=caseworker_a, visit_id=first.pk, version=first.version, **record_kwargs()
    )

    plan = services.plan_update(
        actor=caseworker_a,
        plan_id=plan.pk,
        version=plan.version,
        data={"monitoring_months": [3, 6, 9, 18]},
    )

    by_month = {
        (v.schedule_month, v.status) for v in plan.visits.all() if v.schedule_month is not None
    }
    assert by_month == {
        (3, MonitoringVisit.Status.DONE),
        (6, MonitoringVisit.Status.SCHEDULED),
        (9, MonitoringVisit.Status.SCHEDULED),
        (12, MonitoringVisit.Status.CANCELLED),
        (18, MonitoringVisit.Status.SCHEDULED),
    }
    event = AuditEvent.objects.filter(action=AuditAction.MONITORING_VISIT_SCHEDULED).first()
    assert event.detail == {"scheduled": 2, "moved": 0, "cancelled": 1, "months": [3, 6, 9, 18]}


def test_moving_the_start_moves_the_pending_visits_and_keeps_their_ids(plan, caseworker_a):
    before = {v.schedule_month: v.pk for v in plan.visits.all()}
    start = plan.start_date + datetime.timedelta(days=10)

    services.plan_update(
        actor=caseworker_a, plan_id=plan.pk, version=plan.version, data={"start_date": start}
    )

    assert {v.schedule_month: v.pk for v in plan.visits.all()} == before
    assert _visit_dates(plan)[3] == services.add_months(start, 3)


def test_an_arrival_after_the_plan_moves_the_anchor_on_the_next_edit(plan, caseworker_a):
    arrived_return(plan.case, arrived_on=datetime.date(2025, 5, 20))

    plan = services.plan_update(
        actor=caseworker_a, plan_id=plan.pk, version=plan.version, data={"risks": ""}
    )

    assert plan.anchor_source == ReintegrationPlan.AnchorSource.ARRIVAL
    assert _visit_dates(plan)[6] == datetime.date(2025, 11, 20)


def test_a_stale_plan_edit_is_refused(plan, caseworker_a):
    with pytest.raises(StaleVersionError):
        services.plan_update(
            actor=caseworker_a, plan_id=plan.pk, version=plan.version + 1, data={"risks": ""}
        )

    plan.refresh_from_db()
    assert plan.risks == "Recruiter still in the village"


def test_a_plan_of_another_mission_is_the_same_404_as_a_missing_one(plan, caseworker_b):
    with pytest.raises(Http404):
        services.plan_update(actor=caseworker_b, plan_id=plan.pk, version=1, data={})
    with pytest.raises(Http404):
        services.plan_create(actor=caseworker_b, case_id=plan.case_id, data=plan_data())


# Closed cases are read-only


@pytest.mark.parametrize("case_status", [CaseStatus.CLOSED, CaseStatus.SCREENING])
def test_every_write_is_refused_when_the_case_is_not_open(plan, caseworker_a, case_status):
    item = services.assistance_record(
        actor=caseworker_a, case_id=plan.case_id, option="job_placement", provider="iom"
    )
    visit = plan.visits.get(schedule_month=3)
    Case.objects.filter(pk=plan.case_id).update(status=case_status)
    writes = [
        lambda: services.plan_update(
            actor=caseworker_a, plan_id=plan.pk, version=plan.version, data={"risks": ""}
        ),
        lambda: services.assistance_record(
            actor=caseworker_a, case_id=plan.case_id, option="job_placement", provider="iom"
        ),
        lambda: services.assistance_status_change(
            actor=caseworker_a, item_id=item.pk, version=item.version, to_status="provided"
        ),
        lambda: services.visit_add(actor=caseworker_a, case_id=plan.case_id, planned_date=TODAY),
        lambda: services.visit_record(
            actor=caseworker_a, visit_id=visit.pk, version=visit.version, **record_kwargs()
        ),
    ]

    for write in writes:
        with pytest.raises(ApplicationError) as exc_info:
            write()
        assert exc_info.value.message == services.CASE_NOT_OPEN_MESSAGE

    assert ReintegrationAssistance.objects.count() == 1
    assert MonitoringVisit.objects.filter(status=MonitoringVisit.Status.DONE).count() == 0
    assert MonitoringVisit.objects.count() == 3


def test_a_plan_cannot_be_made_for_a_closed_case(active_case_a, caseworker_a):
    Case.objects.filter(pk=active_case_a.pk).update(status=CaseStatus.CLOSED)

    with pytest.raises(ApplicationError) as exc_info:
        services.plan_create(actor=caseworker_a, case_id=active_case_a.pk, data=plan_data())

    assert exc_info.value.code == "case_not_open"
    assert not ReintegrationPlan.objects.exists()


def test_a_follow_up_case_takes_reintegration(active_case_a, caseworker_a):
    Case.objects.filter(pk=active_case_a.pk).update(status=CaseStatus.FOLLOW_UP)

    plan = services.plan_create(actor=caseworker_a, case_id=active_case_a.pk, data=plan_data())

    assert plan.visits.count() == 3


# Reintegration assistance


@pytest.mark.parametrize(
    ("option", "dimension"),
    [
        ("business_start_up_grant", "economic"),
        ("scholarship_secondary", "social"),
        ("housing_support", "social"),
        ("family_mediation", "psychosocial"),
        ("psychosocial_follow_up", "psychosocial"),
    ],
)
def test_the_dimension_follows_from_the_option(active_case_a, caseworker_a, option, dimension):
    item = services.assistance_record(
        actor=caseworker_a, case_id=active_case_a.pk, option=option, provider="iom"
    )

    assert item.dimension == dimension


def test_an_amount_is_stored_exactly_with_its_currency(active_case_a, caseworker_a):
    item = services.assistance_record(
        actor=caseworker_a,
        case_id=active_case_a.pk,
        option="cash_based",
        provider="iom",
        amount="0.10",
        currency="npr",
    )

    item.refresh_from_db()
    assert item.amount == Decimal("0.10")
    assert item.currency == "NPR"


@pytest.mark.parametrize(
    ("amount", "currency", "field", "message"),
    [
        ("12.345", "EUR", "amount", "A cost has at most two decimal places."),
        ("-1", "EUR", "amount", "A cost cannot be negative."),
        ("abc", "EUR", "amount", "Enter the cost as a number, e.g. 125.50."),
        ("NaN", "EUR", "amount", "Enter the cost as a number, e.g. 125.50."),
        ("1e400", "EUR", "amount", "This cost is too large."),
        ("100", "", "currency", CURRENCY_REQUIRED_MESSAGE),
        ("100", "ZZZ", "currency", CURRENCY_INVALID_MESSAGE),
        ("100", "EURO", "currency", CURRENCY_INVALID_MESSAGE),
        ("", "EUR", "currency", "A currency applies only with a cost."),
    ],
)
def test_bad_amounts_and_currencies_are_refused(
    active_case_a, caseworker_a, amount, currency, field, message
):
    with pytest.raises(ValidationError) as exc_info:
        services.assistance_record(
            actor=caseworker_a,
            case_id=active_case_a.pk,
            option="cash_based",
            provider="iom",
            amount=amount,
            currency=currency,
        )

    assert _messages(exc_info, field) == [message]
    assert not ReintegrationAssistance.objects.exists()


def test_a_partner_organisation_must_be_named_and_active(active_case_a, caseworker_a):
    inactive = factories.OrganisationFactory(is_active=False)

    with pytest.raises(ValidationError) as missing:
        services.assistance_record(
            actor=caseworker_a, case_id=active_case_a.pk, option="in_kind", provider="organisation"
        )
    with pytest.raises(ValidationError) as not_active:
        services.assistance_record(
            actor=caseworker_a,
            case_id=active_case_a.pk,
            option="in_kind",
            provider="organisation",
            organisation=inactive,
        )

    assert "organisation" in missing.value.message_dict
    assert "organisation" in not_active.value.message_dict


def test_an_unknown_option_is_refused(active_case_a, caseworker_a):
    with pytest.raises(ValidationError) as exc_info:
        services.assistance_record(
            actor=caseworker_a, case_id=active_case_a.pk, option="lottery", provider="iom"
        )

    assert _messages(exc_info, "option") == [services.OPTION_INVALID_MESSAGE]


def test_status_moves_like_a_service_and_a_final_one_stays(active_case_a, caseworker_a):
    item = services.assistance_record(
        actor=caseworker_a, case_id=active_case_a.pk, option="job_placement", provider="iom"
    )

    item = services.assistance_status_change(
        actor=caseworker_a, item_id=item.pk, version=1, to_status="in_progress"
    )
    with pytest.raises(ApplicationError) as backwards:
        services.assistance_status_change(
            actor=caseworker_a, item_id=item.pk, version=item.version, to_status="planned"
        )
    item = services.assistance_status_change(
        actor=caseworker_a,
        item_id=item.pk,
        version=item.version,
        to_status="declined",
        end_date=TODAY,
    )
    with pytest.raises(ApplicationError) as final:
        services.assistance_status_change(
            actor=caseworker_a, item_id=item.pk, version=item.version, to_status="provided"
        )

    assert backwards.value.message == services.ITEM_TRANSITION_MESSAGE
    assert final.value.message == services.ITEM_FINAL_MESSAGE
    assert item.status == "declined"
    assert item.version == 3
    assert list(
        AuditEvent.objects.filter(
            action=AuditAction.REINTEGRATION_ASSISTANCE_STATUS_CHANGED
        ).values_list("detail", flat=True)
    ) == [{"from": "in_progress", "to": "declined"}, {"from": "planned", "to": "in_progress"}]


def test_a_stale_status_change_is_refused(active_case_a, caseworker_a):
    item = factories.ReintegrationAssistanceFactory(case=active_case_a, created_by=caseworker_a)

    with pytest.raises(StaleVersionError):
        services.assistance_status_change(
            actor=caseworker_a, item_id=item.pk, version=2, to_status="provided"
        )


# Monitoring visits


def test_recording_a_visit_scores_the_three_dimensions(plan, caseworker_a):
    visit = plan.visits.get(schedule_month=3)

    visit = services.visit_record(
        actor=caseworker_a,
        visit_id=visit.pk,
        version=visit.version,
        **record_kwargs(scores=scores(2, 4, 5), notes="Shop opened"),
    )

    assert visit.status == MonitoringVisit.Status.DONE
    assert visit.scores() == {"economic": 2, "social": 4, "psychosocial": 5}
    assert visit.visited_by == caseworker_a
    event = AuditEvent.objects.get(action=AuditAction.MONITORING_VISIT_RECORDED)
    assert event.detail == {
        "mode": "in_person",
        "scores": {"economic": 2, "social": 4, "psychosocial": 5},
        "retrafficked": False,
    }


@pytest.mark.parametrize("bad", [None, "", 0, 6, -1, "x", True, 2.5, "3.5"])
@pytest.mark.parametrize("dimension", ["economic", "social", "psychosocial"])
def test_each_score_must_be_1_to_5(plan, caseworker_a, dimension, bad):
    visit = plan.visits.get(schedule_month=3)
    given_scores = scores()
    given_scores[dimension] = bad

    with pytest.raises(ValidationError) as exc_info:
        services.visit_record(
            actor=caseworker_a,
            visit_id=visit.pk,
            version=visit.version,
            **record_kwargs(scores=given_scores),
        )

    assert exc_info.value.message_dict == {f"{dimension}_score": [services.SCORE_REQUIRED_MESSAGE]}
    visit.refresh_from_db()
    assert visit.status == MonitoringVisit.Status.SCHEDULED


def test_a_missing_score_is_refused(plan, caseworker_a):
    visit = plan.visits.get(schedule_month=3)

    with pytest.raises(ValidationError) as exc_info:
        services.visit_record(
            actor=caseworker_a,
            visit_id=visit.pk,
            version=visit.version,
            **record_kwargs(scores={"economic": 3, "social": 3}),
        )

    assert exc_info.value.message_dict == {"psychosocial_score": [services.SCORE_REQUIRED_MESSAGE]}


def test_a_reason_must_belong_to_its_dimension(plan, caseworker_a):
    visit = plan.visits.get(schedule_month=3)
    reasons = {"economic": "stigma", "social": "", "psychosocial": "distress"}

    with pytest.raises(ValidationError) as exc_info:
        services.visit_record(
            actor=caseworker_a,
            visit_id=visit.pk,
            version=visit.version,
            **record_kwargs(reasons=reasons),
        )

    assert exc_info.value.message_dict == {
        "economic_reason": [services.REASON_REQUIRED_MESSAGE],
        "social_reason": [services.REASON_REQUIRED_MESSAGE],
    }


def test_a_visit_needs_a_past_date_a_mode_and_a_visitor_who_sees_the_case(
    plan, caseworker_a, caseworker_b
):
    visit = plan.visits.get(schedule_month=3)

    with pytest.raises(ValidationError) as exc_info:
        services.visit_record(
            actor=caseworker_a,
            visit_id=visit.pk,
            version=visit.version,
            **record_kwargs(
                done_date=TODAY + datetime.timedelta(days=1), mode="", visited_by=caseworker_b
            ),
        )

    assert exc_info.value.message_dict == {
        "done_date": [DATE_IN_FUTURE_MESSAGE],
        "mode": [services.MODE_REQUIRED_MESSAGE],
        "visited_by": [services.VISITOR_OUT_OF_SCOPE_MESSAGE],
    }


def test_a_visit_done_cannot_be_recorded_again(plan, caseworker_a):
    visit = plan.visits.get(schedule_month=3)
    visit = services.visit_record(
        actor=caseworker_a, visit_id=visit.pk, version=visit.version, **record_kwargs()
    )

    with pytest.raises(ApplicationError) as exc_info:
        services.visit_record(
            actor=caseworker_a, visit_id=visit.pk, version=visit.version, **record_kwargs()
        )

    assert exc_info.value.message == services.VISIT_NOT_OPEN_MESSAGE


def test_a_visit_that_finds_re_trafficking_flags_the_case(plan, caseworker_a):
    visit = plan.visits.get(schedule_month=3)

    services.visit_record(
        actor=caseworker_a,
        visit_id=visit.pk,
        version=visit.version,
        **record_kwargs(retrafficked=True),
    )

    case = Case.objects.get(pk=plan.case_id)
    assert case.retrafficked is True
    event = AuditEvent.objects.get(action=AuditAction.CASE_RETRAFFICKING_FLAGGED)
    assert event.detail == {"source": "monitoring_visit"}
    assert event.case_id == case.pk


def test_a_refused_visit_does_not_flag_the_case(plan, caseworker_a):
    visit = plan.visits.get(schedule_month=3)

    with pytest.raises(ValidationError):
        services.visit_record(
            actor=caseworker_a,
            visit_id=visit.pk,
            version=visit.version,
            **record_kwargs(retrafficked=True, mode="carrier pigeon"),
        )

    assert Case.objects.get(pk=plan.case_id).retrafficked is False


def test_an_extra_visit_is_added_outside_the_schedule(plan, caseworker_a):
    visit = services.visit_add(
        actor=caseworker_a, case_id=plan.case_id, planned_date=TODAY - datetime.timedelta(days=2)
    )
    visit = services.visit_record(
        actor=caseworker_a, visit_id=visit.pk, version=visit.version, **record_kwargs()
    )

    assert visit.schedule_month is None
    assert visit.plan == plan
    assert visit.status == MonitoringVisit.Status.DONE
    assert plan.visits.count() == 4


def test_an_extra_visit_needs_a_plan_and_a_sensible_date(active_case_a, caseworker_a):
    with pytest.raises(ApplicationError) as no_plan:
        services.visit_add(actor=caseworker_a, case_id=active_case_a.pk, planned_date=TODAY)
    services.plan_create(actor=caseworker_a, case_id=active_case_a.pk, data=plan_data())
    with pytest.raises(ValidationError) as far:
        services.visit_add(
            actor=caseworker_a,
            case_id=active_case_a.pk,
            planned_date=TODAY + datetime.timedelta(days=services.MAX_PLANNING_DAYS + 1),
        )

    assert no_plan.value.message == services.PLAN_REQUIRED_MESSAGE
    assert far.value.message_dict == {"planned_date": [services.TOO_FAR_MESSAGE]}


def test_a_stale_visit_record_is_refused(plan, caseworker_a):
    visit = plan.visits.get(schedule_month=3)

    with pytest.raises(StaleVersionError):
        services.visit_record(
            actor=caseworker_a, visit_id=visit.pk, version=visit.version + 1, **record_kwargs()
        )


def test_a_visit_done_before_the_case_was_registered_is_refused(plan, caseworker_a):
    visit = plan.visits.get(schedule_month=3)
    before = plan.case.registered_on - datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as exc_info:
        services.visit_record(
            actor=caseworker_a,
            visit_id=visit.pk,
            version=visit.version,
            **record_kwargs(done_date=before),
        )

    assert exc_info.value.message_dict == {"done_date": [services.DONE_BEFORE_REGISTRATION_MESSAGE]}
    visit.refresh_from_db()
    assert visit.status == MonitoringVisit.Status.SCHEDULED
