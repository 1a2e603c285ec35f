"""Writes to cases. Each service runs in one transaction and records its audit event in it."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Membership, Mission, User
from config.errors import ApplicationError, StaleVersionError

from . import crypto, search
from .audit import audit_record
from .models import (
    PERSON_IDENTITY_FIELDS,
    AuditAction,
    Case,
    CaseClosureRequest,
    CaseLink,
    CaseReferenceCounter,
    CaseReopening,
    Person,
)
from .selectors import access_case_by_id, access_case_record_by_id, registrable_missions
from .vocabularies import CLOSED_STATUSES, CaseStatus, ClosureReason, ReopenReason

IDENTITY_FIELDS = PERSON_IDENTITY_FIELDS
CODED_PERSON_FIELDS = ("gender", "birth_year", "citizenships", "languages")
PERSON_FIELDS = IDENTITY_FIELDS + CODED_PERSON_FIELDS
CASE_FIELDS = ("registered_on", "assigned_to")

STALE_VERSION_MESSAGE = gettext_noop(
    "This case was changed by someone else since you opened it. "
    "Reload it to see their changes; nothing you submitted was saved."
)
MISSION_NOT_ALLOWED_MESSAGE = gettext_noop("You cannot register cases for this mission.")
ASSIGNEE_NOT_CASEWORKER_MESSAGE = gettext_noop(
    "The assigned person is not a caseworker of the case's mission."
)
CASE_CLOSED_MESSAGE = gettext_noop(
    "This case is closed and can no longer be changed. A central administrator can reopen it."
)
CASE_NOT_CLOSED_MESSAGE = gettext_noop("Only a closed case can be reopened.")
CLOSURE_PENDING_MESSAGE = gettext_noop(
    "A closure request for this case is already waiting for a decision."
)
CLOSURE_NOT_PENDING_MESSAGE = gettext_noop("This closure request has already been decided.")
CLOSURE_STALE_MESSAGE = gettext_noop(
    "This closure request was decided or changed since you opened it. "
    "Reload it; nothing you submitted was saved."
)
SELF_APPROVAL_MESSAGE = gettext_noop("You cannot decide on a closure you requested.")
NOT_CENTRAL_ADMIN_MESSAGE = gettext_noop("Only a central administrator can do this.")
UNKNOWN_REASON_MESSAGE = gettext_noop("Choose one of the listed reasons.")
COMMENT_REQUIRED_MESSAGE = gettext_noop("Explain the reason in the comment.")
RETURN_COMMENT_REQUIRED_MESSAGE = gettext_noop("Say why the request is returned.")
COMMENT_TOO_LONG_MESSAGE = gettext_noop("Keep the comment to at most 2000 characters.")
COMMENT_MAX_LENGTH = 2000
# The link is made only when the birth date is known too: names alone are too often shared.
LINK_SOURCE = "case_link"


def case_reference_format(*, mission_code: str, year: int, number: int) -> str:
    return f"{mission_code}-{year:04d}-{number:05d}"


def case_reference_reserve(*, mission: Mission, year: int, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers and return the last one.

    Must run inside the transaction that creates the cases: the upsert locks the
    (mission, year) counter row until commit, so concurrent creations queue, and a rolled-back
    creation rolls the numbers back, so there are no gaps.
    """
    table = CaseReferenceCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (mission_id, year, last_number) VALUES (%s, %s, %s)
            ON CONFLICT (mission_id, year)
            DO UPDATE SET last_number = {table}.last_number + EXCLUDED.last_number
            RETURNING last_number
            """,  # noqa: S608 - the table name is ours, values are parameters
            [mission.pk, year, count],
        )
        (number,) = cursor.fetchone()
    return number


def case_reference_next(*, mission: Mission, year: int) -> str:
    """Issue the next reference. Must run inside the transaction that creates the case."""
    number = case_reference_reserve(mission=mission, year=year)
    return case_reference_format(mission_code=mission.code, year=year, number=number)


def _age_on(*, on: datetime.date, date_of_birth: datetime.date | None, birth_year: int | None):
    if date_of_birth is not None:
        before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
        return on.year - date_of_birth.year - int(before_birthday)
    if birth_year is not None:
        return on.year - birth_year
    return None


def _derive_person(person: Person, *, registered_on: datetime.date) -> None:
    """Fill the derived fields and check the ones that depend on each other."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    dob = person.date_of_birth
    if dob is not None:
        if dob > today:
            errors.setdefault("date_of_birth", []).append(_("Date of birth is in the future."))
        if person.birth_year is not None and person.birth_year != dob.year:
            errors.setdefault("birth_year", []).append(
                _("Birth year does not match the date of birth.")
            )
        person.birth_year = dob.year
    if person.birth_year is not None and person.birth_year > registered_on.year:
        errors.setdefault("birth_year", []).append(_("Birth year is after the registration date."))
    if errors:
        raise ValidationError(errors)
    person.age_at_registration = _age_on(
        on=registered_on, date_of_birth=dob, birth_year=person.birth_year
    )
    person.citizenships = sorted(set(person.citizenships))
    person.languages = sorted(set(person.languages))
    person.blind_index = crypto.blind_index(
        given_name=person.given_name, family_name=person.family_name, date_of_birth=dob
    )


