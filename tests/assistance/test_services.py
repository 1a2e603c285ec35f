import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from assistance import services
from assistance.models import (
    AssessmentDecision,
    AssistanceInterview,
    AssistanceService,
    Movement,
    MovementType,
    Organisation,
    PersonWish,
    Provider,
    Referral,
    RiskLevel,
    ServiceCategory,
    ServiceSubType,
    SupportPlan,
    TravelDocumentStatus,
)
from assistance.selectors import service_list_for_case
from cases.models import AuditAction, AuditEvent, Case, CaseAccessReason
from cases.selectors import access_case_by_id, case_list
from cases.vocabularies import CaseStatus, OrganisationType, ReferralReason, SupportPlanType
from config.errors import ApplicationError, StaleVersionError
from config.validation import DATE_IN_FUTURE_MESSAGE
from tests import factories
from tests.assistance.conftest import leg, return_plan

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def interview_data(**overrides):
    data = {
        "interview_date": TODAY(),
        "language": "ne",
        "interpreter_used": True,
        "immediate_needs": ["Food", "Shelter"],
        "health_needs": ["PrimaryCare"],
        "health_notes": "Back pain after months of standing work",
        "safety_risk_level": RiskLevel.HIGH,
        "safety_risk_reasoning": "Recruiter knows the home village",
        "wish": PersonWish.RETURN,
    }
    data.update(overrides)
    return data


def audit_actions(case):
    return list(AuditEvent.objects.filter(case=case).values_list("action", flat=True))


# Organisation directory


def test_central_admin_adds_an_organisation_to_the_directory(central_admin):
    organisation = services.organisation_create(
        actor=central_admin,
        name="Legal aid centre",
        organisation_type=OrganisationType.LegalService,
        country="THA",
    )
    assert organisation.is_active
    event = AuditEvent.objects.get(action=AuditAction.ORGANISATION_CREATED)
    assert event.object_id == str(organisation.pk)


def test_a_caseworker_cannot_change_the_directory(caseworker_a):
    with pytest.raises(ApplicationError) as exc:
        services.organisation_create(
            actor=caseworker_a, name="X", organisation_type=OrganisationType.NGO, country="NPL"
        )
    assert exc.value.code == "not_admin"


def test_an_organisation_with_an_unknown_type_or_country_is_refused(central_admin):
    with pytest.raises(ValidationError) as exc:
        services.organisation_create(
            actor=central_admin, name="X", organisation_type="Cult", country="XXX"
        )
    assert set(exc.value.message_dict) == {"organisation_type", "country"}
    assert not Organisation.objects.exists()


def test_a_duplicate_organisation_is_refused_whatever_its_case(central_admin, organisation):
    with pytest.raises(ValidationError) as exc:
        services.organisation_create(
            actor=central_admin,
            name=organisation.name.upper(),
            organisation_type=OrganisationType.NGO,
            country=organisation.country,
        )
    assert exc.value.message_dict["name"] == [services.ORGANISATION_EXISTS_MESSAGE]


# Assistance interview


def test_an_interview_is_recorded_for_an_active_case(active_case_a, caseworker_a):
    interview = services.interview_record(
        actor=caseworker_a, case_id=active_case_a.pk, data=interview_data()
    )
    interview.refresh_from_db()
    assert interview.interviewer == caseworker_a
    assert interview.safety_risk_reasoning == "Recruiter knows the home village"
    assert audit_actions(active_case_a) == [AuditAction.ASSISTANCE_INTERVIEW_RECORDED]


@pytest.mark.parametrize(
    "status",
    [CaseStatus.SCREENING, CaseStatus.PENDING_REVIEW, CaseStatus.FOLLOW_UP, CaseStatus.CLOSED],
)
def test_an_interview_is_refused_unless_the_case_is_active(case_a, caseworker_a, status):
    case_a.status = status
    case_a.save(update_fields=["status"])
    with pytest.raises(ApplicationError) as exc:
        services.interview_record(actor=caseworker_a, case_id=case_a.pk, data=interview_data())
    assert exc.value.code == "case_not_active"
    assert not AssistanceInterview.objects.exists()


