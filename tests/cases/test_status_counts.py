"""The per-mission status counts the dashboard reads: equal to a fresh count after every write."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from assistance import services as assistance_services
from cases.models import Case, CaseAccessReason, CaseStatusCount
from cases.selectors import case_status_table
from cases.services import (
    case_create,
    case_reopen,
    case_status_change,
    closure_approve,
    closure_request,
)
from cases.vocabularies import CaseStatus, ClosureReason, ReopenReason
from tests import factories

pytestmark = pytest.mark.django_db


def fresh() -> Counter:
    return Counter(Case.objects.values_list("mission_id", "status"))


def kept() -> Counter:
    return Counter(
        {
            (mission_id, status): count
            for mission_id, status, count in CaseStatusCount.objects.filter(
                count__gt=0
            ).values_list("mission_id", "status", "count")
        }
    )


def assert_counts_exact() -> None:
    assert kept() == fresh()


def test_a_registered_case_is_counted(caseworker_a, mission_a):
    case_create(
        actor=caseworker_a,
        mission=mission_a,
        person={
            "given_name": "Anjali",
            "family_name": "Tamang",
            "gender": "Feminine",
            "citizenships": ["NPL"],
        },
    )

    assert kept() == Counter({(mission_a.pk, CaseStatus.SCREENING): 1})
    assert_counts_exact()


def test_a_status_change_moves_one_case_between_counts(caseworker_a, case_a):
    factories.CaseFactory.create_batch(2, mission=case_a.mission)

    case_status_change(actor=caseworker_a, case=case_a, to_status=CaseStatus.PENDING_REVIEW)

    assert kept()[(case_a.mission_id, CaseStatus.SCREENING)] == 2
    assert kept()[(case_a.mission_id, CaseStatus.PENDING_REVIEW)] == 1
    assert_counts_exact()


def test_closing_and_reopening_keep_the_counts(caseworker_a, central_admin, mission_a):
    case = factories.ActiveCaseFactory(mission=mission_a, assigned_to=caseworker_a)
    request = closure_request(
        actor=caseworker_a, case_id=case.pk, version=case.version, reason=ClosureReason.LOST_CONTACT
    )
    closure_approve(actor=central_admin, request_id=request.pk, version=request.version)
    assert kept()[(mission_a.pk, CaseStatus.CLOSED)] == 1
    assert_counts_exact()

    case.refresh_from_db()
    case_reopen(
        actor=central_admin,
        case_id=case.pk,
        version=case.version,
        reason=ReopenReason.CONTACT_RESUMED,
    )

    assert kept() == Counter({(mission_a.pk, CaseStatus.ACTIVE): 1})
    assert_counts_exact()


def test_moving_cases_to_another_mission_moves_their_counts(mission_a, mission_b):
    factories.CaseFactory.create_batch(3, mission=mission_a)
    factories.ActiveCaseFactory(mission=mission_a)

    # Any write counts, not only the services': a bulk update is one statement.
    Case.objects.filter(mission=mission_a, status=CaseStatus.SCREENING).update(mission=mission_b)

    assert kept() == Counter(
        {(mission_b.pk, CaseStatus.SCREENING): 3, (mission_a.pk, CaseStatus.ACTIVE): 1}
    )
    assert_counts_exact()


def test_an_update_that_changes_neither_mission_nor_status_writes_no_count(case_a):
    before = list(CaseStatusCount.objects.values_list("id", "count"))

    Case.objects.filter(pk=case_a.pk).update(retrafficked=True)

    assert list(CaseStatusCount.objects.values_list("id", "count")) == before
    assert_counts_exact()


def test_deleted_cases_leave_the_counts(mission_a):
    cases = factories.CaseFactory.create_batch(2, mission=mission_a)
    person = cases[0].person

    Case.objects.filter(pk=cases[0].pk).delete()
    person.delete()

    assert kept() == Counter({(mission_a.pk, CaseStatus.SCREENING): 1})
    assert_counts_exact()


def test_the_seed_copy_is_counted():
    call_command("seed_demo", cases=12, seed=16, force=True, stdout=io.StringIO())

    assert sum(kept().values()) == Case.objects.count() >= 12
    assert_counts_exact()


def test_a_count_never_goes_below_zero(case_a):
    # A count out of step with the cases fails loudly instead of publishing nonsense.
    CaseStatusCount.objects.filter(mission=case_a.mission).update(count=0)

    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case_a.pk).update(status=CaseStatus.ACTIVE)


def test_the_counts_are_kept_by_the_database_for_every_writer(mission_a):
    factories.CaseFactory(mission=mission_a)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET status = %s", [CaseStatus.FOLLOW_UP])

    assert kept() == Counter({(mission_a.pk, CaseStatus.FOLLOW_UP): 1})


def test_the_table_counts_shared_cases_for_the_receiving_mission(
    central_admin, caseworker_b, case_a, case_b
):
    factories.CaseFactory(mission=case_a.mission)
    case_a.status = CaseStatus.ACTIVE
    case_a.save(update_fields=["status"])
    access = assistance_services.case_access_grant(
        actor=central_admin,
        case_id=case_a.pk,
        mission=case_b.mission,
        reason=CaseAccessReason.JOINT_ASSISTANCE,
    )

    table = {row["mission_code"]: row for row in case_status_table(user=caseworker_b)}

    # The other mission shows only the case shared with caseworker_b's mission.
    assert table[case_a.mission.code]["total"] == 1
    counts = {c["status"]: c["count"] for c in table[case_a.mission.code]["counts"]}
    assert counts[CaseStatus.ACTIVE] == 1
    assert table[case_b.mission.code]["total"] == 1
    assert (
        sum(row["total"] for row in table.values()) == Case.objects.visible_to(caseworker_b).count()
    )

    assistance_services.case_access_revoke(actor=central_admin, access_id=access.pk)
    table = case_status_table(user=caseworker_b)
    assert [row["mission_code"] for row in table] == [case_b.mission.code]


def test_the_table_equals_a_fresh_count_for_every_role(
    central_admin, caseworker_a, researcher, mission_a, mission_b
):
    factories.CaseFactory.create_batch(2, mission=mission_a)
    factories.ActiveCaseFactory(mission=mission_b)

    for user in (central_admin, caseworker_a, researcher):
        table = case_status_table(user=user)
        expected = Counter(Case.objects.visible_to(user).values_list("mission__code", "status"))
        got = Counter(
            {
                (row["mission_code"], cell["status"]): cell["count"]
                for row in table
                for cell in row["counts"]
                if cell["count"]
            }
        )
        assert got == expected
    assert case_status_table(user=researcher) == []
