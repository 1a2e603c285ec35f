import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from cases.models import AuditAction, AuditEvent
from cases.vocabularies import CaseStatus
from config.api.exceptions import NOT_FOUND_MESSAGE
from config.api.serializers import UNKNOWN_FIELD_MESSAGE
from screening import services
from screening.models import Perpetrator, Screening, TraffickingEvent
from screening.sections import SECTION_KEYS
from screening.serializers import UNKNOWN_CODE_MESSAGE
from tests import factories
from tests.screening.conftest import complete_answers, fill
from tests.second_factor import SECOND_FACTOR_QUERIES, verified_login

pytestmark = pytest.mark.django_db

MISSING_ID = "00000000-0000-0000-0000-000000000000"
NOT_FOUND_BODY = {"message": NOT_FOUND_MESSAGE, "code": "not_found", "errors": {}}
SUMMARY_FIELDS = {
    "id",
    "case",
    "status",
    "version",
    "form_version",
    "created_at",
    "submitted_at",
    "reviewed_at",
    "trafficking_status",
    "eligible",
    "age_at_registration",
    "minor_at_registration",
    "exploitation_months",
}
QUEUE_FIELDS = {
    "id",
    "case",
    "case_reference",
    "mission",
    "form_version",
    "submitted_at",
    "submitted_by",
    "trafficking_status",
    "eligible",
    "version",
}
REVIEW_QUEUE_URL = reverse("screening_api:review_queue")


def case_screenings_url(case_id) -> str:
    return reverse("screening_api:case_screenings", kwargs={"case_id": case_id})


def detail_url(screening_id) -> str:
    return reverse("screening_api:detail", kwargs={"screening_id": screening_id})


def section_url(screening_id, section: str) -> str:
    return reverse(
        "screening_api:section_save", kwargs={"screening_id": screening_id, "section": section}
    )


def submit_url(screening_id) -> str:
    return reverse("screening_api:submit", kwargs={"screening_id": screening_id})


def review_url(screening_id) -> str:
    return reverse("screening_api:review", kwargs={"screening_id": screening_id})


@pytest.fixture
def api_for():
    """An API client signed in (session) as the given user, or anonymous for None."""

    def _api_for(user):
        client = APIClient()
        if user is not None:
            verified_login(client, user)
        return client

    return _api_for


@pytest.fixture
def screening_a(case_a, caseworker_a):
    return services.screening_start(actor=caseworker_a, case_id=case_a.pk)


@pytest.fixture
def consented_screening(screening_a, caseworker_a):
    return fill(screening_a, caseworker_a, {"consent": complete_answers()["consent"]})


@pytest.fixture
def submitted_screening(screening_a, caseworker_a):
    screening = fill(screening_a, caseworker_a, complete_answers())
    return services.screening_submit(
        actor=caseworker_a, screening_id=screening.pk, version=screening.version
    )


@pytest.fixture
def other_admin():
    return factories.CentralAdminFactory(email="admin2@harbour.test")


def patch_section(client, screening, section: str, answers=None, rows=None, version=None):
    body = {"version": screening.version if version is None else version}
    if answers is not None:
        body["answers"] = answers
    if rows is not None:
        body["rows"] = rows
    return client.patch(section_url(screening.pk, section), body, format="json")


def assert_invalid(response, *fields: str) -> dict:
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "code", "errors"}
    assert body["code"] == "invalid"
    assert set(fields) <= set(body["errors"])
    return body


def approved_screening(case, user) -> Screening:
    return Screening.objects.create(
        case=case,
        created_by=user,
        status=Screening.Status.APPROVED,
        reviewed_at=timezone.now(),
    )


# --- start and list ---------------------------------------------------------------------------


def test_start_creates_a_draft_and_answers_201(api_for, caseworker_a, case_a):
    response = api_for(caseworker_a).post(case_screenings_url(case_a.pk))
    assert response.status_code == 201
    body = response.json()
    assert set(body) == SUMMARY_FIELDS
    screening = Screening.objects.get(pk=body["id"])
    assert (screening.case_id, screening.status, body["version"]) == (case_a.pk, "draft", 1)


