import datetime
import uuid

import pytest
from django.db import connection
from django.forms import ChoiceField, DateField, Field
from django.template import Context
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from assistance import services, views
from assistance.case_page import INTERVIEWS_SHOWN, SERVICES_SHOWN, assistance_case_panel
from assistance.models import (
    AssessmentDecision,
    AssistanceInterview,
    AssistanceService,
    Movement,
    MovementType,
    PersonWish,
    Provider,
    Referral,
    RiskLevel,
    ServiceCategory,
    ServiceSubType,
    SupportPlan,
    TransportMeans,
    TravelDocumentStatus,
)
from assistance.templatetags.assistance_tags import DASHBOARD_SHOWN, assistance_dashboard
from cases.models import AuditAction, AuditEvent
from cases.vocabularies import CaseStatus, ReferralReason, SupportPlanType
from config.validation import DATE_IN_FUTURE_MESSAGE
from tests import factories
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
REQUIRED = str(Field.default_error_messages["required"])
INVALID_DATE = str(DateField.default_error_messages["invalid"])
# Words no template or label contains, so finding one in HTML means the record was shown.
SECRET_NOTE = "Xylophonic marmalade"
SECRET_PLACE = "Quenbury Heights"


def invalid_choice(value) -> str:
    return str(ChoiceField.default_error_messages["invalid_choice"]) % {"value": value}


def shows(response, message) -> bool:
    return escape(str(message)) in response.content.decode()


def url(name, **kwargs) -> str:
    return reverse(f"assistance:{name}", kwargs=kwargs)


def case_page(case) -> str:
    return reverse("cases:detail", kwargs={"case_id": case.pk})


@pytest.fixture
def cw(client_for, caseworker_a):
    return client_for(caseworker_a)


def interview_data(**overrides) -> dict:
    data = {
        "interview_date": TODAY().isoformat(),
        "language": "ne",
        "interpreter_used": "on",
        "immediate_needs": ["Food", "Shelter"],
        "health_needs": ["PrimaryCare"],
        "health_notes": SECRET_NOTE,
        "psychosocial_support_needed": "True",
        "safety_risk_level": RiskLevel.HIGH,
        "safety_risk_reasoning": "Recruiter knows the home village",
        "wish": PersonWish.RETURN,
    }
    data.update(overrides)
    return data


