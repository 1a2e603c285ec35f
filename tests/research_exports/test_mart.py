"""The research mart: who is in it, what its columns hold, and how snapshots switch."""

from __future__ import annotations

import datetime

import psycopg
import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from cases.models import AuditAction, AuditEvent
from cases.services import case_mark_retrafficked
from config.errors import ApplicationError
from research_exports import mart
from research_exports.models import Extract, MartRow, MartSnapshot
from research_exports.tasks import mart_rebuild_task
from screening import services
from screening.models import Screening, TraffickingEvent
from tests import factories
from tests.screening.conftest import complete_answers, fill

pytestmark = pytest.mark.django_db

SCHEDULE = MartSnapshot.Source.SCHEDULE

ALLOWED_COLUMNS = {
    "id",
    "snapshot_id",
    "year_of_registration",
    "mission_country",
    "gender",
    "age_broad",
    "minor_at_registration",
    "citizenship",
    "country_of_exploitation",
    "route_origin",
    "route_destination",
    "traffick_months",
    "exploitation_types",
    "labour_industries",
    "sexual_exploitation_types",
    "means_of_control",
    "recruiter_relation",
    "trafficking_status",
    "is_retrafficked",
    "economic_score",
    "social_score",
    "psychosocial_score",
}


def approved_screening(case, *, reviewed_at=None, **answers) -> Screening:
    """An approved, consenting screening written directly, for mapping tests."""
    fields = {
        "status": Screening.Status.APPROVED,
        "created_by": case.assigned_to or factories.UserFactory(),
        "reviewed_at": reviewed_at or timezone.now(),
        "consent_interview": True,
        "consent_research": True,
        "gender": "Feminine",
        "citizenships": ["NPL"],
        **answers,
    }
    return Screening.objects.create(case=case, **fields)


def screened_case(mission, **answers) -> Screening:
    return approved_screening(factories.CaseFactory(mission=mission), **answers)


def rows(snapshot: MartSnapshot) -> list[MartRow]:
    return list(MartRow.objects.filter(snapshot=snapshot).order_by("pk"))


def only_row(snapshot: MartSnapshot) -> MartRow:
    (row,) = rows(snapshot)
    return row


def approve(screening: Screening, reviewer) -> Screening:
    screening = services.screening_submit(
        actor=screening.created_by, screening_id=screening.pk, version=screening.version
    )
    return services.determination_review(
        actor=reviewer, screening_id=screening.pk, version=screening.version, approve=True
    )


def screen_through_services(case, caseworker, answers: dict[str, dict]) -> Screening:
    screening = services.screening_start(actor=caseworker, case_id=case.pk)
    return fill(screening, caseworker, answers)


# Who is in the mart


def test_approved_consenting_screening_is_one_de_identified_row(
    case_a, caseworker_a, central_admin
):
    approve(screen_through_services(case_a, caseworker_a, complete_answers()), central_admin)

    row = only_row(mart.mart_rebuild(source=SCHEDULE))

    case_a.refresh_from_db()
    assert (
        row.year_of_registration,
        row.mission_country,
        row.gender,
        row.minor_at_registration,
        row.citizenship,
        row.country_of_exploitation,
        row.route_origin,
        row.route_destination,
        row.traffick_months,
        row.exploitation_types,
        row.labour_industries,
        row.means_of_control,
        row.recruiter_relation,
        row.trafficking_status,
    ) == (
        case_a.registered_on.year,
        "NPL",
        "Woman",
        False,
        "NPL",
        "IND",
        "NPL",
        "IND",
        "0--12",
        ["ForcedLabour"],
        ["T_ActivitiesOfHouseholdsAsEmployers"],
        ["meansDebtBondageEarnings", "meansWithholdDocs"],
        "Friend",
        "ActualVictimOfTrafficking",
    )


