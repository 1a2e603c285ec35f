import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from assistance import services
from assistance.models import CaseAccessProposal
from assistance.selectors import access_proposal_by_id, proposals_awaiting_decision
from cases.models import AuditAction, AuditEvent, Case, CaseAccessReason, CaseMissionAccess
from cases.selectors import access_case_by_id
from config.errors import ApplicationError, StaleVersionError
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague_b(mission_b):
    user = factories.UserFactory(email="cw.b2@harbour.test")
    factories.MembershipFactory(user=user, mission=mission_b)
    return user


@pytest.fixture
def dual(mission_a, mission_b):
    user = factories.UserFactory(email="dual@harbour.test")
    factories.MembershipFactory(user=user, mission=mission_a)
    factories.MembershipFactory(user=user, mission=mission_b)
    return user


def propose(actor, case, mission, reason=CaseAccessReason.RETURN_ARRIVED):
    return services.case_access_propose(
        actor=actor, case_id=case.pk, mission=mission, reason=reason
    )


def sees(user, case):
    return Case.objects.visible_to(user).filter(pk=case.pk).exists()


def test_no_access_before_approval_and_access_after(case_a, caseworker_a, caseworker_b, mission_b):
    proposal = propose(caseworker_a, case_a, mission_b)
    assert not sees(caseworker_b, case_a)
    with pytest.raises(Http404):
        access_case_by_id(user=caseworker_b, case_id=case_a.pk)

    decided = services.case_access_proposal_decide(
        actor=caseworker_b, proposal_id=proposal.pk, version=1, approve=True
    )

    assert decided.status == CaseAccessProposal.Status.APPROVED
    assert decided.access.granted_by == caseworker_b
    assert decided.access.mission == mission_b
    assert sees(caseworker_b, case_a)


def test_receiving_mission_sees_the_pending_proposal_not_the_case(
    case_a, caseworker_a, caseworker_b, mission_b
):
    proposal = propose(caseworker_a, case_a, mission_b)

    awaiting = list(proposals_awaiting_decision(user=caseworker_b))
    assert [p.pk for p in awaiting] == [proposal.pk]
    assert access_proposal_by_id(user=caseworker_b, proposal_id=proposal.pk) == proposal
    assert list(proposals_awaiting_decision(user=caseworker_a)) == []


def test_third_mission_cannot_reach_the_proposal(case_a, caseworker_a, mission_b):
    proposal = propose(caseworker_a, case_a, mission_b)
    stranger = factories.CaseworkerFactory()

    with pytest.raises(Http404):
        access_proposal_by_id(user=stranger, proposal_id=proposal.pk)
    assert list(proposals_awaiting_decision(user=stranger)) == []


@pytest.mark.parametrize("approve", [True, False])
def test_proposer_cannot_decide_their_own_proposal(case_a, mission_a, mission_b, approve):
    # A caseworker of both missions proposes: deciding is still refused as self-decision.
    user = factories.UserFactory()
    factories.MembershipFactory(user=user, mission=mission_a)
    factories.MembershipFactory(user=user, mission=mission_b)
    proposal = propose(user, case_a, mission_b)

    with pytest.raises(ApplicationError) as exc:
        services.case_access_proposal_decide(
            actor=user, proposal_id=proposal.pk, version=1, approve=approve
        )
    assert exc.value.message == services.SELF_DECISION_MESSAGE
    assert not CaseMissionAccess.objects.exists()


def test_caseworker_of_both_missions_cannot_approve_alone(case_a, caseworker_a, mission_b, dual):
    proposal = propose(caseworker_a, case_a, mission_b)

    with pytest.raises(ApplicationError) as exc:
        services.case_access_proposal_decide(
            actor=dual, proposal_id=proposal.pk, version=1, approve=True
        )
    assert exc.value.message == services.DUAL_MEMBERSHIP_MESSAGE
    assert CaseAccessProposal.objects.get(pk=proposal.pk).status == "pending"
    assert not CaseMissionAccess.objects.exists()