def test_interview_notes_are_encrypted_at_rest(active_case_a, caseworker_a):
    interview = services.interview_record(
        actor=caseworker_a, case_id=active_case_a.pk, data=interview_data()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT safety_risk_reasoning FROM assistance_assistanceinterview WHERE id = %s",
            [interview.pk],
        )
        (stored,) = cursor.fetchone()
    assert "Recruiter" not in stored


def test_an_interview_with_unknown_codes_is_refused_field_by_field(active_case_a, caseworker_a):
    data = interview_data(immediate_needs=["Food", "100%"], safety_risk_level="extreme")
    with pytest.raises(ValidationError) as exc:
        services.interview_record(actor=caseworker_a, case_id=active_case_a.pk, data=data)
    assert {"immediate_needs", "safety_risk_level"} <= set(exc.value.message_dict)


def test_an_interview_in_the_future_is_refused(active_case_a, caseworker_a):
    data = interview_data(interview_date=TODAY() + datetime.timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        services.interview_record(actor=caseworker_a, case_id=active_case_a.pk, data=data)
    assert exc.value.message_dict["interview_date"] == [DATE_IN_FUTURE_MESSAGE]


def test_an_interviewer_who_cannot_see_the_case_is_refused(
    active_case_a, caseworker_a, caseworker_b
):
    data = interview_data(interviewer=caseworker_b)
    with pytest.raises(ValidationError) as exc:
        services.interview_record(actor=caseworker_a, case_id=active_case_a.pk, data=data)
    assert exc.value.message_dict["interviewer"] == [services.INTERVIEWER_OUT_OF_SCOPE_MESSAGE]


def test_an_out_of_scope_caseworker_gets_the_same_404(active_case_a, caseworker_b):
    with pytest.raises(Http404):
        services.interview_record(
            actor=caseworker_b, case_id=active_case_a.pk, data=interview_data()
        )


def test_a_stale_interview_update_is_refused_and_nothing_is_overwritten(
    active_case_a, caseworker_a
):
    interview = services.interview_record(
        actor=caseworker_a, case_id=active_case_a.pk, data=interview_data()
    )
    services.interview_update(
        actor=caseworker_a,
        interview_id=interview.pk,
        version=1,
        data={"wish": PersonWish.STAY},
    )
    with pytest.raises(StaleVersionError):
        services.interview_update(
            actor=caseworker_a,
            interview_id=interview.pk,
            version=1,
            data={"wish": PersonWish.THIRD_COUNTRY},
        )
    interview.refresh_from_db()
    assert (interview.wish, interview.version) == (PersonWish.STAY, 2)


# Support plan


def test_a_support_plan_is_created_once_per_case(active_case_a, caseworker_a):
    data = {
        "plan_types": [SupportPlanType.Health, SupportPlanType.Livelihood],
        "objectives": "Recover, then start a tailoring business",
        "planned_end_date": TODAY() + datetime.timedelta(days=180),
    }
    plan = services.support_plan_create(actor=caseworker_a, case_id=active_case_a.pk, data=data)
    assert plan.version == 1
    with pytest.raises(ApplicationError) as exc:
        services.support_plan_create(actor=caseworker_a, case_id=active_case_a.pk, data=data)
    assert exc.value.code == "plan_exists"
    assert SupportPlan.objects.count() == 1


def test_support_plan_end_dates_cannot_precede_its_start(active_case_a, caseworker_a):
    data = {
        "start_date": TODAY(),
        "planned_end_date": TODAY() - datetime.timedelta(days=1),
        "actual_end_date": TODAY() - datetime.timedelta(days=2),
    }
    with pytest.raises(ValidationError) as exc:
        services.support_plan_create(actor=caseworker_a, case_id=active_case_a.pk, data=data)
    assert exc.value.message_dict["planned_end_date"] == [services.END_BEFORE_START_MESSAGE]
    assert exc.value.message_dict["actual_end_date"] == [services.END_BEFORE_START_MESSAGE]


def test_support_plan_types_come_from_the_htcds_list(active_case_a, caseworker_a):
    with pytest.raises(ValidationError) as exc:
        services.support_plan_create(
            actor=caseworker_a, case_id=active_case_a.pk, data={"plan_types": ["Astrology"]}
        )
    assert "plan_types" in exc.value.message_dict


def test_a_stale_support_plan_update_is_refused(active_case_a, caseworker_a):
    plan = services.support_plan_create(
        actor=caseworker_a, case_id=active_case_a.pk, data={"objectives": "First"}
    )
    services.support_plan_update(
        actor=caseworker_a, plan_id=plan.pk, version=1, data={"objectives": "Second"}
    )
    with pytest.raises(StaleVersionError):
        services.support_plan_update(
            actor=caseworker_a, plan_id=plan.pk, version=1, data={"objectives": "Lost"}
        )
    plan.refresh_from_db()
    assert plan.objectives == "Second"


# Assistance services


def record_service(case, actor, **kwargs):
    defaults = {"category": ServiceCategory.MEDICAL, "provider": Provider.IOM}
    defaults.update(kwargs)
    return services.service_record(actor=actor, case_id=case.pk, **defaults)


def test_a_cost_is_stored_as_an_exact_decimal(active_case_a, caseworker_a):
    service = record_service(active_case_a, caseworker_a, cost="0.10", currency="eur")
    service.refresh_from_db()
    assert service.cost == Decimal("0.10")
    assert service.currency == "EUR"


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ("-1.00", services.COST_NEGATIVE_MESSAGE),
        ("10.005", services.COST_PRECISION_MESSAGE),
        ("ten", services.COST_INVALID_MESSAGE),
        ("NaN", services.COST_INVALID_MESSAGE),
        ("Infinity", services.COST_INVALID_MESSAGE),
        ("1" * 40 + ".123", services.COST_TOO_LARGE_MESSAGE),
    ],
)
def test_a_bad_cost_is_refused(active_case_a, caseworker_a, cost, message):
    with pytest.raises(ValidationError) as exc:
        record_service(active_case_a, caseworker_a, cost=cost, currency="USD")
    assert exc.value.message_dict["cost"] == [message]
    assert not AssistanceService.objects.exists()


