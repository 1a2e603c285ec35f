"""Demo data: closed cases carry their closure, and a few people are registered twice."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cases.models import Case, CaseClosureRequest, CaseLink
from cases.vocabularies import CLOSED_STATUSES, ClosureReason

pytestmark = pytest.mark.django_db

SEEDED = 900


@pytest.fixture
def seeded():
    call_command("seed_demo", cases=SEEDED, seed=11, force=True, stdout=io.StringIO())


def test_every_seeded_closed_case_has_a_reason_a_due_date_and_its_request(seeded):
    closed = Case.objects.filter(status__in=CLOSED_STATUSES)

    assert closed.exists()
    assert not closed.filter(closure_reason="").exists()
    assert not closed.filter(identity_removal_due_on__isnull=True).exists()
    assert not closed.exclude(closure_requests__status__in=["approved", "closed_at_once"]).exists()


def test_seeded_referred_cases_are_closed_by_referral(seeded):
    referred = Case.objects.filter(status="closed_referred")

    assert set(referred.values_list("closure_reason", flat=True)) == {ClosureReason.REFERRED}


def test_seeded_links_join_the_same_person_and_flag_both_cases(seeded):
    links = list(CaseLink.objects.select_related("earlier_case__person", "later_case__person"))

    assert len(links) == SEEDED // 400
    for link in links:
        assert link.earlier_case.person.blind_index == link.later_case.person.blind_index
        assert (link.earlier_case.retrafficked, link.later_case.retrafficked) == (True, True)
        assert link.earlier_case.registered_on <= link.later_case.registered_on


def test_seeded_pending_requests_are_on_open_cases(seeded):
    pending = CaseClosureRequest.objects.filter(status="pending")

    assert not pending.filter(case__status__in=CLOSED_STATUSES).exists()