def service_data(**overrides) -> dict:
    data = {
        "category": ServiceCategory.MEDICAL,
        "sub_type": ServiceSubType.PRIMARY_CARE,
        "provider": Provider.IOM,
        "organisation": "",
        "status": AssistanceService.Status.IN_PROGRESS,
        "start_date": TODAY().isoformat(),
        "cost": "",
        "currency": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def referral_data(to, **overrides) -> dict:
    data = {
        "direction": Referral.Direction.OUTGOING,
        "referral_date": TODAY().isoformat(),
        "organisation": to.pk,
        "reason": ReferralReason.AdditionalServicesRequired,
        "details": "",
        "shares_personal_data": "on",
        "consent_given": "on",
    }
    data.update(overrides)
    return data


def leg_rows(*rows) -> dict:
    data = {
        "legs-TOTAL_FORMS": "3",
        "legs-INITIAL_FORMS": "0",
        "legs-MIN_NUM_FORMS": "0",
        "legs-MAX_NUM_FORMS": "3",
    }
    for index, row in enumerate(rows):
        data.update({f"legs-{index}-{key}": value for key, value in row.items()})
    return data


def leg_row(**overrides) -> dict:
    row = {
        "from_country": "NPL",
        "from_place": SECRET_PLACE,
        "to_country": "THA",
        "to_place": "Bangkok",
        "planned_date": (TODAY() + datetime.timedelta(days=10)).isoformat(),
        "transport_means": TransportMeans.AIR,
        "escorted": "on",
    }
    row.update(overrides)
    return row


def movement_data(*rows, **overrides) -> dict:
    data = {
        "movement_type": MovementType.VOLUNTARY_RETURN,
        "origin_country": "NPL",
        "destination_country": "THA",
        "travel_document_status": TravelDocumentStatus.VALID_DOCUMENT,
        "reception_organisation": "",
        "reception_mission": "",
        **leg_rows(*(rows or (leg_row(),))),
    }
    data.update(overrides)
    return data


def without_legs(data: dict) -> dict:
    return {key: value for key, value in data.items() if not key.startswith("legs-0-")}


def open_movement(case, user, **fields) -> Movement:
    movement = factories.MovementFactory(
        case=case, created_by=user, origin_country="NPL", destination_country="THA", **fields
    )
    factories.MovementLegFactory(
        movement=movement, position=0, from_country="NPL", to_country="THA"
    )
    return movement


# Case page


def test_case_page_shows_empty_assistance_sections_of_an_active_case(cw, active_case_a):
    response = cw.get(case_page(active_case_a))

    body = response.content.decode()
    assert response.status_code == 200
    assert url("interview_create", case_id=active_case_a.pk) in body
    assert url("support_plan", case_id=active_case_a.pk) in body
    assert url("service_create", case_id=active_case_a.pk) in body
    assert url("referral_create", case_id=active_case_a.pk) in body
    assert url("movement_create", case_id=active_case_a.pk) in body
    assert "No assistance interview has been recorded." in body
    assert "No movement has been planned." in body


def test_case_page_of_a_case_not_yet_active_offers_no_recording(cw, case_a):
    response = cw.get(case_page(case_a))

    assert shows(response, services.CASE_NOT_ACTIVE_MESSAGE)
    assert url("interview_create", case_id=case_a.pk) not in response.content.decode()


def test_case_page_of_a_follow_up_case_offers_services_but_no_interview(cw, active_case_a):
    active_case_a.status = CaseStatus.FOLLOW_UP
    active_case_a.save(update_fields=["status"])

    body = cw.get(case_page(active_case_a)).content.decode()

    assert url("service_create", case_id=active_case_a.pk) in body
    assert url("interview_create", case_id=active_case_a.pk) not in body


def test_case_page_shows_the_records(cw, active_case_a, caseworker_a, organisation):
    interview = factories.AssistanceInterviewFactory(
        case=active_case_a, created_by=caseworker_a, immediate_needs=["Shelter"]
    )
    factories.SupportPlanFactory(
        case=active_case_a, created_by=caseworker_a, objectives="Safe housing first"
    )
    factories.AssistanceServiceFactory(
        case=active_case_a, created_by=caseworker_a, category=ServiceCategory.PSYCHOSOCIAL
    )
    factories.ReferralFactory(
        case=active_case_a, created_by=caseworker_a, organisation=organisation
    )
    movement = open_movement(active_case_a, caseworker_a)

    body = cw.get(case_page(active_case_a)).content.decode()

    assert url("interview", interview_id=interview.pk) in body
    assert "Shelter" in body
    assert "Safe housing first" in body
    assert "Psychosocial" in body
    assert organisation.name in body
    assert url("movement", movement_id=movement.pk) in body
    # A movement is in progress: another one cannot be planned.
    assert url("movement_create", case_id=active_case_a.pk) not in body
    # Places are shown on the movement's own (audited) page only.
    assert SECRET_PLACE not in body


def _fill_case(case, user, organisation, n):
    for _ in range(n):
        factories.AssistanceInterviewFactory(case=case, created_by=user)
        factories.AssistanceServiceFactory(
            case=case, created_by=user, provider=Provider.ORGANISATION, organisation=organisation
        )
        factories.ReferralFactory(case=case, created_by=user, organisation=organisation)
        movement = factories.MovementFactory(
            case=case, created_by=user, status=Movement.Status.CANCELLED
        )
        factories.MovementLegFactory(movement=movement)
        factories.MovementLegFactory(movement=movement)
    factories.SupportPlanFactory(case=case, created_by=user)


# Interviews, services, referrals, movements, their legs, the support plan: one statement.
CASE_PANEL_QUERIES = 1


@pytest.mark.parametrize("n", [1, 20])
def test_case_panel_queries_do_not_grow_with_records(
    n, caseworker_a, active_case_a, organisation, django_assert_num_queries
):
    _fill_case(active_case_a, caseworker_a, organisation, n)

    with django_assert_num_queries(CASE_PANEL_QUERIES):
        panel = assistance_case_panel(case=active_case_a, user=caseworker_a)

    assert len(panel["interviews"]) == min(n, INTERVIEWS_SHOWN)
    assert len(panel["services"]) == min(n, SERVICES_SHOWN)


def _case_page_queries(client, case) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(case_page(case)).status_code == 200
    return len(context.captured_queries)


def test_case_page_queries_are_the_same_with_1_or_20_records(
    cw, caseworker_a, mission_a, organisation
):
    small = factories.ActiveCaseFactory(mission=mission_a)
    large = factories.ActiveCaseFactory(mission=mission_a)
    _fill_case(small, caseworker_a, organisation, 1)
    _fill_case(large, caseworker_a, organisation, 20)

    assert _case_page_queries(cw, small) == _case_page_queries(cw, large)


# Assistance interviews


def test_interview_form_renders(cw, active_case_a):
    response = cw.get(url("interview_create", case_id=active_case_a.pk))

    assert response.status_code == 200
    assert 'name="immediate_needs"' in response.content.decode()


def test_interview_form_of_a_case_not_active_shows_why(cw, case_a):
    response = cw.get(url("interview_create", case_id=case_a.pk))

    assert response.status_code == 200
    assert shows(response, services.CASE_NOT_ACTIVE_MESSAGE)
    assert 'name="immediate_needs"' not in response.content.decode()


def test_recording_an_interview(cw, active_case_a, caseworker_a):
    response = cw.post(url("interview_create", case_id=active_case_a.pk), interview_data())

    interview = AssistanceInterview.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("interview", interview_id=interview.pk)
    assert interview.case == active_case_a
    assert interview.interviewer == caseworker_a
    assert interview.immediate_needs == ["Food", "Shelter"]
    assert interview.psychosocial_support_needed is True
    assert interview.health_notes == SECRET_NOTE


def test_recording_an_interview_with_missing_answers_shows_them(cw, active_case_a):
    data = interview_data(interview_date="", language="", safety_risk_level="", wish="")

    response = cw.post(url("interview_create", case_id=active_case_a.pk), data)

    form = response.context["form"]
    assert response.status_code == 200
    for field in ("interview_date", "language", "safety_risk_level", "wish"):
        assert form.errors[field] == [REQUIRED]
    assert "error-summary" in response.content.decode()
    assert not AssistanceInterview.objects.exists()


def test_recording_an_interview_with_an_unknown_need_code_is_refused(cw, active_case_a):
    data = interview_data(immediate_needs=["Food", "Caviar"])

    response = cw.post(url("interview_create", case_id=active_case_a.pk), data)

    assert response.context["form"].errors["immediate_needs"] == [invalid_choice("Caviar")]
    assert not AssistanceInterview.objects.exists()


def test_recording_an_interview_dated_in_the_future_is_refused(cw, active_case_a):
    tomorrow = (TODAY() + datetime.timedelta(days=1)).isoformat()

    response = cw.post(
        url("interview_create", case_id=active_case_a.pk), interview_data(interview_date=tomorrow)
    )

    assert response.context["form"].errors["interview_date"] == [DATE_IN_FUTURE_MESSAGE]
    assert not AssistanceInterview.objects.exists()


def test_recording_an_interview_for_a_case_not_active_is_refused(cw, case_a):
    response = cw.post(url("interview_create", case_id=case_a.pk), interview_data())

    assert response.status_code == 200
    assert shows(response, services.CASE_NOT_ACTIVE_MESSAGE)
    assert not AssistanceInterview.objects.exists()


def test_interview_page_shows_the_notes_and_is_an_audited_read(cw, active_case_a, caseworker_a):
    interview = factories.AssistanceInterviewFactory(
        case=active_case_a, created_by=caseworker_a, wish_notes=SECRET_NOTE
    )

    response = cw.get(url("interview", interview_id=interview.pk))

    assert SECRET_NOTE in response.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.CASE_VIEWED, object_id=str(interview.pk)
    ).exists()