def test_start_while_a_screening_is_open_is_refused(api_for, caseworker_a, case_a, screening_a):
    response = api_for(caseworker_a).post(case_screenings_url(case_a.pk))
    assert response.status_code == 400
    assert response.json()["message"] == services.OPEN_SCREENING_EXISTS_MESSAGE
    assert Screening.objects.filter(case=case_a).count() == 1


def test_list_shows_the_cases_screenings_newest_first(api_for, caseworker_a, case_a):
    earlier = approved_screening(case_a, caseworker_a)
    latest = services.screening_start(actor=caseworker_a, case_id=case_a.pk)
    response = api_for(caseworker_a).get(case_screenings_url(case_a.pk))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["id"] for row in results] == [str(latest.pk), str(earlier.pk)]
    assert set(results[0]) == SUMMARY_FIELDS


def test_list_query_count_does_not_grow_with_rows(
    api_for, caseworker_a, case_a, django_assert_max_num_queries
):
    client = api_for(caseworker_a)
    approved_screening(case_a, caseworker_a)
    with django_assert_max_num_queries(9 + SECOND_FACTOR_QUERIES):
        client.get(case_screenings_url(case_a.pk))
    for _ in range(10):
        approved_screening(case_a, caseworker_a)
    with django_assert_max_num_queries(9 + SECOND_FACTOR_QUERIES):
        response = client.get(case_screenings_url(case_a.pk))
    assert response.json()["count"] == 11


def test_list_is_paginated(api_for, caseworker_a, case_a):
    for _ in range(3):
        approved_screening(case_a, caseworker_a)
    response = api_for(caseworker_a).get(case_screenings_url(case_a.pk), {"page_size": 2})
    body = response.json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"] is not None


# --- detail -----------------------------------------------------------------------------------


def test_detail_groups_answers_by_section_with_rows_and_route(
    api_for, caseworker_a, consented_screening
):
    screening = services.screening_section_save(
        actor=caseworker_a,
        screening_id=consented_screening.pk,
        section="route",
        version=consented_screening.version,
        data={"border_crossing": "Irregular"},
        rows=[
            {"event_type": "Recruitment", "country": "NPL"},
            {"event_type": "Transit", "country": "IND"},
            {"event_type": "Exploitation", "country": "IND"},
        ],
    )
    response = api_for(caseworker_a).get(detail_url(screening.pk))
    assert response.status_code == 200
    body = response.json()
    assert list(body["sections"]) == list(SECTION_KEYS)
    assert body["sections"]["route"]["border_crossing"] == "Irregular"
    assert body["sections"]["consent"]["consent_interview"] is True
    assert [event["country"] for event in body["events"]] == ["NPL", "IND", "IND"]
    assert body["route"] == ["NPL", "IND"]
    assert body["version"] == screening.version
    assert body["form_version"] == screening.form_version


def test_detail_shows_computed_answers(api_for, caseworker_a, case_a, consented_screening):
    answers = complete_answers()
    screening = fill(
        consented_screening,
        caseworker_a,
        {"person": answers["person"], "exploitation": answers["exploitation"]},
    )
    body = api_for(caseworker_a).get(detail_url(screening.pk)).json()
    assert body["age_at_registration"] == case_a.registered_on.year - 1995
    assert body["minor_at_registration"] is False
    assert body["exploitation_months"] == screening.exploitation_months


def test_detail_read_is_audited(api_for, caseworker_a, screening_a):
    api_for(caseworker_a).get(detail_url(screening_a.pk))
    event = AuditEvent.objects.get(action=AuditAction.SCREENING_VIEWED)
    assert (event.actor, event.object_id) == (caseworker_a, str(screening_a.pk))


# --- section save -----------------------------------------------------------------------------