@pytest.mark.parametrize("currency", ["XYZ", "EURO", "€", "12"])
def test_an_unknown_currency_is_refused(active_case_a, caseworker_a, currency):
    with pytest.raises(ValidationError) as exc:
        record_service(active_case_a, caseworker_a, cost="5", currency=currency)
    assert exc.value.message_dict["currency"] == [services.CURRENCY_INVALID_MESSAGE]


def test_a_cost_needs_a_currency_and_a_currency_needs_a_cost(active_case_a, caseworker_a):
    with pytest.raises(ValidationError) as without_currency:
        record_service(active_case_a, caseworker_a, cost="5")
    with pytest.raises(ValidationError) as without_cost:
        record_service(active_case_a, caseworker_a, currency="NPR")
    assert without_currency.value.message_dict["currency"] == [services.CURRENCY_REQUIRED_MESSAGE]
    assert without_cost.value.message_dict["currency"] == [services.CURRENCY_WITHOUT_COST_MESSAGE]


def test_a_declined_service_is_recorded_not_refused(active_case_a, caseworker_a):
    service = record_service(active_case_a, caseworker_a, category=ServiceCategory.PSYCHOSOCIAL)
    declined = services.service_status_change(
        actor=caseworker_a,
        service_id=service.pk,
        version=service.version,
        to_status=AssistanceService.Status.DECLINED,
    )
    assert declined.status == AssistanceService.Status.DECLINED
    event = AuditEvent.objects.get(action=AuditAction.SERVICE_STATUS_CHANGED)
    assert event.detail == {"from": "planned", "to": "declined"}


def test_a_service_can_be_logged_as_declined_directly(active_case_a, caseworker_a):
    service = record_service(active_case_a, caseworker_a, status=AssistanceService.Status.DECLINED)
    assert service.status == AssistanceService.Status.DECLINED


def test_a_finished_service_cannot_change_status(active_case_a, caseworker_a):
    service = record_service(active_case_a, caseworker_a, status=AssistanceService.Status.PROVIDED)
    with pytest.raises(ApplicationError) as exc:
        services.service_status_change(
            actor=caseworker_a,
            service_id=service.pk,
            version=service.version,
            to_status=AssistanceService.Status.IN_PROGRESS,
        )
    assert exc.value.code == "service_final"


