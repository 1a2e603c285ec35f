"""The one validation and import service every format and both entry points use.

A job goes: upload (``import_job_create``: the file stored encrypted) -> validation of the
whole file (``import_validate``: nothing written but the report) -> confirmation by a
central administrator (``import_confirm``) -> import (``import_run``: one transaction,
batched COPY writes, cancellable) -> one audit event with counts. The command line
(``manage.py import_cases``) and the upload page call the same functions; a format only
brings its reader (``intake.readers``), which must yield HTCDS field names only
(``intake.columns``): any other column refuses the file.

Options: ``screening_draft`` (always for field submissions, ``FIELD_FORMATS``: the
screening arrives as a draft for a caseworker to check and submit, never approved),
``historical`` (CTDC: no identity, consent for research as the release implies, the case
closed), ``import_valid_rows`` (chosen explicitly at confirmation; the rejected rows come
back as a file, ``intake.rejected``).
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Mission, User
from cases.audit import audit_record
from cases.bulk import CopyTable
from cases.models import AuditAction, Case, Person
from cases.search import tokens_rebuild
from cases.services import (
    case_reference_format,
    case_reference_reserve,
    person_prepare,
    retention_due_on,
)
from cases.vocabularies import CaseStatus, ClosureReason, TraffickingStatus
from config.errors import ApplicationError
from screening.models import Perpetrator, Screening, TraffickingEvent
from screening.services import MINOR_AGE

from . import messages, storage
from .field_columns import FIELD_FORMATS, PERPETRATORS, layout_for
from .models import ImportedRecord, ImportJob
from .readers import ReaderError, SourceRow, ctdc, htcds, odk, reader_for  # noqa: F401 - registers
from .validation import Prepared, looks_like_formula, unknown_columns, validate_row

BATCH_ROWS = 2000
# The report keeps this many cell errors in full; beyond them it keeps counts per column.
ERRORS_KEPT = 500
DUPLICATES_KEPT = 500
SOURCE_MAX_LENGTH = 64
EXTENSION_MAX_LENGTH = 8
# Copied from the person into a screening: a row with nothing else has no screening.
PERSON_ECHO = frozenset({"gender", "citizenships", "languages"})
ELIGIBLE_BY_STATUS = {
    TraffickingStatus.ActualVictimOfTrafficking: True,
    TraffickingStatus.PossibleVictimOfTrafficking: True,
    TraffickingStatus.NotAVictimOfTrafficking: False,
}

NOT_ADMINISTRATOR_MESSAGE = gettext_noop("Only a central administrator can import records.")
NOT_VALIDATED_MESSAGE = gettext_noop("This import is not waiting for confirmation.")
NOT_CANCELLABLE_MESSAGE = gettext_noop("This import has finished and can no longer be cancelled.")
NO_REJECTED_ROWS_MESSAGE = gettext_noop(
    "There is no file of rejected rows for this import (any more)."
)
SOURCE_INVALID_MESSAGE = gettext_noop(
    "Name the source in at most 64 characters (no leading = + - @)."
)
MISSION_INACTIVE_MESSAGE = gettext_noop("Records can only be imported into an active mission.")


class ImportCancelled(Exception):
    """Raised inside the import transaction, so that everything it wrote rolls back."""


def _require_central_admin(actor: User | None) -> None:
    if actor is None or not actor.is_authenticated or not actor.sees_all_missions:
        raise ApplicationError(_(NOT_ADMINISTRATOR_MESSAGE), code="not_central_admin")


def file_name_hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()


def _clean_source(source: str) -> str:
    source = (source or "").strip()
    if not source or len(source) > SOURCE_MAX_LENGTH or looks_like_formula(source):
        raise ApplicationError(
            _(SOURCE_INVALID_MESSAGE), errors={"source": [_(SOURCE_INVALID_MESSAGE)]}
        )
    return source


def import_job_create(
    *,
    actor: User,
    mission: Mission,
    format: str,
    source: str,
    file_name: str,
    file_size: int,
    chunks: Iterable[bytes],
    screening_draft: bool = False,
    historical: bool | None = None,
    enqueue: bool = True,
) -> ImportJob:
    """Store an upload (encrypted) and start its validation; nothing else is written."""
    _require_central_admin(actor)
    try:
        reader_for(format)
    except ReaderError as exc:
        raise ApplicationError(str(exc), errors={"format": [str(exc)]}) from None
    if not mission.is_active:
        raise ApplicationError(
            _(MISSION_INACTIVE_MESSAGE), errors={"mission": [_(MISSION_INACTIVE_MESSAGE)]}
        )
    if file_size > settings.HARBOUR_IMPORT_MAX_BYTES:
        text = str(messages.message(messages.FILE_TOO_LARGE))
        raise ApplicationError(text, errors={"file": [text]}, code=messages.FILE_TOO_LARGE)
    source = _clean_source(source)
    job_id = uuid.uuid4()
    try:
        with transaction.atomic():
            size = storage.upload_store(job_id=job_id, chunks=chunks)
            if size > settings.HARBOUR_IMPORT_MAX_BYTES:
                text = str(messages.message(messages.FILE_TOO_LARGE))
                raise ApplicationError(text, errors={"file": [text]}, code=messages.FILE_TOO_LARGE)
            job = ImportJob.objects.create(
                id=job_id,
                format=format,
                source=source,
                mission=mission,
                created_by=actor,
                file_name_hash=file_name_hash(file_name),
                file_extension=file_extension(file_name),
                file_size=size,
                # Field data is never approved on the way in, whatever the caller asks.
                screening_draft=screening_draft or format in FIELD_FORMATS,
                historical=format == "ctdc" if historical is None else historical,
            )
            if enqueue:
                from .tasks import import_validate_task

                transaction.on_commit(lambda: import_validate_task.delay(str(job_id)))
    except BaseException:
        storage.upload_delete(job_id)
        raise
    return job


# Scanning: one pass over the file, shared by validation, import and the rejected rows


@dataclass
class Scan:
    rows: int = 0
    invalid: int = 0
    existing: int = 0
    imported: int = 0
    errors: list[list[Any]] = field(default_factory=list)
    errors_by_column: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    duplicates: list[int] = field(default_factory=list)
    duplicate_count: int = 0

    def report(self) -> dict[str, Any]:
        return {
            "errors": self.errors,
            "errors_truncated": sum(sum(c.values()) for c in self.errors_by_column.values())
            > len(self.errors),
            "errors_by_column": {k: dict(v) for k, v in sorted(self.errors_by_column.items())},
            "duplicates": self.duplicates,
        }


class FileRefused(Exception):
    def __init__(self, code: str, columns: list[str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.columns = columns or []


def _prepare_person(prepared: Prepared, *, historical: bool) -> Person | None:
    """The Person of a valid row, derived as ``case_create`` derives it; errors go on the row."""
    values = dict(prepared.person)
    age = values.pop("age_at_registration", None)
    person = Person(id=uuid.uuid4(), **values)
    registered_on = prepared.case.get("registered_on")
    if registered_on is None:
        return None
    try:
        person_prepare(person=person, registered_on=registered_on)
    except ValidationError as exc:
        for name in exc.message_dict:
            column = "prs_Birthdate" if name in ("date_of_birth", "birth_year") else name
            prepared.errors.append((column, messages.DATE_ORDER))
        return None
    if person.age_at_registration is None:
        person.age_at_registration = age
    if historical or not person.given_name:
        # No identity, no index: an empty name must not match every other empty name.
        person.blind_index = ""
    return person


def _scan(
    job: ImportJob,
    rows: Iterator[SourceRow],
    *,
    on_batch: Callable[[list[tuple[Prepared, Person]], Scan], None] | None = None,
    on_rejected: Callable[[SourceRow, Prepared], None] | None = None,
    progress: Callable[[Scan], None] | None = None,
) -> Scan:
    """Validate every row in batches; hand each batch's valid, new rows to ``on_batch``."""
    scan = Scan()
    layout = layout_for(job.format)
    today = timezone.localdate()
    seen_ids: set[str] = set()
    seen_indexes: set[str] = set()
    first = True
    batch: list[tuple[SourceRow, Prepared, Person | None]] = []

    def flush() -> None:
        ids = [p.external_id for _r, p, _person in batch if p.valid]
        existing = set(
            ImportedRecord.objects.filter(
                mission_id=job.mission_id, source=job.source, external_id__in=ids
            ).values_list("external_id", flat=True)
        )
        indexes = [person.blind_index for _r, p, person in batch if person and person.blind_index]
        known = set(
            Person.objects.filter(blind_index__in=indexes).values_list("blind_index", flat=True)
        )
        to_write: list[tuple[Prepared, Person]] = []
        for row, prepared, person in batch:
            if not prepared.valid:
                scan.invalid += 1
                for column, code in prepared.errors:
                    scan.errors_by_column[column][code] += 1
                    if len(scan.errors) < ERRORS_KEPT:
                        scan.errors.append([prepared.number, column, code])
                if on_rejected is not None:
                    on_rejected(row, prepared)
                continue
            if prepared.external_id in existing:
                scan.existing += 1
                continue
            index = person.blind_index if person else ""
            if index and (index in known or index in seen_indexes):
                scan.duplicate_count += 1
                if len(scan.duplicates) < DUPLICATES_KEPT:
                    scan.duplicates.append(prepared.number)
            if index:
                seen_indexes.add(index)
            to_write.append((prepared, person))
        if on_batch is not None:
            on_batch(to_write, scan)
        batch.clear()
        if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            raise ImportCancelled
        if progress is not None:
            progress(scan)

    for row in rows:
        if first:
            unknown = unknown_columns(list(row.values), layout)
            if unknown:
                raise FileRefused(messages.UNKNOWN_COLUMN, unknown)
            first = False
        scan.rows += 1
        prepared = validate_row(row, historical=job.historical, today=today, layout=layout)
        if prepared.external_id:
            if prepared.external_id in seen_ids:
                prepared.errors.append(("external_id", messages.DUPLICATE_IN_FILE))
            seen_ids.add(prepared.external_id)
        person = _prepare_person(prepared, historical=job.historical) if prepared.valid else None
        batch.append((row, prepared, person))
        if len(batch) >= BATCH_ROWS:
            flush()
    if first:
        raise FileRefused(messages.NO_ROWS)
    if batch:
        flush()
    return scan