def test_section_save_stores_answers_and_moves_the_version(api_for, caseworker_a, screening_a):
    response = patch_section(
        api_for(caseworker_a),
        screening_a,
        "interview",
        {"interview_country": "IND", "interview_language": "hi", "interpreter_used": True},
    )
    assert response.status_code == 200
    assert response.json()["version"] == screening_a.version + 1
    screening_a.refresh_from_db()
    assert (screening_a.interview_country, screening_a.interview_language) == ("IND", "hi")
    assert screening_a.interpreter_used is True


def test_section_save_answer_carries_no_answer_text(api_for, caseworker_a, consented_screening):
    response = patch_section(
        api_for(caseworker_a),
        consented_screening,
        "exploitation",
        {"narrative": "What happened, in the person's words."},
    )
    assert response.status_code == 200
    assert set(response.json()) == SUMMARY_FIELDS


def test_route_rows_replace_the_events(api_for, caseworker_a, consented_screening):
    response = patch_section(
        api_for(caseworker_a),
        consented_screening,
        "route",
        {"transport_means": ["Land"]},
        rows=[
            {"event_type": "Recruitment", "country": "NPL", "date": "2024-01-05"},
            {"event_type": "Exploitation", "country": "IND", "locality": "Delhi"},
        ],
    )
    assert response.status_code == 200
    events = TraffickingEvent.objects.filter(screening=consented_screening)
    assert [(e.position, e.event_type, e.country) for e in events] == [
        (0, "Recruitment", "NPL"),
        (1, "Exploitation", "IND"),
    ]


def test_exploitation_rows_replace_the_perpetrators(api_for, caseworker_a, consented_screening):
    response = patch_section(
        api_for(caseworker_a),
        consented_screening,
        "exploitation",
        {"exploitation_types": ["ForcedLabour"]},
        rows=[{"roles": ["RecruiterOrIntermediary"], "gender": "Masculine", "citizenship": "IND"}],
    )
    assert response.status_code == 200
    perpetrator = Perpetrator.objects.get(screening=consented_screening)
    assert (perpetrator.roles, perpetrator.citizenship) == (["RecruiterOrIntermediary"], "IND")


def test_unknown_code_in_a_code_list_is_a_field_error(api_for, caseworker_a, consented_screening):
    response = patch_section(
        api_for(caseworker_a),
        consented_screening,
        "exploitation",
        {"means_of_control": ["DebtBondage", "Hypnosis"]},
    )
    body = assert_invalid(response, "means_of_control")
    assert body["errors"]["means_of_control"] == [str(UNKNOWN_CODE_MESSAGE)]
    consented_screening.refresh_from_db()
    assert consented_screening.means_of_control == []


@pytest.mark.parametrize(
    ("section", "answers", "field"),
    [
        ("interview", {"interview_country": "XXX"}, "interview_country"),
        ("interview", {"interview_language": "xx"}, "interview_language"),
        ("interview", {"referral_source": "Pigeon"}, "referral_source"),
        ("person", {"citizenships": ["NPL", "ZZZ"]}, "citizenships"),
        ("person", {"languages": ["klingon"]}, "languages"),
    ],
)
def test_unknown_vocabulary_codes_are_field_errors(
    api_for, caseworker_a, consented_screening, section, answers, field
):
    response = patch_section(api_for(caseworker_a), consented_screening, section, answers)
    body = assert_invalid(response, field)
    assert body["errors"][field] == [str(UNKNOWN_CODE_MESSAGE)]


@pytest.mark.parametrize(
    ("section", "answers", "field"),
    [
        ("interview", {"interview_date": "2024-13-45"}, "interview_date"),
        ("recruitment", {"recruitment_date": "last spring"}, "recruitment_date"),
        ("interview", {"interpreter_used": "perhaps"}, "interpreter_used"),
        ("person", {"birth_year": "nineteen ninety"}, "birth_year"),
        ("person", {"birth_year": 1850}, "birth_year"),
        ("person", {"number_of_children": -1}, "number_of_children"),
        ("person", {"citizenships": "NPL"}, "citizenships"),
        ("exploitation", {"narrative": ["not", "text"]}, "narrative"),
    ],
)
def test_malformed_answers_are_field_errors(
    api_for, caseworker_a, consented_screening, section, answers, field
):
    response = patch_section(api_for(caseworker_a), consented_screening, section, answers)
    assert_invalid(response, field)
    consented_screening.refresh_from_db()
    assert consented_screening.version == 2