def test_a_stale_service_status_change_is_refused(active_case_a, caseworker_a):
    service = record_service(active_case_a, caseworker_a)
    services.service_status_change(
        actor=caseworker_a,
        service_id=service.pk,
        version=1,
        to_status=AssistanceService.Status.IN_PROGRESS,
    )
    with pytest.raises(StaleVersionError):
        services.service_status_change(
            actor=caseworker_a,
            service_id=service.pk,
            version=1,
            to_status=AssistanceService.Status.CANCELLED,
        )
    service.refresh_from_db()
    assert service.status == AssistanceService.Status.IN_PROGRESS


def test_shelter_stays_have_admission_and_exit_dates(active_case_a, caseworker_a, organisation):
    service = record_service(
        active_case_a,
        caseworker_a,
        category=ServiceCategory.ACCOMMODATION,
        sub_type=ServiceSubType.SHELTER_NGO,
        provider=Provider.ORGANISATION,
        organisation=organisation,
        admission_date=TODAY() - datetime.timedelta(days=20),
        exit_date=TODAY(),
    )
    assert service.organisation == organisation


def test_stay_dates_are_refused_outside_accommodation(active_case_a, caseworker_a):
    with pytest.raises(ValidationError) as exc:
        record_service(active_case_a, caseworker_a, admission_date=TODAY())
    assert exc.value.message_dict["admission_date"] == [services.STAY_DATES_ONLY_FOR_ACCOMMODATION]


def test_a_sub_type_must_belong_to_its_category(active_case_a, caseworker_a):
    with pytest.raises(ValidationError) as exc:
        record_service(active_case_a, caseworker_a, sub_type=ServiceSubType.CASH_GRANT)
    assert exc.value.message_dict["sub_type"] == [services.SUB_TYPE_MISMATCH_MESSAGE]


def test_a_partner_provider_needs_an_active_organisation(active_case_a, caseworker_a):
    inactive = factories.OrganisationFactory(is_active=False)
    with pytest.raises(ValidationError) as missing:
        record_service(active_case_a, caseworker_a, provider=Provider.ORGANISATION)
    with pytest.raises(ValidationError) as closed:
        record_service(
            active_case_a, caseworker_a, provider=Provider.ORGANISATION, organisation=inactive
        )
    assert missing.value.message_dict["organisation"] == [services.ORGANISATION_REQUIRED_MESSAGE]
    assert closed.value.message_dict["organisation"] == [services.INACTIVE_ORGANISATION_MESSAGE]


def test_a_service_ending_before_it_starts_is_refused(active_case_a, caseworker_a):
    with pytest.raises(ValidationError) as exc:
        record_service(
            active_case_a,
            caseworker_a,
            start_date=TODAY(),
            end_date=TODAY() - datetime.timedelta(days=1),
        )
    assert exc.value.message_dict["end_date"] == [services.END_BEFORE_START_MESSAGE]


def test_the_service_timeline_filters_in_one_query(
    active_case_a, caseworker_a, organisation, django_assert_max_num_queries
):
    factories.AssistanceServiceFactory.create_batch(
        3,
        case=active_case_a,
        provider=Provider.ORGANISATION,
        organisation=organisation,
        status=AssistanceService.Status.IN_PROGRESS,
    )
    factories.AssistanceServiceFactory(case=active_case_a)
    with django_assert_max_num_queries(1):
        rows = [
            (s.organisation.name, s.status)
            for s in service_list_for_case(
                case=active_case_a, status=AssistanceService.Status.IN_PROGRESS
            )
        ]
    assert len(rows) == 3


# Referrals


def refer(case, actor, organisation, **kwargs):
    defaults = {
        "direction": Referral.Direction.OUTGOING,
        "reason": ReferralReason.AdditionalServicesRequired,
        "referral_date": TODAY(),
        "details": "Needs long-term trauma counselling",
    }
    defaults.update(kwargs)
    return services.referral_record(
        actor=actor, case_id=case.pk, organisation=organisation, **defaults
    )


