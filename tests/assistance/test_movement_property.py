"""Whatever sequence of transitions is asked for, a movement only ever moves forward in order."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistance import services
from assistance.models import AssessmentDecision, Movement
from config.errors import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db

ORDER = ["planned", "confirmed", "departed", "arrived"]
ALLOWED = {(a, b) for a, b in itertools.pairwise(ORDER)} | {
    (status, "cancelled") for status in ("planned", "confirmed", "departed")
}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    decision=st.sampled_from([AssessmentDecision.GO, AssessmentDecision.NO_GO, ""]),
    requests=st.lists(st.sampled_from(Movement.Status.values), max_size=8),
)
def test_random_transitions_never_leave_the_order(decision, requests):
    membership = factories.MembershipFactory()
    actor, mission = membership.user, membership.mission
    movement = factories.MovementFactory(
        case=factories.ActiveCaseFactory(mission=mission),
        created_by=actor,
        assessment_decision=decision,
    )
    for to_status in requests:
        before = movement.status
        try:
            movement = services.movement_transition(
                actor=actor, movement_id=movement.pk, version=movement.version, to_status=to_status
            )
        except ApplicationError:
            movement.refresh_from_db()
            assert movement.status == before
            continue
        assert (before, movement.status) in ALLOWED
        if movement.status in ("departed", "arrived"):
            assert movement.assessment_decision == AssessmentDecision.GO
