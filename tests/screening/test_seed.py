import copy
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import User
from cases.management.commands import seed_demo
from cases.models import Case
from cases.vocabularies import (
    CaseStatus,
    ExploitationType,
    TraffickingEventType,
    TraffickingStatus,
    language_codes,
)
from screening import services
from screening import synthetic as screening_synthetic
from screening.models import Perpetrator, Screening, TraffickingEvent
from screening.sections import SECTION_KEYS

pytestmark = pytest.mark.django_db

PEOPLE = ["interviewer", "consent_taken_by", "submitted_by", "reviewed_by"]
SUBMITTED_OR_APPROVED = (Screening.Status.SUBMITTED, Screening.Status.APPROVED)
EXPECTED_STATUS = {
    CaseStatus.PENDING_REVIEW: {Screening.Status.SUBMITTED},
    CaseStatus.ACTIVE: {Screening.Status.APPROVED},
    CaseStatus.FOLLOW_UP: {Screening.Status.APPROVED},
    CaseStatus.CLOSED: {Screening.Status.APPROVED},
    CaseStatus.CLOSED_REFERRED: {Screening.Status.APPROVED},
    CaseStatus.SCREENING: {Screening.Status.DRAFT},
}


def _seed(cases: int = 80) -> None:
    call_command("seed_demo", cases=cases, seed=7, force=True, stdout=io.StringIO())


def _screenings() -> list[Screening]:
    return list(
        Screening.objects.select_related("case__mission", "case__person").prefetch_related(
            "events", "perpetrators"
        )
    )


def test_submitted_and_approved_screenings_pass_the_submission_checks():
    _seed()

    screenings = [s for s in _screenings() if s.status in SUBMITTED_OR_APPROVED]

    assert screenings
    assert {s.pk: services.screening_submission_errors(s) for s in screenings} == {
        s.pk: {} for s in screenings
    }


def test_draft_screenings_pass_the_checks_of_every_section():
    _seed()

    drafts = [s for s in _screenings() if s.status == Screening.Status.DRAFT]

    assert drafts
    for screening in drafts:
        for section in SECTION_KEYS:
            assert services._section_checks(screening, section) == {}
        assert services._dates_in_order(screening) == {}


def test_seeded_rows_hold_only_vocabulary_codes():
    _seed()

    for screening in _screenings():
        # Who did what is set by the services, not answered; these foreign keys lack blank=True.
        screening.full_clean(exclude=PEOPLE)
        assert {screening.interview_language, *screening.languages} <= language_codes()
        for row in [*screening.events.all(), *screening.perpetrators.all()]:
            row.full_clean()


def test_screening_status_follows_case_status():
    _seed()

    found = {}
    for screening in _screenings():
        found.setdefault(screening.case.status, set()).add(screening.status)

    assert found == {status: EXPECTED_STATUS[status] for status in found}
    assert set(found) >= {CaseStatus.PENDING_REVIEW, CaseStatus.ACTIVE, CaseStatus.SCREENING}


def test_every_case_past_screening_has_exactly_one_screening():
    _seed()

    counts = Counter(Screening.objects.values_list("case_id", flat=True))
    past = Case.objects.exclude(status=CaseStatus.SCREENING).values_list("id", flat=True)
    assert {case_id: counts.get(case_id, 0) for case_id in past} == {case_id: 1 for case_id in past}


def test_closed_referred_cases_were_found_not_to_be_victims_and_referred():
    _seed(300)

    screenings = [s for s in _screenings() if s.case.status == CaseStatus.CLOSED_REFERRED]

    assert screenings
    for screening in screenings:
        assert screening.trafficking_status == TraffickingStatus.NotAVictimOfTrafficking
        assert screening.eligible_for_assistance is False
        assert screening.referral_made == screening_synthetic.REFERRAL_TEXT


