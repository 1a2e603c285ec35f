import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from assistance import services
from assistance.models import CaseAccessProposal, TraffickingDetailChange
from assistance.serializers import UNKNOWN_CODE_MESSAGE
from config.api.exceptions import NOT_FOUND_MESSAGE
from config.api.serializers import UNKNOWN_FIELD_MESSAGE
from tests import factories
from tests.second_factor import verified_login

pytestmark = pytest.mark.django_db

MISSING_ID = "00000000-0000-0000-0000-000000000000"
NOT_FOUND_BODY = {"message": NOT_FOUND_MESSAGE, "code": "not_found", "errors": {}}


def url(name: str, **kwargs) -> str:
    return reverse(f"assistance_api:{name}", kwargs=kwargs)


def assert_invalid(response, *fields: str) -> dict:
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "code", "errors"}
    assert set(fields) <= set(body["errors"])
    return body


@pytest.fixture
def api_for():
    def _api_for(user):
        client = APIClient()
        if user is not None:
            verified_login(client, user)
        return client

    return _api_for


@pytest.fixture
def screening(active_case_a, caseworker_a):
    screening = factories.ApprovedScreeningFactory(case=active_case_a, created_by=caseworker_a)
    factories.TraffickingEventFactory(screening=screening, position=0)
    factories.PerpetratorFactory(screening=screening, position=0)
    return screening


def body(**overrides):
    data = {
        "item": "means_of_control",
        "kind": "correction",
        "value": ["DebtBondage"],
        "reason": "Said so at the follow-up.",
    }
    data.update(overrides)
    return data


def post_change(client, case, **overrides):
    return client.post(
        url("case_trafficking_details", case_id=case.pk), body(**overrides), format="json"
    )


# Recording and listing


def test_record_a_correction(api_for, caseworker_a, screening, active_case_a):
    response = post_change(api_for(caseworker_a), active_case_a)

    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "pending"
    assert data["value"] == ["DebtBondage"]


def test_record_a_row_addition(api_for, caseworker_a, screening, active_case_a):
    response = post_change(
        api_for(caseworker_a),
        active_case_a,
        item="events",
        kind="addition",
        value={"event_type": "Transit", "country": "IND", "locality": "Gorakhpur"},
    )

    assert response.status_code == 201
    assert response.json()["value_text"] == "Gorakhpur"


def test_list_changes_of_a_case(api_for, caseworker_a, screening, active_case_a):
    factories.TraffickingDetailChangeFactory.create_batch(3, case=active_case_a)

    response = api_for(caseworker_a).get(url("case_trafficking_details", case_id=active_case_a.pk))

    assert response.status_code == 200
    assert response.json()["count"] == 3