def _rows(job: ImportJob, file) -> Iterator[SourceRow]:
    # The original name is not kept (only its hash and its extension).
    return reader_for(job.format)(file, f"upload{job.file_extension}")


def file_extension(name: str) -> str:
    suffix = PurePath(name.lower()).suffix
    return suffix if len(suffix) <= EXTENSION_MAX_LENGTH else ""


def _refusal(exc: BaseException) -> tuple[str, list[str], str]:
    """(reason code, columns, detail): a reader's own message (never a cell's value) is kept
    as the detail when it is not one of the codes."""
    if isinstance(exc, FileRefused):
        return exc.code, exc.columns, ""
    if isinstance(exc, FileNotFoundError):
        return messages.UPLOAD_MISSING, [], ""
    text = str(exc)
    if text in messages.MESSAGES:
        return text, [], ""
    return messages.UNREADABLE, [], text


def _finish(job: ImportJob, *, status: str, actor: User | None, failure: str = "") -> None:
    job.status = status
    job.failure = failure
    job.finished_at = timezone.now()
    job.save()
    audit_record(
        actor=actor,
        action=AuditAction.CASES_IMPORTED,
        obj=job,
        mission_id=job.mission_id,
        detail={
            "format": job.format,
            "status": status,
            "failure": failure,
            "rows": job.rows_total,
            "invalid": job.rows_invalid,
            "existing": job.rows_existing,
            "possible_duplicates": job.rows_duplicate,
            "imported": job.rows_imported,
        },
    )


