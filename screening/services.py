"""Writes to screenings: start, save a section as a draft, submit, review."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from cases.audit import audit_record
from cases.models import AuditAction, Case
from cases.selectors import access_case_by_id
from cases.services import case_require_open, case_status_change
from cases.vocabularies import CaseStatus, TraffickingStatus, validate_codes
from config.errors import ApplicationError, StaleVersionError

from .conditions import BY_FIELD, unmet_conditions
from .models import OPEN_CASE_STATUSES, Perpetrator, Screening, TraffickingEvent
from .sections import SECTIONS, SECTIONS_BEFORE_CONSENT
from .selectors import access_screening_by_id

CONSENT_REQUIRED_MESSAGE = gettext_noop(
    "The person has not consented to the interview: only the consent section can be saved."
)
NOT_EDITABLE_MESSAGE = gettext_noop(
    "This screening has been submitted and can no longer be edited."
)
STALE_MESSAGE = gettext_noop(
    "This screening was changed by someone else since you opened it. Reload it; "
    "nothing you submitted was saved."
)
OPEN_SCREENING_EXISTS_MESSAGE = gettext_noop("This case already has a screening in progress.")
CASE_CLOSED_MESSAGE = gettext_noop("This case is closed; reopen it before screening again.")
UNKNOWN_SECTION_MESSAGE = gettext_noop("Unknown section.")
NOT_SUBMITTED_MESSAGE = gettext_noop("Only a submitted screening can be reviewed.")
SELF_REVIEW_MESSAGE = gettext_noop("You cannot review a determination you took part in.")
NOT_REVIEWER_MESSAGE = gettext_noop("Only a central administrator can review determinations.")
RETURN_COMMENT_REQUIRED_MESSAGE = gettext_noop(
    "Say what needs correcting when you return a screening."
)
# Said of an answer given where it does not apply (the one list: screening.conditions).
INDUSTRY_WITHOUT_FORCED_LABOUR = BY_FIELD["labour_industries"].message
SEX_TYPE_WITHOUT_SEXUAL_EXPLOITATION = BY_FIELD["sexual_exploitation_types"].message
ORG_TYPE_WITHOUT_REFERRAL = BY_FIELD["referring_organisation_type"].message
REQUIRED_MESSAGE = gettext_noop("This answer is required before submitting.")
DATE_ORDER_MESSAGE = gettext_noop(
    "Dates must follow each other: recruitment, exploitation start, exit, interview."
)
DATE_IN_FUTURE_MESSAGE = gettext_noop("This date is in the future.")
END_BEFORE_START_MESSAGE = gettext_noop("The end of exploitation is before its start.")
NOT_A_VICTIM_ELIGIBLE_MESSAGE = gettext_noop(
    "A person determined not to be a victim cannot be eligible."
)
REFERRAL_REQUIRED_MESSAGE = gettext_noop(
    "Record the referral made for a person who is not eligible."
)
MEANS_REQUIRED_MESSAGE = gettext_noop("Reasoning on the means is required for an adult.")

MINOR_AGE = 18

DATE_FIELDS = (
    "interview_date",
    "incoming_referral_date",
    "recruitment_date",
    "exploitation_start",
    "exploitation_end",
    "exit_date",
)


def _error(field: str, message: str) -> dict[str, list[str]]:
    return {field: [_(message)]}


def _merge(errors: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for key, values in more.items():
        errors.setdefault(key, []).extend(values)


# The answers ``screening_start`` copies in from the case, the person and the mission. They
# are not the caseworker's yet: the section navigation does not count them as started.
# (A fresh screening showing every section not started is the test that the two agree.)
PREFILLED_FIELDS = frozenset(
    {"interview_date", "interview_country", "gender", "birth_year", "citizenships", "languages"}
)


def _prefilled_answers(case: Case) -> dict[str, Any]:
    person = case.person
    return {
        "interview_date": timezone.localdate(),
        "interview_country": case.mission.country,
        "gender": person.gender,
        "birth_year": person.birth_year,
        "citizenships": list(person.citizenships),
        "languages": list(person.languages),
    }


@transaction.atomic
def screening_start(*, actor: User, case_id: Any) -> Screening:
    case = access_case_by_id(user=actor, case_id=case_id, for_update=True)
    if case.status not in OPEN_CASE_STATUSES:
        raise ApplicationError(_(CASE_CLOSED_MESSAGE))
    if case.screenings.exclude(status=Screening.Status.APPROVED).exists():
        raise ApplicationError(_(OPEN_SCREENING_EXISTS_MESSAGE))
    screening = Screening.objects.create(
        case=case, created_by=actor, interviewer=actor, **_prefilled_answers(case)
    )
    audit_record(actor=actor, action=AuditAction.SCREENING_STARTED, case=case, obj=screening)
    return screening


def _derive(screening: Screening) -> None:
    """Computed answers: age and minority at registration, duration of exploitation."""
    case: Case = screening.case
    if screening.birth_year:
        age = case.registered_on.year - screening.birth_year
        screening.age_at_registration = max(age, 0)
        screening.minor_at_registration = age < MINOR_AGE
    else:
        screening.age_at_registration = None
        screening.minor_at_registration = None
    start, end = screening.exploitation_start, screening.exploitation_end
    if start and end and end >= start:
        months = (end.year - start.year) * 12 + (end.month - start.month)
        screening.exploitation_months = months + (1 if end.day >= start.day else 0)
    else:
        screening.exploitation_months = None


def _section_checks(screening: Screening, section: str) -> dict[str, list[str]]:
    """Checks inside one section, so a draft of it never stores contradictory answers."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    for field in SECTIONS[section]["fields"]:
        if field in DATE_FIELDS:
            value = getattr(screening, field)
            if value is not None and value > today:
                _merge(errors, _error(field, DATE_IN_FUTURE_MESSAGE))
    for condition in unmet_conditions(
        lambda name: getattr(screening, name), SECTIONS[section]["fields"]
    ):
        _merge(errors, _error(condition.field, condition.message))
    if section == "exploitation":
        start, end = screening.exploitation_start, screening.exploitation_end
        if start and end and end < start:
            _merge(errors, _error("exploitation_end", END_BEFORE_START_MESSAGE))
    if section == "determination" and (
        screening.trafficking_status == TraffickingStatus.NotAVictimOfTrafficking
        and screening.eligible_for_assistance
    ):
        _merge(errors, _error("eligible_for_assistance", NOT_A_VICTIM_ELIGIBLE_MESSAGE))
    return errors