def test_approved_screenings_of_open_cases_are_eligible_victims():
    _seed()

    screenings = [
        s
        for s in _screenings()
        if s.case.status in (CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP, CaseStatus.CLOSED)
    ]

    assert screenings
    assert {(s.eligible_for_assistance, s.trafficking_status) for s in screenings} <= {
        (True, TraffickingStatus.ActualVictimOfTrafficking),
        (True, TraffickingStatus.PossibleVictimOfTrafficking),
    }


def test_interviews_fall_between_registration_and_today():
    _seed()

    today = timezone.localdate()
    assert [
        s.pk for s in _screenings() if not s.case.registered_on <= s.interview_date <= today
    ] == []


def test_derived_answers_are_those_the_services_compute():
    _seed()

    for screening in _screenings():
        recomputed = copy.copy(screening)
        services._derive(recomputed)
        assert (
            recomputed.age_at_registration,
            recomputed.minor_at_registration,
            recomputed.exploitation_months,
        ) == (
            screening.age_at_registration,
            screening.minor_at_registration,
            screening.exploitation_months,
        )


def test_industries_and_sexual_exploitation_types_only_with_their_exploitation():
    _seed(300)

    screenings = _screenings()

    for screening in screenings:
        types = set(screening.exploitation_types)
        assert not screening.labour_industries or ExploitationType.ForcedLabour in types
        assert not screening.sexual_exploitation_types or (
            ExploitationType.SexualExploitation in types
        )
    assert any(s.labour_industries for s in screenings)
    assert any(s.sexual_exploitation_types for s in screenings)


def test_route_runs_from_recruitment_at_home_to_exploitation():
    _seed()

    routes = [s for s in _screenings() if s.exploitation_types]

    assert routes
    for screening in routes:
        events = list(screening.events.all())
        assert events[0].event_type == TraffickingEventType.Recruitment
        assert events[0].country == screening.citizenships[0]
        assert events[-1].event_type == TraffickingEventType.Exploitation
        assert [events[-1].country] == screening.exploitation_countries
        assert [e.date for e in events] == sorted(e.date for e in events)
        assert len(screening.perpetrators.all()) <= 2


def test_caseworker_interviews_and_central_administrator_reviews():
    _seed()
    admin = User.objects.get(email=seed_demo.ADMIN_EMAIL)

    for screening in _screenings():
        caseworker = User.objects.get(email=seed_demo.caseworker_email(screening.case.mission.code))
        assert screening.created_by_id == screening.interviewer_id == caseworker.pk
        if screening.status in SUBMITTED_OR_APPROVED:
            assert screening.submitted_by_id == caseworker.pk
            assert screening.submitted_at <= timezone.now()
        if screening.status == Screening.Status.APPROVED:
            assert screening.reviewed_by_id == admin.pk
            assert screening.submitted_at <= screening.reviewed_at


def test_a_minority_refuses_research_consent():
    _seed(300)

    answers = [s.consent_research for s in _screenings() if s.consent_interview]

    refused = answers.count(False)
    assert 0 < refused < len(answers) * 0.25


def test_free_text_is_generic_and_encrypted_at_rest():
    _seed()

    with connection.cursor() as cursor:
        cursor.execute("SELECT reasoning_act FROM screening_screening WHERE reasoning_act <> ''")
        stored = [row[0] for row in cursor.fetchall()]
    texts = {s.reasoning_act for s in _screenings()}

    assert stored
    assert not set(stored) & {
        screening_synthetic.REASONING_ACT,
        screening_synthetic.REASONING_NOT_A_VICTIM,
    }
    assert texts <= {
        "",
        screening_synthetic.REASONING_ACT,
        screening_synthetic.REASONING_NOT_A_VICTIM,
    }


def test_second_run_creates_no_screening():
    _seed()
    counts = [m.objects.count() for m in (Screening, TraffickingEvent, Perpetrator)]

    _seed()

    assert [m.objects.count() for m in (Screening, TraffickingEvent, Perpetrator)] == counts
    assert counts[0] > 0
