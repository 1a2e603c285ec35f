"""Building the research mart: one de-identified row per consenting, approved case.

The rows are computed inside PostgreSQL by one ``INSERT … SELECT`` into a new snapshot, so no
case record is ever loaded into Python. With a research database (a replica, issue 16 §6) the
SELECT runs there and its coded rows are streamed into the primary with COPY, a batch at a time.
Every generalisation (bands, CTDC gender, merged means of control) comes from ``variables``;
the SELECT reads only coded columns, never identity or free text, and keeps no date finer than
a year.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from cases.audit import audit_record
from cases.models import AuditAction
from cases.vocabularies import TraffickingEventType
from config.db_router import research_alias
from config.errors import ApplicationError
from reintegration.models import MonitoringVisit
from screening.models import Screening
from screening.services import MINOR_AGE

from .models import Extract, MartRow, MartSnapshot, ResearchRelease
from .variables import AGE_BANDS, CTDC_GENDER, MEANS_GROUPS, MISSING, MONTH_BANDS

logger = logging.getLogger(__name__)

NOT_ADMINISTRATOR_MESSAGE = gettext_noop(
    "Only a central administrator can rebuild the research mart."
)

# Key of the transaction-level advisory lock that lets only one rebuild run at a time.
MART_LOCK_KEY = 0x4D415254
# Key of the lock that serialises rebuild requests, so two never both start a rebuild.
MART_REQUEST_LOCK_KEY = 0x4D415252
# A requested rebuild not finished within this is taken as lost (its worker died): a new
# request starts a fresh one instead of joining it, and prune may delete it.
MART_PENDING_SECONDS = 3600
# Rows read from the research database per fetch when a rebuild streams them to the primary.
MART_COPY_BATCH = 5000

MART_COLUMNS = (
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
)


SNAPSHOT_RESULT_FIELDS = ["status", "is_current", "row_count", "completed_at", "build_seconds"]


def _band_case(expression: str, bands: Sequence[tuple[str, int, int | None]]) -> tuple[str, list]:
    """A CASE mapping a number to its band label; no number (NULL) gives MISSING."""
    whens: list[str] = []
    params: list = []
    for label, low, high in bands:
        if high is None:
            whens.append(f"WHEN {expression} >= %s THEN %s")
            params += [low, label]
        else:
            whens.append(f"WHEN {expression} BETWEEN %s AND %s THEN %s")
            params += [low, high, label]
    return "CASE " + " ".join(whens) + " ELSE %s END", [*params, MISSING]


def _map_case(expression: str, mapping: dict[str, str]) -> tuple[str, list]:
    """A CASE mapping codes to labels; unmapped codes give MISSING."""
    whens: list[str] = []
    params: list = []
    for code, label in mapping.items():
        whens.append("WHEN %s THEN %s")
        params += [code, label]
    return f"CASE {expression} " + " ".join(whens) + " ELSE %s END", [*params, MISSING]


def _groups_array(expression: str, groups: dict[str, str]) -> tuple[str, list]:
    """An array of the groups (in name order) whose codes occur in an array of codes.

    Each group appears once however many of its codes occur; codes of no group are
    dropped. One overlap test per group is far cheaper than unnesting every row.
    """
    elements: list[str] = []
    params: list = []
    for name in sorted(set(groups.values())):
        elements.append(f"CASE WHEN {expression}::text[] && %s::text[] THEN %s END")
        params += [[code for code, group in groups.items() if group == name], name]
    return "array_remove(ARRAY[" + ", ".join(elements) + "]::text[], NULL)", params


def mart_select_sql(*, snapshot_id: int) -> tuple[str, list]:
    """The SELECT of one snapshot's rows (MART_COLUMNS, in order), with its parameters."""
    age = "COALESCE(s.age_at_registration, p.age_at_registration)"
    gender_sql, gender_params = _map_case("s.gender", CTDC_GENDER)
    age_sql, age_params = _band_case(age, AGE_BANDS)
    months_sql, months_params = _band_case("s.exploitation_months", MONTH_BANDS)
    means_sql, means_params = _groups_array("s.means_of_control", MEANS_GROUPS)
    sql = f"""
        WITH current_screening AS (
            SELECT DISTINCT ON (case_id) id, consent_research, consent_interview
            FROM screening_screening
            WHERE status = %s
            ORDER BY case_id, reviewed_at DESC NULLS LAST, created_at DESC
        ),
        route AS (
            SELECT
                screening_id,
                (array_agg(country ORDER BY position))[1] AS origin,
                (array_agg(country ORDER BY position DESC)
                    FILTER (WHERE event_type = %s))[1] AS destination
            FROM screening_traffickingevent
            GROUP BY screening_id
        ),
        latest_visit AS (
            SELECT DISTINCT ON (case_id)
                case_id, economic_score, social_score, psychosocial_score
            FROM reintegration_monitoringvisit
            WHERE status = %s
            ORDER BY case_id, done_date DESC, updated_at DESC
        )
        SELECT
            %s,
            CASE WHEN c.registration_date_unknown THEN NULL
                ELSE EXTRACT(YEAR FROM c.registered_on)::int END,
            m.country,
            {gender_sql},
            {age_sql},
            COALESCE(s.minor_at_registration, p.age_at_registration < %s),
            COALESCE((SELECT min(code) FROM unnest(s.citizenships) AS code), %s),
            COALESCE(s.exploitation_countries[1], %s),
            COALESCE(route.origin, s.recruitment_country),
            COALESCE(route.destination, s.exploitation_countries[1], %s),
            {months_sql},
            s.exploitation_types,
            s.labour_industries,
            s.sexual_exploitation_types,
            {means_sql},
            s.recruiter_relation,
            s.trafficking_status,
            c.retrafficked,
            lv.economic_score,
            lv.social_score,
            lv.psychosocial_score
        FROM current_screening cur
        JOIN screening_screening s ON s.id = cur.id
        JOIN cases_case c ON c.id = s.case_id
        JOIN cases_person p ON p.id = c.person_id
        JOIN accounts_mission m ON m.id = c.mission_id
        LEFT JOIN route ON route.screening_id = s.id
        LEFT JOIN latest_visit lv ON lv.case_id = c.id
        WHERE cur.consent_research IS TRUE AND cur.consent_interview IS TRUE
    """  # noqa: S608 - fragments are built here from constants; every value is a parameter
    params = [
        Screening.Status.APPROVED.value,
        TraffickingEventType.Exploitation.value,
        MonitoringVisit.Status.DONE.value,
        snapshot_id,
        *gender_params,
        *age_params,
        MINOR_AGE,
        MISSING,
        MISSING,
        MISSING,
        *months_params,
        *means_params,
    ]
    return sql, params