def test_editing_an_interview(cw, active_case_a, caseworker_a):
    interview = factories.AssistanceInterviewFactory(case=active_case_a, created_by=caseworker_a)
    assert cw.get(url("interview_edit", interview_id=interview.pk)).status_code == 200

    response = cw.post(
        url("interview_edit", interview_id=interview.pk),
        interview_data(version=interview.version, legal_needs=["Compensation"]),
    )

    interview.refresh_from_db()
    assert response.status_code == 302
    assert interview.version == 2
    assert interview.legal_needs == ["Compensation"]


def test_editing_a_stale_interview_is_refused_and_keeps_the_input(cw, active_case_a, caseworker_a):
    interview = factories.AssistanceInterviewFactory(
        case=active_case_a, created_by=caseworker_a, version=3
    )

    response = cw.post(
        url("interview_edit", interview_id=interview.pk),
        interview_data(version=2, wish_notes=SECRET_NOTE),
    )

    interview.refresh_from_db()
    assert response.status_code == 200
    assert shows(response, services.STALE_MESSAGE)
    assert SECRET_NOTE in response.content.decode()
    assert f'href="{url("interview_edit", interview_id=interview.pk)}" target="_blank"' in (
        response.content.decode()
    )
    assert interview.version == 3
    assert interview.wish_notes == ""


def test_editing_an_interview_without_a_version_is_refused(cw, active_case_a, caseworker_a):
    interview = factories.AssistanceInterviewFactory(case=active_case_a, created_by=caseworker_a)

    response = cw.post(url("interview_edit", interview_id=interview.pk), interview_data())

    assert response.context["form"].errors["version"] == [REQUIRED]


# Support plan


def plan_data(**overrides) -> dict:
    data = {
        "plan_types": [SupportPlanType.Health, SupportPlanType.Legal],
        "objectives": "Safe housing first",
        "action_plan": "",
        "start_date": TODAY().isoformat(),
        "planned_end_date": (TODAY() + datetime.timedelta(days=90)).isoformat(),
        "actual_end_date": "",
    }
    data.update(overrides)
    return data


def test_creating_a_support_plan(cw, active_case_a):
    assert cw.get(url("support_plan", case_id=active_case_a.pk)).status_code == 200

    response = cw.post(url("support_plan", case_id=active_case_a.pk), plan_data())

    plan = SupportPlan.objects.get(case=active_case_a)
    assert response.status_code == 302
    assert plan.plan_types == [SupportPlanType.Health, SupportPlanType.Legal]
    assert plan.objectives == "Safe housing first"


def test_support_plan_with_reversed_dates_is_refused(cw, active_case_a):
    data = plan_data(planned_end_date=(TODAY() - datetime.timedelta(days=1)).isoformat())

    response = cw.post(url("support_plan", case_id=active_case_a.pk), data)

    assert response.context["form"].errors["planned_end_date"] == [
        services.END_BEFORE_START_MESSAGE
    ]
    assert not SupportPlan.objects.exists()


def test_support_plan_with_an_unknown_type_is_refused(cw, active_case_a):
    response = cw.post(
        url("support_plan", case_id=active_case_a.pk), plan_data(plan_types=["Sightseeing"])
    )

    assert response.context["form"].errors["plan_types"] == [invalid_choice("Sightseeing")]
    assert not SupportPlan.objects.exists()


def test_editing_the_support_plan(cw, active_case_a, caseworker_a):
    plan = factories.SupportPlanFactory(case=active_case_a, created_by=caseworker_a)
    page = cw.get(url("support_plan", case_id=active_case_a.pk))
    assert page.context["form"].initial["version"] == plan.version

    response = cw.post(
        url("support_plan", case_id=active_case_a.pk),
        plan_data(version=plan.version, action_plan="Weekly visits"),
    )

    plan.refresh_from_db()
    assert response.status_code == 302
    assert (plan.version, plan.action_plan) == (2, "Weekly visits")


def test_editing_a_stale_support_plan_is_refused(cw, active_case_a, caseworker_a):
    plan = factories.SupportPlanFactory(case=active_case_a, created_by=caseworker_a, version=2)

    response = cw.post(
        url("support_plan", case_id=active_case_a.pk),
        plan_data(version=1, action_plan="Weekly visits"),
    )

    plan.refresh_from_db()
    assert shows(response, services.STALE_MESSAGE)
    assert "Weekly visits" in response.content.decode()
    assert plan.action_plan == ""


# Services


def test_recording_a_service_from_a_partner_with_a_cost(cw, active_case_a, organisation):
    data = service_data(
        provider=Provider.ORGANISATION, organisation=organisation.pk, cost="12.50", currency="eur"
    )

    response = cw.post(url("service_create", case_id=active_case_a.pk), data)

    service = AssistanceService.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("services", case_id=active_case_a.pk)
    assert (service.organisation, str(service.cost), service.currency) == (
        organisation,
        "12.50",
        "EUR",
    )


def test_recording_an_accommodation_with_its_stay(cw, active_case_a):
    data = service_data(
        category=ServiceCategory.ACCOMMODATION,
        sub_type=ServiceSubType.SHELTER_NGO,
        admission_date=TODAY().isoformat(),
        exit_date=(TODAY() + datetime.timedelta(days=30)).isoformat(),
    )

    response = cw.post(url("service_create", case_id=active_case_a.pk), data)

    assert response.status_code == 302
    assert AssistanceService.objects.get().admission_date == TODAY()


