import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from assistance import services
from assistance.models import (
    AssessmentDecision,
    AssistanceInterview,
    AssistanceService,
    Movement,
    MovementLeg,
    MovementType,
    Organisation,
    Referral,
    SupportPlan,
    TravelDocumentStatus,
)
from assistance.synthetic import ASSISTED_STATUSES, DIRECTORY
from cases.models import Case
from cases.vocabularies import CaseStatus
from screening.models import Screening

pytestmark = pytest.mark.django_db

ASSISTANCE_MODELS = (
    AssistanceInterview,
    SupportPlan,
    AssistanceService,
    Referral,
    Movement,
    MovementLeg,
    Organisation,
)


def _seed(cases: int = 150) -> str:
    out = io.StringIO()
    call_command("seed_demo", cases=cases, seed=11, force=True, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in ASSISTANCE_MODELS}


def test_interviews_pass_the_interview_checks_and_follow_the_approved_screening():
    _seed()

    interviews = list(AssistanceInterview.objects.select_related("case", "interviewer"))
    screenings = {
        s.case_id: s for s in Screening.objects.filter(case_id__in=[i.case_id for i in interviews])
    }

    assert interviews
    today = timezone.localdate()
    for interview in interviews:
        interview.full_clean()
        assert services._unknown_codes(interview) == {}
        assert services._interview_checks(interview) == {}
        screening = screenings[interview.case_id]
        assert screening.status == Screening.Status.APPROVED
        assert screening.eligible_for_assistance is True
        assert screening.interview_date <= interview.interview_date <= today


def test_only_eligible_active_follow_up_and_closed_cases_are_assisted():
    _seed()

    assisted = set(AssistanceInterview.objects.values_list("case__status", flat=True))
    for model in (SupportPlan, AssistanceService, Referral, Movement):
        assisted |= set(model.objects.values_list("case__status", flat=True))

    assert assisted == set(ASSISTED_STATUSES)


def test_every_assisted_case_has_one_interview_and_most_a_support_plan():
    _seed()

    cases = Case.objects.filter(status__in=ASSISTED_STATUSES)
    interviews = AssistanceInterview.objects.filter(case__in=cases)

    assert interviews.count() == cases.count()
    assert SupportPlan.objects.count() > cases.count() // 2


def test_support_plans_pass_the_plan_checks():
    _seed()

    plans = list(SupportPlan.objects.all())

    assert plans
    for plan in plans:
        plan.full_clean()
        assert services._plan_checks(plan) == {}


def test_services_pass_the_service_checks_with_exact_costs_in_iso_currencies():
    _seed()

    rows = list(AssistanceService.objects.select_related("organisation"))

    assert rows
    for service in rows:
        service.full_clean()
        errors: dict[str, list[str]] = {}
        services._service_checks(service, errors)
        services._active_organisation(service.organisation, "organisation", errors)
        assert services.parse_cost(service.cost, errors) == service.cost
        assert services.parse_currency(service.currency, errors) == service.currency
        assert errors == {}
        assert (service.cost is None) == (service.currency == "")


def test_services_cover_the_statuses_including_declined_and_several_currencies():
    _seed()

    statuses = set(AssistanceService.objects.values_list("status", flat=True))
    currencies = set(
        AssistanceService.objects.exclude(currency="").values_list("currency", flat=True)
    )
    per_case = AssistanceService.objects.values("case").distinct().count()

    assert statuses == set(AssistanceService.Status.values)
    assert len(currencies) >= 3
    assert AssistanceService.objects.count() <= 6 * per_case


def test_referrals_share_personal_data_only_with_consent_recorded():
    _seed()

    referrals = list(Referral.objects.select_related("organisation"))

    assert any(r.shares_personal_data for r in referrals)
    for referral in referrals:
        referral.full_clean()
        assert referral.organisation.is_active
        if referral.shares_personal_data:
            assert referral.direction == Referral.Direction.OUTGOING
            assert referral.consent_given is True
            assert referral.consent_recorded_at is not None
            assert referral.consent_recorded_by_id is not None
        if referral.direction == Referral.Direction.INCOMING:
            assert referral.consent_given is None


def test_movements_pass_the_movement_checks_and_legs_are_valid():
    _seed(300)

    movements = list(Movement.objects.select_related("case").prefetch_related("legs"))

    assert movements
    today = timezone.localdate()
    for movement in movements:
        movement.full_clean()
        legs = list(movement.legs.all())
        assert services._movement_checks(movement, legs) == {}
        for position, leg in enumerate(legs):
            leg.full_clean()
            assert leg.position == position
            assert leg.actual_date is None or leg.actual_date <= today
        if legs:
            assert legs[0].from_country == movement.origin_country
            assert legs[-1].to_country == movement.destination_country


def test_movement_status_follows_case_status_and_departure_follows_a_go():
    _seed(300)

    movements = list(Movement.objects.select_related("case").prefetch_related("legs"))

    assert {m.movement_type for m in movements} == set(MovementType.values)
    for movement in movements:
        if movement.case.status != CaseStatus.ACTIVE:
            assert movement.status == Movement.Status.ARRIVED
        assert movement.status != Movement.Status.CANCELLED
        left = movement.status in (Movement.Status.DEPARTED, Movement.Status.ARRIVED)
        if left:
            assert movement.assessment_decision == AssessmentDecision.GO
            assert movement.travel_document_status != TravelDocumentStatus.BEING_ISSUED
            assert movement.assessed_at <= movement.departed_at
        else:
            assert movement.departed_at is None
        if movement.status == Movement.Status.ARRIVED:
            assert movement.departed_at <= movement.arrived_at <= timezone.now()
        else:
            assert movement.arrived_at is None


def test_movement_versions_count_the_service_steps_that_led_to_their_status():
    _seed(300)

    for movement in Movement.objects.all():
        steps, status = 0, Movement.Status.PLANNED
        while status != movement.status:
            status = services.MOVEMENT_NEXT[status]
            steps += 1
        assert movement.version == 1 + steps + (1 if movement.assessment_decision else 0)


def test_voluntary_returns_go_to_the_citizenship_country():
    _seed(300)

    returns = list(
        Movement.objects.filter(movement_type=MovementType.VOLUNTARY_RETURN).select_related(
            "case__person", "case__mission"
        )
    )

    assert returns
    for movement in returns:
        assert movement.origin_country == movement.case.mission.country
        assert movement.destination_country == movement.case.person.citizenships[0]


def test_organisations_form_a_small_directory_per_mission_country():
    _seed()

    found = set(Organisation.objects.values_list("country", "name"))

    assert found == {(country, row[0]) for country, rows in DIRECTORY.items() for row in rows}


def test_a_second_run_creates_no_assistance():
    _seed()
    before = _counts()

    _seed()

    assert _counts() == before
