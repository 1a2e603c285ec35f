import uuid

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from assistance import services
from assistance.models import CaseAccessProposal, TraffickingDetailChange
from assistance.profile_views import (
    APPROVED_MESSAGE,
    CHANGE_RECORDED_MESSAGE,
    PROPOSED_MESSAGE,
)
from cases.case_page import case_sections_read
from cases.models import CaseMissionAccess
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def screening(active_case_a, caseworker_a):
    screening = factories.ApprovedScreeningFactory(case=active_case_a, created_by=caseworker_a)
    factories.TraffickingEventFactory(screening=screening, position=0)
    return screening


# Each panel's template, the name it reads its data under, and its case-page section.
PANELS = {
    "assistance/_trafficking_profile.html": ("profile", "trafficking_profile"),
    "assistance/_sharing.html": ("sharing", "sharing"),
}


def render_panel(template_name, case, user):
    """The panel as the case page renders it: its section read by ``case_sections_read``."""
    request = RequestFactory().get("/")
    request.user = user
    name, section = PANELS[template_name]
    panel = case_sections_read(case=case, user=user)[section]
    template = Template('{% include "' + template_name + '" %}')
    return template.render(Context({"case": case, "request": request, name: panel}))


# The case page panels


def test_profile_panel_shows_where_each_answer_came_from(
    client_for, caseworker_a, central_admin, screening, active_case_a
):
    change = services.trafficking_detail_record(
        actor=caseworker_a,
        case_id=active_case_a.pk,
        item="means_of_control",
        kind="correction",
        value=["DebtBondage"],
        reason="Said so.",
    )
    services.trafficking_detail_review(
        actor=central_admin, change_id=change.pk, version=1, accept=True
    )
    factories.TraffickingDetailChangeFactory(
        case=active_case_a, item="abducted", kind="addition", value=True
    )

    html = render_panel("assistance/_trafficking_profile.html", active_case_a, caseworker_a)

    assert "Debt bondage" in html
    assert str(central_admin) in html
    assert "Screening of" in html
    assert "Pending" in html
    assert reverse("assistance:profile_change_new", kwargs={"case_id": active_case_a.pk}) in html


def test_profile_panel_costs_a_fixed_number_of_queries(
    caseworker_a, screening, active_case_a, django_assert_max_num_queries
):
    factories.TraffickingDetailChangeFactory(case=active_case_a)
    render_panel("assistance/_trafficking_profile.html", active_case_a, caseworker_a)
    with django_assert_max_num_queries(4) as few:
        render_panel("assistance/_trafficking_profile.html", active_case_a, caseworker_a)
    factories.TraffickingDetailChangeFactory.create_batch(5, case=active_case_a)
    factories.TraffickingDetailChangeFactory.create_batch(
        3, case=active_case_a, status="accepted", reviewed_at="2026-01-01T00:00Z"
    )
    factories.PerpetratorFactory.create_batch(3, screening=screening)
    with django_assert_max_num_queries(4) as many:
        render_panel("assistance/_trafficking_profile.html", active_case_a, caseworker_a)
    assert len(many) == len(few)


def test_sharing_panel_costs_a_fixed_number_of_queries(
    caseworker_a, case_a, django_assert_max_num_queries
):
    factories.CaseAccessProposalFactory(case=case_a, proposed_by=caseworker_a)
    render_panel("assistance/_sharing.html", case_a, caseworker_a)
    with django_assert_max_num_queries(6) as few:
        render_panel("assistance/_sharing.html", case_a, caseworker_a)
    factories.CaseAccessProposalFactory.create_batch(4, case=case_a, proposed_by=caseworker_a)
    factories.CaseMissionAccessFactory.create_batch(3, case=case_a)
    with django_assert_max_num_queries(6) as many:
        render_panel("assistance/_sharing.html", case_a, caseworker_a)
    assert len(many) == len(few)


