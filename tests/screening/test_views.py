import datetime

import pytest
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from cases.models import AuditAction, AuditEvent
from cases.vocabularies import CaseStatus
from screening import services, views
from screening.models import Perpetrator, Screening, TraffickingEvent
from screening.selectors import screening_case_panel
from tests import factories
from tests.screening.conftest import complete_answers, fill
from tests.second_factor import SECOND_FACTOR_QUERIES, verified_login

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def section_url(screening, section):
    return reverse("screening:section", kwargs={"screening_id": screening.pk, "section": section})


def screening_url(name, screening):
    return reverse(f"screening:{name}", kwargs={"screening_id": screening.pk})


def encode(value):
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def payload(screening, data, *, action="save", rows=None, kind=None, initial_rows=0):
    body = {"version": screening.version, "action": action}
    body.update({name: encode(value) for name, value in data.items()})
    if kind is not None:
        rows = rows or []
        body.update(
            {
                f"{kind}-TOTAL_FORMS": len(rows),
                f"{kind}-INITIAL_FORMS": initial_rows,
                f"{kind}-MIN_NUM_FORMS": 0,
                f"{kind}-MAX_NUM_FORMS": 30,
            }
        )
        for index, row in enumerate(rows):
            body.update({f"{kind}-{index}-{k}": encode(v) for k, v in row.items()})
    return body


@pytest.fixture
def consented(screening_a, caseworker_a):
    return services.screening_section_save(
        actor=caseworker_a,
        screening_id=screening_a.pk,
        section="consent",
        version=screening_a.version,
        data=complete_answers()["consent"],
    )


@pytest.fixture
def returned_screening(submitted_screening, central_admin):
    return services.determination_review(
        actor=central_admin,
        screening_id=submitted_screening.pk,
        version=submitted_screening.version,
        approve=False,
        comment="Check the exit date.",
    )


def login_url_for(url):
    return f"{reverse('accounts:login')}?{REDIRECT_FIELD_NAME}={url}"


# Access: every screening URL, every role.


@pytest.mark.parametrize("name", ["detail", "submit"])
def test_caseworker_of_the_mission_opens_screening_pages(
    name, client_for, caseworker_a, screening_a
):
    response = client_for(caseworker_a).get(screening_url(name, screening_a))
    assert response.status_code == 200


def test_caseworker_of_the_mission_opens_a_section(client_for, caseworker_a, screening_a):
    response = client_for(caseworker_a).get(section_url(screening_a, "interview"))
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["detail", "submit", "review"])
@pytest.mark.parametrize("user", ["caseworker_b", "researcher"])
def test_out_of_scope_users_get_404(name, user, request, client_for, submitted_screening):
    response = client_for(request.getfixturevalue(user)).get(
        screening_url(name, submitted_screening)
    )
    assert response.status_code == 404


@pytest.mark.parametrize("user", ["caseworker_b", "researcher"])
def test_out_of_scope_users_get_404_for_a_section(user, request, client_for, screening_a):
    response = client_for(request.getfixturevalue(user)).get(section_url(screening_a, "exit"))
    assert response.status_code == 404


def test_missing_screening_gives_the_same_404(client_for, caseworker_a):
    url = reverse(
        "screening:detail", kwargs={"screening_id": "00000000-0000-0000-0000-000000000000"}
    )
    assert client_for(caseworker_a).get(url).status_code == 404


def test_unknown_section_gives_404(client_for, caseworker_a, screening_a):
    response = client_for(caseworker_a).get(section_url(screening_a, "passport-numbers"))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["detail", "submit", "review"])
def test_anonymous_is_sent_to_sign_in(name, client_for, screening_a):
    url = screening_url(name, screening_a)
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response["Location"] == login_url_for(url)


def test_anonymous_is_sent_to_sign_in_from_a_section_and_the_queue(client_for, screening_a):
    for url in (section_url(screening_a, "interview"), reverse("screening:review_queue")):
        response = client_for(None).get(url)
        assert response["Location"] == login_url_for(url)