def test_list_costs_a_fixed_number_of_queries(api_for, caseworker_a, active_case_a):
    client = api_for(caseworker_a)
    target = url("case_trafficking_details", case_id=active_case_a.pk)
    factories.TraffickingDetailChangeFactory(case=active_case_a)
    with CaptureQueriesContext(connection) as few:
        client.get(target)
    factories.TraffickingDetailChangeFactory.create_batch(5, case=active_case_a)
    with CaptureQueriesContext(connection) as many:
        client.get(target)
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"item": "nope"}, "item"),
        ({"item": "narrative"}, "item"),
        ({"kind": "rewrite"}, "kind"),
        ({"value": ["NotACode"]}, "value"),
        ({"value": {"a": 1}}, "value"),
        ({"reason": ""}, "reason"),
        ({"row_position": -1}, "row_position"),
        ({"interview": "not-a-uuid"}, "interview"),
        (
            {
                "item": "events",
                "row_position": 5,
                "value": {"event_type": "Transit", "country": "IND"},
            },
            "row_position",
        ),
        (
            {
                "item": "events",
                "kind": "addition",
                "value": {"event_type": "Transit", "country": "XX%"},
            },
            "value.country",
        ),
        ({"value": ["PhysicalThreats"]}, "value"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_400_and_saves_nothing(
    api_for, caseworker_a, screening, active_case_a, overrides, field
):
    response = post_change(api_for(caseworker_a), active_case_a, **overrides)

    assert_invalid(response, field)
    assert not TraffickingDetailChange.objects.exists()


def test_missing_reason_is_400(api_for, caseworker_a, screening, active_case_a):
    data = body()
    del data["reason"]

    response = api_for(caseworker_a).post(
        url("case_trafficking_details", case_id=active_case_a.pk), data, format="json"
    )
    assert_invalid(response, "reason")


def test_unknown_item_message_does_not_echo_the_code(api_for, caseworker_a, active_case_a):
    response = post_change(api_for(caseworker_a), active_case_a, item="<script>")

    assert assert_invalid(response, "item")["errors"]["item"] == [str(UNKNOWN_CODE_MESSAGE)]


def test_unknown_field_is_refused(api_for, caseworker_a, active_case_a):
    response = post_change(api_for(caseworker_a), active_case_a, status="accepted")

    assert assert_invalid(response, "status")["errors"]["status"] == [str(UNKNOWN_FIELD_MESSAGE)]


@pytest.mark.parametrize("role", ["other", "researcher"])
def test_out_of_scope_is_the_missing_case_404(
    api_for, caseworker_b, researcher, active_case_a, role
):
    client = api_for({"other": caseworker_b, "researcher": researcher}[role])

    for name in ("case_trafficking_details", "case_trafficking_profile"):
        response = client.get(url(name, case_id=active_case_a.pk))
        missing = client.get(url(name, case_id=MISSING_ID))
        assert response.status_code == 404
        assert response.json() == missing.json() == NOT_FOUND_BODY
    assert post_change(client, active_case_a).json() == NOT_FOUND_BODY


# Review


def test_central_admin_reviews(api_for, central_admin, active_case_a):
    change = factories.TraffickingDetailChangeFactory(case=active_case_a)

    response = api_for(central_admin).post(
        url("trafficking_detail_review", change_id=change.pk),
        {"version": 1, "decision": "accept"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"


def test_caseworker_cannot_review_and_gets_404(api_for, caseworker_a, active_case_a):
    change = factories.TraffickingDetailChangeFactory(case=active_case_a)

    response = api_for(caseworker_a).post(
        url("trafficking_detail_review", change_id=change.pk),
        {"version": 1, "decision": "accept"},
        format="json",
    )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND_BODY


def test_self_review_is_refused(api_for, central_admin, active_case_a):
    change = factories.TraffickingDetailChangeFactory(case=active_case_a, created_by=central_admin)

    response = api_for(central_admin).post(
        url("trafficking_detail_review", change_id=change.pk),
        {"version": 1, "decision": "accept"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "self_review"


def test_stale_and_duplicate_review(api_for, central_admin, active_case_a):
    change = factories.TraffickingDetailChangeFactory(case=active_case_a)
    client = api_for(central_admin)
    target = url("trafficking_detail_review", change_id=change.pk)
    client.post(target, {"version": 1, "decision": "reject"}, format="json")

    stale = client.post(target, {"version": 1, "decision": "accept"}, format="json")
    duplicate = client.post(target, {"version": 2, "decision": "accept"}, format="json")

    assert stale.status_code == 409
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == "already_reviewed"
    assert TraffickingDetailChange.objects.get(pk=change.pk).status == "rejected"


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"version": 1, "decision": "maybe"}, "decision"), ({"decision": "accept"}, "version")],
)
def test_review_bad_input(api_for, central_admin, active_case_a, payload, field):
    change = factories.TraffickingDetailChangeFactory(case=active_case_a)

    response = api_for(central_admin).post(
        url("trafficking_detail_review", change_id=change.pk), payload, format="json"
    )
    assert_invalid(response, field)


def test_review_of_a_missing_change_is_404(api_for, central_admin):
    response = api_for(central_admin).post(
        url("trafficking_detail_review", change_id=MISSING_ID),
        {"version": 1, "decision": "accept"},
        format="json",
    )
    assert response.json() == NOT_FOUND_BODY


# Current profile


def test_profile_shows_current_values_and_provenance(
    api_for, caseworker_a, central_admin, screening, active_case_a
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
    pending = factories.TraffickingDetailChangeFactory(
        case=active_case_a, item="abducted", kind="addition", value=True
    )

    data = (
        api_for(caseworker_a).get(url("case_trafficking_profile", case_id=active_case_a.pk)).json()
    )

    items = {entry["item"]: entry for entry in data["items"]}
    assert data["screening"] == str(screening.pk)
    assert items["means_of_control"]["value"] == ["DebtBondage"]
    assert items["means_of_control"]["provenance"]["source"] == "change"
    assert items["means_of_control"]["provenance"]["reviewer_id"] == central_admin.pk
    assert items["recruitment_country"]["provenance"]["source"] == "screening"
    assert items["abducted"]["value"] is None
    assert [p["id"] for p in data["pending"]] == [str(pending.pk)]
    assert items["events"]["rows"][0]["value"]["country"] == "NPL"


# Sharing proposals


@pytest.fixture
def proposal(case_a, caseworker_a, mission_b):
    return services.case_access_propose(
        actor=caseworker_a, case_id=case_a.pk, mission=mission_b, reason="return_arrived"
    )


def test_propose(api_for, caseworker_a, case_a, mission_b):
    response = api_for(caseworker_a).post(
        url("case_access_proposals", case_id=case_a.pk),
        {"mission": mission_b.pk, "reason": "return_arrived"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"mission": 2**31 - 1, "reason": "return_arrived"}, "mission"),
        ({"mission": "x", "reason": "return_arrived"}, "mission"),
        ({"reason": "because"}, "reason"),
    ],
)
def test_propose_bad_input(api_for, caseworker_a, case_a, mission_b, payload, field):
    payload.setdefault("mission", mission_b.pk)

    response = api_for(caseworker_a).post(
        url("case_access_proposals", case_id=case_a.pk), payload, format="json"
    )
    assert_invalid(response, field)
    assert not CaseAccessProposal.objects.exists()