def test_sharing_panel_offers_the_direct_grant_to_central_admins_only(
    caseworker_a, central_admin, case_a
):
    grant_url = reverse("assistance:sharing_grant", kwargs={"case_id": case_a.pk})

    assert grant_url in render_panel("assistance/_sharing.html", case_a, central_admin)
    caseworker_html = render_panel("assistance/_sharing.html", case_a, caseworker_a)
    assert grant_url not in caseworker_html
    assert reverse("assistance:sharing_propose", kwargs={"case_id": case_a.pk}) in caseworker_html


def test_sharing_panel_offers_nothing_new_on_a_closed_case(caseworker_a, central_admin, mission_a):
    closed = factories.ClosedCaseFactory(mission=mission_a, assigned_to=caseworker_a)
    propose_url = reverse("assistance:sharing_propose", kwargs={"case_id": closed.pk})
    grant_url = reverse("assistance:sharing_grant", kwargs={"case_id": closed.pk})

    assert propose_url not in render_panel("assistance/_sharing.html", closed, caseworker_a)
    assert grant_url not in render_panel("assistance/_sharing.html", closed, central_admin)


def test_case_page_renders_both_panels(client_for, caseworker_a, screening, active_case_a):
    response = client_for(caseworker_a).get(active_case_a.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="trafficking-profile"' in html
    assert 'id="sharing"' in html


# Recording a change


def new_url(case):
    return reverse("assistance:profile_change_new", kwargs={"case_id": case.pk})


def test_item_chooser_then_item_form(client_for, caseworker_a, screening, active_case_a):
    client = client_for(caseworker_a)

    chooser = client.get(new_url(active_case_a))
    form = client.get(new_url(active_case_a), {"item": "means_of_control"})

    assert chooser.status_code == 200
    assert 'name="item"' in chooser.content.decode()
    assert form.status_code == 200
    assert 'name="reason"' in form.content.decode()


def test_unknown_item_shows_the_chooser_with_an_error(
    client_for, caseworker_a, screening, active_case_a
):
    response = client_for(caseworker_a).get(new_url(active_case_a), {"item": "narrative"})

    assert response.status_code == 200
    assert response.context["form"].errors["item"]


def test_record_a_correction(client_for, caseworker_a, screening, active_case_a):
    response = client_for(caseworker_a).post(
        new_url(active_case_a),
        {
            "item": "means_of_control",
            "kind": "correction",
            "value": ["DebtBondage"],
            "reason": "Told at the follow-up.",
        },
        follow=True,
    )

    assert str(CHANGE_RECORDED_MESSAGE) in response.content.decode()
    change = TraffickingDetailChange.objects.get()
    assert change.value == ["DebtBondage"]


def test_record_a_row_correction(client_for, caseworker_a, screening, active_case_a):
    response = client_for(caseworker_a).post(
        new_url(active_case_a),
        {
            "item": "events",
            "kind": "correction",
            "row_position": "0",
            "event_type": "Recruitment",
            "country": "IND",
            "locality": "Gorakhpur",
            "reason": "Told at the follow-up.",
        },
    )

    assert response.status_code == 302
    change = TraffickingDetailChange.objects.get()
    assert (change.row_position, change.value["country"], change.value_text) == (
        0,
        "IND",
        "Gorakhpur",
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"item": "means_of_control", "kind": "correction", "value": ["DebtBondage"]}, "reason"),
        (
            {"item": "means_of_control", "kind": "correction", "value": ["Nope"], "reason": "x"},
            "value",
        ),
        ({"item": "means_of_control", "kind": "maybe", "value": [], "reason": "x"}, "kind"),
        (
            {
                "item": "means_of_control",
                "kind": "correction",
                "value": ["PhysicalThreats"],
                "reason": "x",
            },
            "value",
        ),
        (
            {
                "item": "events",
                "kind": "correction",
                "row_position": "9",
                "event_type": "Transit",
                "country": "IND",
                "reason": "x",
            },
            "row_position",
        ),
        (
            {
                "item": "events",
                "kind": "correction",
                "event_type": "Transit",
                "country": "IND",
                "reason": "x",
            },
            "row_position",
        ),
        (
            {
                "item": "events",
                "kind": "addition",
                "event_type": "Transit",
                "country": "ZZZ",
                "reason": "x",
            },
            "country",
        ),
        ({"item": "abducted", "kind": "addition", "value": "", "reason": "x"}, "value"),
    ],
)
def test_bad_input_shows_field_errors_and_saves_nothing(
    client_for, caseworker_a, screening, active_case_a, data, field
):
    response = client_for(caseworker_a).post(new_url(active_case_a), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not TraffickingDetailChange.objects.exists()


def test_inactive_case_refusal_is_shown(client_for, caseworker_a, case_a):
    response = client_for(caseworker_a).post(
        new_url(case_a),
        {"item": "abducted", "kind": "addition", "value": "True", "reason": "x"},
    )

    assert response.status_code == 200
    assert services.CASE_NOT_ACTIVE_MESSAGE in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_out_of_scope_is_the_missing_case_404(client_for, caseworker_b, active_case_a, method):
    client = client_for(caseworker_b)
    missing = new_url(type("Missing", (), {"pk": uuid.UUID(int=0)}))

    response = getattr(client, method)(new_url(active_case_a))
    assert response.status_code == 404
    assert response.content == getattr(client, method)(missing).content


def test_changes_page_lists_with_reasons(client_for, caseworker_a, active_case_a):
    factories.TraffickingDetailChangeFactory.create_batch(2, case=active_case_a)

    response = client_for(caseworker_a).get(
        reverse("assistance:profile_changes", kwargs={"case_id": active_case_a.pk})
    )

    assert response.status_code == 200
    assert response.content.decode().count("Told at the follow-up interview.") == 2


def test_changes_page_costs_a_fixed_number_of_queries(
    client_for, caseworker_a, central_admin, active_case_a, django_assert_max_num_queries
):
    client = client_for(caseworker_a)
    target = reverse("assistance:profile_changes", kwargs={"case_id": active_case_a.pk})
    factories.TraffickingDetailChangeFactory(case=active_case_a)
    client.get(target)
    with django_assert_max_num_queries(20) as few:
        client.get(target)
    factories.TraffickingDetailChangeFactory.create_batch(
        4,
        case=active_case_a,
        status="accepted",
        reviewed_at="2026-01-01T00:00Z",
        reviewed_by=central_admin,
    )
    with django_assert_max_num_queries(20) as many:
        client.get(target)
    assert len(many) == len(few)


def test_unknown_item_posted_is_refused_on_the_item_field(client_for, caseworker_a, active_case_a):
    response = client_for(caseworker_a).post(
        new_url(active_case_a), {"item": "not_an_item", "kind": "addition", "reason": "x"}
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"item"}
    assert "not_an_item" in response.context["form"]["item"].value()
    assert not TraffickingDetailChange.objects.exists()


# Review


def test_review_queue_and_accept(client_for, central_admin, screening, active_case_a):
    change = factories.TraffickingDetailChangeFactory(case=active_case_a)
    client = client_for(central_admin)

    queue = client.get(reverse("assistance:profile_review_queue"))
    review_url = reverse("assistance:profile_change_review", kwargs={"change_id": change.pk})
    page = client.get(review_url)
    response = client.post(review_url, {"decision": "accept", "version": 1, "comment": ""})

    assert review_url in queue.content.decode()
    assert page.status_code == 200
    assert response.status_code == 302
    assert TraffickingDetailChange.objects.get(pk=change.pk).status == "accepted"


def test_review_queue_costs_a_fixed_number_of_queries(
    client_for, central_admin, active_case_a, django_assert_max_num_queries
):
    client = client_for(central_admin)
    factories.TraffickingDetailChangeFactory(case=active_case_a)
    client.get(reverse("assistance:profile_review_queue"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("assistance:profile_review_queue"))
    factories.TraffickingDetailChangeFactory.create_batch(5)
    with django_assert_max_num_queries(20) as many:
        client.get(reverse("assistance:profile_review_queue"))
    assert len(many) == len(few)


def test_self_review_is_not_offered(client_for, central_admin, screening, active_case_a):
    change = factories.TraffickingDetailChangeFactory(case=active_case_a, created_by=central_admin)
    review_url = reverse("assistance:profile_change_review", kwargs={"change_id": change.pk})
    client = client_for(central_admin)

    page = client.get(review_url)
    refused = client.post(review_url, {"decision": "accept", "version": 1})

    assert services.SELF_REVIEW_MESSAGE in page.content.decode()
    assert 'name="decision"' not in page.content.decode()
    assert services.SELF_REVIEW_MESSAGE in refused.content.decode()
    assert TraffickingDetailChange.objects.get(pk=change.pk).status == "pending"


@pytest.mark.parametrize(
    "data",
    [
        {"decision": "maybe", "version": 1},
        {"decision": "accept"},
        {"decision": "accept", "version": 9},
    ],
)
def test_review_bad_input(client_for, central_admin, active_case_a, data):
    change = factories.TraffickingDetailChangeFactory(case=active_case_a)

    response = client_for(central_admin).post(
        reverse("assistance:profile_change_review", kwargs={"change_id": change.pk}), data
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert TraffickingDetailChange.objects.get(pk=change.pk).status == "pending"


# Sharing


def test_propose_from_the_case_page(client_for, caseworker_a, case_a, mission_b):
    response = client_for(caseworker_a).post(
        reverse("assistance:sharing_propose", kwargs={"case_id": case_a.pk}),
        {"share-mission": mission_b.pk, "share-reason": "return_arrived"},
        follow=True,
    )

    assert str(PROPOSED_MESSAGE) in response.content.decode()
    assert CaseAccessProposal.objects.get().mission == mission_b


@pytest.mark.parametrize(
    "data",
    [
        {"share-reason": "return_arrived"},
        {"share-mission": "own", "share-reason": "return_arrived"},
        {"share-mission": "b", "share-reason": "because"},
    ],
)
def test_propose_bad_input(client_for, caseworker_a, case_a, mission_a, mission_b, data):
    ids = {"own": mission_a.pk, "b": mission_b.pk}
    if "share-mission" in data:
        data["share-mission"] = ids[data["share-mission"]]

    response = client_for(caseworker_a).post(
        reverse("assistance:sharing_propose", kwargs={"case_id": case_a.pk}), data
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not CaseAccessProposal.objects.exists()


@pytest.fixture
def proposal(case_a, caseworker_a, mission_b):
    return services.case_access_propose(
        actor=caseworker_a, case_id=case_a.pk, mission=mission_b, reason="return_arrived"
    )


def test_awaiting_page_shows_only_non_identifying_facts(client_for, caseworker_b, case_a, proposal):
    response = client_for(caseworker_b).get(reverse("assistance:sharing_awaiting"))
    decide = client_for(caseworker_b).get(
        reverse("assistance:sharing_decide", kwargs={"proposal_id": proposal.pk})
    )

    html = response.content.decode() + decide.content.decode()
    assert case_a.reference in html
    assert case_a.person.given_name not in html
    assert case_a.person.family_name not in html


def test_awaiting_page_costs_a_fixed_number_of_queries(
    client_for, caseworker_a, caseworker_b, mission_a, mission_b, django_assert_max_num_queries
):
    client = client_for(caseworker_b)

    def add():
        factories.CaseAccessProposalFactory(
            case=factories.CaseFactory(mission=mission_a),
            mission=mission_b,
            proposed_by=caseworker_a,
        )

    add()
    client.get(reverse("assistance:sharing_awaiting"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("assistance:sharing_awaiting"))
    for _ in range(5):
        add()
    with django_assert_max_num_queries(20) as many:
        client.get(reverse("assistance:sharing_awaiting"))
    assert len(many) == len(few)


def test_approve_opens_the_case(client_for, caseworker_b, case_a, proposal):
    client = client_for(caseworker_b)
    assert client.get(case_a.get_absolute_url()).status_code == 404

    response = client.post(
        reverse("assistance:sharing_decide", kwargs={"proposal_id": proposal.pk}),
        {"decision": "approve", "version": 1},
        follow=True,
    )

    assert str(APPROVED_MESSAGE) in response.content.decode()
    assert client.get(case_a.get_absolute_url()).status_code == 200


def test_dual_member_refusal_is_shown(client_for, case_a, mission_a, mission_b, proposal):
    dual = factories.UserFactory()
    factories.MembershipFactory(user=dual, mission=mission_a)
    factories.MembershipFactory(user=dual, mission=mission_b)

    response = client_for(dual).post(
        reverse("assistance:sharing_decide", kwargs={"proposal_id": proposal.pk}),
        {"decision": "approve", "version": 1},
    )

    assert response.status_code == 200
    assert services.DUAL_MEMBERSHIP_MESSAGE in response.content.decode()
    assert not CaseMissionAccess.objects.exists()


@pytest.mark.parametrize("data", [{"decision": "yes", "version": 1}, {"decision": "approve"}])
def test_decide_bad_input(client_for, caseworker_b, proposal, data):
    response = client_for(caseworker_b).post(
        reverse("assistance:sharing_decide", kwargs={"proposal_id": proposal.pk}), data
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert CaseAccessProposal.objects.get(pk=proposal.pk).status == "pending"


def test_decide_for_a_stranger_is_the_missing_404(client_for, proposal):
    client = client_for(factories.CaseworkerFactory())

    response = client.get(reverse("assistance:sharing_decide", kwargs={"proposal_id": proposal.pk}))
    missing = client.get(reverse("assistance:sharing_decide", kwargs={"proposal_id": 2**31 - 1}))
    assert response.status_code == 404
    assert response.content == missing.content


def test_withdraw_confirmation_then_withdraw(client_for, caseworker_a, proposal):
    client = client_for(caseworker_a)
    target = reverse("assistance:sharing_withdraw", kwargs={"proposal_id": proposal.pk})

    assert client.get(target).status_code == 200
    response = client.post(target, {"version": 1})

    assert response.status_code == 302
    assert CaseAccessProposal.objects.get(pk=proposal.pk).status == "withdrawn"


def test_admin_grant_and_revoke(client_for, central_admin, case_a, mission_b):
    client = client_for(central_admin)

    granted = client.post(
        reverse("assistance:sharing_grant", kwargs={"case_id": case_a.pk}),
        {"grant-mission": mission_b.pk, "grant-reason": "joint_assistance"},
    )
    access = CaseMissionAccess.objects.get()
    confirm = client.get(reverse("assistance:sharing_revoke", kwargs={"access_id": access.pk}))
    revoked = client.post(reverse("assistance:sharing_revoke", kwargs={"access_id": access.pk}))

    assert granted.status_code == 302
    assert confirm.status_code == 200
    assert revoked.status_code == 302
    assert CaseMissionAccess.objects.get().revoked_at is not None


def test_grant_bad_input(client_for, central_admin, case_a):
    response = client_for(central_admin).post(
        reverse("assistance:sharing_grant", kwargs={"case_id": case_a.pk}),
        {"grant-mission": "x", "grant-reason": ""},
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"mission", "reason"}
    assert not CaseMissionAccess.objects.exists()


def test_change_learned_in_an_interview(client_for, caseworker_a, screening, active_case_a):
    interview = factories.AssistanceInterviewFactory(case=active_case_a, created_by=caseworker_a)
    client = client_for(caseworker_a)

    page = client.get(new_url(active_case_a), {"item": "abducted", "interview": interview.pk})
    client.post(
        new_url(active_case_a),
        {
            "item": "abducted",
            "kind": "addition",
            "value": "True",
            "reason": "Said at the interview.",
            "interview": str(interview.pk),
        },
    )

    assert page.context["form"]["interview"].value() == str(interview.pk)
    assert TraffickingDetailChange.objects.get().interview == interview