def person_prepare(*, person: Person, registered_on: datetime.date) -> None:
    """Derive and check a new person's fields exactly as ``case_create`` does.

    For bulk imports, which write many people at once instead of calling ``case_create`` per
    row: age at registration, birth year, sorted codes and the blind index come from here.
    """
    _derive_person(person, registered_on=registered_on)


def _check_registered_on(registered_on: datetime.date) -> None:
    if registered_on > timezone.localdate():
        raise ValidationError({"registered_on": [_("Registration date is in the future.")]})


def _check_assignee(*, assignee: User | None, mission: Mission) -> None:
    if assignee is None:
        return
    if not Membership.objects.filter(
        user=assignee, mission=mission, role=Membership.Role.CASEWORKER, user__is_active=True
    ).exists():
        raise ValidationError({"assigned_to": [_(ASSIGNEE_NOT_CASEWORKER_MESSAGE)]})


def _check_mission_allowed(*, actor: User, mission: Mission) -> None:
    if not registrable_missions(actor).filter(pk=mission.pk).exists():
        raise ApplicationError(
            _(MISSION_NOT_ALLOWED_MESSAGE), errors={"mission": [_(MISSION_NOT_ALLOWED_MESSAGE)]}
        )


@transaction.atomic
def case_create(
    *,
    actor: User,
    mission: Mission,
    person: dict[str, Any],
    registered_on: datetime.date | None = None,
    assigned_to: User | None = None,
) -> Case:
    """Register a case: a person's identity, a few coded fields, and a new reference."""
    _check_mission_allowed(actor=actor, mission=mission)
    registered_on = registered_on or timezone.localdate()
    _check_registered_on(registered_on)
    _check_assignee(assignee=assigned_to, mission=mission)

    unknown = set(person) - set(PERSON_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown person fields."), errors={f: [] for f in unknown})
    new_person = Person(**person)
    _derive_person(new_person, registered_on=registered_on)
    new_person.full_clean()
    new_person.save()
    search.tokens_rebuild([new_person])

    case = Case(
        mission=mission,
        person=new_person,
        assigned_to=assigned_to,
        registered_on=registered_on,
        status=CaseStatus.SCREENING,
        created_by=actor,
    )
    case.reference = case_reference_next(mission=mission, year=registered_on.year)
    case.full_clean(exclude=["person"])
    case.save()
    audit_record(actor=actor, action=AuditAction.CASE_CREATED, case=case)
    case_link_same_person(case=case)
    return case


@transaction.atomic
def case_update(*, actor: User, case_id: Any, version: int, data: dict[str, Any]) -> Case:
    """Change registration data. Refused, with nothing written, if ``version`` is stale."""
    case = access_case_by_id(user=actor, case_id=case_id, for_update=True)
    case_require_open(case=case)
    if case.version != version:
        raise StaleVersionError(_(STALE_VERSION_MESSAGE))

    unknown = set(data) - set(PERSON_FIELDS) - set(CASE_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown fields."), errors={f: [] for f in sorted(unknown)})

    person = case.person
    changed: list[str] = []
    for field in PERSON_FIELDS:
        if field in data and getattr(person, field) != data[field]:
            setattr(person, field, data[field])
            changed.append(field)
    if "registered_on" in data and data["registered_on"] != case.registered_on:
        _check_registered_on(data["registered_on"])
        case.registered_on = data["registered_on"]
        changed.append("registered_on")
    assignee_changed = "assigned_to" in data and data["assigned_to"] != case.assigned_to
    if assignee_changed:
        _check_assignee(assignee=data["assigned_to"], mission=case.mission)
        case.assigned_to = data["assigned_to"]

    if not changed and not assignee_changed:
        # Nothing to write: keep the version, so nobody else's edit is refused as stale.
        return case
    old_blind_index = person.blind_index
    _derive_person(person, registered_on=case.registered_on)
    person.full_clean()
    person.save()
    search.tokens_rebuild([person])
    if person.blind_index != old_blind_index:
        # A corrected name or birth date can reveal an earlier case of the same person.
        case_link_same_person(case=case)
    case.version += 1
    case.full_clean(exclude=["person", "reference"])
    case.save()
    if changed:
        audit_record(
            actor=actor,
            action=AuditAction.CASE_UPDATED,
            case=case,
            detail={"fields": sorted(changed)},
        )
    if assignee_changed:
        audit_record(
            actor=actor,
            action=AuditAction.CASE_ASSIGNED,
            case=case,
            detail={"assigned_to": case.assigned_to_id},
        )
    return case


@transaction.atomic
def case_assign(*, actor: User, case_id: Any, version: int, caseworker: User | None) -> Case:
    return case_update(
        actor=actor, case_id=case_id, version=version, data={"assigned_to": caseworker}
    )


@transaction.atomic
def case_status_change(*, actor: User, case: Case, to_status: CaseStatus, reason: str = "") -> Case:
    """Move a case to another status. Only services of the workflow call this.

    ``reason`` is a code, never free text. A closed case is read-only: only reopening (by a
    central administrator) moves it on. A workflow that ends in a closed status (a person
    found not eligible is referred) closes the case as a closure would.
    """
    from_status = case.status
    if from_status == to_status:
        return case
    case_require_open(case=case)
    if to_status in CLOSED_STATUSES:
        # The determination closed it: reopening returns it to screening, where a new
        # screening can start (the approved one cannot be reviewed again).
        before = CaseStatus.SCREENING if from_status == CaseStatus.PENDING_REVIEW else from_status
        _case_close(
            actor=actor,
            case=case,
            reason=ClosureReason.REFERRED,
            to_status=to_status,
            before=before,
        )
    else:
        case.status = to_status
        case.version += 1
        case.save(update_fields=["status", "version", "updated_at"])
    detail: dict[str, Any] = {"from": from_status, "to": str(to_status)}
    if reason:
        detail["reason"] = reason
    audit_record(actor=actor, action=AuditAction.CASE_STATUS_CHANGED, case=case, detail=detail)
    return case


@transaction.atomic
def case_mark_retrafficked(*, actor: User | None, case: Case, source: str) -> Case:
    """Flag a case as re-trafficking; ``source`` is a code (e.g. ``monitoring_visit``).

    Idempotent: a case already flagged is left as it is and no second audit row is written.
    The flag is not a user edit, so neither ``version`` nor ``updated_at`` moves: a link made
    from another mission's registration must not show on this case as a change its
    caseworker can see ("Last changed").
    """
    updated = Case.objects.filter(pk=case.pk, retrafficked=False).update(retrafficked=True)
    case.retrafficked = True
    if updated:
        audit_record(
            actor=actor,
            action=AuditAction.CASE_RETRAFFICKING_FLAGGED,
            case=case,
            detail={"source": source},
        )
    return case


def case_require_open(*, case: Case) -> None:
    """Refuse any write to a closed case; every case write calls this on the locked row."""
    if case.status in CLOSED_STATUSES:
        raise ApplicationError(_(CASE_CLOSED_MESSAGE), code="case_closed")


# Re-trafficking: cases of the same person


@transaction.atomic
def case_link_same_person(*, case: Case) -> list[CaseLink]:
    """Link ``case`` with every other case of the same person, in any mission, and flag both.

    The match is by blind index and needs a known date of birth. It runs here, outside the
    registering user's scope, and tells them nothing: links and flags are for central
    administrators, and the audit rows hold ids only (actor None: the system made the link).
    """
    person = case.person
    if not person.blind_index or person.date_of_birth is None:
        return []
    others = list(
        Case.objects.filter(person__blind_index=person.blind_index)
        .exclude(pk=case.pk)
        .order_by("registered_on", "created_at")
    )
    links: list[CaseLink] = []
    for other in others:
        earlier, later = sorted(
            (other, case), key=lambda c: (c.registered_on, c.created_at or timezone.now())
        )
        if CaseLink.objects.filter(
            models.Q(earlier_case=earlier, later_case=later)
            | models.Q(earlier_case=later, later_case=earlier)
        ).exists():
            continue
        link = CaseLink.objects.create(earlier_case=earlier, later_case=later)
        audit_record(
            actor=None,
            action=AuditAction.CASES_LINKED,
            case=later,
            obj=link,
            detail={"earlier_case": str(earlier.pk), "later_case": str(later.pk)},
        )
        case_mark_retrafficked(actor=None, case=earlier, source=LINK_SOURCE)
        case_mark_retrafficked(actor=None, case=later, source=LINK_SOURCE)
        links.append(link)
    return links


# Closure and reopening


def retention_due_on(*, closed_on: datetime.date) -> datetime.date:
    """The day the identity of a case closed on ``closed_on`` is to be removed."""
    year = closed_on.year + settings.HARBOUR_RETENTION_YEARS
    try:
        return closed_on.replace(year=year)
    except ValueError:  # 29 February in a year that has none
        return closed_on.replace(year=year, day=28)


def _case_close(
    *, actor: User | None, case: Case, reason: str, to_status: str, before: str | None = None
) -> Case:
    """Close a locked, open case: it becomes read-only and its retention period starts."""
    now = timezone.now()
    from_status = case.status
    case.status_before_closure = before or from_status
    case.status = to_status
    case.closure_reason = reason
    case.closed_at = now
    case.identity_removal_due_on = retention_due_on(closed_on=timezone.localdate(now))
    case.version += 1
    case.save(update_fields=[*CLOSURE_CASE_FIELDS, "status", "version", "updated_at"])
    # A request still waiting (the determination closed the case meanwhile) has nothing left
    # to decide.
    case.closure_requests.filter(status=CaseClosureRequest.Status.PENDING).update(
        status=CaseClosureRequest.Status.WITHDRAWN, decided_at=now
    )
    audit_record(
        actor=actor,
        action=AuditAction.CASE_CLOSED,
        case=case,
        detail={"reason": str(reason), "from": str(from_status), "to": str(to_status)},
    )
    return case


CLOSURE_CASE_FIELDS = (
    "closure_reason",
    "closed_at",
    "status_before_closure",
    "identity_removal_due_on",
)


def _require_central_admin(actor: User) -> None:
    if not actor.sees_all_missions:
        raise ApplicationError(_(NOT_CENTRAL_ADMIN_MESSAGE), code="not_central_admin")


def _clean_comment(
    *, comment: str, required: bool, field: str = "comment", message: str = COMMENT_REQUIRED_MESSAGE
) -> str:
    comment = (comment or "").strip()
    if required and not comment:
        raise ValidationError({field: [_(message)]})
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError({field: [_(COMMENT_TOO_LONG_MESSAGE)]})
    return comment


def _check_reason(reason: Any, choices) -> str:
    if not isinstance(reason, str) or reason not in choices.values:
        raise ValidationError({"reason": [_(UNKNOWN_REASON_MESSAGE)]})
    return reason


@transaction.atomic
def closure_request(
    *, actor: User, case_id: Any, version: int, reason: str, comment: str = ""
) -> CaseClosureRequest:
    """Ask for a case to be closed. A referral closes it at once; any other reason waits for a
    central administrator's decision. ``comment`` is encrypted; the audit holds the code."""
    case = access_case_by_id(user=actor, case_id=case_id, for_update=True)
    case_require_open(case=case)
    if case.version != version:
        raise StaleVersionError(_(STALE_VERSION_MESSAGE))
    reason = _check_reason(reason, ClosureReason)
    comment = _clean_comment(comment=comment, required=reason == ClosureReason.OTHER)
    if case.closure_requests.filter(status=CaseClosureRequest.Status.PENDING).exists():
        raise ApplicationError(_(CLOSURE_PENDING_MESSAGE), code="closure_pending")
    request = CaseClosureRequest(case=case, reason=reason, comment=comment, requested_by=actor)
    if reason == ClosureReason.REFERRED:
        request.status = CaseClosureRequest.Status.CLOSED_AT_ONCE
        request.decided_at = timezone.now()
    request.full_clean(exclude=["case", "requested_by"], validate_unique=False)
    request.save()
    audit_record(
        actor=actor,
        action=AuditAction.CASE_CLOSURE_REQUESTED,
        case=case,
        obj=request,
        detail={"reason": reason},
    )
    if reason == ClosureReason.REFERRED:
        _case_close(actor=actor, case=case, reason=reason, to_status=CaseStatus.CLOSED_REFERRED)
    return request


def _pending_request_locked(*, actor: User, request_id: Any, version: int):
    _require_central_admin(actor)
    found = access_case_record_by_id(
        model=CaseClosureRequest, user=actor, object_id=request_id, for_update=False
    )
    # The case first, then the request: the same order as every other write to the case.
    case = access_case_by_id(user=actor, case_id=found.case_id, for_update=True)
    request = CaseClosureRequest.objects.select_for_update().get(pk=found.pk)
    if request.status != CaseClosureRequest.Status.PENDING:
        raise ApplicationError(_(CLOSURE_NOT_PENDING_MESSAGE), code="closure_not_pending")
    if request.version != version:
        raise StaleVersionError(_(CLOSURE_STALE_MESSAGE))
    if request.requested_by_id == actor.pk:
        raise ApplicationError(_(SELF_APPROVAL_MESSAGE), code="self_approval")
    return case, request


@transaction.atomic
def closure_approve(*, actor: User, request_id: Any, version: int) -> CaseClosureRequest:
    """A central administrator (never the requester) approves: the case closes."""
    case, request = _pending_request_locked(actor=actor, request_id=request_id, version=version)
    case_require_open(case=case)
    request.status = CaseClosureRequest.Status.APPROVED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.version += 1
    request.save(update_fields=["status", "decided_by", "decided_at", "version"])
    audit_record(
        actor=actor,
        action=AuditAction.CASE_CLOSURE_APPROVED,
        case=case,
        obj=request,
        detail={"reason": request.reason},
    )
    _case_close(actor=actor, case=case, reason=request.reason, to_status=CaseStatus.CLOSED)
    request.case = case
    return request


@transaction.atomic
def closure_return(
    *, actor: User, request_id: Any, version: int, comment: str = ""
) -> CaseClosureRequest:
    """A central administrator (never the requester) returns the request; the case stays open."""
    case, request = _pending_request_locked(actor=actor, request_id=request_id, version=version)
    comment = _clean_comment(
        comment=comment, required=True, message=RETURN_COMMENT_REQUIRED_MESSAGE
    )
    request.status = CaseClosureRequest.Status.RETURNED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.return_comment = comment
    request.version += 1
    request.save(update_fields=["status", "decided_by", "decided_at", "return_comment", "version"])
    audit_record(
        actor=actor,
        action=AuditAction.CASE_CLOSURE_RETURNED,
        case=case,
        obj=request,
        detail={"reason": request.reason},
    )
    request.case = case
    return request


@transaction.atomic
def case_reopen(
    *, actor: User, case_id: Any, version: int, reason: str, comment: str = ""
) -> CaseReopening:
    """A central administrator reopens a closed case: it returns to its status before closure
    and its retention due date is cleared."""
    _require_central_admin(actor)
    case = access_case_by_id(user=actor, case_id=case_id, for_update=True)
    if case.status not in CLOSED_STATUSES:
        raise ApplicationError(_(CASE_NOT_CLOSED_MESSAGE), code="case_not_closed")
    if case.version != version:
        raise StaleVersionError(_(STALE_VERSION_MESSAGE))
    reason = _check_reason(reason, ReopenReason)
    comment = _clean_comment(comment=comment, required=reason == ReopenReason.OTHER)
    from_status = case.status
    # A case closed before closure was recorded has no earlier status: it was being assisted.
    to_status = case.status_before_closure or CaseStatus.ACTIVE
    reopening = CaseReopening.objects.create(
        case=case,
        reason=reason,
        comment=comment,
        from_status=from_status,
        to_status=to_status,
        reopened_by=actor,
    )
    case.status = to_status
    case.closure_reason = ""
    case.closed_at = None
    case.status_before_closure = ""
    case.identity_removal_due_on = None
    case.version += 1
    case.save(update_fields=[*CLOSURE_CASE_FIELDS, "status", "version", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.CASE_REOPENED,
        case=case,
        obj=reopening,
        detail={"reason": reason, "from": from_status, "to": str(to_status)},
    )
    return reopening


def case_search_record(*, actor: User, query: str, results: int) -> None:
    """Audit one search of the case list (HTML or API): who searched, when, a keyed digest of
    the normalised query (repeated searches for the same words can be told apart from others,
    the words themselves cannot be read) and how many cases matched."""
    audit_record(
        actor=actor,
        action=AuditAction.CASE_SEARCHED,
        detail={"query_digest": search.query_digest(query), "results": results},
    )