def test_duplicate_proposal_is_400(api_for, caseworker_a, case_a, mission_b, proposal):
    response = api_for(caseworker_a).post(
        url("case_access_proposals", case_id=case_a.pk),
        {"mission": mission_b.pk, "reason": "joint_assistance"},
        format="json",
    )
    assert assert_invalid(response, "mission")["errors"]["mission"] == [
        services.PROPOSAL_PENDING_MESSAGE
    ]


def test_receiving_caseworker_sees_only_non_identifying_facts(
    api_for, caseworker_b, case_a, proposal
):
    data = api_for(caseworker_b).get(url("access_proposals_awaiting")).json()

    assert data["count"] == 1
    row = data["results"][0]
    assert set(row) == {
        "id",
        "version",
        "case_reference",
        "mission",
        "proposing_mission",
        "reason",
        "proposed_at",
    }
    assert row["case_reference"] == case_a.reference
    assert case_a.person.given_name not in str(data)
    # ... and the case itself stays out of reach until approval.
    assert api_for(caseworker_b).get(url("case_access_proposals", case_id=case_a.pk)).json() == (
        NOT_FOUND_BODY
    )


def test_awaiting_list_costs_a_fixed_number_of_queries(
    api_for, caseworker_b, caseworker_a, mission_a, mission_b
):
    client = api_for(caseworker_b)

    def add():
        factories.CaseAccessProposalFactory(
            case=factories.CaseFactory(mission=mission_a),
            mission=mission_b,
            proposed_by=caseworker_a,
        )

    add()
    with CaptureQueriesContext(connection) as few:
        client.get(url("access_proposals_awaiting"))
    for _ in range(4):
        add()
    with CaptureQueriesContext(connection) as many:
        client.get(url("access_proposals_awaiting"))
    assert len(many) == len(few)