@pytest.mark.parametrize("consent", [None, False])
def test_a_referral_sharing_personal_data_without_consent_is_refused(
    active_case_a, caseworker_a, organisation, consent
):
    with pytest.raises(ApplicationError) as exc:
        refer(
            active_case_a,
            caseworker_a,
            organisation,
            shares_personal_data=True,
            consent_given=consent,
        )
    assert exc.value.code == "consent_required"
    assert exc.value.message == services.CONSENT_REQUIRED_MESSAGE
    assert not Referral.objects.exists()


def test_a_referral_sharing_personal_data_with_consent_is_recorded(
    active_case_a, caseworker_a, organisation
):
    referral = refer(
        active_case_a, caseworker_a, organisation, shares_personal_data=True, consent_given=True
    )
    assert referral.consent_recorded_by == caseworker_a
    event = AuditEvent.objects.get(action=AuditAction.REFERRAL_RECORDED)
    assert "Needs" not in str(event.detail)


def test_a_referral_without_personal_data_needs_no_consent(
    active_case_a, caseworker_a, organisation
):
    referral = refer(active_case_a, caseworker_a, organisation)
    assert referral.consent_given is None


def test_an_incoming_referral_takes_no_sharing_consent(active_case_a, caseworker_a, organisation):
    with pytest.raises(ValidationError) as exc:
        refer(
            active_case_a,
            caseworker_a,
            organisation,
            direction=Referral.Direction.INCOMING,
            consent_given=True,
        )
    assert exc.value.message_dict["consent_given"] == [services.INCOMING_CONSENT_MESSAGE]


def test_a_referral_with_an_unknown_reason_is_refused(active_case_a, caseworker_a, organisation):
    with pytest.raises(ValidationError) as exc:
        refer(active_case_a, caseworker_a, organisation, reason="Boredom")
    assert "reason" in exc.value.message_dict


# Movement


def plan(case, actor, **overrides):
    return services.movement_plan(actor=actor, case_id=case.pk, **return_plan(**overrides))


def assess(movement, actor, decision):
    return services.movement_assess(
        actor=actor,
        movement_id=movement.pk,
        version=movement.version,
        decision=decision,
        reasoning="Family reached by phone; village safe",
    )


def move(movement, actor, to_status):
    return services.movement_transition(
        actor=actor, movement_id=movement.pk, version=movement.version, to_status=to_status
    )


def test_a_return_is_planned_with_its_legs(active_case_a, caseworker_a):
    movement = plan(active_case_a, caseworker_a, legs=[leg(), leg(from_country="THA")])
    assert movement.status == Movement.Status.PLANNED
    assert [row.position for row in movement.legs.all()] == [0, 1]
    assert movement.legs.first().from_place == "Kathmandu"


def test_a_return_without_legs_is_refused(active_case_a, caseworker_a):
    with pytest.raises(ValidationError) as exc:
        plan(active_case_a, caseworker_a, legs=[])
    assert exc.value.message_dict["legs"] == [services.LEGS_REQUIRED_MESSAGE]


def test_local_integration_has_no_travel(active_case_a, caseworker_a):
    with pytest.raises(ValidationError) as exc:
        plan(
            active_case_a,
            caseworker_a,
            movement_type=MovementType.LOCAL_INTEGRATION,
            destination_country="NPL",
            travel_document_status=TravelDocumentStatus.NOT_NEEDED,
        )
    assert exc.value.message_dict["legs"] == [services.LEGS_NOT_ALLOWED_MESSAGE]


def test_a_leg_with_an_unknown_country_is_refused_by_position(active_case_a, caseworker_a):
    with pytest.raises(ValidationError) as exc:
        plan(active_case_a, caseworker_a, legs=[leg(), leg(to_country="ZZZ")])
    assert "legs.1.to_country" in exc.value.message_dict
    assert not Movement.objects.exists()


def test_a_full_return_goes_through_every_status_in_order(active_case_a, caseworker_a):
    movement = plan(active_case_a, caseworker_a)
    movement = assess(movement, caseworker_a, AssessmentDecision.GO)
    for status in ("confirmed", "departed", "arrived"):
        movement = move(movement, caseworker_a, status)
    assert movement.status == Movement.Status.ARRIVED
    transitions = [
        (e["from"], e["to"])
        for e in AuditEvent.objects.filter(action=AuditAction.MOVEMENT_STATUS_CHANGED)
        .order_by("id")
        .values_list("detail", flat=True)
    ]
    assert transitions == [
        ("planned", "confirmed"),
        ("confirmed", "departed"),
        ("departed", "arrived"),
    ]