def test_case_without_research_consent_is_absent(case_a, caseworker_a, central_admin):
    answers = complete_answers()
    answers["consent"]["consent_research"] = False
    approve(screen_through_services(case_a, caseworker_a, answers), central_admin)

    snapshot = mart.mart_rebuild(source=SCHEDULE)

    assert snapshot.row_count == 0


def test_case_without_interview_consent_is_absent(case_a):
    approved_screening(case_a, consent_interview=False)

    assert mart.mart_rebuild(source=SCHEDULE).row_count == 0


def test_submitted_but_unapproved_screening_is_absent(case_a, caseworker_a):
    screening = screen_through_services(case_a, caseworker_a, complete_answers())
    services.screening_submit(
        actor=caseworker_a, screening_id=screening.pk, version=screening.version
    )

    snapshot = mart.mart_rebuild(source=SCHEDULE)

    assert rows(snapshot) == []


def test_open_re_screening_does_not_replace_the_approved_one(case_a, caseworker_a, central_admin):
    approve(screen_through_services(case_a, caseworker_a, complete_answers()), central_admin)
    answers = complete_answers()
    answers["person"]["gender"] = "Masculine"
    answers["consent"]["consent_research"] = False
    screen_through_services(case_a, caseworker_a, answers)

    row = only_row(mart.mart_rebuild(source=SCHEDULE))

    assert row.gender == "Woman"


def test_returned_re_screening_does_not_replace_the_approved_one(
    case_a, caseworker_a, central_admin
):
    approve(screen_through_services(case_a, caseworker_a, complete_answers()), central_admin)
    answers = complete_answers()
    answers["person"]["gender"] = "Masculine"
    second = screen_through_services(case_a, caseworker_a, answers)
    second = services.screening_submit(
        actor=caseworker_a, screening_id=second.pk, version=second.version
    )
    services.determination_review(
        actor=central_admin,
        screening_id=second.pk,
        version=second.version,
        approve=False,
        comment="Check the gender.",
    )

    row = only_row(mart.mart_rebuild(source=SCHEDULE))

    assert row.gender == "Woman"


def test_re_screening_approved_later_replaces_the_values(case_a, caseworker_a, central_admin):
    approve(screen_through_services(case_a, caseworker_a, complete_answers()), central_admin)
    answers = complete_answers()
    answers["person"]["gender"] = "Masculine"
    approve(screen_through_services(case_a, caseworker_a, answers), central_admin)

    row = only_row(mart.mart_rebuild(source=SCHEDULE))

    assert row.gender == "Man"


def test_re_screening_approved_later_without_consent_removes_the_case(case_a):
    approved_screening(case_a, reviewed_at=timezone.now() - timezone.timedelta(days=30))
    approved_screening(case_a, consent_research=False)

    assert mart.mart_rebuild(source=SCHEDULE).row_count == 0


def test_a_case_with_several_approved_screenings_is_one_row(mission_a):
    case = factories.CaseFactory(mission=mission_a)
    approved_screening(case, reviewed_at=timezone.now() - timezone.timedelta(days=60))
    approved_screening(case, reviewed_at=timezone.now() - timezone.timedelta(days=30))
    approved_screening(case)

    assert mart.mart_rebuild(source=SCHEDULE).row_count == 1


# How the values are generalised


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "0--8"),
        (8, "0--8"),
        (9, "9--17"),
        (17, "9--17"),
        (18, "18--20"),
        (23, "21--23"),
        (26, "24--26"),
        (29, "27--29"),
        (30, "30--38"),
        (47, "39--47"),
        (48, "48+"),
        (99, "48+"),
    ],
)
def test_age_is_banded_as_ctdc_age_broad(mission_a, age, band):
    screened_case(mission_a, age_at_registration=age)

    assert only_row(mart.mart_rebuild(source=SCHEDULE)).age_broad == band


def test_age_falls_back_to_the_person_when_the_screening_has_none(mission_a):
    case = factories.CaseFactory(
        mission=mission_a, person=factories.PersonFactory(age_at_registration=12)
    )
    approved_screening(case, age_at_registration=None)

    row = only_row(mart.mart_rebuild(source=SCHEDULE))

    assert (row.age_broad, row.minor_at_registration) == ("9--17", True)


