"""A closed case is read-only for every assistance write, not only the ones that create rows."""

import pytest

from assistance import services
from assistance.models import AssessmentDecision, Movement
from cases.models import CaseAccessReason, CaseMissionAccess
from cases.services import CASE_CLOSED_MESSAGE
from cases.vocabularies import CaseStatus
from config.errors import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_case(mission_a, caseworker_a):
    return factories.ClosedCaseFactory(mission=mission_a, assigned_to=caseworker_a)


def close(case) -> None:
    case.status = CaseStatus.CLOSED
    case.save(update_fields=["status"])


def test_movement_assessment_is_refused(caseworker_a, closed_case):
    movement = factories.MovementFactory(case=closed_case, created_by=caseworker_a)

    with pytest.raises(ApplicationError) as caught:
        services.movement_assess(
            actor=caseworker_a,
            movement_id=movement.pk,
            version=movement.version,
            decision=AssessmentDecision.GO,
            reasoning="Family assessed.",
        )

    assert caught.value.code == "case_not_active"
    movement.refresh_from_db()
    assert movement.assessment_decision == ""


def test_movement_transition_is_refused(caseworker_a, closed_case):
    movement = factories.MovementFactory(case=closed_case, created_by=caseworker_a)

    with pytest.raises(ApplicationError) as caught:
        services.movement_transition(
            actor=caseworker_a,
            movement_id=movement.pk,
            version=movement.version,
            to_status=Movement.Status.CANCELLED,
        )

    assert caught.value.code == "case_not_active"
    movement.refresh_from_db()
    assert movement.status == Movement.Status.PLANNED


def test_review_of_a_further_detail_is_refused(caseworker_a, central_admin, closed_case):
    change = factories.TraffickingDetailChangeFactory(case=closed_case, created_by=caseworker_a)

    with pytest.raises(ApplicationError) as caught:
        services.trafficking_detail_review(
            actor=central_admin, change_id=change.pk, version=change.version, accept=True
        )

    assert caught.value.code == "case_not_active"
    change.refresh_from_db()
    assert change.status == "pending"


def test_proposing_to_share_is_refused(caseworker_a, mission_b, closed_case):
    with pytest.raises(ApplicationError) as caught:
        services.case_access_propose(
            actor=caseworker_a,
            case_id=closed_case.pk,
            mission=mission_b,
            reason=CaseAccessReason.RETURN_ARRIVED,
        )

    assert caught.value.message == CASE_CLOSED_MESSAGE
    assert not closed_case.access_proposals.exists()


def test_direct_grant_is_refused(central_admin, mission_b, closed_case):
    with pytest.raises(ApplicationError) as caught:
        services.case_access_grant(
            actor=central_admin,
            case_id=closed_case.pk,
            mission=mission_b,
            reason=CaseAccessReason.RETURN_ARRIVED,
        )

    assert caught.value.message == CASE_CLOSED_MESSAGE
    assert not CaseMissionAccess.objects.exists()


def test_approving_a_proposal_after_the_case_closed_is_refused(
    caseworker_a, caseworker_b, mission_b, case_a
):
    proposal = services.case_access_propose(
        actor=caseworker_a, case_id=case_a.pk, mission=mission_b, reason="return_arrived"
    )
    close(case_a)

    with pytest.raises(ApplicationError) as caught:
        services.case_access_proposal_decide(
            actor=caseworker_b, proposal_id=proposal.pk, version=proposal.version, approve=True
        )

    assert caught.value.message == CASE_CLOSED_MESSAGE
    assert not CaseMissionAccess.objects.exists()