def test_a_step_cannot_be_skipped(active_case_a, caseworker_a):
    movement = assess(plan(active_case_a, caseworker_a), caseworker_a, AssessmentDecision.GO)
    with pytest.raises(ApplicationError) as exc:
        move(movement, caseworker_a, Movement.Status.DEPARTED)
    assert exc.value.code == "invalid_transition"


def test_a_no_go_assessment_blocks_departure(active_case_a, caseworker_a):
    movement = assess(plan(active_case_a, caseworker_a), caseworker_a, AssessmentDecision.NO_GO)
    movement = move(movement, caseworker_a, Movement.Status.CONFIRMED)
    with pytest.raises(ApplicationError) as exc:
        move(movement, caseworker_a, Movement.Status.DEPARTED)
    assert exc.value.code == "no_go"
    movement.refresh_from_db()
    assert movement.status == Movement.Status.CONFIRMED


def test_departure_needs_an_assessment(active_case_a, caseworker_a):
    movement = move(plan(active_case_a, caseworker_a), caseworker_a, Movement.Status.CONFIRMED)
    with pytest.raises(ApplicationError) as exc:
        move(movement, caseworker_a, Movement.Status.DEPARTED)
    assert exc.value.code == "assessment_required"


def test_a_movement_can_be_cancelled_but_not_after_arrival(active_case_a, caseworker_a):
    cancelled = move(plan(active_case_a, caseworker_a), caseworker_a, Movement.Status.CANCELLED)
    assert cancelled.status == Movement.Status.CANCELLED
    movement = assess(plan(active_case_a, caseworker_a), caseworker_a, AssessmentDecision.GO)
    for status in ("confirmed", "departed", "arrived"):
        movement = move(movement, caseworker_a, status)
    with pytest.raises(ApplicationError) as exc:
        move(movement, caseworker_a, Movement.Status.CANCELLED)
    assert exc.value.code == "movement_final"


def test_a_stale_movement_transition_is_refused(active_case_a, caseworker_a):
    movement = plan(active_case_a, caseworker_a)
    move(movement, caseworker_a, Movement.Status.CONFIRMED)
    with pytest.raises(StaleVersionError):
        move(movement, caseworker_a, Movement.Status.CANCELLED)
    movement.refresh_from_db()
    assert movement.status == Movement.Status.CONFIRMED


def test_a_second_open_movement_is_refused(active_case_a, caseworker_a):
    plan(active_case_a, caseworker_a)
    with pytest.raises(ApplicationError) as exc:
        plan(active_case_a, caseworker_a)
    assert exc.value.code == "movement_exists"


# Cross-mission access


def test_the_destination_mission_sees_the_case_only_after_a_grant(
    active_case_a, caseworker_a, caseworker_b, mission_b, central_admin
):
    movement = assess(
        plan(active_case_a, caseworker_a, reception_mission=mission_b),
        caseworker_a,
        AssessmentDecision.GO,
    )
    for status in ("confirmed", "departed", "arrived"):
        movement = move(movement, caseworker_a, status)
    assert not Case.objects.visible_to(caseworker_b).filter(pk=active_case_a.pk).exists()
    with pytest.raises(Http404):
        access_case_by_id(user=caseworker_b, case_id=active_case_a.pk)

    services.case_access_grant(
        actor=central_admin,
        case_id=active_case_a.pk,
        mission=mission_b,
        reason=CaseAccessReason.RETURN_ARRIVED,
    )
    fresh_b = type(caseworker_b).objects.get(pk=caseworker_b.pk)
    assert access_case_by_id(user=fresh_b, case_id=active_case_a.pk) == active_case_a
    assert AuditAction.CASE_ACCESS_GRANTED in audit_actions(active_case_a)