def test_birth_year_in_the_future_is_refused(api_for, caseworker_a, consented_screening):
    next_year = timezone.localdate().year + 1
    response = patch_section(
        api_for(caseworker_a), consented_screening, "person", {"birth_year": next_year}
    )
    assert_invalid(response, "birth_year")


def test_unknown_answer_key_is_refused(api_for, caseworker_a, screening_a):
    response = patch_section(
        api_for(caseworker_a), screening_a, "interview", {"interview_country": "NPL", "name": "x"}
    )
    body = assert_invalid(response, "name")
    assert body["errors"]["name"] == [UNKNOWN_FIELD_MESSAGE]
    screening_a.refresh_from_db()
    assert screening_a.version == 1


def test_answer_of_another_section_is_refused(api_for, caseworker_a, screening_a):
    response = patch_section(
        api_for(caseworker_a), screening_a, "interview", {"gender": "Masculine"}
    )
    assert_invalid(response, "gender")


def test_rows_on_a_section_without_rows_are_refused(api_for, caseworker_a, screening_a):
    response = patch_section(
        api_for(caseworker_a), screening_a, "interview", {}, rows=[{"country": "NPL"}]
    )
    body = assert_invalid(response, "rows")
    assert body["errors"]["rows"] == [UNKNOWN_FIELD_MESSAGE]


def test_row_errors_are_keyed_by_row_and_field(api_for, caseworker_a, consented_screening):
    response = patch_section(
        api_for(caseworker_a),
        consented_screening,
        "route",
        rows=[
            {"event_type": "Recruitment", "country": "NPL"},
            {"event_type": "Transit", "country": "QQQ"},
            {"country": "IND", "date": "not a date"},
        ],
    )
    body = assert_invalid(response, "events.1.country", "events.2.event_type", "events.2.date")
    assert body["errors"]["events.1.country"] == [str(UNKNOWN_CODE_MESSAGE)]
    assert not TraffickingEvent.objects.filter(screening=consented_screening).exists()


@pytest.mark.parametrize(
    ("rows", "key"),
    [
        ([{"event_type": "Transit", "country": "NPL"}] * 51, "events"),
        ("NPL", "events"),
        ([{"event_type": "Transit", "country": "NPL"}, 7], "events.1"),
    ],
)
def test_malformed_rows_are_errors_of_the_rows(
    api_for, caseworker_a, consented_screening, rows, key
):
    response = patch_section(api_for(caseworker_a), consented_screening, "route", rows=rows)
    assert_invalid(response, key)


def test_perpetrator_role_errors_are_keyed_by_row(api_for, caseworker_a, consented_screening):
    response = patch_section(
        api_for(caseworker_a),
        consented_screening,
        "exploitation",
        rows=[{"roles": ["RecruiterOrIntermediary", "Wizard"]}],
    )
    assert_invalid(response, "perpetrators.0.roles")


def test_service_rule_errors_come_back_by_field(api_for, caseworker_a, consented_screening):
    response = patch_section(
        api_for(caseworker_a),
        consented_screening,
        "exploitation",
        {"exploitation_types": ["SexualExploitation"], "labour_industries": ["F_Construction"]},
    )
    body = assert_invalid(response, "labour_industries")
    assert body["errors"]["labour_industries"] == [services.INDUSTRY_WITHOUT_FORCED_LABOUR]