@pytest.mark.parametrize("user", ["caseworker_a", "researcher"])
def test_review_pages_are_404_for_everyone_but_central_administrators(
    user, request, client_for, submitted_screening
):
    client = client_for(request.getfixturevalue(user))
    assert client.get(reverse("screening:review_queue")).status_code == 404
    assert client.get(screening_url("review", submitted_screening)).status_code == 404


def test_central_administrator_opens_the_review_pages(
    client_for, central_admin, submitted_screening
):
    client = client_for(central_admin)
    assert client.get(reverse("screening:review_queue")).status_code == 200
    assert client.get(screening_url("review", submitted_screening)).status_code == 200


def test_post_without_csrf_token_is_refused(caseworker_a, screening_a):
    client = Client(enforce_csrf_checks=True)
    verified_login(client, caseworker_a)
    response = client.post(
        section_url(screening_a, "interview"), payload(screening_a, {"interview_country": "IND"})
    )
    assert response.status_code == 403
    screening_a.refresh_from_db()
    assert screening_a.interview_country == "NPL"


# Start.


def test_start_creates_a_screening_and_opens_its_first_section(client_for, caseworker_a, case_a):
    response = client_for(caseworker_a).post(reverse("screening:start", args=[case_a.pk]))
    screening = Screening.objects.get(case=case_a)
    assert response.status_code == 302
    assert response["Location"] == section_url(screening, "interview")


def test_researcher_cannot_start_a_screening(client_for, researcher, case_a):
    response = client_for(researcher).post(reverse("screening:start", args=[case_a.pk]))
    assert response.status_code == 404
    assert not Screening.objects.exists()


def test_start_is_post_only(client_for, caseworker_a, case_a):
    response = client_for(caseworker_a).get(reverse("screening:start", args=[case_a.pk]))
    assert response.status_code == 405
    assert not Screening.objects.exists()


def test_start_for_another_missions_case_is_404(client_for, caseworker_b, case_a):
    response = client_for(caseworker_b).post(reverse("screening:start", args=[case_a.pk]))
    assert response.status_code == 404
    assert not Screening.objects.exists()


def test_second_start_is_refused_with_a_message(client_for, caseworker_a, case_a, screening_a):
    response = client_for(caseworker_a).post(
        reverse("screening:start", args=[case_a.pk]), follow=False
    )
    assert response["Location"] == case_a.get_absolute_url()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [services.OPEN_SCREENING_EXISTS_MESSAGE]
    assert case_a.screenings.count() == 1


# Sections.


def test_save_draft_stores_the_answers_and_stays_on_the_section(
    client_for, caseworker_a, screening_a
):
    url = section_url(screening_a, "interview")
    data = {"interview_country": "IND", "interview_language": "hi", "interpreter_used": True}
    response = client_for(caseworker_a).post(url, payload(screening_a, data))
    assert response.status_code == 302
    assert response["Location"] == url
    screening_a.refresh_from_db()
    assert (screening_a.interview_country, screening_a.interview_language) == ("IND", "hi")
    assert screening_a.interpreter_used is True


def test_save_and_continue_goes_to_the_next_section(client_for, caseworker_a, screening_a):
    response = client_for(caseworker_a).post(
        section_url(screening_a, "interview"),
        payload(screening_a, {"interview_country": "IND"}, action=views.CONTINUE),
    )
    assert response["Location"] == section_url(screening_a, "consent")


def test_continue_from_the_last_section_goes_to_submit(client_for, caseworker_a, consented):
    response = client_for(caseworker_a).post(
        section_url(consented, "determination"),
        payload(
            consented, {"trafficking_status": "PossibleVictimOfTrafficking"}, action="continue"
        ),
    )
    assert response["Location"] == screening_url("submit", consented)