def test_proposing_side_cannot_approve(case_a, caseworker_a, mission_a, mission_b):
    proposal = propose(caseworker_a, case_a, mission_b)
    colleague = factories.UserFactory()
    factories.MembershipFactory(user=colleague, mission=mission_a)

    with pytest.raises(ApplicationError) as exc:
        services.case_access_proposal_decide(
            actor=colleague, proposal_id=proposal.pk, version=1, approve=True
        )
    assert exc.value.message == services.DECIDER_NOT_OF_RECEIVING_MESSAGE


def test_central_admin_cannot_decide_for_a_mission(case_a, caseworker_a, mission_b, central_admin):
    proposal = propose(caseworker_a, case_a, mission_b)

    with pytest.raises(ApplicationError) as exc:
        services.case_access_proposal_decide(
            actor=central_admin, proposal_id=proposal.pk, version=1, approve=True
        )
    assert exc.value.message == services.DECIDER_NOT_OF_RECEIVING_MESSAGE


def test_declined_gives_no_access(case_a, caseworker_a, caseworker_b, mission_b):
    proposal = propose(caseworker_a, case_a, mission_b)

    services.case_access_proposal_decide(
        actor=caseworker_b, proposal_id=proposal.pk, version=1, approve=False
    )

    assert CaseAccessProposal.objects.get(pk=proposal.pk).status == "declined"
    assert not sees(caseworker_b, case_a)
    assert not CaseMissionAccess.objects.exists()


def test_withdrawn_gives_no_access_and_cannot_be_approved(
    case_a, caseworker_a, caseworker_b, mission_b
):
    proposal = propose(caseworker_a, case_a, mission_b)
    services.case_access_proposal_withdraw(actor=caseworker_a, proposal_id=proposal.pk, version=1)

    with pytest.raises(ApplicationError) as exc:
        services.case_access_proposal_decide(
            actor=caseworker_b, proposal_id=proposal.pk, version=2, approve=True
        )
    assert exc.value.message == services.PROPOSAL_NOT_PENDING_MESSAGE
    assert not sees(caseworker_b, case_a)


def test_another_caseworker_of_the_proposing_mission_may_withdraw(
    case_a, caseworker_a, mission_a, mission_b
):
    proposal = propose(caseworker_a, case_a, mission_b)
    colleague = factories.UserFactory()
    factories.MembershipFactory(user=colleague, mission=mission_a)

    withdrawn = services.case_access_proposal_withdraw(
        actor=colleague, proposal_id=proposal.pk, version=1
    )
    assert withdrawn.withdrawn_by == colleague


def test_receiving_side_cannot_withdraw(case_a, caseworker_a, caseworker_b, mission_b):
    proposal = propose(caseworker_a, case_a, mission_b)

    with pytest.raises(ApplicationError) as exc:
        services.case_access_proposal_withdraw(
            actor=caseworker_b, proposal_id=proposal.pk, version=1
        )
    assert exc.value.message == services.WITHDRAWER_NOT_PROPOSING_MESSAGE


def test_one_pending_proposal_per_case_and_mission(case_a, caseworker_a, mission_b):
    propose(caseworker_a, case_a, mission_b)

    with pytest.raises(ValidationError) as exc:
        propose(caseworker_a, case_a, mission_b, reason=CaseAccessReason.JOINT_ASSISTANCE)
    assert exc.value.message_dict["mission"] == [services.PROPOSAL_PENDING_MESSAGE]


def test_a_new_proposal_after_a_decline(case_a, caseworker_a, caseworker_b, mission_b):
    first = propose(caseworker_a, case_a, mission_b)
    services.case_access_proposal_decide(
        actor=caseworker_b, proposal_id=first.pk, version=1, approve=False
    )

    assert propose(caseworker_a, case_a, mission_b).status == "pending"


@pytest.mark.parametrize(
    ("mission_key", "reason", "field", "message"),
    [
        ("own", CaseAccessReason.RETURN_ARRIVED, "mission", services.ACCESS_OWN_MISSION_MESSAGE),
        ("inactive", CaseAccessReason.RETURN_ARRIVED, "mission", services.INACTIVE_MISSION_MESSAGE),
        ("shared", CaseAccessReason.RETURN_ARRIVED, "mission", services.ACCESS_EXISTS_MESSAGE),
        ("other", "because", "reason", services.REASON_REQUIRED_MESSAGE),
    ],
)
def test_bad_proposals_are_refused(
    case_a, caseworker_a, mission_a, mission_b, mission_key, reason, field, message
):
    mission = {
        "own": mission_a,
        "inactive": factories.MissionFactory(is_active=False),
        "shared": factories.CaseMissionAccessFactory(case=case_a).mission,
        "other": mission_b,
    }[mission_key]

    with pytest.raises(ValidationError) as exc:
        propose(caseworker_a, case_a, mission, reason=reason)
    assert exc.value.message_dict[field] == [message]
    assert not CaseAccessProposal.objects.exists()


