"""Closing a case: request, approval or return, closed cases being read-only, reopening."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assistance import services as assistance_services
from cases.models import AuditAction, AuditEvent, Case, CaseClosureRequest
from cases.services import (
    CASE_CLOSED_MESSAGE,
    CASE_NOT_CLOSED_MESSAGE,
    CLOSURE_NOT_PENDING_MESSAGE,
    CLOSURE_PENDING_MESSAGE,
    COMMENT_REQUIRED_MESSAGE,
    NOT_CENTRAL_ADMIN_MESSAGE,
    RETURN_COMMENT_REQUIRED_MESSAGE,
    SELF_APPROVAL_MESSAGE,
    UNKNOWN_REASON_MESSAGE,
    case_reopen,
    case_status_change,
    case_update,
    closure_approve,
    closure_request,
    closure_return,
    retention_due_on,
)
from cases.vocabularies import CaseStatus, ClosureReason, ReopenReason
from config.errors import ApplicationError, StaleVersionError
from screening import services as screening_services
from tests import factories

pytestmark = pytest.mark.django_db

LOST = ClosureReason.LOST_CONTACT


@pytest.fixture
def active_case(mission_a, caseworker_a):
    return factories.ActiveCaseFactory(mission=mission_a, assigned_to=caseworker_a)


def request_closure(actor, case, reason=LOST, comment="") -> CaseClosureRequest:
    case.refresh_from_db()
    return closure_request(
        actor=actor, case_id=case.pk, version=case.version, reason=reason, comment=comment
    )


def approve(actor, closure) -> CaseClosureRequest:
    return closure_approve(actor=actor, request_id=closure.pk, version=closure.version)


def closed_case(caseworker, admin, case) -> Case:
    approve(admin, request_closure(caseworker, case))
    case.refresh_from_db()
    return case


def actions(case) -> list[str]:
    return list(
        AuditEvent.objects.filter(case=case)
        .order_by("occurred_at", "id")
        .values_list("action", flat=True)
    )


# Requesting


def test_request_waits_for_approval_and_leaves_the_case_open(caseworker_a, active_case):
    closure = request_closure(caseworker_a, active_case, comment="No answer since March.")

    active_case.refresh_from_db()
    assert (closure.status, active_case.status) == ("pending", CaseStatus.ACTIVE)


def test_request_comment_is_encrypted_and_the_audit_holds_the_code_only(caseworker_a, active_case):
    closure = request_closure(caseworker_a, active_case, comment="No answer since March.")

    with connection.cursor() as cursor:
        cursor.execute("SELECT comment FROM cases_caseclosurerequest WHERE id = %s", [closure.pk])
        (stored,) = cursor.fetchone()
    event = AuditEvent.objects.get(action=AuditAction.CASE_CLOSURE_REQUESTED)
    assert "March" not in stored
    assert event.detail == {"reason": LOST}


def test_referral_closes_the_case_at_once(caseworker_a, active_case):
    closure = request_closure(caseworker_a, active_case, reason=ClosureReason.REFERRED)

    active_case.refresh_from_db()
    assert (closure.status, active_case.status, active_case.closure_reason) == (
        "closed_at_once",
        CaseStatus.CLOSED_REFERRED,
        ClosureReason.REFERRED,
    )


def test_other_reason_needs_a_comment(caseworker_a, active_case):
    with pytest.raises(ValidationError) as excinfo:
        request_closure(caseworker_a, active_case, reason=ClosureReason.OTHER)

    assert excinfo.value.message_dict == {"comment": [COMMENT_REQUIRED_MESSAGE]}


@pytest.mark.parametrize("reason", ["", "Bored", None, 3, "closed"])
def test_unknown_reason_is_a_field_error(caseworker_a, active_case, reason):
    with pytest.raises(ValidationError) as excinfo:
        request_closure(caseworker_a, active_case, reason=reason)

    assert excinfo.value.message_dict == {"reason": [UNKNOWN_REASON_MESSAGE]}
    assert CaseClosureRequest.objects.count() == 0


def test_one_pending_request_per_case(caseworker_a, active_case):
    request_closure(caseworker_a, active_case)

    with pytest.raises(ApplicationError) as excinfo:
        request_closure(caseworker_a, active_case)

    assert (excinfo.value.message, CaseClosureRequest.objects.count()) == (
        CLOSURE_PENDING_MESSAGE,
        1,
    )


def test_request_with_a_stale_version_is_refused(caseworker_a, active_case):
    with pytest.raises(StaleVersionError):
        closure_request(
            actor=caseworker_a,
            case_id=active_case.pk,
            version=active_case.version + 1,
            reason=LOST,
        )

    assert CaseClosureRequest.objects.count() == 0


def test_request_out_of_scope_is_the_missing_case_404(caseworker_b, active_case):
    with pytest.raises(Http404):
        request_closure(caseworker_b, active_case)


# Deciding


def test_approval_closes_the_case_and_starts_the_retention_period(
    caseworker_a, central_admin, active_case, settings
):
    settings.HARBOUR_RETENTION_YEARS = 7
    closure = request_closure(caseworker_a, active_case)

    approved = approve(central_admin, closure)

    active_case.refresh_from_db()
    today = timezone.localdate()
    assert (approved.status, approved.decided_by_id) == ("approved", central_admin.pk)
    assert (
        active_case.status,
        active_case.closure_reason,
        active_case.status_before_closure,
        active_case.identity_removal_due_on,
    ) == (CaseStatus.CLOSED, LOST, CaseStatus.ACTIVE, retention_due_on(closed_on=today))
    assert active_case.identity_removal_due_on.year == today.year + 7


def test_approval_is_audited_with_codes_only(caseworker_a, central_admin, active_case):
    approve(central_admin, request_closure(caseworker_a, active_case))

    closed = AuditEvent.objects.get(action=AuditAction.CASE_CLOSED)
    assert actions(active_case) == [
        AuditAction.CASE_CLOSURE_REQUESTED,
        AuditAction.CASE_CLOSURE_APPROVED,
        AuditAction.CASE_CLOSED,
    ]
    assert closed.detail == {"reason": LOST, "from": CaseStatus.ACTIVE, "to": CaseStatus.CLOSED}


def test_requester_cannot_approve_even_as_central_admin(central_admin, active_case):
    closure = request_closure(central_admin, active_case)

    with pytest.raises(ApplicationError) as excinfo:
        approve(central_admin, closure)

    active_case.refresh_from_db()
    assert (excinfo.value.message, active_case.status) == (SELF_APPROVAL_MESSAGE, "active")


def test_requester_cannot_return_their_own_request(central_admin, active_case):
    closure = request_closure(central_admin, active_case)

    with pytest.raises(ApplicationError) as excinfo:
        closure_return(
            actor=central_admin, request_id=closure.pk, version=closure.version, comment="No."
        )

    assert excinfo.value.message == SELF_APPROVAL_MESSAGE


def test_caseworker_cannot_approve(caseworker_a, active_case):
    closure = request_closure(caseworker_a, active_case)

    with pytest.raises(ApplicationError) as excinfo:
        approve(caseworker_a, closure)

    assert excinfo.value.message == NOT_CENTRAL_ADMIN_MESSAGE


def test_return_keeps_the_case_as_it_was_and_stores_the_comment(
    caseworker_a, central_admin, active_case
):
    closure = request_closure(caseworker_a, active_case)
    active_case.refresh_from_db()
    version = active_case.version

    returned = closure_return(
        actor=central_admin,
        request_id=closure.pk,
        version=closure.version,
        comment="Try the family first.",
    )

    active_case.refresh_from_db()
    assert (returned.status, returned.return_comment) == ("returned", "Try the family first.")
    assert (active_case.status, active_case.version, active_case.closed_at) == (
        CaseStatus.ACTIVE,
        version,
        None,
    )
    assert AuditEvent.objects.get(action=AuditAction.CASE_CLOSURE_RETURNED).detail == {
        "reason": LOST
    }


@pytest.mark.parametrize("comment", ["", "   "])
def test_return_needs_a_comment(caseworker_a, central_admin, active_case, comment):
    closure = request_closure(caseworker_a, active_case)

    with pytest.raises(ValidationError) as excinfo:
        closure_return(
            actor=central_admin, request_id=closure.pk, version=closure.version, comment=comment
        )

    closure.refresh_from_db()
    assert excinfo.value.message_dict == {"comment": [RETURN_COMMENT_REQUIRED_MESSAGE]}
    assert closure.status == "pending"


def test_a_returned_request_allows_a_new_one(caseworker_a, central_admin, active_case):
    closure = request_closure(caseworker_a, active_case)
    closure_return(
        actor=central_admin, request_id=closure.pk, version=closure.version, comment="Not yet."
    )

    again = request_closure(caseworker_a, active_case)

    assert again.status == "pending"


def test_a_decided_request_cannot_be_decided_again(caseworker_a, central_admin, active_case):
    closure = approve(central_admin, request_closure(caseworker_a, active_case))

    with pytest.raises(ApplicationError) as excinfo:
        approve(central_admin, closure)

    assert excinfo.value.message == CLOSURE_NOT_PENDING_MESSAGE


def test_decision_with_a_stale_version_is_refused(caseworker_a, central_admin, active_case):
    closure = request_closure(caseworker_a, active_case)

    with pytest.raises(StaleVersionError):
        closure_approve(actor=central_admin, request_id=closure.pk, version=closure.version + 1)


def test_self_approval_is_refused_by_the_database_too(central_admin, active_case):
    closure = request_closure(central_admin, active_case)

    with pytest.raises(IntegrityError, match="closure_not_decided_by_requester"):
        CaseClosureRequest.objects.filter(pk=closure.pk).update(decided_by=central_admin)


# Closed cases are read-only


def test_closed_case_refuses_registration_changes(caseworker_a, central_admin, active_case):
    case = closed_case(caseworker_a, central_admin, active_case)

    with pytest.raises(ApplicationError) as excinfo:
        case_update(actor=caseworker_a, case_id=case.pk, version=case.version, data={"phone": "1"})

    assert excinfo.value.message == CASE_CLOSED_MESSAGE


def test_closed_case_refuses_status_changes(caseworker_a, central_admin, active_case):
    case = closed_case(caseworker_a, central_admin, active_case)

    with pytest.raises(ApplicationError) as excinfo:
        case_status_change(actor=central_admin, case=case, to_status=CaseStatus.ACTIVE)

    assert excinfo.value.message == CASE_CLOSED_MESSAGE


def test_closed_case_refuses_a_new_closure_request(caseworker_a, central_admin, active_case):
    case = closed_case(caseworker_a, central_admin, active_case)

    with pytest.raises(ApplicationError) as excinfo:
        request_closure(caseworker_a, case)

    assert excinfo.value.message == CASE_CLOSED_MESSAGE


def test_closed_case_refuses_screening_writes(caseworker_a, central_admin, case_a):
    screening = screening_services.screening_start(actor=caseworker_a, case_id=case_a.pk)
    closed_case(caseworker_a, central_admin, case_a)

    with pytest.raises(ApplicationError) as excinfo:
        screening_services.screening_section_save(
            actor=caseworker_a,
            screening_id=screening.pk,
            section="consent",
            version=screening.version,
            data={"consent_interview": True},
        )

    assert excinfo.value.message == CASE_CLOSED_MESSAGE


def test_screening_section_save_locks_the_case_before_checking_it_is_open(caseworker_a, case_a):
    # Checked on an unlocked row, a closure committing meanwhile would let the save through.
    screening = screening_services.screening_start(actor=caseworker_a, case_id=case_a.pk)

    with CaptureQueriesContext(connection) as queries:
        screening_services.screening_section_save(
            actor=caseworker_a,
            screening_id=screening.pk,
            section="consent",
            version=screening.version,
            data={"consent_interview": True},
        )

    assert any(
        query["sql"].startswith('SELECT "cases_case"."id"') and "FOR UPDATE" in query["sql"]
        for query in queries.captured_queries
    )


def test_closed_case_refuses_screening_submission(caseworker_a, central_admin, case_a):
    screening = screening_services.screening_start(actor=caseworker_a, case_id=case_a.pk)
    closed_case(caseworker_a, central_admin, case_a)

    with pytest.raises(ApplicationError) as excinfo:
        screening_services.screening_submit(
            actor=caseworker_a, screening_id=screening.pk, version=screening.version
        )

    assert excinfo.value.message == CASE_CLOSED_MESSAGE


def test_closed_case_refuses_assistance_writes(caseworker_a, central_admin, active_case):
    case = closed_case(caseworker_a, central_admin, active_case)

    with pytest.raises(ApplicationError) as excinfo:
        assistance_services.support_plan_create(
            actor=caseworker_a,
            case_id=case.pk,
            data={"plan_types": ["Health"], "start_date": timezone.localdate()},
        )

    assert excinfo.value.code == "case_not_active"


def test_screening_found_not_eligible_closes_the_case_as_referred(
    caseworker_a, central_admin, case_a
):
    case_status_change(actor=caseworker_a, case=case_a, to_status=CaseStatus.PENDING_REVIEW)

    case_status_change(actor=central_admin, case=case_a, to_status=CaseStatus.CLOSED_REFERRED)

    case_a.refresh_from_db()
    assert (
        case_a.closure_reason,
        case_a.status_before_closure,
        case_a.identity_removal_due_on is not None,
    ) == (ClosureReason.REFERRED, CaseStatus.SCREENING, True)


# Reopening


def test_reopen_returns_to_the_earlier_status_and_clears_the_due_date(
    caseworker_a, central_admin, active_case
):
    case = closed_case(caseworker_a, central_admin, active_case)

    reopening = case_reopen(
        actor=central_admin,
        case_id=case.pk,
        version=case.version,
        reason=ReopenReason.CONTACT_RESUMED,
    )

    case.refresh_from_db()
    assert (reopening.from_status, reopening.to_status) == (CaseStatus.CLOSED, CaseStatus.ACTIVE)
    assert (case.status, case.identity_removal_due_on, case.closed_at, case.closure_reason) == (
        CaseStatus.ACTIVE,
        None,
        None,
        "",
    )
    assert AuditEvent.objects.get(action=AuditAction.CASE_REOPENED).detail == {
        "reason": ReopenReason.CONTACT_RESUMED,
        "from": CaseStatus.CLOSED,
        "to": CaseStatus.ACTIVE,
    }


def test_reopened_case_can_be_changed_again(caseworker_a, central_admin, active_case):
    case = closed_case(caseworker_a, central_admin, active_case)
    case_reopen(
        actor=central_admin, case_id=case.pk, version=case.version, reason=ReopenReason.NEW_NEEDS
    )
    case.refresh_from_db()

    case_update(actor=caseworker_a, case_id=case.pk, version=case.version, data={"phone": "12"})

    case.refresh_from_db()
    assert case.person.phone == "12"


def test_reopen_comment_is_encrypted(caseworker_a, central_admin, active_case):
    case = closed_case(caseworker_a, central_admin, active_case)

    reopening = case_reopen(
        actor=central_admin,
        case_id=case.pk,
        version=case.version,
        reason=ReopenReason.OTHER,
        comment="Court asked for it.",
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT comment FROM cases_casereopening WHERE id = %s", [reopening.pk])
        (stored,) = cursor.fetchone()
    assert "Court" not in stored


def test_reopen_is_for_central_admins_only(caseworker_a, central_admin, active_case):
    case = closed_case(caseworker_a, central_admin, active_case)

    with pytest.raises(ApplicationError) as excinfo:
        case_reopen(
            actor=caseworker_a,
            case_id=case.pk,
            version=case.version,
            reason=ReopenReason.NEW_NEEDS,
        )

    assert excinfo.value.message == NOT_CENTRAL_ADMIN_MESSAGE


def test_an_open_case_cannot_be_reopened(central_admin, active_case):
    with pytest.raises(ApplicationError) as excinfo:
        case_reopen(
            actor=central_admin,
            case_id=active_case.pk,
            version=active_case.version,
            reason=ReopenReason.NEW_NEEDS,
        )

    assert excinfo.value.message == CASE_NOT_CLOSED_MESSAGE


def test_reopen_other_needs_a_comment(caseworker_a, central_admin, active_case):
    case = closed_case(caseworker_a, central_admin, active_case)

    with pytest.raises(ValidationError) as excinfo:
        case_reopen(
            actor=central_admin, case_id=case.pk, version=case.version, reason=ReopenReason.OTHER
        )

    assert excinfo.value.message_dict == {"comment": [COMMENT_REQUIRED_MESSAGE]}


def test_retention_due_date_of_29_february_falls_on_28_february(settings):
    settings.HARBOUR_RETENTION_YEARS = 1

    assert retention_due_on(closed_on=datetime.date(2024, 2, 29)) == datetime.date(2025, 2, 28)


def test_only_one_pending_request_per_case_in_the_database_too(caseworker_a, active_case):
    request_closure(caseworker_a, active_case)

    with pytest.raises(IntegrityError, match="closure_one_pending_per_case"):
        CaseClosureRequest.objects.create(case=active_case, reason=LOST, requested_by=caseworker_a)


def test_a_determination_closing_the_case_withdraws_a_pending_request(
    caseworker_a, central_admin, case_a
):
    closure = request_closure(caseworker_a, case_a)
    case_a.refresh_from_db()

    case_status_change(actor=central_admin, case=case_a, to_status=CaseStatus.CLOSED_REFERRED)

    closure.refresh_from_db()
    assert closure.status == CaseClosureRequest.Status.WITHDRAWN