def test_recording_a_service_the_person_declined(cw, active_case_a):
    data = service_data(status=AssistanceService.Status.DECLINED)

    response = cw.post(url("service_create", case_id=active_case_a.pk), data)

    assert response.status_code == 302
    assert AssistanceService.objects.get().status == AssistanceService.Status.DECLINED


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ("12.345", services.COST_PRECISION_MESSAGE),
        ("-1", services.COST_NEGATIVE_MESSAGE),
        ("abc", services.COST_INVALID_MESSAGE),
        ("NaN", services.COST_INVALID_MESSAGE),
        ("1e20", services.COST_TOO_LARGE_MESSAGE),
    ],
)
def test_recording_a_service_with_a_bad_cost_is_refused(cw, active_case_a, cost, message):
    data = service_data(cost=cost, currency="EUR")

    response = cw.post(url("service_create", case_id=active_case_a.pk), data)

    assert response.status_code == 200
    assert response.context["form"].errors["cost"] == [message]
    assert not AssistanceService.objects.exists()


@pytest.mark.parametrize(
    ("cost", "currency", "message"),
    [
        ("10", "EURO", services.CURRENCY_INVALID_MESSAGE),
        ("10", "XYZ", services.CURRENCY_INVALID_MESSAGE),
        ("10", "", services.CURRENCY_REQUIRED_MESSAGE),
        ("", "EUR", services.CURRENCY_WITHOUT_COST_MESSAGE),
    ],
)
def test_recording_a_service_with_a_bad_currency_is_refused(
    cw, active_case_a, cost, currency, message
):
    data = service_data(cost=cost, currency=currency)

    response = cw.post(url("service_create", case_id=active_case_a.pk), data)

    assert response.context["form"].errors["currency"] == [message]
    assert not AssistanceService.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"category": ""}, "category", REQUIRED),
        ({"provider": ""}, "provider", REQUIRED),
        ({"category": "tourism"}, "category", invalid_choice("tourism")),
        ({"sub_type": ServiceSubType.CASH_GRANT}, "sub_type", services.SUB_TYPE_MISMATCH_MESSAGE),
        (
            {"provider": Provider.ORGANISATION},
            "organisation",
            services.ORGANISATION_REQUIRED_MESSAGE,
        ),
        (
            {"end_date": (TODAY() - datetime.timedelta(days=1)).isoformat()},
            "end_date",
            services.END_BEFORE_START_MESSAGE,
        ),
        (
            {"admission_date": TODAY().isoformat()},
            "admission_date",
            services.STAY_DATES_ONLY_FOR_ACCOMMODATION,
        ),
        ({"start_date": "2026-02-31"}, "start_date", INVALID_DATE),
    ],
)
def test_recording_a_service_with_bad_input_is_refused(
    cw, active_case_a, overrides, field, message
):
    response = cw.post(url("service_create", case_id=active_case_a.pk), service_data(**overrides))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not AssistanceService.objects.exists()


def test_recording_a_service_with_an_inactive_organisation_is_refused(cw, active_case_a):
    inactive = factories.OrganisationFactory(is_active=False)
    data = service_data(provider=Provider.ORGANISATION, organisation=inactive.pk)

    response = cw.post(url("service_create", case_id=active_case_a.pk), data)

    assert response.context["form"].errors["organisation"]
    assert not AssistanceService.objects.exists()


def test_recording_a_service_for_a_case_not_active_is_refused(cw, case_a):
    assert shows(cw.get(url("service_create", case_id=case_a.pk)), services.CASE_NOT_ACTIVE_MESSAGE)

    response = cw.post(url("service_create", case_id=case_a.pk), service_data())

    assert shows(response, services.CASE_NOT_ACTIVE_MESSAGE)
    assert not AssistanceService.objects.exists()


def test_declining_a_service_is_recorded(cw, active_case_a, caseworker_a):
    service = factories.AssistanceServiceFactory(case=active_case_a, created_by=caseworker_a)
    assert cw.get(url("service_status", service_id=service.pk)).status_code == 200

    response = cw.post(
        url("service_status", service_id=service.pk),
        {"version": service.version, "to_status": AssistanceService.Status.DECLINED},
        follow=True,
    )

    service.refresh_from_db()
    assert service.status == AssistanceService.Status.DECLINED
    assert shows(response, views.SERVICE_DECLINED_MESSAGE)


def test_changing_the_status_of_a_stale_service_is_refused(cw, active_case_a, caseworker_a):
    service = factories.AssistanceServiceFactory(
        case=active_case_a, created_by=caseworker_a, version=2
    )

    response = cw.post(
        url("service_status", service_id=service.pk),
        {"version": 1, "to_status": AssistanceService.Status.PROVIDED},
    )

    service.refresh_from_db()
    assert shows(response, services.STALE_MESSAGE)
    assert service.status == AssistanceService.Status.PLANNED


def test_a_finished_service_cannot_change_status(cw, active_case_a, caseworker_a):
    service = factories.AssistanceServiceFactory(
        case=active_case_a, created_by=caseworker_a, status=AssistanceService.Status.PROVIDED
    )
    assert shows(
        cw.get(url("service_status", service_id=service.pk)), services.SERVICE_FINAL_MESSAGE
    )

    response = cw.post(
        url("service_status", service_id=service.pk),
        {"version": service.version, "to_status": AssistanceService.Status.CANCELLED},
    )

    service.refresh_from_db()
    assert shows(response, services.SERVICE_FINAL_MESSAGE)
    assert service.status == AssistanceService.Status.PROVIDED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"version": "1", "to_status": "planned"}, "to_status"),
        ({"version": "1", "to_status": ""}, "to_status"),
        ({"version": "abc", "to_status": "provided"}, "version"),
        ({"version": "1", "to_status": "provided", "end_date": "yesterday"}, "end_date"),
    ],
)
def test_changing_a_service_status_with_bad_input_is_refused(
    cw, active_case_a, caseworker_a, data, field
):
    service = factories.AssistanceServiceFactory(case=active_case_a, created_by=caseworker_a)

    response = cw.post(url("service_status", service_id=service.pk), data)

    service.refresh_from_db()
    assert response.context["form"].errors[field]
    assert service.status == AssistanceService.Status.PLANNED