def _unknown_codes(obj: models.Model, names: list[str]) -> dict[str, list[str]]:
    """Coded list answers holding a value outside their vocabulary.

    Checked before Django's own validation: ArrayField formats its item error twice, so an
    unknown code containing "%" would raise ValueError (a 500) instead of being reported.
    """
    errors: dict[str, list[str]] = {}
    for name in names:
        field = obj._meta.get_field(name)
        if isinstance(field, ArrayField) and field.base_field.choices:
            allowed = frozenset(str(code) for code, _label in field.base_field.choices)
            try:
                validate_codes([str(value) for value in getattr(obj, name) or []], allowed)
            except ValidationError as exc:
                errors[name] = exc.messages
    return errors


def _replace_rows(screening: Screening, model, rows: list[dict[str, Any]]) -> None:
    objects = [model(screening=screening, position=index, **row) for index, row in enumerate(rows)]
    errors: dict[str, list[str]] = {}
    prefix = "events" if model is TraffickingEvent else "perpetrators"
    for index, obj in enumerate(objects):
        unknown = _unknown_codes(obj, [f.name for f in model._meta.fields])
        for field, messages in unknown.items():
            errors.setdefault(f"{prefix}.{index}.{field}", []).extend(messages)
        try:
            obj.full_clean(exclude=["screening", *unknown], validate_unique=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(f"{prefix}.{index}.{field}", []).extend(messages)
    if errors:
        raise ValidationError(errors)
    model.objects.filter(screening=screening).delete()
    model.objects.bulk_create(objects)


def _open_case_locked(*, actor: User, screening: Screening) -> Case:
    """The screening's case, locked, refused if closed: checked on an unlocked row, a closure
    committing meanwhile would let the write through."""
    case = access_case_by_id(user=actor, case_id=screening.case_id, for_update=True)
    case_require_open(case=case)
    return case


@transaction.atomic
def screening_section_save(
    *,
    actor: User,
    screening_id: Any,
    section: str,
    version: int,
    data: dict[str, Any],
    rows: list[dict[str, Any]] | None = None,
) -> Screening:
    """Save one section as a draft. Only that section is validated, so nothing else blocks it.

    ``rows`` replaces the section's repeating rows (route events or perpetrators) when given.
    """
    if section not in SECTIONS:
        raise ApplicationError(
            _(UNKNOWN_SECTION_MESSAGE), errors={"section": [_(UNKNOWN_SECTION_MESSAGE)]}
        )
    screening = access_screening_by_id(user=actor, screening_id=screening_id, for_update=True)
    _open_case_locked(actor=actor, screening=screening)
    if screening.status not in (Screening.Status.DRAFT, Screening.Status.RETURNED):
        raise ApplicationError(_(NOT_EDITABLE_MESSAGE), code="not_editable")
    if screening.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    if section not in SECTIONS_BEFORE_CONSENT and screening.consent_interview is not True:
        raise ApplicationError(_(CONSENT_REQUIRED_MESSAGE), code="consent_required")

    fields = SECTIONS[section]["fields"]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ApplicationError(
            _("These answers do not belong to this section."), errors={f: [] for f in unknown}
        )
    for field in fields:
        if field in data:
            setattr(screening, field, data[field])
    if section == "consent":
        screening.consent_taken_by = actor
        screening.consent_taken_at = timezone.now()

    other_fields = [f.name for f in Screening._meta.fields if f.name not in fields]
    errors = _unknown_codes(screening, fields)
    try:
        screening.clean_fields(exclude=[*other_fields, *errors])
    except ValidationError as exc:
        _merge(errors, exc.message_dict)
    _merge(errors, _section_checks(screening, section))
    if errors:
        raise ValidationError(errors)

    _derive(screening)
    screening.version += 1
    screening.save()
    row_kind = SECTIONS[section].get("rows")
    if row_kind and rows is not None:
        _replace_rows(screening, TraffickingEvent if row_kind == "events" else Perpetrator, rows)
    audit_record(
        actor=actor,
        action=AuditAction.SCREENING_SECTION_SAVED,
        case=screening.case,
        obj=screening,
        detail={"section": section},
    )
    return screening


def _required(screening: Screening, fields: list[str], errors: dict[str, list[str]]) -> None:
    for field in fields:
        value = getattr(screening, field)
        if value is None or value == "" or value == []:
            _merge(errors, _error(field, REQUIRED_MESSAGE))


def _dates_in_order(screening: Screening) -> dict[str, list[str]]:
    ordered: list[tuple[str, datetime.date | None]] = [
        ("recruitment_date", screening.recruitment_date),
        ("exploitation_start", screening.exploitation_start),
        ("exit_date", screening.exit_date),
        ("interview_date", screening.interview_date),
    ]
    present = [(name, value) for name, value in ordered if value is not None]
    errors: dict[str, list[str]] = {}
    for (_earlier, before), (later, after) in itertools.pairwise(present):
        if after < before:
            _merge(errors, _error(later, DATE_ORDER_MESSAGE))
    return errors


def screening_submission_errors(screening: Screening) -> dict[str, list[str]]:
    """Everything that stops a screening from being submitted, by field."""
    errors: dict[str, list[str]] = {}
    if screening.consent_interview is not True:
        _merge(errors, _error("consent_interview", CONSENT_REQUIRED_MESSAGE))
        return errors
    _required(screening, SECTIONS["consent"]["fields"], errors)
    _required(
        screening,
        [
            "interview_date",
            "interview_country",
            "interview_language",
            "referral_source",
            "gender",
            "citizenships",
            "trafficking_status",
            "decision_organisation",
            "reasoning_act",
            "reasoning_purpose",
        ],
        errors,
    )
    if screening.eligible_for_assistance is None:
        _merge(errors, _error("eligible_for_assistance", REQUIRED_MESSAGE))
    if screening.trafficking_status != TraffickingStatus.NotAVictimOfTrafficking:
        _required(screening, ["exploitation_types", "exploitation_countries"], errors)
    minor = bool(
        screening.minor_at_registration
        or screening.minor_at_recruitment
        or screening.minor_at_exploitation
    )
    if not minor and not screening.reasoning_means:
        _merge(errors, _error("reasoning_means", MEANS_REQUIRED_MESSAGE))
    if screening.eligible_for_assistance is False and not screening.referral_made:
        _merge(errors, _error("referral_made", REFERRAL_REQUIRED_MESSAGE))
    for section in SECTIONS:
        _merge(errors, _section_checks(screening, section))
    _merge(errors, _dates_in_order(screening))
    return errors


@transaction.atomic
def screening_submit(*, actor: User, screening_id: Any, version: int) -> Screening:
    """Submit the determination for central review; the case moves to pending review."""
    screening = access_screening_by_id(user=actor, screening_id=screening_id, for_update=True)
    case = _open_case_locked(actor=actor, screening=screening)
    if screening.status not in (Screening.Status.DRAFT, Screening.Status.RETURNED):
        raise ApplicationError(_(NOT_EDITABLE_MESSAGE), code="not_editable")
    if screening.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    errors = screening_submission_errors(screening)
    if errors:
        raise ValidationError(errors)
    screening.status = Screening.Status.SUBMITTED
    screening.submitted_by = actor
    screening.submitted_at = timezone.now()
    screening.version += 1
    screening.save()
    case_status_change(actor=actor, case=case, to_status=CaseStatus.PENDING_REVIEW)
    audit_record(actor=actor, action=AuditAction.SCREENING_SUBMITTED, case=case, obj=screening)
    return screening


@transaction.atomic
def determination_review(
    *, actor: User, screening_id: Any, version: int, approve: bool, comment: str = ""
) -> Screening:
    """Approve or return a submitted determination. Reviewers never review their own work."""
    if not actor.sees_all_missions:
        raise ApplicationError(_(NOT_REVIEWER_MESSAGE), code="not_reviewer")
    screening = access_screening_by_id(user=actor, screening_id=screening_id, for_update=True)
    case = _open_case_locked(actor=actor, screening=screening)
    if screening.status != Screening.Status.SUBMITTED:
        raise ApplicationError(_(NOT_SUBMITTED_MESSAGE), code="not_submitted")
    if screening.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    participants = {
        screening.created_by_id,
        screening.submitted_by_id,
        screening.interviewer_id,
        screening.consent_taken_by_id,
    }
    if actor.pk in participants:
        raise ApplicationError(_(SELF_REVIEW_MESSAGE), code="self_review")
    if not approve and not comment.strip():
        raise ValidationError({"comment": [_(RETURN_COMMENT_REQUIRED_MESSAGE)]})

    screening.reviewed_by = actor
    screening.reviewed_at = timezone.now()
    screening.review_comment = comment.strip()
    screening.version += 1
    if approve:
        screening.status = Screening.Status.APPROVED
        to_status = (
            CaseStatus.ACTIVE if screening.eligible_for_assistance else CaseStatus.CLOSED_REFERRED
        )
        action = AuditAction.SCREENING_APPROVED
    else:
        screening.status = Screening.Status.RETURNED
        to_status = CaseStatus.SCREENING
        action = AuditAction.SCREENING_RETURNED
    screening.save()
    case_status_change(actor=actor, case=case, to_status=to_status)
    audit_record(actor=actor, action=action, case=case, obj=screening)
    return screening