def test_only_the_case_mission_may_propose(case_a, caseworker_a, caseworker_b, mission_b):
    third = factories.MissionFactory()
    factories.CaseMissionAccessFactory(case=case_a, mission=mission_b)

    with pytest.raises(ApplicationError) as exc:
        propose(caseworker_b, case_a, third)
    assert exc.value.message == services.PROPOSER_NOT_OF_CASE_MISSION_MESSAGE


def test_out_of_scope_proposer_gets_the_missing_404(case_a, caseworker_b, mission_b):
    with pytest.raises(Http404):
        propose(caseworker_b, case_a, factories.MissionFactory())


def test_stale_decision_is_refused(case_a, caseworker_a, caseworker_b, colleague_b, mission_b):
    proposal = propose(caseworker_a, case_a, mission_b)
    services.case_access_proposal_decide(
        actor=caseworker_b, proposal_id=proposal.pk, version=1, approve=False
    )

    with pytest.raises(StaleVersionError):
        services.case_access_proposal_decide(
            actor=colleague_b, proposal_id=proposal.pk, version=1, approve=True
        )


def test_approval_refused_when_already_shared(
    case_a, caseworker_a, caseworker_b, mission_b, central_admin
):
    proposal = propose(caseworker_a, case_a, mission_b)
    services.case_access_grant(
        actor=central_admin,
        case_id=case_a.pk,
        mission=mission_b,
        reason=CaseAccessReason.JOINT_ASSISTANCE,
    )

    with pytest.raises(ApplicationError) as exc:
        services.case_access_proposal_decide(
            actor=caseworker_b, proposal_id=proposal.pk, version=1, approve=True
        )
    assert exc.value.message == services.ACCESS_EXISTS_MESSAGE
    assert CaseMissionAccess.objects.count() == 1


def test_revoking_an_approved_share_ends_access(
    case_a, caseworker_a, caseworker_b, mission_b, central_admin
):
    proposal = propose(caseworker_a, case_a, mission_b)
    proposal = services.case_access_proposal_decide(
        actor=caseworker_b, proposal_id=proposal.pk, version=1, approve=True
    )

    services.case_access_revoke(actor=central_admin, access_id=proposal.access_id)

    assert not sees(caseworker_b, case_a)


def test_everything_is_audited_with_ids_and_codes(case_a, caseworker_a, caseworker_b, mission_b):
    proposal = propose(caseworker_a, case_a, mission_b)
    services.case_access_proposal_decide(
        actor=caseworker_b, proposal_id=proposal.pk, version=1, approve=True
    )
    second = propose(caseworker_a, case_a, factories.MissionFactory())
    services.case_access_proposal_withdraw(actor=caseworker_a, proposal_id=second.pk, version=1)

    actions = list(
        AuditEvent.objects.filter(case=case_a).order_by("id").values_list("action", "detail")
    )
    assert [a for a, _d in actions] == [
        AuditAction.CASE_ACCESS_PROPOSED,
        AuditAction.CASE_ACCESS_PROPOSAL_DECIDED,
        AuditAction.CASE_ACCESS_GRANTED,
        AuditAction.CASE_ACCESS_PROPOSED,
        AuditAction.CASE_ACCESS_PROPOSAL_WITHDRAWN,
    ]
    assert actions[0][1] == {"mission_id": mission_b.pk, "reason": "return_arrived"}
    assert actions[1][1] == {"mission_id": mission_b.pk, "decision": "approved"}


def test_central_admin_still_grants_directly(case_a, central_admin, mission_b, caseworker_b):
    services.case_access_grant(
        actor=central_admin,
        case_id=case_a.pk,
        mission=mission_b,
        reason=CaseAccessReason.RETURN_ARRIVED,
    )

    assert sees(caseworker_b, case_a)