def test_unknown_age_is_missing(mission_a):
    case = factories.CaseFactory(
        mission=mission_a,
        person=factories.PersonFactory(date_of_birth=None, age_at_registration=None),
    )
    approved_screening(case, age_at_registration=None)

    row = only_row(mart.mart_rebuild(source=SCHEDULE))

    assert (row.age_broad, row.minor_at_registration) == ("", None)


@pytest.mark.parametrize(
    ("months", "band"),
    [(0, "0--12"), (12, "0--12"), (13, "13--24"), (24, "13--24"), (25, "25+"), (None, "")],
)
def test_exploitation_months_are_banded_as_ctdc_traffick_months(mission_a, months, band):
    screened_case(mission_a, exploitation_months=months)

    assert only_row(mart.mart_rebuild(source=SCHEDULE)).traffick_months == band


@pytest.mark.parametrize(
    ("gender", "ctdc"),
    [
        ("Feminine", "Woman"),
        ("Masculine", "Man"),
        ("TransgenderFeminine", "Trans/Transgender/NonConforming"),
        ("TransgenderMasculine", "Trans/Transgender/NonConforming"),
        ("NonConforming", "Trans/Transgender/NonConforming"),
        ("NonSpecifiedUnknown", ""),
        ("", ""),
    ],
)
def test_gender_is_mapped_to_ctdc_categories(mission_a, gender, ctdc):
    screened_case(mission_a, gender=gender)

    assert only_row(mart.mart_rebuild(source=SCHEDULE)).gender == ctdc


def test_means_of_control_become_distinct_ctdc_groups_without_unmapped_codes(mission_a):
    screened_case(
        mission_a,
        means_of_control=["PhysicalThreats", "Other", "ThreatsLawEnforcement", "DebtBondage"],
    )

    row = only_row(mart.mart_rebuild(source=SCHEDULE))

    assert row.means_of_control == ["meansDebtBondageEarnings", "meansThreats"]


def test_citizenship_is_the_first_in_code_order(mission_a):
    screened_case(mission_a, citizenships=["THA", "MMR"])

    assert only_row(mart.mart_rebuild(source=SCHEDULE)).citizenship == "MMR"


def test_no_citizenship_or_country_of_exploitation_is_missing(mission_a):
    screened_case(mission_a, citizenships=[], exploitation_countries=[])

    row = only_row(mart.mart_rebuild(source=SCHEDULE))

    assert (row.citizenship, row.country_of_exploitation, row.route_destination) == ("", "", "")


def test_route_runs_from_the_first_event_to_the_last_exploitation(mission_a):
    screening = screened_case(mission_a, recruitment_country="NPL", exploitation_countries=["IND"])
    for position, (event_type, country) in enumerate(
        [
            ("Recruitment", "BGD"),
            ("Exploitation", "IND"),
            ("Exploitation", "MYS"),
            ("Transit", "THA"),
        ]
    ):
        TraffickingEvent.objects.create(
            screening=screening, position=position, event_type=event_type, country=country
        )

    row = only_row(mart.mart_rebuild(source=SCHEDULE))

    assert (row.route_origin, row.route_destination) == ("BGD", "MYS")


def test_route_without_events_uses_recruitment_and_exploitation_countries(mission_a):
    screened_case(mission_a, recruitment_country="NPL", exploitation_countries=["IND", "MYS"])

    row = only_row(mart.mart_rebuild(source=SCHEDULE))

    assert (row.route_origin, row.route_destination) == ("NPL", "IND")


def test_mart_columns_are_only_the_allowed_coded_variables():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
            ["research_exports_martrow"],
        )
        columns = {name for (name,) in cursor.fetchall()}

    assert columns == ALLOWED_COLUMNS