def mart_insert_sql(*, snapshot_id: int) -> tuple[str, list]:
    """The INSERT … SELECT that fills one snapshot, with its parameters."""
    sql, params = mart_select_sql(snapshot_id=snapshot_id)
    return f"INSERT INTO {MartRow._meta.db_table} ({', '.join(MART_COLUMNS)}) {sql}", params


def _mart_copy(*, snapshot: MartSnapshot, alias: str) -> int:
    """Fill a snapshot from the research database (a replica): its rows are read there through
    a server-side cursor, MART_COPY_BATCH at a time, and streamed into the primary with COPY,
    so memory holds one batch whatever the number of cases."""
    sql, params = mart_select_sql(snapshot_id=snapshot.pk)
    copy_sql = f"COPY {MartRow._meta.db_table} ({', '.join(MART_COLUMNS)}) FROM STDIN"
    count = 0
    # A server-side cursor lives in a transaction; on a standby it is a read-only one.
    with transaction.atomic(using=alias), connections[alias].chunked_cursor() as source:
        source.execute(sql, params)
        with connection.cursor() as target, target.cursor.copy(copy_sql) as copy:
            while rows := source.fetchmany(MART_COPY_BATCH):
                for row in rows:
                    copy.write_row(row)
                count += len(rows)
    return count


def _research_reachable(alias: str) -> bool:
    try:
        connections[alias].ensure_connection()
    except OperationalError as exc:
        # The class name only: a connection error's text can name hosts and users.
        logger.warning(
            "Research database unreachable (%s); the mart reads the primary", type(exc).__name__
        )
        return False
    return True


def _mart_fill(*, snapshot: MartSnapshot) -> int:
    alias = research_alias()
    # The replica's case tables may lag the primary's by its replay delay: the snapshot is
    # then the cases as they were that much earlier, complete and consistent (one SELECT).
    if alias != DEFAULT_DB_ALIAS and _research_reachable(alias):
        return _mart_copy(snapshot=snapshot, alias=alias)
    # No replica: one INSERT … SELECT inside the primary; no row leaves PostgreSQL.
    sql, params = mart_insert_sql(snapshot_id=snapshot.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _mart_lock(*, wait: bool = False) -> bool:
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MART_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [MART_LOCK_KEY])
        return cursor.fetchone()[0]


def _pending() -> QuerySet[MartSnapshot]:
    """Requested rebuilds not finished yet (and not lost)."""
    since = timezone.now() - datetime.timedelta(seconds=MART_PENDING_SECONDS)
    return MartSnapshot.objects.filter(status=MartSnapshot.Status.BUILDING, created_at__gte=since)


def _mart_switch(*, snapshot: MartSnapshot) -> None:
    # The old snapshot stops being current first: the partial unique index allows one.
    MartSnapshot.objects.filter(is_current=True).exclude(pk=snapshot.pk).update(is_current=False)
    snapshot.status = MartSnapshot.Status.READY
    snapshot.is_current = True
    snapshot.save(update_fields=SNAPSHOT_RESULT_FIELDS)