def test_approve_then_the_case_is_reachable(api_for, caseworker_b, case_a, proposal):
    client = api_for(caseworker_b)

    response = client.post(
        url("access_proposal_decide", proposal_id=proposal.pk),
        {"version": 1, "decision": "approve"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert client.get(url("case_access_proposals", case_id=case_a.pk)).status_code == 200


def test_self_approval_is_refused(api_for, case_a, mission_a, mission_b):
    dual = factories.UserFactory()
    factories.MembershipFactory(user=dual, mission=mission_a)
    factories.MembershipFactory(user=dual, mission=mission_b)
    proposal = services.case_access_propose(
        actor=dual, case_id=case_a.pk, mission=mission_b, reason="return_arrived"
    )

    response = api_for(dual).post(
        url("access_proposal_decide", proposal_id=proposal.pk),
        {"version": 1, "decision": "approve"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "self_decision"


def test_decide_bad_input_and_stale(api_for, caseworker_b, proposal):
    client = api_for(caseworker_b)
    target = url("access_proposal_decide", proposal_id=proposal.pk)

    assert_invalid(
        client.post(target, {"version": 1, "decision": "yes"}, format="json"), "decision"
    )
    assert (
        client.post(target, {"version": 9, "decision": "approve"}, format="json").status_code == 409
    )
    assert CaseAccessProposal.objects.get(pk=proposal.pk).status == "pending"


def test_decide_is_404_for_a_third_mission_like_a_missing_one(api_for, proposal):
    client = api_for(factories.CaseworkerFactory())
    payload = {"version": 1, "decision": "approve"}

    response = client.post(
        url("access_proposal_decide", proposal_id=proposal.pk), payload, format="json"
    )
    missing = client.post(
        url("access_proposal_decide", proposal_id=2**31 - 1), payload, format="json"
    )
    malformed = client.post(
        url("access_proposal_decide", proposal_id="abc"), payload, format="json"
    )
    assert response.status_code == 404
    assert response.json() == missing.json() == malformed.json() == NOT_FOUND_BODY


def test_withdraw(api_for, caseworker_a, caseworker_b, proposal):
    refused = api_for(caseworker_b).post(
        url("access_proposal_withdraw", proposal_id=proposal.pk), {"version": 1}, format="json"
    )
    response = api_for(caseworker_a).post(
        url("access_proposal_withdraw", proposal_id=proposal.pk), {"version": 1}, format="json"
    )
    again = api_for(caseworker_a).post(
        url("access_proposal_withdraw", proposal_id=proposal.pk), {"version": 2}, format="json"
    )

    assert refused.status_code == 400
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert again.json()["code"] == "not_pending"


def test_researcher_gets_404_on_the_awaiting_list(api_for, researcher):
    assert api_for(researcher).get(url("access_proposals_awaiting")).status_code == 404


def test_duplicate_change_is_400(api_for, caseworker_a, screening, active_case_a):
    client = api_for(caseworker_a)
    post_change(client, active_case_a)

    response = post_change(client, active_case_a)

    assert response.status_code == 400
    assert response.json()["code"] == "duplicate"
    assert TraffickingDetailChange.objects.count() == 1


def test_central_admin_revokes_a_share(api_for, central_admin, caseworker_b, case_a, mission_b):
    access = factories.CaseMissionAccessFactory(case=case_a, mission=mission_b)
    target = url("case_access_revoke", access_id=access.pk)

    refused = api_for(caseworker_b).post(target, format="json")
    response = api_for(central_admin).post(target, format="json")
    again = api_for(central_admin).post(target, format="json")

    assert refused.json() == NOT_FOUND_BODY
    assert response.status_code == 200
    assert response.json()["revoked_by"] == central_admin.pk
    assert again.json()["code"] == "already_revoked"
    assert (
        api_for(caseworker_b).get(url("case_access_proposals", case_id=case_a.pk)).status_code
        == 404
    )


# "²" and "١" pass str.isdigit(); "²" then failed int() with a 500.
@pytest.mark.parametrize("access_id", ["abc", "2147483647", "²", "١", "99999999999999999999"])
def test_revoking_a_missing_share_is_404(api_for, central_admin, access_id):
    response = api_for(central_admin).post(url("case_access_revoke", access_id=access_id))

    assert response.json() == NOT_FOUND_BODY