# Services timeline


def test_services_timeline_is_most_recent_first(cw, active_case_a, caseworker_a):
    for days, category in ((30, ServiceCategory.LEGAL_COUNSELLING), (1, ServiceCategory.SECURITY)):
        factories.AssistanceServiceFactory(
            case=active_case_a,
            created_by=caseworker_a,
            category=category,
            start_date=TODAY() - datetime.timedelta(days=days),
        )

    response = cw.get(url("services", case_id=active_case_a.pk))

    rows = list(response.context["page_obj"].object_list)
    assert [row.category for row in rows] == [
        ServiceCategory.SECURITY,
        ServiceCategory.LEGAL_COUNSELLING,
    ]
    assert AuditEvent.objects.filter(
        action=AuditAction.CASE_VIEWED, case=active_case_a, detail={"section": "services"}
    ).exists()


def test_services_timeline_filters_by_category_and_status(cw, active_case_a, caseworker_a):
    make = factories.AssistanceServiceFactory
    wanted = make(
        case=active_case_a,
        created_by=caseworker_a,
        category=ServiceCategory.LEGAL_COUNSELLING,
        status=AssistanceService.Status.DECLINED,
    )
    make(case=active_case_a, created_by=caseworker_a, category=ServiceCategory.LEGAL_COUNSELLING)
    make(
        case=active_case_a,
        created_by=caseworker_a,
        category=ServiceCategory.MEDICAL,
        status=AssistanceService.Status.DECLINED,
    )

    response = cw.get(
        url("services", case_id=active_case_a.pk),
        {"category": ServiceCategory.LEGAL_COUNSELLING, "status": "declined"},
    )

    assert list(response.context["page_obj"].object_list) == [wanted]


def test_services_timeline_answers_htmx_with_the_results_fragment(cw, active_case_a, caseworker_a):
    factories.AssistanceServiceFactory(case=active_case_a, created_by=caseworker_a)

    response = cw.get(
        url("services", case_id=active_case_a.pk),
        {"category": ServiceCategory.MEDICAL},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert "<html" not in body
    assert 'class="timeline"' in body
    assert "HX-Request" in response["Vary"]


def test_services_timeline_with_an_unknown_filter_shows_the_error_and_no_rows(
    cw, active_case_a, caseworker_a
):
    factories.AssistanceServiceFactory(case=active_case_a, created_by=caseworker_a)

    response = cw.get(url("services", case_id=active_case_a.pk), {"status": "teleported"})

    assert response.status_code == 200
    assert response.context["form"].errors["status"]
    assert list(response.context["page_obj"].object_list) == []


def test_services_timeline_is_paginated(cw, active_case_a, caseworker_a, settings):
    settings.HARBOUR_CASE_PAGE_SIZE = 2
    factories.AssistanceServiceFactory.create_batch(3, case=active_case_a, created_by=caseworker_a)

    first = cw.get(url("services", case_id=active_case_a.pk))
    second = cw.get(url("services", case_id=active_case_a.pk), {"page": 2})

    assert len(first.context["page_obj"].object_list) == 2
    assert len(second.context["page_obj"].object_list) == 1
    assert 'rel="next"' in first.content.decode()


def test_services_timeline_empty_state(cw, active_case_a):
    response = cw.get(url("services", case_id=active_case_a.pk))

    assert "No service has been recorded." in response.content.decode()


# Session, user, the session's second-factor device, memberships, case, audit row (the chain's
# lock and head in one round trip, then the insert), count, page, and the session save (in a
# savepoint).
SERVICES_PAGE_QUERIES = 11 + SECOND_FACTOR_QUERIES


@pytest.mark.parametrize("n", [1, 20])
def test_services_timeline_queries_do_not_grow_with_records(
    n, cw, active_case_a, caseworker_a, organisation, django_assert_num_queries
):
    factories.AssistanceServiceFactory.create_batch(
        n,
        case=active_case_a,
        created_by=caseworker_a,
        provider=Provider.ORGANISATION,
        organisation=organisation,
    )

    with django_assert_num_queries(SERVICES_PAGE_QUERIES):
        response = cw.get(url("services", case_id=active_case_a.pk))

    assert len(response.context["page_obj"].object_list) == n


# Referrals


def test_recording_an_outgoing_referral_with_consent(cw, active_case_a, organisation):
    assert cw.get(url("referral_create", case_id=active_case_a.pk)).status_code == 200

    response = cw.post(
        url("referral_create", case_id=active_case_a.pk), referral_data(organisation)
    )

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert referral.consent_given is True
    assert referral.consent_recorded_at is not None


def test_sharing_personal_data_without_consent_is_refused(cw, active_case_a, organisation):
    data = referral_data(organisation, consent_given="")

    response = cw.post(url("referral_create", case_id=active_case_a.pk), data)

    assert response.status_code == 200
    assert response.context["form"].errors["consent_given"] == [services.CONSENT_REQUIRED_MESSAGE]
    assert shows(response, services.CONSENT_REQUIRED_MESSAGE)
    assert not Referral.objects.exists()


def test_an_outgoing_referral_sharing_nothing_needs_no_consent(cw, active_case_a, organisation):
    data = referral_data(organisation, shares_personal_data="", consent_given="")

    response = cw.post(url("referral_create", case_id=active_case_a.pk), data)

    assert response.status_code == 302
    assert Referral.objects.get().consent_given is None


def test_consent_on_an_incoming_referral_is_refused(cw, active_case_a, organisation):
    data = referral_data(
        organisation, direction=Referral.Direction.INCOMING, shares_personal_data=""
    )

    response = cw.post(url("referral_create", case_id=active_case_a.pk), data)

    assert response.context["form"].errors["consent_given"] == [services.INCOMING_CONSENT_MESSAGE]
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"organisation": ""}, "organisation", REQUIRED),
        ({"reason": ""}, "reason", REQUIRED),
        ({"direction": "sideways"}, "direction", invalid_choice("sideways")),
        ({"referral_date": "2026-13-01"}, "referral_date", INVALID_DATE),
    ],
)
def test_recording_a_referral_with_bad_input_is_refused(
    cw, active_case_a, organisation, overrides, field, message
):
    response = cw.post(
        url("referral_create", case_id=active_case_a.pk), referral_data(organisation, **overrides)
    )

    assert response.context["form"].errors[field] == [message]
    assert not Referral.objects.exists()