def test_rebuild_costs_the_same_queries_whatever_the_number_of_cases(
    mission_a, django_assert_max_num_queries
):
    for _ in range(5):
        screened_case(mission_a)

    # +2: the audit chain's lock and head (cases/audit_chain.py)
    with django_assert_max_num_queries(15):
        snapshot = mart.mart_rebuild(source=SCHEDULE)

    assert snapshot.row_count == 5


# Snapshots


def test_rebuild_records_counts_and_completion(mission_a):
    screened_case(mission_a)
    screened_case(mission_a)

    snapshot = mart.mart_rebuild(source=SCHEDULE)

    snapshot.refresh_from_db()
    assert (
        snapshot.status,
        snapshot.is_current,
        snapshot.row_count,
        snapshot.completed_at is not None,
        snapshot.build_seconds is not None,
    ) == (MartSnapshot.Status.READY, True, 2, True, True)


def test_rebuild_is_audited_with_counts_only(mission_a, central_admin):
    screened_case(mission_a)

    snapshot = mart.mart_rebuild(actor=central_admin, source=MartSnapshot.Source.ADMINISTRATOR)

    event = AuditEvent.objects.get(action=AuditAction.MART_REBUILT)
    assert (event.actor, event.object_id, event.case_id, event.detail) == (
        central_admin,
        str(snapshot.pk),
        None,
        {"source": "administrator", "row_count": 1},
    )


def test_switch_leaves_exactly_one_current_snapshot(mission_a):
    screened_case(mission_a)
    for _ in range(3):
        latest = mart.mart_rebuild(source=SCHEDULE)

    assert list(MartSnapshot.objects.filter(is_current=True)) == [latest]


def test_mart_current_is_the_latest_ready_snapshot(mission_a):
    mart.mart_rebuild(source=SCHEDULE)
    latest = mart.mart_rebuild(source=SCHEDULE)

    assert mart.mart_current() == latest


def test_mart_current_is_none_before_the_first_build():
    assert mart.mart_current() is None


def test_failed_rebuild_leaves_the_previous_snapshot_current(mission_a, monkeypatch):
    screened_case(mission_a)
    previous = mart.mart_rebuild(source=SCHEDULE)
    monkeypatch.setattr(mart, "mart_insert_sql", lambda *, snapshot_id: ("SELECT 1 / 0", []))

    with pytest.raises(DatabaseError):
        mart.mart_rebuild(source=SCHEDULE)

    failed = MartSnapshot.objects.exclude(pk=previous.pk).get()
    assert (mart.mart_current(), failed.status, failed.is_current, rows(failed)) == (
        previous,
        MartSnapshot.Status.FAILED,
        False,
        [],
    )


def test_extract_reading_a_snapshot_is_unaffected_by_a_rebuild(mission_a, researcher):
    screened_case(mission_a)
    snapshot_a = mart.mart_rebuild(source=SCHEDULE)
    rows_a = [row.pk for row in rows(snapshot_a)]
    Extract.objects.create(
        requested_by=researcher, snapshot=snapshot_a, dimensions=["gender"], format="csv"
    )
    screened_case(mission_a)

    snapshot_b = mart.mart_rebuild(source=SCHEDULE)

    assert ([row.pk for row in rows(snapshot_a)], snapshot_b.row_count, mart.mart_current()) == (
        rows_a,
        2,
        snapshot_b,
    )


def test_snapshot_is_pruned_once_no_extract_reads_it(mission_a, researcher):
    snapshot_a = mart.mart_rebuild(source=SCHEDULE)
    extract = Extract.objects.create(
        requested_by=researcher, snapshot=snapshot_a, dimensions=["gender"], format="csv"
    )
    mart.mart_rebuild(source=SCHEDULE)
    extract.delete()

    mart.mart_prune()

    assert not MartSnapshot.objects.filter(pk=snapshot_a.pk).exists()


def test_rebuild_prunes_unreferenced_old_snapshots(mission_a):
    screened_case(mission_a)
    old = mart.mart_rebuild(source=SCHEDULE)

    mart.mart_rebuild(source=SCHEDULE)

    assert (
        MartSnapshot.objects.filter(pk=old.pk).exists(),
        MartRow.objects.filter(snapshot_id=old.pk).exists(),
    ) == (False, False)