def test_htmx_save_returns_the_section_fragment(client_for, caseworker_a, screening_a):
    response = client_for(caseworker_a).post(
        section_url(screening_a, "interview"),
        payload(screening_a, {"interview_country": "IND"}),
        **HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="section-panel"')
    assert "<html" not in content
    assert str(views.DRAFT_SAVED_MESSAGE) in content
    assert response.context["form"].initial["version"] == screening_a.version + 1


def test_htmx_continue_returns_the_next_section_and_pushes_its_url(
    client_for, caseworker_a, screening_a
):
    response = client_for(caseworker_a).post(
        section_url(screening_a, "interview"),
        payload(screening_a, {"interview_country": "IND"}, action="continue"),
        **HTMX,
    )
    assert response["HX-Push-Url"] == section_url(screening_a, "consent")
    assert 'name="consent_interview"' in response.content.decode()


def test_htmx_continue_from_the_last_section_redirects_to_submit(
    client_for, caseworker_a, consented
):
    response = client_for(caseworker_a).post(
        section_url(consented, "determination"),
        payload(consented, {}, action=views.CONTINUE),
        **HTMX,
    )
    assert response["HX-Redirect"] == screening_url("submit", consented)


def test_get_with_htmx_returns_the_fragment_and_varies_on_the_header(
    client_for, caseworker_a, screening_a
):
    response = client_for(caseworker_a).get(section_url(screening_a, "interview"), **HTMX)
    assert "<html" not in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_unknown_code_is_shown_as_an_error_and_nothing_is_saved(
    client_for, caseworker_a, consented
):
    response = client_for(caseworker_a).post(
        section_url(consented, "exploitation"),
        payload(
            consented,
            {"means_of_control": ["Hypnosis"], "exploitation_types": ["Other"]},
            kind="perpetrators",
        ),
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("means_of_control")
    consented.refresh_from_db()
    assert consented.means_of_control == []
    assert consented.exploitation_types == []


def test_typed_values_are_kept_when_the_form_is_refused(client_for, caseworker_a, consented):
    response = client_for(caseworker_a).post(
        section_url(consented, "exit"),
        payload(consented, {"exit_mode": "Escaped", "exit_date": "not a date"}),
    )
    assert response.context["form"].has_error("exit_date")
    assert 'value="Escaped" selected' in response.content.decode()


def test_service_refusal_is_shown_next_to_the_field(client_for, caseworker_a, consented):
    response = client_for(caseworker_a).post(
        section_url(consented, "exploitation"),
        payload(
            consented,
            {"exploitation_types": ["SexualExploitation"], "labour_industries": ["F_Construction"]},
            kind="perpetrators",
        ),
    )
    assert response.context["form"].errors["labour_industries"] == [
        services.INDUSTRY_WITHOUT_FORCED_LABOUR
    ]
    consented.refresh_from_db()
    assert consented.exploitation_types == []


def test_stale_version_is_shown_and_nothing_is_overwritten(client_for, caseworker_a, screening_a):
    stale = payload(screening_a, {"interview_country": "IND"})
    services.screening_section_save(
        actor=caseworker_a,
        screening_id=screening_a.pk,
        section="interview",
        version=screening_a.version,
        data={"interview_country": "THA"},
    )
    response = client_for(caseworker_a).post(section_url(screening_a, "interview"), stale)
    assert response.status_code == 200
    assert services.STALE_MESSAGE in response.context["form"].non_field_errors()
    screening_a.refresh_from_db()
    assert screening_a.interview_country == "THA"


def test_without_consent_later_sections_show_the_consent_message(
    client_for, caseworker_a, screening_a
):
    response = client_for(caseworker_a).get(section_url(screening_a, "person"))
    assert services.CONSENT_REQUIRED_MESSAGE in response.content.decode()


def test_without_consent_a_later_section_is_refused_and_nothing_saved(
    client_for, caseworker_a, screening_a
):
    response = client_for(caseworker_a).post(
        section_url(screening_a, "person"), payload(screening_a, {"gender": "Masculine"})
    )
    assert services.CONSENT_REQUIRED_MESSAGE in response.context["form"].non_field_errors()
    screening_a.refresh_from_db()
    assert screening_a.gender == "Feminine"


def test_route_rows_are_saved_in_order(client_for, caseworker_a, consented):
    rows = [
        {"event_type": "Recruitment", "country": "NPL", "locality": "Village"},
        {"event_type": "Transit", "country": "IND", "date": "2025-01-02"},
        {"event_type": "Exploitation", "country": "ARE"},
        {},
    ]
    client_for(caseworker_a).post(
        section_url(consented, "route"),
        payload(consented, {"border_crossing": "Irregular"}, rows=rows, kind="events"),
    )
    events = TraffickingEvent.objects.filter(screening=consented).order_by("position")
    assert [(e.event_type, e.country) for e in events] == [
        ("Recruitment", "NPL"),
        ("Transit", "IND"),
        ("Exploitation", "ARE"),
    ]


def test_a_route_row_ticked_for_deletion_is_removed(client_for, caseworker_a, consented):
    services.screening_section_save(
        actor=caseworker_a,
        screening_id=consented.pk,
        section="route",
        version=consented.version,
        data={},
        rows=[
            {"event_type": "Transit", "country": "IND"},
            {"event_type": "Transit", "country": "PAK"},
        ],
    )
    consented.refresh_from_db()
    rows = [
        {"event_type": "Transit", "country": "IND", "DELETE": "on"},
        {"event_type": "Transit", "country": "PAK"},
    ]
    client_for(caseworker_a).post(
        section_url(consented, "route"),
        payload(consented, {}, rows=rows, kind="events", initial_rows=2),
    )
    assert list(TraffickingEvent.objects.values_list("country", flat=True)) == ["PAK"]


def test_a_route_row_with_an_unknown_country_is_refused(client_for, caseworker_a, consented):
    rows = [{"event_type": "Transit", "country": "XXX"}]
    response = client_for(caseworker_a).post(
        section_url(consented, "route"), payload(consented, {}, rows=rows, kind="events")
    )
    assert response.status_code == 200
    assert response.context["formset"].forms[0].has_error("country")
    assert not TraffickingEvent.objects.exists()


def test_perpetrator_rows_are_saved(client_for, caseworker_a, consented):
    rows = [
        {
            "roles": ["RecruiterOrIntermediary", "Exploiter"],
            "gender": "Masculine",
            "citizenship": "IND",
            "relation": "Friend",
        }
    ]
    client_for(caseworker_a).post(
        section_url(consented, "exploitation"),
        payload(
            consented, {"exploitation_types": ["ForcedLabour"]}, rows=rows, kind="perpetrators"
        ),
    )
    perpetrator = Perpetrator.objects.get(screening=consented)
    assert perpetrator.roles == ["RecruiterOrIntermediary", "Exploiter"]
    assert perpetrator.citizenship == "IND"


def test_section_page_shows_every_section_in_the_navigation(client_for, caseworker_a, consented):
    response = client_for(caseworker_a).get(section_url(consented, "person"))
    states = {item["key"]: item["state"] for item in response.context["nav"]}
    assert list(states) == list(services.SECTIONS)
    assert states["consent"] == "complete"
    assert states["determination"] == "not_started"


def test_answers_copied_in_at_the_start_leave_their_sections_not_started(
    client_for, caseworker_a, screening_a
):
    assert screening_a.interview_country and screening_a.interview_date

    response = client_for(caseworker_a).get(section_url(screening_a, "interview"))

    states = {item["key"]: item["state"] for item in response.context["nav"]}
    assert set(states.values()) == {"not_started"}


def test_a_section_saved_by_the_caseworker_is_complete_with_the_copied_answers(
    client_for, caseworker_a, screening_a
):
    answers = complete_answers()
    screening = fill(screening_a, caseworker_a, {k: answers[k] for k in ("interview", "consent")})
    screening = services.screening_section_save(
        actor=caseworker_a,
        screening_id=screening.pk,
        section="person",
        version=screening.version,
        data={
            "gender": screening.gender or "Feminine",
            "birth_year": screening.birth_year or 1995,
            "citizenships": screening.citizenships or ["NPL"],
        },
    )

    response = client_for(caseworker_a).get(section_url(screening, "recruitment"))

    states = {item["key"]: item["state"] for item in response.context["nav"]}
    assert states["interview"] == states["consent"] == states["person"] == "complete"
    assert states["recruitment"] == "not_started"


def test_a_submitted_screening_cannot_be_saved_through_the_page(
    client_for, caseworker_a, submitted_screening
):
    response = client_for(caseworker_a).post(
        section_url(submitted_screening, "exit"),
        payload(submitted_screening, {"exit_mode": "Released"}),
    )
    assert services.NOT_EDITABLE_MESSAGE in response.context["form"].non_field_errors()
    submitted_screening.refresh_from_db()
    assert submitted_screening.exit_mode == "Escaped"


def test_a_submitted_screening_shows_its_sections_read_only(
    client_for, caseworker_a, submitted_screening
):
    response = client_for(caseworker_a).get(section_url(submitted_screening, "exit"))
    assert response.context["editable"] is False
    assert services.NOT_EDITABLE_MESSAGE in response.content.decode()


# Detail.


def test_detail_shows_labels_and_the_route_in_order(client_for, caseworker_a, consented):
    screening = services.screening_section_save(
        actor=caseworker_a,
        screening_id=consented.pk,
        section="route",
        version=consented.version,
        data={"border_crossing": "Irregular"},
        rows=[
            {"event_type": "Recruitment", "country": "NPL"},
            {"event_type": "Transit", "country": "IND"},
            {"event_type": "Exploitation", "country": "ARE"},
        ],
    )
    response = client_for(caseworker_a).get(screening_url("detail", screening))
    assert response.context["route"] == [
        ("NPL", "Nepal"),
        ("IND", "India"),
        ("ARE", "United Arab Emirates"),
    ]
    assert "Irregular" in response.content.decode()


def test_opening_the_detail_is_audited(client_for, caseworker_a, screening_a):
    client_for(caseworker_a).get(screening_url("detail", screening_a))
    event = AuditEvent.objects.get(action=AuditAction.SCREENING_VIEWED)
    assert (event.actor, event.object_id) == (caseworker_a, str(screening_a.pk))


def test_detail_shows_the_review_comment_of_a_returned_screening(
    client_for, caseworker_a, returned_screening
):
    response = client_for(caseworker_a).get(screening_url("detail", returned_screening))
    assert "Check the exit date." in response.content.decode()


# Submit.


def test_submit_page_lists_what_is_missing_by_section(client_for, caseworker_a, consented):
    response = client_for(caseworker_a).get(screening_url("submit", consented))
    groups = {group["key"]: group for group in response.context["missing"]}
    assert "determination" in groups
    links = [item["url"] for item in groups["determination"]["items"]]
    assert f"{section_url(consented, 'determination')}#field-trafficking_status" in links


def test_submitting_an_incomplete_screening_shows_the_list_and_keeps_the_draft(
    client_for, caseworker_a, consented
):
    response = client_for(caseworker_a).post(
        screening_url("submit", consented), {"version": consented.version}
    )
    assert response.status_code == 200
    assert response.context["missing"]
    consented.refresh_from_db()
    assert consented.status == Screening.Status.DRAFT


def test_submitting_a_complete_screening_goes_to_the_case(
    client_for, caseworker_a, screening_a, case_a
):
    screening = fill(screening_a, caseworker_a, complete_answers())
    response = client_for(caseworker_a).post(
        screening_url("submit", screening), {"version": screening.version}
    )
    assert response["Location"] == case_a.get_absolute_url()
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.PENDING_REVIEW


def _section_headings(response) -> list[str]:
    return [block["key"] for block in response.context["sections"]]


def test_the_submit_page_reads_back_every_answer_before_it_is_sent(
    client_for, caseworker_a, screening_a
):
    screening = fill(screening_a, caseworker_a, complete_answers())

    response = client_for(caseworker_a).get(screening_url("submit", screening))

    assert _section_headings(response) == list(services.SECTIONS)
    page = response.content.decode()
    assert "Recruited and transported." in page
    assert 'id="answers-determination"' in page and 'id="answers-interview"' in page


def test_the_reviewer_sees_every_section_not_only_exploitation_and_determination(
    client_for, central_admin, submitted_screening
):
    response = client_for(central_admin).get(screening_url("review", submitted_screening))

    assert _section_headings(response) == list(services.SECTIONS)
    page = response.content.decode()
    for key in services.SECTIONS:
        assert f'id="answers-{key}"' in page


def test_submitting_with_a_stale_version_is_refused(client_for, caseworker_a, screening_a):
    screening = fill(screening_a, caseworker_a, complete_answers())
    response = client_for(caseworker_a).post(
        screening_url("submit", screening), {"version": screening.version - 1}
    )
    assert response.context["refusal"] == services.STALE_MESSAGE
    screening.refresh_from_db()
    assert screening.status == Screening.Status.DRAFT


# Review queue and review.


def _submitted(count, mission):
    worker = factories.UserFactory()
    factories.MembershipFactory(user=worker, mission=mission)
    for _ in range(count):
        case = factories.CaseFactory(mission=mission, assigned_to=worker)
        screening = services.screening_start(actor=worker, case_id=case.pk)
        screening = fill(screening, worker, complete_answers())
        services.screening_submit(
            actor=worker, screening_id=screening.pk, version=screening.version
        )


@pytest.mark.parametrize("count", [2, 20])
def test_review_queue_costs_the_same_queries_for_2_and_20_rows(
    count, client_for, central_admin, mission_a, django_assert_max_num_queries
):
    _submitted(count, mission_a)
    client = client_for(central_admin)
    with django_assert_max_num_queries(9 + SECOND_FACTOR_QUERIES):
        response = client.get(reverse("screening:review_queue"))
    assert len(response.context["page_obj"].object_list) == count


def test_review_queue_shows_no_names(client_for, central_admin, submitted_screening, case_a):
    response = client_for(central_admin).get(reverse("screening:review_queue"))
    content = response.content.decode()
    assert case_a.reference in content
    assert case_a.person.given_name not in content
    assert case_a.person.family_name not in content


def test_review_queue_filters_by_mission(client_for, central_admin, submitted_screening, mission_b):
    _submitted(1, mission_b)
    response = client_for(central_admin).get(
        reverse("screening:review_queue"), {"mission": mission_b.pk}
    )
    rows = response.context["page_obj"].object_list
    assert [s.case.mission_id for s in rows] == [mission_b.pk]


def test_review_queue_with_an_unknown_mission_shows_an_error_and_no_rows(
    client_for, central_admin, submitted_screening
):
    response = client_for(central_admin).get(reverse("screening:review_queue"), {"mission": "x"})
    assert response.context["form"].has_error("mission")
    assert list(response.context["page_obj"].object_list) == []


def test_approving_makes_the_case_active(client_for, central_admin, submitted_screening, case_a):
    response = client_for(central_admin).post(
        screening_url("review", submitted_screening),
        {"decision": "approve", "version": submitted_screening.version},
    )
    assert response["Location"] == reverse("screening:review_queue")
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.ACTIVE


def test_returning_without_a_comment_is_refused(client_for, central_admin, submitted_screening):
    response = client_for(central_admin).post(
        screening_url("review", submitted_screening),
        {"decision": "return", "comment": " ", "version": submitted_screening.version},
    )
    assert response.context["form"].errors["comment"] == [services.RETURN_COMMENT_REQUIRED_MESSAGE]
    submitted_screening.refresh_from_db()
    assert submitted_screening.status == Screening.Status.SUBMITTED


def test_returning_with_a_comment_sends_it_back(client_for, central_admin, submitted_screening):
    client_for(central_admin).post(
        screening_url("review", submitted_screening),
        {"decision": "return", "comment": "Dates?", "version": submitted_screening.version},
    )
    submitted_screening.refresh_from_db()
    assert submitted_screening.status == Screening.Status.RETURNED
    assert submitted_screening.review_comment == "Dates?"


def test_review_without_a_decision_is_refused(client_for, central_admin, submitted_screening):
    response = client_for(central_admin).post(
        screening_url("review", submitted_screening), {"version": submitted_screening.version}
    )
    assert response.context["form"].has_error("decision")


def test_self_review_is_refused_with_a_message(client_for, case_a, mission_a):
    both = factories.CentralAdminFactory()
    factories.MembershipFactory(user=both, mission=mission_a)
    screening = services.screening_start(actor=both, case_id=case_a.pk)
    screening = fill(screening, both, complete_answers())
    screening = services.screening_submit(
        actor=both, screening_id=screening.pk, version=screening.version
    )
    response = client_for(both).post(
        screening_url("review", screening), {"decision": "approve", "version": screening.version}
    )
    assert services.SELF_REVIEW_MESSAGE in response.content.decode()
    screening.refresh_from_db()
    assert screening.status == Screening.Status.SUBMITTED


# The case page's panel.


def test_case_panel_shows_the_current_screening_and_its_route(
    submitted_screening, central_admin, caseworker_a, case_a
):
    services.determination_review(
        actor=central_admin,
        screening_id=submitted_screening.pk,
        version=submitted_screening.version,
        approve=True,
    )
    case_a.refresh_from_db()
    panel = screening_case_panel(case=case_a, user=caseworker_a)
    assert panel["current"] == submitted_screening
    assert panel["exploitation_types"] == ["Forced labour"]
    assert panel["can_start"] is True


def test_case_panel_offers_no_start_while_a_screening_is_open(screening_a, caseworker_a, case_a):
    panel = screening_case_panel(case=case_a, user=caseworker_a)
    assert panel["open_screenings"] == [screening_a]
    assert panel["can_start"] is False


def test_case_panel_costs_one_query(
    submitted_screening, caseworker_a, case_a, django_assert_num_queries
):
    with django_assert_num_queries(1):
        screening_case_panel(case=case_a, user=caseworker_a)


def test_case_summary_include_renders_the_start_button(caseworker_a, case_a):
    request = RequestFactory().get("/")
    request.user = caseworker_a
    panel = screening_case_panel(case=case_a, user=caseworker_a)
    html = render_to_string(
        "screening/_case_summary.html", {"case": case_a, "panel": panel}, request=request
    )
    assert reverse("screening:start", args=[case_a.pk]) in html


def test_case_summary_include_shows_the_route_of_the_current_screening(
    submitted_screening, central_admin, caseworker_a, case_a
):
    screening = Screening.objects.get(pk=submitted_screening.pk)
    TraffickingEvent.objects.bulk_create(
        [
            TraffickingEvent(
                screening=screening, position=0, event_type="Recruitment", country="NPL"
            ),
            TraffickingEvent(
                screening=screening, position=1, event_type="Exploitation", country="IND"
            ),
        ]
    )
    services.determination_review(
        actor=central_admin, screening_id=screening.pk, version=screening.version, approve=True
    )
    request = RequestFactory().get("/")
    request.user = caseworker_a
    panel = screening_case_panel(case=case_a, user=caseworker_a)
    html = render_to_string(
        "screening/_case_summary.html", {"case": case_a, "panel": panel}, request=request
    )
    assert html.index("Nepal") < html.index("India")
    assert "Forced labour" in html


@pytest.mark.django_db
def test_case_page_shows_the_current_screening_and_route(
    case_a, caseworker_a, central_admin, client
):
    from screening.services import (
        determination_review,
        screening_section_save,
        screening_start,
        screening_submit,
    )
    from tests.screening.conftest import complete_answers, fill

    screening = fill(
        screening_start(actor=caseworker_a, case_id=case_a.pk), caseworker_a, complete_answers()
    )
    screening = screening_section_save(
        actor=caseworker_a,
        screening_id=screening.pk,
        section="route",
        version=screening.version,
        data={},
        rows=[
            {"event_type": "Recruitment", "country": "NPL"},
            {"event_type": "Exploitation", "country": "IND"},
        ],
    )
    screening = screening_submit(
        actor=caseworker_a, screening_id=screening.pk, version=screening.version
    )
    determination_review(
        actor=central_admin, screening_id=screening.pk, version=screening.version, approve=True
    )
    verified_login(client, caseworker_a)
    body = client.get(f"/cases/{case_a.pk}/").content.decode()
    assert "Actual victim of trafficking" in body
    assert body.index("Nepal") < body.index("India")