def test_referral_to_a_missing_organisation_is_refused(cw, active_case_a, organisation):
    data = referral_data(organisation, organisation="999999")

    response = cw.post(url("referral_create", case_id=active_case_a.pk), data)

    assert response.context["form"].errors["organisation"]
    assert not Referral.objects.exists()


# Movement


def test_planning_a_movement_ignores_empty_leg_rows(cw, active_case_a):
    assert cw.get(url("movement_create", case_id=active_case_a.pk)).status_code == 200

    response = cw.post(url("movement_create", case_id=active_case_a.pk), movement_data())

    movement = Movement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("movement", movement_id=movement.pk)
    assert [leg.from_place for leg in movement.legs.all()] == [SECRET_PLACE]


def test_planning_local_integration_without_legs(cw, active_case_a):
    data = without_legs(
        movement_data(
            movement_type=MovementType.LOCAL_INTEGRATION,
            destination_country="NPL",
            travel_document_status=TravelDocumentStatus.NOT_NEEDED,
        )
    )

    response = cw.post(url("movement_create", case_id=active_case_a.pk), data)

    assert response.status_code == 302
    assert not Movement.objects.get().legs.exists()


def test_planning_a_return_without_legs_is_refused(cw, active_case_a):
    data = without_legs(movement_data())

    response = cw.post(url("movement_create", case_id=active_case_a.pk), data)

    assert shows(response, services.LEGS_REQUIRED_MESSAGE)
    assert not Movement.objects.exists()


def test_planning_a_return_to_the_same_country_is_refused(cw, active_case_a):
    response = cw.post(
        url("movement_create", case_id=active_case_a.pk),
        movement_data(destination_country="NPL"),
    )

    assert response.context["form"].errors["destination_country"] == [services.SAME_COUNTRY_MESSAGE]
    assert not Movement.objects.exists()


def test_a_leg_without_a_date_is_refused_on_its_row(cw, active_case_a):
    data = movement_data(leg_row(), leg_row(planned_date=""))

    response = cw.post(url("movement_create", case_id=active_case_a.pk), data)

    assert response.context["legs"].forms[1].errors["planned_date"] == [REQUIRED]
    assert not Movement.objects.exists()


def test_a_leg_with_an_unknown_country_is_refused_on_its_row(cw, active_case_a):
    data = movement_data(leg_row(), leg_row(from_country="XXX"))

    response = cw.post(url("movement_create", case_id=active_case_a.pk), data)

    assert response.context["legs"].forms[1].errors["from_country"] == [invalid_choice("XXX")]
    assert not Movement.objects.exists()


def test_too_many_leg_rows_are_refused(cw, active_case_a):
    data = movement_data(leg_row())
    data["legs-TOTAL_FORMS"] = "1000"

    response = cw.post(url("movement_create", case_id=active_case_a.pk), data)

    assert response.status_code == 200
    assert response.context["legs"].non_form_errors()
    assert not Movement.objects.exists()


def test_reception_by_organisation_and_mission_is_refused(
    cw, active_case_a, organisation, mission_b
):
    data = movement_data(reception_organisation=organisation.pk, reception_mission=mission_b.pk)

    response = cw.post(url("movement_create", case_id=active_case_a.pk), data)

    assert response.context["form"].errors["reception_mission"] == [services.RECEPTION_BOTH_MESSAGE]
    assert not Movement.objects.exists()


def test_a_second_open_movement_is_refused(cw, active_case_a, caseworker_a):
    open_movement(active_case_a, caseworker_a)

    response = cw.post(url("movement_create", case_id=active_case_a.pk), movement_data())

    assert shows(response, services.OPEN_MOVEMENT_EXISTS_MESSAGE)
    assert Movement.objects.count() == 1


def test_movement_page_shows_places_and_is_an_audited_read(cw, active_case_a, caseworker_a):
    movement = open_movement(active_case_a, caseworker_a)
    movement.legs.update(to_place=SECRET_PLACE)

    response = cw.get(url("movement", movement_id=movement.pk))

    body = response.content.decode()
    assert SECRET_PLACE in body
    assert str(views.TRANSITION_LABELS[Movement.Status.CONFIRMED]) in body
    assert url("movement_cancel", movement_id=movement.pk) in body
    assert AuditEvent.objects.filter(
        action=AuditAction.CASE_VIEWED, object_id=str(movement.pk)
    ).exists()


def test_recording_a_go_assessment(cw, active_case_a, caseworker_a):
    movement = open_movement(active_case_a, caseworker_a)

    response = cw.post(
        url("movement_assess", movement_id=movement.pk),
        {"version": movement.version, "decision": "go", "reasoning": "Family ready to receive"},
    )

    movement.refresh_from_db()
    assert response.status_code == 302
    assert movement.assessment_decision == AssessmentDecision.GO


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"version": "1", "decision": "go", "reasoning": ""}, "reasoning"),
        ({"version": "1", "decision": "maybe", "reasoning": "x"}, "decision"),
        ({"decision": "go", "reasoning": "x"}, "version"),
    ],
)
def test_an_assessment_with_bad_input_is_refused(cw, active_case_a, caseworker_a, data, field):
    movement = open_movement(active_case_a, caseworker_a)

    response = cw.post(url("movement_assess", movement_id=movement.pk), data)

    movement.refresh_from_db()
    assert response.status_code == 200
    assert response.context["assessment_form"].errors[field]
    assert movement.assessment_decision == ""