def test_a_grant_shares_only_that_case(
    active_case_a, caseworker_a, caseworker_b, mission_a, mission_b, central_admin
):
    other_case = factories.CaseFactory(mission=mission_a)
    services.case_access_grant(
        actor=central_admin,
        case_id=active_case_a.pk,
        mission=mission_b,
        reason=CaseAccessReason.RETURN_ARRIVED,
    )
    visible = set(Case.objects.visible_to(caseworker_b).values_list("pk", flat=True))
    assert active_case_a.pk in visible
    assert other_case.pk not in visible


def test_a_revoked_grant_gives_no_access(active_case_a, caseworker_b, mission_b, central_admin):
    access = services.case_access_grant(
        actor=central_admin,
        case_id=active_case_a.pk,
        mission=mission_b,
        reason=CaseAccessReason.JOINT_ASSISTANCE,
    )
    services.case_access_revoke(actor=central_admin, access_id=access.pk)
    assert not Case.objects.visible_to(caseworker_b).filter(pk=active_case_a.pk).exists()
    assert AuditAction.CASE_ACCESS_REVOKED in audit_actions(active_case_a)


def test_a_researcher_never_sees_a_shared_case(active_case_a, central_admin, researcher):
    mission = factories.MissionFactory(code="RRR")
    factories.MembershipFactory(user=researcher, mission=mission)
    factories.CaseMissionAccessFactory(case=active_case_a, mission=mission)
    assert not Case.objects.visible_to(researcher).exists()


def test_only_a_central_administrator_grants_access(active_case_a, caseworker_a, mission_b):
    with pytest.raises(ApplicationError) as exc:
        services.case_access_grant(
            actor=caseworker_a,
            case_id=active_case_a.pk,
            mission=mission_b,
            reason=CaseAccessReason.RETURN_ARRIVED,
        )
    assert exc.value.code == "not_admin"


def test_a_case_is_not_shared_with_its_own_mission_or_twice(
    active_case_a, mission_a, mission_b, central_admin
):
    kwargs = {"actor": central_admin, "case_id": active_case_a.pk}
    with pytest.raises(ValidationError) as own:
        services.case_access_grant(
            mission=mission_a, reason=CaseAccessReason.RETURN_ARRIVED, **kwargs
        )
    services.case_access_grant(mission=mission_b, reason=CaseAccessReason.RETURN_ARRIVED, **kwargs)
    with pytest.raises(ValidationError) as twice:
        services.case_access_grant(
            mission=mission_b, reason=CaseAccessReason.RETURN_ARRIVED, **kwargs
        )
    assert own.value.message_dict["mission"] == [services.ACCESS_OWN_MISSION_MESSAGE]
    assert twice.value.message_dict["mission"] == [services.ACCESS_EXISTS_MESSAGE]


def test_a_deactivated_organisation_stays_in_the_directory(central_admin, organisation):
    services.organisation_set_active(
        actor=central_admin, organisation_id=organisation.pk, is_active=False
    )
    organisation.refresh_from_db()
    assert organisation.is_active is False
    assert AuditEvent.objects.get(action=AuditAction.ORGANISATION_UPDATED).detail == {
        "is_active": False
    }


def test_shared_cases_join_the_case_list_at_a_fixed_query_cost(
    caseworker_b, mission_a, mission_b, django_assert_max_num_queries
):
    for case in factories.CaseFactory.create_batch(3, mission=mission_a):
        factories.CaseMissionAccessFactory(case=case, mission=mission_b)
    factories.CaseFactory(mission=mission_b)
    factories.CaseFactory(mission=mission_a)
    user = type(caseworker_b).objects.get(pk=caseworker_b.pk)
    with django_assert_max_num_queries(2):
        rows = [(c.reference, c.mission.code, c.person.gender) for c in case_list(user=user)]
    assert len(rows) == 4


def test_movement_and_service_audit_rows_hold_codes_only(active_case_a, caseworker_a):
    record_service(active_case_a, caseworker_a, notes="Sister's phone number 98410")
    plan(active_case_a, caseworker_a)
    details = " ".join(
        str(d)
        for d in AuditEvent.objects.filter(case=active_case_a).values_list("detail", flat=True)
    )
    assert "98410" not in details
    assert "Kathmandu" not in details