def test_prune_keeps_the_current_snapshot():
    current = mart.mart_rebuild(source=SCHEDULE)

    mart.mart_prune()

    assert mart.mart_current() == current


def test_rebuild_while_another_runs_returns_the_current_snapshot():
    # Made directly: a rebuild here would hold the lock until the test's transaction ends.
    current = MartSnapshot.objects.create(
        source=SCHEDULE, status=MartSnapshot.Status.READY, is_current=True
    )
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [mart.MART_LOCK_KEY])
        result = mart.mart_rebuild(source=SCHEDULE)
    finally:
        other.close()

    assert (result, MartSnapshot.objects.count()) == (current, 1)


# The task and the on-demand request


def test_task_builds_a_scheduled_snapshot(mission_a):
    screened_case(mission_a)

    snapshot_id = mart_rebuild_task.delay().get()

    snapshot = MartSnapshot.objects.get(pk=snapshot_id)
    assert (snapshot.source, snapshot.is_current, snapshot.row_count) == (SCHEDULE, True, 1)


@pytest.mark.parametrize("role", ["caseworker_a", "researcher"])
def test_request_refuses_anyone_but_a_central_administrator(request, role):
    user = request.getfixturevalue(role)

    with pytest.raises(ApplicationError) as refused:
        mart.mart_rebuild_request(actor=user)

    assert refused.value.message == mart.NOT_ADMINISTRATOR_MESSAGE


def test_refused_request_queues_nothing(caseworker_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ApplicationError):
        mart.mart_rebuild_request(actor=caseworker_a)

    assert callbacks == []


def test_request_queues_a_rebuild_after_commit(
    mission_a, central_admin, django_capture_on_commit_callbacks
):
    screened_case(mission_a)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        mart.mart_rebuild_request(actor=central_admin)

    snapshot = mart.mart_current()
    assert (len(callbacks), snapshot.source, snapshot.requested_by, snapshot.row_count) == (
        1,
        MartSnapshot.Source.ADMINISTRATOR,
        central_admin,
        1,
    )


def test_retrafficking_flag_of_the_case_is_a_coded_column(mission_a):
    flagged = factories.CaseFactory(mission=mission_a)
    approved_screening(flagged)
    approved_screening(factories.CaseFactory(mission=mission_a))
    case_mark_retrafficked(actor=None, case=flagged, source="test")

    snapshot = mart.mart_rebuild(source=SCHEDULE)

    assert sorted(row.is_retrafficked for row in rows(snapshot)) == [False, True]


def test_latest_monitoring_visit_done_gives_the_reintegration_scores(mission_a):
    case = factories.CaseFactory(mission=mission_a)
    approved_screening(case)
    approved_screening(factories.CaseFactory(mission=mission_a))
    plan = factories.ReintegrationPlanFactory(case=case)
    today = timezone.localdate()
    for days_ago, scores in ((200, (1, 2, 2)), (20, (4, 3, 5))):
        factories.MonitoringVisitFactory(
            plan=plan,
            status="done",
            planned_date=today - datetime.timedelta(days=days_ago),
            done_date=today - datetime.timedelta(days=days_ago),
            mode="phone",
            visited_by=plan.created_by,
            economic_score=scores[0],
            economic_reason="employed",
            social_score=scores[1],
            social_reason="housing_secure",
            psychosocial_score=scores[2],
            psychosocial_reason="family_support",
        )
    # A visit not done yet carries no score and does not count.
    factories.MonitoringVisitFactory(plan=plan, planned_date=today)

    snapshot = mart.mart_rebuild(source=SCHEDULE)

    scores = {
        (row.economic_score, row.social_score, row.psychosocial_score) for row in rows(snapshot)
    }
    assert scores == {(4, 3, 5), (None, None, None)}