def import_validate(*, job_id: Any) -> ImportJob:
    """Validate the whole file and store the report. Safe to run twice."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.VALIDATING:
        return job

    def progress(scan: Scan) -> None:
        ImportJob.objects.filter(pk=job.pk).update(rows_validated=scan.rows)

    try:
        with storage.upload_open(job.pk) as file:
            scan = _scan(job, _rows(job, file), progress=progress)
    except ImportCancelled:
        storage.upload_delete(job.pk)
        job.upload_deleted_at = timezone.now()
        _finish(job, status=ImportJob.Status.CANCELLED, actor=job.created_by)
        return job
    except (ReaderError, FileRefused, FileNotFoundError) as exc:
        # FileNotFoundError: the upload was removed (expired) before its job ran.
        code, columns, detail = _refusal(exc)
        storage.upload_delete(job.pk)
        job.upload_deleted_at = timezone.now()
        job.report = {**job.report, "file_error": code, "columns": columns, "detail": detail}
        _finish(job, status=ImportJob.Status.FAILED, actor=job.created_by, failure=code)
        return job
    job.rows_total = job.rows_validated = scan.rows
    job.rows_invalid = scan.invalid
    job.rows_existing = scan.existing
    job.rows_duplicate = scan.duplicate_count
    job.report = {**job.report, **scan.report()}
    job.status = ImportJob.Status.VALIDATED
    job.save()
    return job


@transaction.atomic
def import_confirm(
    *, actor: User, job_id: Any, import_valid_rows: bool = False, enqueue: bool = True
) -> ImportJob:
    """A central administrator confirms a validated import; a file with errors imports only
    when ``import_valid_rows`` is chosen explicitly."""
    _require_central_admin(actor)
    job = ImportJob.objects.select_for_update().get(pk=job_id)
    if job.status != ImportJob.Status.VALIDATED:
        raise ApplicationError(_(NOT_VALIDATED_MESSAGE), code="not_validated")
    if job.rows_invalid and not import_valid_rows:
        text = str(messages.message(messages.HAS_ERRORS))
        raise ApplicationError(text, code=messages.HAS_ERRORS)
    job.status = ImportJob.Status.IMPORTING
    job.import_valid_rows = bool(import_valid_rows)
    job.confirmed_by = actor
    job.save(update_fields=["status", "import_valid_rows", "confirmed_by"])
    if enqueue:
        from .tasks import import_run_task

        job_key = str(job.pk)
        transaction.on_commit(lambda: import_run_task.delay(job_key))
    return job


class _Progress:
    """Rows imported so far, written on a connection of its own: the import's transaction
    stays invisible until it commits, and must not hold the job's row lock (a cancel
    request updates that row meanwhile)."""

    def __init__(self, job_id) -> None:
        self.job_id = job_id
        self.connection = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, scan: Scan) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportJob._meta.db_table} SET rows_imported = %s WHERE id = %s",  # noqa: S608 - our table
                [scan.imported, self.job_id],
            )

    def close(self) -> None:
        self.connection.close()


def import_run(*, job_id: Any) -> ImportJob:
    """Import a confirmed job: everything or nothing (unless valid rows only were chosen),
    in one transaction. Safe to deliver twice: only a job still importing runs."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.IMPORTING:
        return job
    actor = job.confirmed_by or job.created_by
    progress = _Progress(job.pk)
    writer = _Writer(job=job, actor=job.created_by or actor)
    failure = ""
    status = ImportJob.Status.SUCCEEDED
    try:
        with transaction.atomic(), storage.upload_open(job.pk) as file:
            scan = _scan(job, _rows(job, file), on_batch=writer, progress=progress)
            if scan.invalid and not job.import_valid_rows:
                raise FileRefused(messages.HAS_ERRORS)
    except ImportCancelled:
        status, scan = ImportJob.Status.CANCELLED, None
    except (ReaderError, FileRefused, FileNotFoundError) as exc:
        # Everything the transaction wrote is rolled back; the job says why.
        status, scan = ImportJob.Status.FAILED, None
        failure = _refusal(exc)[0]
    finally:
        progress.close()
    job.refresh_from_db()
    if scan is not None:
        job.rows_total = job.rows_validated = scan.rows
        job.rows_invalid = scan.invalid
        job.rows_existing = scan.existing
        job.rows_duplicate = scan.duplicate_count
        job.rows_imported = scan.imported
        job.report = {**job.report, **scan.report()}
    else:
        job.rows_imported = 0
    keep_for_rejected = status == ImportJob.Status.SUCCEEDED and job.rows_invalid > 0
    if not keep_for_rejected:
        storage.upload_delete(job.pk)
        job.upload_deleted_at = timezone.now()
    with transaction.atomic():
        _finish(job, status=status, actor=actor, failure=failure)
    return job