def test_a_stale_assessment_is_refused(cw, active_case_a, caseworker_a):
    movement = open_movement(active_case_a, caseworker_a, version=2)

    response = cw.post(
        url("movement_assess", movement_id=movement.pk),
        {"version": 1, "decision": "go", "reasoning": "Family ready"},
    )

    movement.refresh_from_db()
    assert shows(response, services.STALE_MESSAGE)
    assert "Family ready" in response.content.decode()
    assert response.context["assessment_form"].stale
    assert movement.assessment_decision == ""


def test_departure_after_a_no_go_assessment_is_refused(cw, active_case_a, caseworker_a):
    movement = open_movement(
        active_case_a,
        caseworker_a,
        status=Movement.Status.CONFIRMED,
        assessment_decision=AssessmentDecision.NO_GO,
        assessment_reasoning="Trafficker lives next door",
    )
    page = cw.get(url("movement", movement_id=movement.pk))
    assert shows(page, services.NO_GO_MESSAGE)

    response = cw.post(
        url("movement_transition", movement_id=movement.pk),
        {"version": movement.version, "to_status": Movement.Status.DEPARTED},
    )

    movement.refresh_from_db()
    assert response.status_code == 200
    assert response.context["refusal"] == services.NO_GO_MESSAGE
    assert movement.status == Movement.Status.CONFIRMED


def test_departure_without_an_assessment_is_refused(cw, active_case_a, caseworker_a):
    movement = open_movement(active_case_a, caseworker_a, status=Movement.Status.CONFIRMED)

    response = cw.post(
        url("movement_transition", movement_id=movement.pk),
        {"version": movement.version, "to_status": Movement.Status.DEPARTED},
    )

    assert response.context["refusal"] == services.ASSESSMENT_REQUIRED_MESSAGE
    assert Movement.objects.get().status == Movement.Status.CONFIRMED


def test_confirming_departing_and_arriving(cw, active_case_a, caseworker_a):
    movement = open_movement(active_case_a, caseworker_a, assessment_decision=AssessmentDecision.GO)
    for to_status in (Movement.Status.CONFIRMED, Movement.Status.DEPARTED, Movement.Status.ARRIVED):
        movement.refresh_from_db()
        response = cw.post(
            url("movement_transition", movement_id=movement.pk),
            {"version": movement.version, "to_status": to_status},
        )
        assert response.status_code == 302

    movement.refresh_from_db()
    assert movement.status == Movement.Status.ARRIVED
    assert movement.arrived_at is not None


def test_a_stale_transition_is_refused(cw, active_case_a, caseworker_a):
    movement = open_movement(active_case_a, caseworker_a, version=4)

    response = cw.post(
        url("movement_transition", movement_id=movement.pk),
        {"version": 3, "to_status": Movement.Status.CONFIRMED},
    )

    assert response.context["refusal"] == services.STALE_MESSAGE
    assert Movement.objects.get().status == Movement.Status.PLANNED


@pytest.mark.parametrize("to_status", [Movement.Status.CANCELLED, "flying", ""])
def test_the_transition_button_cannot_cancel_or_invent_a_status(
    cw, active_case_a, caseworker_a, to_status
):
    movement = open_movement(active_case_a, caseworker_a)

    response = cw.post(
        url("movement_transition", movement_id=movement.pk),
        {"version": movement.version, "to_status": to_status},
    )

    assert response.context["refusal"] == services.MOVEMENT_ORDER_MESSAGE
    assert Movement.objects.get().status == Movement.Status.PLANNED


def test_cancelling_asks_for_confirmation_first(cw, active_case_a, caseworker_a):
    movement = open_movement(active_case_a, caseworker_a)

    page = cw.get(url("movement_cancel", movement_id=movement.pk))

    assert page.status_code == 200
    assert Movement.objects.get().status == Movement.Status.PLANNED

    response = cw.post(
        url("movement_cancel", movement_id=movement.pk), {"version": movement.version}
    )

    assert response.status_code == 302
    assert Movement.objects.get().status == Movement.Status.CANCELLED


def test_cancelling_a_finished_movement_is_refused(cw, active_case_a, caseworker_a):
    movement = open_movement(active_case_a, caseworker_a, status=Movement.Status.CANCELLED)
    assert shows(
        cw.get(url("movement_cancel", movement_id=movement.pk)), services.MOVEMENT_FINAL_MESSAGE
    )

    response = cw.post(
        url("movement_cancel", movement_id=movement.pk), {"version": movement.version}
    )

    assert response.context["refusal"] == services.MOVEMENT_FINAL_MESSAGE


# Scope: another mission's records are the same 404 as missing ones


def _records_of(case, user):
    return {
        "case_id": case.pk,
        "interview_id": factories.AssistanceInterviewFactory(case=case, created_by=user).pk,
        "service_id": factories.AssistanceServiceFactory(case=case, created_by=user).pk,
        "movement_id": factories.MovementFactory(case=case, created_by=user).pk,
    }


PAGES = [
    ("interview_create", "case_id"),
    ("interview", "interview_id"),
    ("interview_edit", "interview_id"),
    ("support_plan", "case_id"),
    ("services", "case_id"),
    ("service_create", "case_id"),
    ("service_status", "service_id"),
    ("referral_create", "case_id"),
    ("movement_create", "case_id"),
    ("movement", "movement_id"),
    ("movement_cancel", "movement_id"),
]


@pytest.mark.parametrize(("name", "key"), PAGES)
def test_another_missions_page_is_the_missing_404(cw, case_b, caseworker_b, name, key):
    records = _records_of(case_b, caseworker_b)

    out_of_scope = cw.get(url(name, **{key: records[key]}))
    missing = cw.get(url(name, **{key: uuid.uuid4()}))

    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.content == missing.content