def test_date_in_the_future_is_refused_by_the_service(api_for, caseworker_a, screening_a):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = patch_section(
        api_for(caseworker_a), screening_a, "interview", {"interview_date": tomorrow.isoformat()}
    )
    body = assert_invalid(response, "interview_date")
    assert body["errors"]["interview_date"] == [services.DATE_IN_FUTURE_MESSAGE]


def test_missing_version_is_a_field_error(api_for, caseworker_a, screening_a):
    response = api_for(caseworker_a).patch(
        section_url(screening_a.pk, "interview"), {"answers": {}}, format="json"
    )
    assert_invalid(response, "version")


def test_body_that_is_not_an_object_is_refused(api_for, caseworker_a, screening_a):
    response = api_for(caseworker_a).patch(
        section_url(screening_a.pk, "interview"), [1, 2], format="json"
    )
    assert_invalid(response, "non_field_errors")


def test_body_that_is_not_json_is_refused(api_for, caseworker_a, screening_a):
    response = api_for(caseworker_a).patch(
        section_url(screening_a.pk, "interview"), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unknown_section_is_404(api_for, caseworker_a, screening_a):
    response = patch_section(api_for(caseworker_a), screening_a, "biography", {})
    assert response.status_code == 404
    assert response.json() == NOT_FOUND_BODY


def test_stale_version_is_409_and_nothing_is_written(api_for, caseworker_a, screening_a):
    client = api_for(caseworker_a)
    patch_section(client, screening_a, "interview", {"interview_country": "THA"})
    response = patch_section(client, screening_a, "interview", {"interview_country": "IND"})
    assert response.status_code == 409
    assert response.json() == {
        "message": services.STALE_MESSAGE,
        "code": "stale_version",
        "errors": {},
    }
    screening_a.refresh_from_db()
    assert screening_a.interview_country == "THA"


def test_without_consent_other_sections_are_refused(api_for, caseworker_a, screening_a):
    response = patch_section(api_for(caseworker_a), screening_a, "person", {"gender": "Masculine"})
    assert response.status_code == 400
    assert response.json()["code"] == "consent_required"
    assert response.json()["message"] == services.CONSENT_REQUIRED_MESSAGE


def test_a_submitted_screening_is_not_editable(api_for, caseworker_a, submitted_screening):
    response = patch_section(
        api_for(caseworker_a), submitted_screening, "interview", {"interview_country": "IND"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_editable"


# --- submit -----------------------------------------------------------------------------------


def test_submit_moves_the_case_to_pending_review(api_for, caseworker_a, case_a, screening_a):
    screening = fill(screening_a, caseworker_a, complete_answers())
    response = api_for(caseworker_a).post(
        submit_url(screening.pk), {"version": screening.version}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == Screening.Status.SUBMITTED
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.PENDING_REVIEW


def test_submit_with_missing_answers_lists_them_by_field(
    api_for, caseworker_a, consented_screening
):
    response = api_for(caseworker_a).post(
        submit_url(consented_screening.pk), {"version": consented_screening.version}, format="json"
    )
    body = assert_invalid(response, "trafficking_status", "reasoning_act", "exploitation_types")
    assert body["errors"]["trafficking_status"] == [services.REQUIRED_MESSAGE]
    consented_screening.refresh_from_db()
    assert consented_screening.status == Screening.Status.DRAFT


def test_submit_with_a_stale_version_is_409(api_for, caseworker_a, screening_a):
    screening = fill(screening_a, caseworker_a, complete_answers())
    response = api_for(caseworker_a).post(
        submit_url(screening.pk), {"version": screening.version - 1}, format="json"
    )
    assert response.status_code == 409
    screening.refresh_from_db()
    assert screening.status == Screening.Status.DRAFT


def test_submit_without_a_version_is_a_field_error(api_for, caseworker_a, screening_a):
    response = api_for(caseworker_a).post(submit_url(screening_a.pk), {}, format="json")
    assert_invalid(response, "version")


# --- review queue -----------------------------------------------------------------------------


def test_review_queue_lists_submitted_determinations_oldest_first(
    api_for, central_admin, caseworker_a, caseworker_b, case_b, submitted_screening
):
    later = fill(
        services.screening_start(actor=caseworker_b, case_id=case_b.pk),
        caseworker_b,
        complete_answers(),
    )
    later = services.screening_submit(
        actor=caseworker_b, screening_id=later.pk, version=later.version
    )
    response = api_for(central_admin).get(REVIEW_QUEUE_URL)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [
        str(submitted_screening.pk),
        str(later.pk),
    ]


def test_review_queue_rows_carry_no_identity(api_for, central_admin, case_a, submitted_screening):
    response = api_for(central_admin).get(REVIEW_QUEUE_URL)
    row = response.json()["results"][0]
    assert set(row) == QUEUE_FIELDS
    assert case_a.person.given_name not in response.content.decode()


def test_review_queue_filters_by_mission(api_for, central_admin, mission_b, submitted_screening):
    client = api_for(central_admin)
    assert client.get(REVIEW_QUEUE_URL, {"mission": mission_b.pk}).json()["count"] == 0
    mission_a_id = submitted_screening.case.mission_id
    assert client.get(REVIEW_QUEUE_URL, {"mission": mission_a_id}).json()["count"] == 1


def test_review_queue_bad_mission_filter_is_a_field_error(api_for, central_admin):
    response = api_for(central_admin).get(REVIEW_QUEUE_URL, {"mission": "Nepal"})
    assert_invalid(response, "mission")


def test_review_queue_query_count_does_not_grow_with_rows(
    api_for, central_admin, submitted_screening, django_assert_max_num_queries
):
    client = api_for(central_admin)
    with django_assert_max_num_queries(7 + SECOND_FACTOR_QUERIES):
        client.get(REVIEW_QUEUE_URL)
    for _ in range(5):
        mission = factories.MissionFactory()
        worker = factories.UserFactory()
        factories.MembershipFactory(user=worker, mission=mission)
        case = factories.CaseFactory(mission=mission, assigned_to=worker)
        screening = fill(
            services.screening_start(actor=worker, case_id=case.pk), worker, complete_answers()
        )
        services.screening_submit(
            actor=worker, screening_id=screening.pk, version=screening.version
        )
    with django_assert_max_num_queries(7 + SECOND_FACTOR_QUERIES):
        response = client.get(REVIEW_QUEUE_URL)
    assert response.json()["count"] == 6


@pytest.mark.parametrize("role", ["caseworker_a", "researcher"])
def test_review_queue_is_404_for_non_administrators(api_for, request, role, submitted_screening):
    response = api_for(request.getfixturevalue(role)).get(REVIEW_QUEUE_URL)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND_BODY


# --- review -----------------------------------------------------------------------------------


def test_approving_an_eligible_determination_activates_the_case(
    api_for, central_admin, case_a, submitted_screening
):
    response = api_for(central_admin).post(
        review_url(submitted_screening.pk),
        {"version": submitted_screening.version, "decision": "approve"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == Screening.Status.APPROVED
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.ACTIVE


def test_returning_sends_the_screening_back_with_the_comment(
    api_for, central_admin, case_a, submitted_screening
):
    response = api_for(central_admin).post(
        review_url(submitted_screening.pk),
        {"version": submitted_screening.version, "decision": "return", "comment": "Dates?"},
        format="json",
    )
    assert response.json()["status"] == Screening.Status.RETURNED
    submitted_screening.refresh_from_db()
    assert submitted_screening.review_comment == "Dates?"
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.SCREENING


def test_returning_without_a_comment_is_a_field_error(api_for, central_admin, submitted_screening):
    response = api_for(central_admin).post(
        review_url(submitted_screening.pk),
        {"version": submitted_screening.version, "decision": "return"},
        format="json",
    )
    body = assert_invalid(response, "comment")
    assert body["errors"]["comment"] == [services.RETURN_COMMENT_REQUIRED_MESSAGE]


def test_unknown_decision_is_a_field_error(api_for, central_admin, submitted_screening):
    response = api_for(central_admin).post(
        review_url(submitted_screening.pk),
        {"version": submitted_screening.version, "decision": "maybe"},
        format="json",
    )
    assert_invalid(response, "decision")


def test_review_with_a_stale_version_is_409(api_for, central_admin, submitted_screening):
    response = api_for(central_admin).post(
        review_url(submitted_screening.pk),
        {"version": submitted_screening.version - 1, "decision": "approve"},
        format="json",
    )
    assert response.status_code == 409
    submitted_screening.refresh_from_db()
    assert submitted_screening.status == Screening.Status.SUBMITTED


def test_an_administrator_cannot_review_their_own_determination(api_for, central_admin, case_a):
    screening = fill(
        services.screening_start(actor=central_admin, case_id=case_a.pk),
        central_admin,
        complete_answers(),
    )
    screening = services.screening_submit(
        actor=central_admin, screening_id=screening.pk, version=screening.version
    )
    response = api_for(central_admin).post(
        review_url(screening.pk),
        {"version": screening.version, "decision": "approve"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "self_review"
    assert response.json()["message"] == services.SELF_REVIEW_MESSAGE


def test_reviewing_a_draft_is_refused(api_for, central_admin, screening_a):
    response = api_for(central_admin).post(
        review_url(screening_a.pk),
        {"version": screening_a.version, "decision": "approve"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_submitted"


def test_a_caseworker_cannot_review(api_for, caseworker_a, submitted_screening):
    response = api_for(caseworker_a).post(
        review_url(submitted_screening.pk),
        {"version": submitted_screening.version, "decision": "approve"},
        format="json",
    )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND_BODY
    submitted_screening.refresh_from_db()
    assert submitted_screening.status == Screening.Status.SUBMITTED


# --- scope ------------------------------------------------------------------------------------


def screening_requests(screening) -> list[tuple[str, str, dict]]:
    """Every screening endpoint for ``screening``: (method, url, body)."""
    body = {"version": screening.version}
    return [
        ("get", case_screenings_url(screening.case_id), {}),
        ("post", case_screenings_url(screening.case_id), {}),
        ("get", detail_url(screening.pk), {}),
        ("patch", section_url(screening.pk, "interview"), {**body, "answers": {}}),
        ("post", submit_url(screening.pk), body),
        ("post", review_url(screening.pk), {**body, "decision": "approve"}),
    ]


def missing_requests() -> list[tuple[str, str, dict]]:
    body = {"version": 1}
    return [
        ("get", case_screenings_url(MISSING_ID), {}),
        ("post", case_screenings_url(MISSING_ID), {}),
        ("get", detail_url(MISSING_ID), {}),
        ("patch", section_url(MISSING_ID, "interview"), {**body, "answers": {}}),
        ("post", submit_url(MISSING_ID), body),
        ("post", review_url(MISSING_ID), {**body, "decision": "approve"}),
    ]


def call(client, method: str, url: str, body: dict):
    return getattr(client, method)(url, body, format="json")


def test_another_missions_screening_is_404_on_every_endpoint(
    api_for, caseworker_b, submitted_screening
):
    client = api_for(caseworker_b)
    for method, url, body in screening_requests(submitted_screening):
        response = call(client, method, url, body)
        assert (url, response.status_code, response.json()) == (url, 404, NOT_FOUND_BODY)
    submitted_screening.refresh_from_db()
    assert submitted_screening.status == Screening.Status.SUBMITTED


def test_a_missing_screening_gives_the_same_404(api_for, caseworker_a):
    client = api_for(caseworker_a)
    for method, url, body in missing_requests():
        response = call(client, method, url, body)
        assert (url, response.status_code, response.json()) == (url, 404, NOT_FOUND_BODY)


def test_a_malformed_id_gives_the_same_404(api_for, caseworker_a):
    response = api_for(caseworker_a).get(detail_url("not-a-uuid"))
    assert (response.status_code, response.json()) == (404, NOT_FOUND_BODY)


def test_a_researcher_gets_404_on_every_endpoint(api_for, researcher, submitted_screening):
    client = api_for(researcher)
    requests = [*screening_requests(submitted_screening), ("get", REVIEW_QUEUE_URL, {})]
    for method, url, body in requests:
        response = call(client, method, url, body)
        assert (url, response.status_code, response.json()) == (url, 404, NOT_FOUND_BODY)


def test_anonymous_requests_are_refused_on_every_endpoint(api_for, submitted_screening):
    client = api_for(None)
    requests = [*screening_requests(submitted_screening), ("get", REVIEW_QUEUE_URL, {})]
    for method, url, body in requests:
        response = call(client, method, url, body)
        assert (url, response.status_code) == (url, 403)
        assert response.json()["code"] == "not_authenticated"
    assert not AuditEvent.objects.filter(action=AuditAction.SCREENING_VIEWED).exists()


def test_a_central_admin_reads_any_missions_screening(api_for, central_admin, screening_a):
    response = api_for(central_admin).get(detail_url(screening_a.pk))
    assert response.status_code == 200


# --- the whole flow ---------------------------------------------------------------------------


def test_full_flow_through_the_api_activates_the_case(api_for, caseworker_a, central_admin, case_a):
    worker = api_for(caseworker_a)
    response = worker.post(case_screenings_url(case_a.pk))
    screening_id, version = response.json()["id"], response.json()["version"]
    answers = complete_answers()
    for section in SECTION_KEYS:
        if section not in answers:
            continue
        rows = None
        if section == "exploitation":
            rows = [
                {"roles": ["RecruiterOrIntermediary"], "gender": "Masculine", "citizenship": "NPL"}
            ]
        body = {"version": version, "answers": answers[section]}
        if rows is not None:
            body["rows"] = rows
        response = worker.patch(section_url(screening_id, section), body, format="json")
        assert (section, response.status_code) == (section, 200)
        version = response.json()["version"]
    response = worker.patch(
        section_url(screening_id, "route"),
        {
            "version": version,
            "answers": {"border_crossing": "Irregular"},
            "rows": [
                {"event_type": "Recruitment", "country": "NPL"},
                {"event_type": "Exploitation", "country": "IND"},
            ],
        },
        format="json",
    )
    version = response.json()["version"]
    response = worker.post(submit_url(screening_id), {"version": version}, format="json")
    assert response.json()["status"] == Screening.Status.SUBMITTED

    admin = api_for(central_admin)
    queue = admin.get(REVIEW_QUEUE_URL).json()["results"]
    assert [row["id"] for row in queue] == [screening_id]
    response = admin.post(
        review_url(screening_id),
        {"version": queue[0]["version"], "decision": "approve"},
        format="json",
    )
    assert response.json()["status"] == Screening.Status.APPROVED

    detail = worker.get(detail_url(screening_id)).json()
    assert detail["route"] == ["NPL", "IND"]
    assert detail["eligible"] is True
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.ACTIVE


# --- schema -----------------------------------------------------------------------------------


def test_schema_documents_every_screening_endpoint():
    expected = {
        "/api/v1/cases/{case_id}/screenings/": {"get", "post"},
        "/api/v1/screenings/{screening_id}/": {"get"},
        "/api/v1/screenings/{screening_id}/sections/{section}/": {"patch"},
        "/api/v1/screenings/{screening_id}/submit/": {"post"},
        "/api/v1/screenings/review-queue/": {"get"},
        "/api/v1/screenings/{screening_id}/review/": {"post"},
    }
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert {path: set(paths.get(path, ())) for path in expected} == expected


def test_schema_of_the_screening_endpoints_has_no_warnings():
    GENERATOR_STATS.reset()
    SchemaGenerator(urlconf="screening.api_urls").get_schema(request=None, public=True)
    assert not GENERATOR_STATS