@transaction.atomic
def import_cancel(*, actor: User, job_id: Any) -> ImportJob:
    """Stop an import: one waiting for confirmation ends now; a running one stops at its next
    batch, and an import stopped that way writes nothing (its transaction rolls back)."""
    _require_central_admin(actor)
    job = ImportJob.objects.select_for_update().get(pk=job_id)
    if job.status == ImportJob.Status.VALIDATED:
        storage.upload_delete(job.pk)
        job.upload_deleted_at = timezone.now()
        _finish(job, status=ImportJob.Status.CANCELLED, actor=actor)
        return job
    if not job.is_running:
        raise ApplicationError(_(NOT_CANCELLABLE_MESSAGE), code="not_cancellable")
    job.cancel_requested = True
    job.save(update_fields=["cancel_requested"])
    return job


def import_expire() -> int:
    """Delete uploads (and so rejected-rows files) older than the retention period."""
    cutoff = timezone.now() - datetime.timedelta(hours=settings.HARBOUR_IMPORT_RETENTION_HOURS)
    stale = ImportJob.objects.filter(created_at__lt=cutoff, upload_deleted_at__isnull=True)
    count = 0
    for job in stale.exclude(status__in=[ImportJob.Status.VALIDATING, ImportJob.Status.IMPORTING]):
        storage.upload_delete(job.pk)
        updated = {"upload_deleted_at": timezone.now()}
        if job.status == ImportJob.Status.VALIDATED:
            updated["status"] = ImportJob.Status.CANCELLED
        ImportJob.objects.filter(pk=job.pk).update(**updated)
        count += 1
    return count