def mart_rebuild(
    *,
    actor: User | None = None,
    source: MartSnapshot.Source,
    snapshot_id: int | None = None,
) -> MartSnapshot | None:
    """Build a new snapshot of the mart and make it current; prune unreferenced old ones.

    Everything runs in one transaction holding an advisory lock, so a snapshot is never seen
    half-built and two rebuilds never overlap: a scheduled rebuild that finds another one
    running returns the current snapshot (None before the first build). A requested rebuild
    (``snapshot_id``: the pending snapshot ``mart_rebuild_request`` recorded) waits for a
    running one, then fills its snapshot, unless another delivery already did. If the build
    fails, the snapshot is kept as failed, the previous one stays current, and the error is
    re-raised.
    """
    started = time.monotonic()
    failure: Exception | None = None
    with transaction.atomic():
        if not _mart_lock(wait=snapshot_id is not None):
            return mart_current()
        if snapshot_id is None:
            snapshot = MartSnapshot.objects.create(source=source, requested_by=actor)
        else:
            snapshot = (
                MartSnapshot.objects.select_for_update()
                .filter(pk=snapshot_id, status=MartSnapshot.Status.BUILDING)
                .first()
            )
            if snapshot is None:
                return mart_current()
        try:
            with transaction.atomic():
                snapshot.row_count = _mart_fill(snapshot=snapshot)
                snapshot.completed_at = timezone.now()
                snapshot.build_seconds = time.monotonic() - started
                _mart_switch(snapshot=snapshot)
                audit_record(
                    actor=actor,
                    action=AuditAction.MART_REBUILT,
                    obj=snapshot,
                    detail={"source": str(source), "row_count": snapshot.row_count},
                )
        # Whatever went wrong, the savepoint is gone and the failure is recorded and re-raised.
        except Exception as exc:
            failure = exc
            snapshot.status = MartSnapshot.Status.FAILED
            snapshot.is_current = False
            snapshot.row_count = 0
            snapshot.completed_at = timezone.now()
            snapshot.build_seconds = time.monotonic() - started
            snapshot.save(update_fields=SNAPSHOT_RESULT_FIELDS)
        else:
            mart_prune()
    if failure is not None:
        raise failure
    return snapshot


@transaction.atomic
def mart_prune() -> int:
    """Delete every snapshot that is not current and that no extract reads; return how many."""
    # A snapshot an extract is being attached to right now is locked by that insert: skip it.
    stale = (
        MartSnapshot.objects.select_for_update(skip_locked=True)
        .filter(is_current=False)
        .exclude(Exists(Extract.objects.filter(snapshot=OuterRef("pk"))))
        # A published release is frozen: its snapshot stays as long as the release.
        .exclude(Exists(ResearchRelease.objects.filter(snapshot=OuterRef("pk"))))
        # A requested rebuild still waiting for its worker is not stale.
        .exclude(pk__in=_pending().values("pk"))
    )
    stale_ids = list(stale.values_list("pk", flat=True))
    if not stale_ids:
        return 0
    # The rows go with their snapshot in one DELETE … WHERE snapshot_id IN (Django's fast
    # delete: MartRow has no signals and nothing refers to it), never row by row.
    deleted, _counts = MartSnapshot.objects.filter(pk__in=stale_ids).delete()
    return deleted


@transaction.atomic
def mart_rebuild_request(*, actor: User) -> tuple[MartSnapshot, bool]:
    """A central administrator asks for a rebuild now; it runs on a worker after commit.

    Single-flight: while a requested rebuild is pending or running, a later request joins it
    (the same snapshot, nothing queued) instead of starting another full rebuild. Returns the
    pending snapshot and whether this request joined an earlier one.
    """
    if not actor.sees_all_missions:
        raise ApplicationError(_(NOT_ADMINISTRATOR_MESSAGE), code="not_administrator")
    # Imported here: the task module imports this one.
    from .tasks import mart_rebuild_task

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MART_REQUEST_LOCK_KEY])
    running = _pending().filter(source=MartSnapshot.Source.ADMINISTRATOR).first()
    if running is not None:
        return running, True
    snapshot = MartSnapshot.objects.create(
        source=MartSnapshot.Source.ADMINISTRATOR, requested_by=actor
    )
    actor_id, snapshot_id = actor.pk, snapshot.pk
    transaction.on_commit(
        lambda: mart_rebuild_task.delay(actor_id=actor_id, snapshot_id=snapshot_id)
    )
    return snapshot, False


def mart_current(*, lock: bool = False) -> MartSnapshot | None:
    """The snapshot extracts requested now should read, or None before the first build.

    ``lock`` (inside a transaction) holds the row until commit, so a concurrent rebuild's
    prune skips it while an extract is being attached to it.
    """
    snapshots = MartSnapshot.objects.filter(is_current=True, status=MartSnapshot.Status.READY)
    if lock:
        snapshots = snapshots.select_for_update()
    return snapshots.first()
