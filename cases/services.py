"""Writes to cases. Each service runs in one transaction and records its audit event in it."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Mission, User
from config.errors import ApplicationError, StaleVersionError

from . import crypto
from .audit import audit_record
from .models import PERSON_IDENTITY_FIELDS, AuditAction, Case, CaseReferenceCounter, Person
from .selectors import access_case_by_id, registrable_missions
from .vocabularies import CaseStatus

IDENTITY_FIELDS = PERSON_IDENTITY_FIELDS
CODED_PERSON_FIELDS = ("gender", "birth_year", "citizenships", "languages")
PERSON_FIELDS = IDENTITY_FIELDS + CODED_PERSON_FIELDS
CASE_FIELDS = ("registered_on", "assigned_to")

STALE_VERSION_MESSAGE = (
    "This case was changed by someone else since you opened it. "
    "Reload it to see their changes; nothing you submitted was saved."
)
MISSION_NOT_ALLOWED_MESSAGE = "You cannot register cases for this mission."
ASSIGNEE_NOT_CASEWORKER_MESSAGE = "The assigned person is not a caseworker of the case's mission."


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
    return case


@transaction.atomic
def case_update(*, actor: User, case_id: Any, version: int, data: dict[str, Any]) -> Case:
    """Change registration data. Refused, with nothing written, if ``version`` is stale."""
    case = access_case_by_id(user=actor, case_id=case_id, for_update=True)
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
    _derive_person(person, registered_on=case.registered_on)
    person.full_clean()
    person.save()
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

    ``reason`` is a code, never free text.
    """
    from_status = case.status
    if from_status == to_status:
        return case
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
    The flag is not a user edit, so the case's ``version`` does not move.
    """
    updated = Case.objects.filter(pk=case.pk, retrafficked=False).update(
        retrafficked=True, updated_at=timezone.now()
    )
    case.retrafficked = True
    if updated:
        audit_record(
            actor=actor,
            action=AuditAction.CASE_RETRAFFICKING_FLAGGED,
            case=case,
            detail={"source": source},
        )
    return case