# Writing


class _Writer:
    """Writes each batch of valid new rows with COPY: people, cases, screenings, route steps
    and provenance. References are reserved per registration year, as ``case_create`` does."""

    def __init__(self, *, job: ImportJob, actor: User | None) -> None:
        self.job = job
        self.actor_id = actor.pk if actor else None
        self.mission = job.mission
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)

    def __call__(self, rows: list[tuple[Prepared, Person]], scan: Scan) -> None:
        if not rows:
            return
        people = CopyTable(Person)
        cases = CopyTable(Case)
        screenings = CopyTable(Screening)
        events = CopyTable(TraffickingEvent)
        perpetrators = CopyTable(Perpetrator)
        records = CopyTable(ImportedRecord)
        references = self._references(rows)
        for (prepared, person), reference in zip(rows, references, strict=True):
            case_id = uuid.uuid4()
            screening = self._screening(prepared, person, case_id)
            people.add(self._person(person))
            cases.add(self._case(prepared, person, case_id, reference, screening))
            if screening is not None:
                screenings.add(screening)
                for position, event in enumerate(prepared.events):
                    events.add({"screening_id": screening["id"], "position": position, **event})
                for position, item in enumerate(prepared.repeats.get(PERPETRATORS, [])):
                    perpetrators.add(
                        {"screening_id": screening["id"], "position": position, **item}
                    )
            records.add(
                {
                    "job_id": self.job.pk,
                    "case_id": case_id,
                    "mission_id": self.mission.pk,
                    "source": self.job.source,
                    "external_id": prepared.external_id,
                    "row_number": prepared.number,
                    "created_at": self.now,
                }
            )
        people.write()
        # Imported persons are found by name like every other, from the first minute.
        tokens_rebuild(person for _prepared, person in rows)
        cases.write()
        screenings.write()
        events.write()
        perpetrators.write()
        records.write()
        scan.imported += len(rows)

    def _references(self, rows: list[tuple[Prepared, Person]]) -> list[str]:
        by_year: dict[int, int] = Counter(p.case["registered_on"].year for p, _person in rows)
        next_number: dict[int, int] = {}
        for year, count in sorted(by_year.items()):
            last = case_reference_reserve(mission=self.mission, year=year, count=count)
            next_number[year] = last - count + 1
        references = []
        for prepared, _person in rows:
            year = prepared.case["registered_on"].year
            references.append(
                case_reference_format(
                    mission_code=self.mission.code, year=year, number=next_number[year]
                )
            )
            next_number[year] += 1
        return references

    def _person(self, person: Person) -> dict[str, Any]:
        values = {
            f.attname: getattr(person, f.attname)
            for f in Person._meta.concrete_fields
            if f.attname != "identity_removed_at"
        }
        if self.job.historical:
            values["identity_removed_at"] = self.now
        return values

    def _screening(
        self, prepared: Prepared, person: Person, case_id: uuid.UUID
    ) -> dict[str, Any] | None:
        answers = dict(prepared.screening)
        if not (set(answers) - PERSON_ECHO) and not prepared.repeats:
            return None
        status = answers.get("trafficking_status")
        if answers.get("eligible_for_assistance") is None and status in ELIGIBLE_BY_STATUS:
            answers["eligible_for_assistance"] = ELIGIBLE_BY_STATUS[status]
        age = person.age_at_registration
        start, end = answers.get("exploitation_start"), answers.get("exploitation_end")
        if start and end:
            # As the screening service derives it (screening.services._derive).
            months = (end.year - start.year) * 12 + (end.month - start.month)
            answers["exploitation_months"] = months + (1 if end.day >= start.day else 0)
        answers.update(
            id=uuid.uuid4(),
            case_id=case_id,
            created_by_id=self.actor_id,
            created_at=self.now,
            updated_at=self.now,
            birth_year=person.birth_year,
            age_at_registration=age,
            minor_at_registration=None if age is None else age < MINOR_AGE,
        )
        determined = bool(status) or self.job.historical
        if self.job.screening_draft or not determined:
            # No determination to carry over: the screening waits for a caseworker.
            answers["status"] = Screening.Status.DRAFT
        else:
            # The determination was made and reviewed in the system the record comes from.
            answers.update(
                status=Screening.Status.APPROVED,
                submitted_by_id=self.actor_id,
                submitted_at=self.now,
                reviewed_by_id=self.actor_id,
                reviewed_at=self.now,
            )
        return answers

    def _case(
        self,
        prepared: Prepared,
        person: Person,
        case_id: uuid.UUID,
        reference: str,
        screening: dict[str, Any] | None,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": case_id,
            "reference": reference,
            "mission_id": self.mission.pk,
            "person_id": person.pk,
            "registered_on": prepared.case["registered_on"],
            "registration_date_unknown": prepared.case.get("registration_date_unknown", False),
            "status": CaseStatus.SCREENING,
            "created_by_id": self.actor_id,
            "created_at": self.now,
            "updated_at": self.now,
        }
        approved = screening is not None and screening["status"] == Screening.Status.APPROVED
        if self.job.historical:
            # A record of the past: read-only, its identity never held.
            values.update(
                status=CaseStatus.CLOSED,
                closure_reason=ClosureReason.OTHER,
                closed_at=self.now,
                status_before_closure=CaseStatus.ACTIVE,
            )
        elif approved and screening.get("eligible_for_assistance") is False:
            values.update(
                status=CaseStatus.CLOSED_REFERRED,
                closure_reason=ClosureReason.REFERRED,
                closed_at=self.now,
                status_before_closure=CaseStatus.SCREENING,
                identity_removal_due_on=retention_due_on(closed_on=self.today),
            )
        elif approved:
            values["status"] = CaseStatus.ACTIVE
        return values