@pytest.mark.parametrize(
    ("name", "key"),
    [*PAGES, ("movement_assess", "movement_id"), ("movement_transition", "movement_id")],
)
def test_posting_to_another_missions_page_changes_nothing(cw, case_b, caseworker_b, name, key):
    case_b.status = CaseStatus.ACTIVE
    case_b.save(update_fields=["status"])
    records = _records_of(case_b, caseworker_b)

    response = cw.post(url(name, **{key: records[key]}), {"version": "1", "to_status": "confirmed"})

    assert response.status_code in (404, 405)
    assert Movement.objects.get().status == Movement.Status.PLANNED
    assert AssistanceService.objects.get().status == AssistanceService.Status.PLANNED


def test_researcher_gets_404_on_assistance_pages(client_for, researcher, active_case_a):
    response = client_for(researcher).get(url("services", case_id=active_case_a.pk))

    assert response.status_code == 404


# Dashboard

DASHBOARD = reverse("dashboard")


def _upcoming(case, user, days, status=Movement.Status.PLANNED) -> Movement:
    movement = factories.MovementFactory(case=case, created_by=user, status=status)
    factories.MovementLegFactory(
        movement=movement, position=0, planned_date=TODAY() + datetime.timedelta(days=days)
    )
    # A leg already travelled does not count as the next one.
    factories.MovementLegFactory(
        movement=movement,
        position=1,
        planned_date=TODAY() - datetime.timedelta(days=40),
        actual_date=TODAY() - datetime.timedelta(days=40),
    )
    return movement


def test_dashboard_lists_upcoming_movements_soonest_first(
    client_for, caseworker_a, mission_a, case_b, caseworker_b
):
    later = _upcoming(factories.ActiveCaseFactory(mission=mission_a), caseworker_a, 20)
    sooner = _upcoming(
        factories.ActiveCaseFactory(mission=mission_a),
        caseworker_a,
        5,
        status=Movement.Status.CONFIRMED,
    )
    cancelled = _upcoming(
        factories.ActiveCaseFactory(mission=mission_a), caseworker_a, 1, "cancelled"
    )
    other_mission = _upcoming(case_b, caseworker_b, 2)

    response = client_for(caseworker_a).get(DASHBOARD)

    body = response.content.decode()
    assert body.index(url("movement", movement_id=sooner.pk)) < body.index(
        url("movement", movement_id=later.pk)
    )
    assert url("movement", movement_id=other_mission.pk) not in body
    assert url("movement", movement_id=cancelled.pk) not in body


def test_dashboard_lists_services_in_progress_of_visible_cases(
    client_for, caseworker_a, active_case_a, case_b, caseworker_b
):
    mine = factories.AssistanceServiceFactory(
        case=active_case_a,
        created_by=caseworker_a,
        category=ServiceCategory.FAMILY_TRACING,
        status=AssistanceService.Status.IN_PROGRESS,
    )
    factories.AssistanceServiceFactory(
        case=active_case_a, created_by=caseworker_a, category=ServiceCategory.EDUCATION
    )
    factories.AssistanceServiceFactory(
        case=case_b,
        created_by=caseworker_b,
        category=ServiceCategory.VOCATIONAL_TRAINING,
        status=AssistanceService.Status.IN_PROGRESS,
    )

    body = client_for(caseworker_a).get(DASHBOARD).content.decode()

    assert mine.case.reference in body
    assert "Family tracing" in body
    assert "Education" not in body
    assert "Vocational training" not in body
    assert case_b.reference not in body


def test_dashboard_empty_states(client_for, caseworker_a):
    body = client_for(caseworker_a).get(DASHBOARD).content.decode()

    assert "No movement is planned in your cases." in body
    assert "No service is in progress in your cases." in body


@pytest.mark.parametrize("role", ["central_admin", "researcher"])
def test_dashboard_panel_is_for_caseworkers_only(request, client_for, role, active_case_a):
    movement = _upcoming(active_case_a, active_case_a.assigned_to, 3)

    body = client_for(request.getfixturevalue(role)).get(DASHBOARD).content.decode()

    assert "Upcoming movements" not in body
    assert url("movement", movement_id=movement.pk) not in body


def test_dashboard_shows_a_bounded_number_of_rows(client_for, caseworker_a, mission_a):
    for days in range(DASHBOARD_SHOWN + 2):
        _upcoming(factories.ActiveCaseFactory(mission=mission_a), caseworker_a, days)

    response = client_for(caseworker_a).get(DASHBOARD)

    assert response.content.decode().count('href="/assistance/movements/') == DASHBOARD_SHOWN
    assert "Only the soonest movements are listed." in response.content.decode()


# Upcoming movements and their cases, services in progress.
DASHBOARD_PANEL_QUERIES = 3


def _fill_dashboard(mission, user, n):
    for days in range(n):
        case = factories.ActiveCaseFactory(mission=mission)
        _upcoming(case, user, days)
        factories.AssistanceServiceFactory(
            case=case, created_by=user, status=AssistanceService.Status.IN_PROGRESS
        )


@pytest.mark.parametrize("n", [1, 20])
def test_dashboard_panel_queries_do_not_grow_with_records(
    n, rf, caseworker_a, mission_a, django_assert_num_queries
):
    _fill_dashboard(mission_a, caseworker_a, n)
    request = rf.get("/")
    request.user = caseworker_a
    assert caseworker_a.is_caseworker

    with django_assert_num_queries(DASHBOARD_PANEL_QUERIES):
        panel = assistance_dashboard(Context({"request": request}))

    assert len(panel["movements"]) == min(n, DASHBOARD_SHOWN)


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(DASHBOARD).status_code == 200
    return len(context.captured_queries)


def test_dashboard_queries_are_the_same_with_1_or_20_records(
    client_for, caseworker_a, mission_a, mission_b, caseworker_b
):
    _fill_dashboard(mission_b, caseworker_b, 1)
    _fill_dashboard(mission_a, caseworker_a, 20)

    assert _dashboard_queries(client_for(caseworker_b)) == _dashboard_queries(
        client_for(caseworker_a)
    )
