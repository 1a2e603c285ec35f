"""Researchers' extracts: the request, the job that builds the file, housekeeping, and reads.

The ``Extract`` row is the source of truth for a job. A worker claims a job with one
conditional UPDATE and holds a lease while it works; the attempt number it claimed with is its
fencing token, so a worker whose lease was taken over can no longer write to the row. The file
is written under a temporary name and renamed into place only when complete.

Aggregation happens in PostgreSQL: no mart row ever reaches Python, only the counts per cell.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import hashlib
import itertools
import logging
import math
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.audit import audit_record, refuse_access
from cases.models import AuditAction
from cases.vocabularies import ExploitationType, country_codes
from config.errors import ApplicationError

from . import disclosure, linking, writers
from .mart import mart_current
from .models import Extract, ExtractMode
from .privacy import build as dp_build
from .privacy import ledger as privacy_ledger
from .releases import release_for_request
from .replica import snapshot_cursor
from .source import ALPHA3, mart_source, mart_where
from .variables import MAX_DIMENSIONS, MISSING, VARIABLES, YEAR_BAND_YEARS, YEAR_MIN

logger = logging.getLogger(__name__)

Key = tuple[str, ...]

NOT_RESEARCHER_MESSAGE = _("Only researchers can request research extracts.")
NO_DATA_MESSAGE = _(
    "No research data is available yet: the research mart has not been built. "
    "Try again after the next rebuild, or ask a central administrator to rebuild it."
)
DIMENSIONS_COUNT_MESSAGE = _("Choose between 1 and %(max)d variables.")
DIMENSION_UNKNOWN_MESSAGE = _("Unknown variable: %(name)s.")
DIMENSION_DUPLICATE_MESSAGE = _("A variable can be chosen only once: %(name)s.")
YEAR_INVALID_MESSAGE = _("Enter a year between %(min)d and %(max)d.")
YEAR_ORDER_MESSAGE = _("The first year must not be after the last year.")
YEAR_BAND_FROM_MESSAGE = _(
    "Years are published in fixed bands of %(years)d years: the first year must start a "
    "band (for example %(example)d)."
)
YEAR_BAND_TO_MESSAGE = _(
    "Years are published in fixed bands of %(years)d years: the last year must end a "
    "band (for example %(example)d)."
)
COUNTRIES_INVALID_MESSAGE = _("Choose a list of ISO 3166 alpha-3 country codes.")
COUNTRY_UNKNOWN_MESSAGE = _("Unknown country code: %(code)s.")
COUNTRY_SUPPRESSED_MESSAGE = _(
    "This country is not published separately (it is merged into Other): %(code)s."
)
EXPLOITATION_UNKNOWN_MESSAGE = _("Unknown type of exploitation.")
FILTER_UNKNOWN_MESSAGE = _("Unknown filter.")
FORMAT_UNKNOWN_MESSAGE = _("Choose CSV, XLSX or JSON.")
LANGUAGE_UNKNOWN_MESSAGE = _("Choose one of the languages Harbour offers.")
MODE_UNKNOWN_MESSAGE = _("Choose suppressed counts or differentially private counts.")
RETRY_NOT_FAILED_MESSAGE = _("Only a failed extract can be retried.")
NOT_READY_MESSAGE = _("This extract is not ready for download.")
EXPIRED_MESSAGE = _("This extract has expired. Request it again to get a fresh file.")

QUOTA_MESSAGE = _(
    "You have requested %(quota)d extracts in the last %(days)d days, the most allowed. "
    "Re-download an extract you already have, or request again later."
)
TOO_MANY_CELLS_MESSAGE = _(
    "This combination of variables gives more than %(maximum)d cells. A filter counts as "
    "one more variable (the table is published with a column for it): choose fewer "
    "variables or filters, and request the extract again."
)
UNION_TOO_LARGE_MESSAGE = _(
    "This table cannot be protected together with the tables you already have from this "
    "release: their variables (%(variables)s) have more than %(maximum)d combinations of "
    "values. Ask for a table of fewer of those variables, from a later release, or ask for "
    "differentially private counts."
)
BUILD_FAILED_MESSAGE = _(
    "The extract could not be built after %(attempts)d attempts. Retry it later; if it "
    "fails again, choose fewer variables or contact the administrators."
)

YEAR_MAX = 2100
# Bounds the memory of a job whatever the mart size: the cells are all Python ever holds.
MAX_CELLS = 20_000
FILTER_KEYS = ("year_from", "year_to", "citizenship", "country_of_exploitation")
# The variable each list filter selects values of. A filtered table is a slice of the table
# that has the filter's variable as one more dimension, protected as a whole: filters on
# complementary lists (all citizenships, all but one) publish parts of one protected table,
# never two tables whose difference is a small group.
FILTER_VARIABLES = {
    "citizenship": "citizenship",
    "country_of_exploitation": "CountryOfExploitation",
    "exploitation_type": "typeOfExploitation",
}
YEAR = "yearOfRegistration"
YEAR_BAND = "yearBand"
# Progress reported at each step of a build.
PROGRESS_CLAIMED = 10
PROGRESS_AGGREGATED = 50
PROGRESS_PROTECTED = 80
PROGRESS_DONE = 100


class ExtractAttemptFailed(Exception):
    """One attempt failed and the job was queued again; the task retries it."""


class ExtractRefused(Exception):
    """The request cannot be built as asked; retrying would not help."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------- requests


def _check_researcher(user) -> None:
    if not (user is not None and user.is_authenticated and user.is_researcher):
        raise ApplicationError(str(NOT_RESEARCHER_MESSAGE), code="not_researcher")


def _clean_dimensions(dimensions: Any, errors: dict[str, list[str]]) -> list[str]:
    if not isinstance(dimensions, list | tuple) or not all(isinstance(d, str) for d in dimensions):
        errors["dimensions"] = [str(DIMENSIONS_COUNT_MESSAGE) % {"max": MAX_DIMENSIONS}]
        return []
    messages = []
    if not 1 <= len(dimensions) <= MAX_DIMENSIONS:
        messages.append(str(DIMENSIONS_COUNT_MESSAGE) % {"max": MAX_DIMENSIONS})
    unknown = [d for d in dimensions if d not in VARIABLES]
    if unknown:
        messages.append(str(DIMENSION_UNKNOWN_MESSAGE) % {"name": ", ".join(unknown)})
    duplicates = sorted({d for d in dimensions if dimensions.count(d) > 1})
    if duplicates:
        messages.append(str(DIMENSION_DUPLICATE_MESSAGE) % {"name": ", ".join(duplicates)})
    if messages:
        errors["dimensions"] = messages
    return list(dimensions)


def band_start(year: int) -> int:
    """The first year of the fixed band holding ``year``."""
    return year - (year - YEAR_MIN) % YEAR_BAND_YEARS


def canonical_dimensions(dimensions: list[str]) -> list[str]:
    """The variables in the data dictionary's order, whatever order they were asked in.

    The published margins (row totals over the last variable, column totals over it) depend
    on the order, so tables of the same variables in different orders would publish different
    figures that together pin cells each table alone protects. Every table of one set of
    variables is therefore built, protected and published in this one order.
    """
    order = {name: i for i, name in enumerate(VARIABLES)}
    return sorted(dimensions, key=lambda name: order[name])


def cube_dimensions(dimensions: list[str], filters: dict[str, Any]) -> list[str]:
    """The dimensions of the protected table a request is a slice of, in canonical order.

    Each filter adds the variable it selects values of; a year range adds the 5-year band,
    unless the year itself is already a dimension (the range is then a slice of years).
    """
    names = list(dimensions)
    for key, name in FILTER_VARIABLES.items():
        if filters.get(key) and name not in names:
            names.append(name)
    has_years = filters.get("year_from") is not None or filters.get("year_to") is not None
    if has_years and YEAR not in names and YEAR_BAND not in names:
        names.append(YEAR_BAND)
    return canonical_dimensions(names)


def _year_test(filters: dict[str, Any], band: bool) -> Callable[[str], bool]:
    first = filters.get("year_from", YEAR_MIN)
    last = filters.get("year_to", YEAR_MAX)

    def test(value: str) -> bool:
        start, _sep, end = value.partition("--") if band else (value, "", value)
        if not (start.isdigit() and end.isdigit()):
            return False
        return first <= int(start) and int(end) <= last

    return test


def slice_tests(dimensions: list[str], filters: dict[str, Any]) -> dict[int, Callable[[str], bool]]:
    """For each filtered dimension (by position), whether a value is in the slice."""
    tests: dict[int, Callable[[str], bool]] = {}
    has_years = filters.get("year_from") is not None or filters.get("year_to") is not None
    for i, name in enumerate(dimensions):
        for key, variable in FILTER_VARIABLES.items():
            if variable == name and filters.get(key):
                chosen = filters[key]
                allowed = set(chosen) if isinstance(chosen, list) else {chosen}
                tests[i] = allowed.__contains__
        if has_years and name in (YEAR, YEAR_BAND):
            tests[i] = _year_test(filters, band=name == YEAR_BAND)
    return tests


def _clean_year(value: Any, field: str, errors: dict[str, list[str]]) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not YEAR_MIN <= value <= YEAR_MAX:
        errors[field] = [str(YEAR_INVALID_MESSAGE) % {"min": YEAR_MIN, "max": YEAR_MAX}]
        return None
    return value


def _clean_countries(value: Any, field: str, errors: dict[str, list[str]]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(c, str) for c in value):
        errors[field] = [str(COUNTRIES_INVALID_MESSAGE)]
        return []
    codes = sorted(set(value))
    unknown = [c for c in codes if c not in country_codes()]
    if unknown:
        errors[field] = [str(COUNTRY_UNKNOWN_MESSAGE) % {"code": ", ".join(unknown)}]
        return []
    # Counting a suppressed country on its own would undo its merge into Other.
    suppressed = [c for c in codes if c in set(settings.RESEARCH_SUPPRESSED_COUNTRIES)]
    if suppressed:
        errors[field] = [str(COUNTRY_SUPPRESSED_MESSAGE) % {"code": ", ".join(suppressed)}]
        return []
    return codes


def _clean_filters(filters: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    if filters is None:
        filters = {}
    if not isinstance(filters, dict):
        errors["filters"] = [str(FILTER_UNKNOWN_MESSAGE)]
        return {}
    for key in filters:
        if key not in (*FILTER_KEYS, "exploitation_type"):
            errors[str(key)] = [str(FILTER_UNKNOWN_MESSAGE)]
    cleaned: dict[str, Any] = {}
    year_from = _clean_year(filters.get("year_from"), "year_from", errors)
    year_to = _clean_year(filters.get("year_to"), "year_to", errors)
    if year_from is not None and year_to is not None and year_from > year_to:
        errors.setdefault("year_to", []).append(str(YEAR_ORDER_MESSAGE))
    if year_from is not None and (year_from - YEAR_MIN) % YEAR_BAND_YEARS:
        errors.setdefault("year_from", []).append(
            str(YEAR_BAND_FROM_MESSAGE)
            % {"years": YEAR_BAND_YEARS, "example": band_start(year_from)}
        )
    if year_to is not None and (year_to - YEAR_MIN + 1) % YEAR_BAND_YEARS:
        errors.setdefault("year_to", []).append(
            str(YEAR_BAND_TO_MESSAGE)
            % {"years": YEAR_BAND_YEARS, "example": band_start(year_to) + YEAR_BAND_YEARS - 1}
        )
    if year_from is not None:
        cleaned["year_from"] = year_from
    if year_to is not None:
        cleaned["year_to"] = year_to
    for field in ("citizenship", "country_of_exploitation"):
        codes = _clean_countries(filters.get(field), field, errors)
        if codes:
            cleaned[field] = codes
    exploitation = filters.get("exploitation_type")
    if exploitation not in (None, ""):
        if exploitation not in ExploitationType.values:
            errors["exploitation_type"] = [str(EXPLOITATION_UNKNOWN_MESSAGE)]
        else:
            cleaned["exploitation_type"] = exploitation
    return cleaned


def _policy() -> dict[str, Any]:
    countries = sorted(set(settings.RESEARCH_SUPPRESSED_COUNTRIES))
    # Codes are written into SQL as literals later; only plain alpha-3 codes are accepted.
    if not all(ALPHA3.match(c) for c in countries):
        raise ImproperlyConfigured("RESEARCH_SUPPRESSED_COUNTRIES takes alpha-3 codes only.")
    return {
        "threshold": settings.RESEARCH_THRESHOLD_K,
        "rounding_base": settings.RESEARCH_ROUNDING_BASE,
        "suppressed_countries": countries,
    }


def _enqueue(extract_id: uuid.UUID) -> None:
    # Imported here: the tasks module imports this one.
    from .tasks import extract_build_task

    transaction.on_commit(lambda: extract_build_task.delay(str(extract_id)))


class _QuotaReached(Exception):
    """Raised inside the request's transaction so nothing of the request is written."""


def extract_request(
    *,
    actor: User,
    dimensions: list[str],
    filters: dict[str, Any],
    file_format: str,
    mode: str = ExtractMode.SUPPRESSED,
    epsilon: Any = None,
    mechanism: str = "",
    delta: Any = 0,
    release: Any = None,
    language: str = "en",
) -> Extract:
    """Validate a researcher's request, record it and queue the job that builds it.

    Suppressed counts read a published release (``release``: its id, or the latest when
    None), never the nightly mart; with no release published the request is refused with a
    message saying so. Differentially private counts read the current mart snapshot.

    Each researcher may request at most ``RESEARCH_EXTRACT_QUOTA`` extracts per
    ``RESEARCH_EXTRACT_QUOTA_DAYS`` days. A request over the quota writes nothing but an
    ``EXTRACT_REFUSED`` audit row (written once the request's transaction is gone, so it
    stays), and its message tells the quota, never a count of people.

    A differentially private request spends its ε in this transaction (refused, and nothing
    recorded, when the researcher's budget for the year has less left).
    """
    try:
        return _extract_request(
            actor=actor,
            dimensions=dimensions,
            filters=filters,
            file_format=file_format,
            mode=mode,
            epsilon=epsilon,
            mechanism=mechanism,
            delta=delta,
            release=release,
            language=language,
        )
    except _QuotaReached:
        audit_record(actor=actor, action=AuditAction.EXTRACT_REFUSED, detail={"reason": "quota"})
        raise ApplicationError(
            str(QUOTA_MESSAGE)
            % {
                "quota": settings.RESEARCH_EXTRACT_QUOTA,
                "days": settings.RESEARCH_EXTRACT_QUOTA_DAYS,
            },
            code="quota",
        ) from None


def _check_quota(actor: User) -> None:
    # The researcher's row lock serialises their concurrent requests, so a burst of
    # parallel requests cannot all pass the count before any of them is written.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    since = timezone.now() - datetime.timedelta(days=settings.RESEARCH_EXTRACT_QUOTA_DAYS)
    used = Extract.objects.filter(requested_by=actor, created_at__gte=since).count()
    if used >= settings.RESEARCH_EXTRACT_QUOTA:
        raise _QuotaReached


@transaction.atomic
def _extract_request(
    *,
    actor: User,
    dimensions: list[str],
    filters: dict[str, Any],
    file_format: str,
    mode: str,
    epsilon: Any,
    mechanism: str,
    delta: Any,
    release: Any,
    language: str,
) -> Extract:
    _check_researcher(actor)
    errors: dict[str, list[str]] = {}
    dimensions = _clean_dimensions(dimensions, errors)
    cleaned_filters = _clean_filters(filters, errors)
    if file_format not in Extract.Format.values:
        errors["file_format"] = [str(FORMAT_UNKNOWN_MESSAGE)]
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [str(LANGUAGE_UNKNOWN_MESSAGE)]
    dp_fields: dict[str, Any] = {}
    if mode == ExtractMode.DP:
        dp_fields = _clean_dp(dimensions, cleaned_filters, epsilon, mechanism, delta, errors)
    elif mode != ExtractMode.SUPPRESSED:
        errors["mode"] = [str(MODE_UNKNOWN_MESSAGE)]
    if errors:
        raise ValidationError(errors)
    _check_quota(actor)
    chosen = None
    if mode == ExtractMode.DP:
        snapshot = mart_current(lock=True)
        if snapshot is None:
            raise ApplicationError(str(NO_DATA_MESSAGE), code="no_data")
    else:
        chosen = release_for_request(release_id=release)
        snapshot = chosen.snapshot
    extract = Extract(
        requested_by=actor,
        snapshot=snapshot,
        release=chosen,
        dimensions=dimensions,
        filters=cleaned_filters,
        format=file_format,
        policy=_policy(),
        mode=mode,
        language=language,
        **dp_fields,
    )
    extract.full_clean()
    extract.save()
    if mode == ExtractMode.DP:
        privacy_ledger.budget_spend(
            researcher=actor, epsilon=dp_fields["epsilon"], extract_id=extract.pk
        )
    audit_record(
        actor=actor,
        action=AuditAction.EXTRACT_REQUESTED,
        obj=extract,
        detail={
            "dimensions": dimensions,
            "filters": cleaned_filters,
            "format": file_format,
            "snapshot": snapshot.pk,
            **({"release": chosen.pk} if chosen is not None else {}),
            "mode": mode,
            **({"epsilon": str(dp_fields["epsilon"])} if dp_fields else {}),
        },
    )
    _enqueue(extract.pk)
    return extract


def _clean_dp(
    dimensions: list[str],
    filters: dict[str, Any],
    epsilon: Any,
    mechanism: Any,
    delta: Any,
    errors: dict[str, list[str]],
) -> dict[str, Any]:
    try:
        cleaned_epsilon = privacy_ledger.clean_epsilon(epsilon)
    except ApplicationError as exc:
        errors["epsilon"] = exc.errors["epsilon"]
        cleaned_epsilon = None
    mechanism, delta = dp_build.clean_dp_request(
        dimensions=dimensions, filters=filters, mechanism=mechanism, delta=delta, errors=errors
    )
    if not errors and cleaned_epsilon is not None:
        # Rejects a combination the ledger accepts but the mechanism cannot calibrate.
        dp_build.noise_for(
            dimensions=dimensions, epsilon=cleaned_epsilon, mechanism=mechanism, delta=delta
        )
    return {"epsilon": cleaned_epsilon, "mechanism": mechanism, "delta": delta}


def extract_request_check(
    *,
    dimensions: Any,
    filters: Any,
    mode: str,
    epsilon: Any = None,
    mechanism: str = "",
    delta: Any = 0,
) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    """The request's own validation, without recording, queueing or spending anything.

    The estimate before spending uses it, so what it estimates is exactly what a request
    would build: the variables in their canonical order, the cleaned filters and DP fields.
    """
    errors: dict[str, list[str]] = {}
    dimensions = _clean_dimensions(dimensions, errors)
    cleaned_filters = _clean_filters(filters, errors)
    dp_fields: dict[str, Any] = {}
    if mode == ExtractMode.DP:
        dp_fields = _clean_dp(dimensions, cleaned_filters, epsilon, mechanism, delta, errors)
    elif mode != ExtractMode.SUPPRESSED:
        errors["mode"] = [str(MODE_UNKNOWN_MESSAGE)]
    if errors:
        raise ValidationError(errors)
    return canonical_dimensions(dimensions), cleaned_filters, dp_fields


@transaction.atomic
def extract_retry(*, actor: User, extract_id: Any) -> Extract:
    """Queue a failed extract again, with a fresh count of attempts."""
    extract = extract_get(user=actor, extract_id=extract_id, for_update=True)
    if extract.status != Extract.Status.FAILED:
        raise ApplicationError(str(RETRY_NOT_FAILED_MESSAGE), code="not_failed")
    extract.status = Extract.Status.QUEUED
    extract.attempts = 0
    extract.progress = 0
    extract.message = ""
    extract.lease_expires_at = None
    extract.finished_at = None
    extract.save(
        update_fields=[
            "status",
            "attempts",
            "progress",
            "message",
            "lease_expires_at",
            "finished_at",
        ]
    )
    audit_record(actor=actor, action=AuditAction.EXTRACT_RETRIED, obj=extract)
    _enqueue(extract.pk)
    return extract


# ---------------------------------------------------------------------------- reads


def _parse_id(extract_id: Any) -> uuid.UUID | None:
    if isinstance(extract_id, uuid.UUID):
        return extract_id
    try:
        return uuid.UUID(str(extract_id))
    except (TypeError, ValueError, AttributeError):
        return None


def extract_list(*, user) -> QuerySet[Extract]:
    """The user's own extracts, newest first; nobody else's, and nothing for non-researchers."""
    if not (user.is_authenticated and user.is_researcher):
        return Extract.objects.none()
    return Extract.objects.filter(requested_by=user).select_related("snapshot")


def extract_get(*, user, extract_id: Any, for_update: bool = False) -> Extract:
    """The user's own extract; the same 404 for someone else's and for a missing one."""
    parsed = _parse_id(extract_id)
    if parsed is None or not (user.is_authenticated and user.is_researcher):
        raise Http404
    queryset = Extract.objects.select_related("snapshot", "release")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    extract = queryset.filter(pk=parsed, requested_by=user).first()
    if extract is None:
        if Extract.objects.filter(pk=parsed).exists():
            raise refuse_access(
                user=user,
                object_type="research_exports.extract",
                object_id=str(parsed),
                mission_id=None,
            )
        raise Http404
    return extract


def extract_path(*, extract: Extract) -> Path:
    return Path(settings.RESEARCH_EXTRACT_DIR) / f"{extract.pk}.zip"


def extract_download_name(*, extract: Extract) -> str:
    return f"harbour-extract-{extract.created_at:%Y%m%d}-{str(extract.pk)[:8]}.zip"


@transaction.atomic
def extract_file_for_download(*, user, extract_id: Any) -> tuple[Path, str]:
    """The package's path and download name; the download is audited."""
    extract = extract_get(user=user, extract_id=extract_id)
    if extract.status == Extract.Status.EXPIRED or (
        extract.expires_at is not None and extract.expires_at <= timezone.now()
    ):
        raise ApplicationError(str(EXPIRED_MESSAGE), code="expired")
    if extract.status != Extract.Status.SUCCEEDED:
        raise ApplicationError(str(NOT_READY_MESSAGE), code="not_ready")
    path = extract_path(extract=extract)
    if not path.is_file():
        raise ApplicationError(str(EXPIRED_MESSAGE), code="expired")
    audit_record(
        actor=user,
        action=AuditAction.EXTRACT_DOWNLOADED,
        obj=extract,
        detail={"sha256": extract.file_sha256},
    )
    return path, extract_download_name(extract=extract)


# ---------------------------------------------------------------------------- aggregation


def aggregate_sql(
    *, dimensions: list[str], snapshot_id: int, filters: dict[str, Any], policy: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """One query for the cells, row totals, column totals and grand total.

    Multi-valued variables are unnested with a LEFT JOIN so a person with no value counts
    under the missing code; people are counted distinctly, so a person counts once per cell
    and once per total even when several of their values fall into it.
    """
    variables = [VARIABLES[name] for name in dimensions]
    joins = []
    selected = []
    for i, variable in enumerate(variables):
        if variable.multi_valued:
            joins.append(f"LEFT JOIN LATERAL unnest(m.{variable.column}) AS u{i}(v) ON true")
            selected.append(f"COALESCE(u{i}.v, '{MISSING}') AS d{i}")
        else:
            selected.append(f"COALESCE({variable.column}, '{MISSING}') AS d{i}")
    where, params = mart_where(snapshot_id=snapshot_id, filters=filters)
    names = [f"d{i}" for i in range(len(variables))]
    sets = [f"({', '.join(names)})"]
    if len(names) > 1:
        sets += [f"({', '.join(names[:-1])})", f"({names[-1]})"]
    sets.append("()")
    base = (
        f"SELECT m.id, {', '.join(selected)} "  # noqa: S608 - our names only
        f"FROM {mart_source(policy)} m {' '.join(joins)} WHERE {where}"
    )
    columns = ", ".join(names)
    grouping = f"GROUP BY GROUPING SETS ({', '.join(sets)}) LIMIT %(limit)s"
    if any(v.multi_valued for v in variables):
        sql = (
            f"WITH base AS ({base}) SELECT {columns}, GROUPING({columns}) AS grp, "  # noqa: S608
            f"COUNT(DISTINCT id) FROM base {grouping}"
        )
    else:
        # Every person is exactly one row and so in exactly one cell: the totals are exact
        # sums of the cells. One pass over the mart counts the cells; the totals are then
        # added up from those few rows, still in SQL, instead of hashing every mart row
        # once per grouping set. The grand total of an empty snapshot is 0, not SUM's NULL.
        sql = (
            f"WITH base AS ({base}), "  # noqa: S608 - our names only
            f"cells AS (SELECT {columns}, COUNT(*) AS people FROM base GROUP BY {columns}) "
            f"SELECT {columns}, GROUPING({columns}) AS grp, COALESCE(SUM(people), 0)::bigint "
            f"FROM cells {grouping}"
        )
    # Every cell, row total and column total is a row: at most 3 per cell plus the grand.
    params["limit"] = 3 * MAX_CELLS + 2
    return sql, params


def aggregate(
    *, dimensions: list[str], snapshot_id: int, filters: dict[str, Any], policy: dict[str, Any]
) -> disclosure.Table:
    """The exact counts of the whole table a request is a slice of, as a disclosure table:
    its dimensions are the variables asked for plus those the filters select values of
    (``cube_dimensions``), in canonical order, over the whole snapshot.

    Raises ExtractRefused for tables too large to build. No request is refused for holding
    few people: such a refusal would itself tell that the filtered group is small. A small
    population is protected like any other table (its small cells and totals suppressed).
    """
    dimensions = cube_dimensions(list(dimensions), filters)
    sql, params = aggregate_sql(
        dimensions=dimensions, snapshot_id=snapshot_id, filters={}, policy=policy
    )
    n = len(dimensions)
    # On the research database (a replica) once the snapshot is there, else the primary.
    with snapshot_cursor(snapshot_id=snapshot_id) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if len(rows) >= params["limit"]:
        raise ExtractRefused(str(TOO_MANY_CELLS_MESSAGE) % {"maximum": MAX_CELLS})
    # GROUPING() sets bit (n-1-i) when dimension i is aggregated over.
    full, row_total, column_total = 0, 1, (1 << n) - 2
    cells: dict[tuple[str, ...], int] = {}
    row_totals: dict[tuple[str, ...], int] = {}
    column_totals: dict[tuple[str, ...], int] = {}
    grand = 0
    for *values, grp, count in rows:
        if grp == full:
            cells[tuple(values)] = count
        elif grp == (1 << n) - 1:
            grand = count
        elif grp == row_total:
            row_totals[tuple(values[:-1])] = count
        elif grp == column_total:
            column_totals[tuple(values[-1:])] = count
    if len(cells) > MAX_CELLS:
        raise ExtractRefused(str(TOO_MANY_CELLS_MESSAGE) % {"maximum": MAX_CELLS})
    variables = [VARIABLES[name] for name in dimensions]
    return disclosure.Table(
        dimensions=tuple(dimensions),
        cells=cells,
        row_totals=row_totals if n > 1 else {},
        column_totals=column_totals if n > 1 else {},
        grand_total=grand,
        rows_additive=not variables[-1].multi_valued,
        columns_additive=not any(v.multi_valued for v in variables[:-1]),
        grand_additive=not any(v.multi_valued for v in variables),
    )


Identity = frozenset  # of (variable, value) pairs: the people a figure counts


def result_figures(result: dict[str, Any]) -> list[tuple[Identity, int | None]]:
    """Every figure of a published result, by the people it counts (identity) and its count.

    Tables are built over the whole release (filters only slice them), so a figure counts
    exactly the people with its values, whichever table published it.
    """
    dims = result["dimensions"]
    out = [(frozenset(zip(dims, r["values"], strict=True)), r["count"]) for r in result["rows"]]
    out += [
        (frozenset(zip(dims[:-1], r["values"], strict=True)), r["count"])
        for r in result.get("row_totals", [])
    ]
    out += [(frozenset({(dims[-1], r["values"][0])}), r["count"]) for r in result["column_totals"]]
    if result.get("grand_total_published", True):
        out.append((frozenset(), result["grand_total"]))
    return out


def _table_figures(table: disclosure.Table) -> dict[Identity, tuple[str, Key]]:
    dims = table.dimensions
    figures: dict[Identity, tuple[str, Key]] = {
        frozenset(zip(dims, key, strict=True)): ("cell", key) for key in table.cells
    }
    for key in table.row_totals:
        figures[frozenset(zip(dims[:-1], key, strict=True))] = ("row", key)
    for key in table.column_totals:
        figures[frozenset({(dims[-1], key[0])})] = ("column", key)
    figures[frozenset()] = ("grand", disclosure.GRAND)
    return figures


def linked_protection(
    table: disclosure.Table,
    *,
    same_release: list[tuple[Identity, int | None]],
    other_releases: list[tuple[Identity, int | None]],
) -> dict[str, Any]:
    """What the researcher already holds, as constraints of the next table's protection.

    From the same release: a figure they got published stays published (``kept``) or, when
    it is a sum of this table's cells, is an equation (``known``); one they got hidden stays
    hidden, its sum guarded. From another release: every figure they got published is hidden
    here and its sum guarded, so the difference between two releases is never exact.
    Figures over a variable this table does not have cannot be linked (see the README).
    """
    dims = table.dimensions
    position = {d: i for i, d in enumerate(dims)}
    figures = _table_figures(table)
    multi = {d for d in dims if VARIABLES[d].multi_valued}
    kept: set[tuple[str, Key]] = set()
    hidden: set[tuple[str, Key]] = set()
    known: list[disclosure.Margin] = []
    guards: list[disclosure.Margin] = []
    seen: set[tuple[str, Identity]] = set()

    def sum_of(identity: Identity) -> tuple[tuple[Key, ...], bool] | None:
        if not all(d in position for d, _v in identity):
            return None
        members = tuple(
            sorted(key for key in table.cells if all(key[position[d]] == v for d, v in identity))
        )
        fixed = {d for d, _v in identity}
        return members, not (multi - fixed)

    for origin, history in (("same", same_release), ("other", other_releases)):
        for identity, count in history:
            if (origin, identity) in seen:
                continue
            seen.add((origin, identity))
            figure = figures.get(identity)
            published = count is not None
            if origin == "same" and published:
                if figure is not None:
                    kept.add(figure)
                    continue
                linked = sum_of(identity)
                if linked and linked[0]:
                    members, additive = linked
                    known.append(
                        disclosure.Margin(
                            "known",
                            (str(len(known)),),
                            sum(table.cells[c] for c in members),
                            members,
                            additive,
                        )
                    )
                continue
            if origin == "other" and not published:
                # Hidden there: nothing exact to subtract.
                continue
            if figure is not None:
                hidden.add(figure)
            linked = sum_of(identity)
            if linked and linked[0] and linked[1]:
                members, _additive = linked
                guards.append(
                    disclosure.Margin(
                        "guard",
                        (str(len(guards)),),
                        sum(table.cells[c] for c in members),
                        members,
                        True,
                    )
                )
    # A figure both held published from this release and hidden elsewhere stays published:
    # the researcher has it already.
    hidden -= kept
    return {"known": known, "guards": guards, "hidden": hidden, "kept": kept}


def _history(extract: Extract) -> tuple[list, list]:
    """The figures the researcher received from suppressed extracts, by release."""
    same: list = []
    other: list = []
    earlier = (
        Extract.objects.filter(
            requested_by_id=extract.requested_by_id,
            mode=ExtractMode.SUPPRESSED,
            result__isnull=False,
        )
        .exclude(pk=extract.pk)
        .values_list("release_id", "result")
    )
    for release_id, result in earlier:
        (same if release_id == extract.release_id else other).extend(result_figures(result))
    return same, other


def _protect(
    extract: Extract, table: disclosure.Table, same: list, other: list
) -> disclosure.Result:
    """Protect the table with the researcher's history; over the union of variables when
    earlier figures from the release count people by variables the table does not have."""
    policy = disclosure.Policy(
        threshold=extract.policy["threshold"], rounding_base=extract.policy["rounding_base"]
    )
    within = linked_protection(table, same_release=same, other_releases=other)
    union = linking.union_dimensions(table.dimensions, same)
    if not union:
        return disclosure.protect(table, policy, **within)
    refusal = ExtractRefused(
        str(UNION_TOO_LARGE_MESSAGE)
        % {
            "variables": ", ".join(str(VARIABLES[name].label) for name in union),
            "maximum": linking.MAX_UNION_CELLS,
        }
    )
    try:
        cube = aggregate(
            dimensions=union, snapshot_id=extract.snapshot_id, filters={}, policy=extract.policy
        )
    except ExtractRefused:
        # More cells than MAX_CELLS hold people, so more combinations than that too.
        raise refusal from None
    if linking.union_size(cube.dimensions, cube.cells) > linking.MAX_UNION_CELLS:
        raise refusal
    return disclosure.protect_joint(
        table, policy, **linking.joint_constraints(table, cube, same, policy), **within
    )


# Serialises the suppressed builds of one researcher, so each sees the other's figures.
HISTORY_LOCK_NAMESPACE = 11_002


def publish_slice(
    protected: disclosure.Result, filters: dict[str, Any], present: Iterable[Key]
) -> dict[str, Any]:
    """The part of a protected table a request asked for, as the result JSON.

    Every combination of the values seen in the table is listed, and a count that is zero
    or suppressed is published the same way (``None``, "0 or hidden"): telling zeros apart
    would say that every hidden count is at least 1. A total is in the slice when no filter
    restricts the variables it adds up over; which totals are published depends only on the
    filters, never on the data.
    """
    dimensions = list(protected.dimensions)
    n = len(dimensions)
    tests = slice_tests(dimensions, filters)
    present = list(present)
    values = [
        sorted({key[i] for key in present if i not in tests or tests[i](key[i])}) for i in range(n)
    ]
    if math.prod(len(v) for v in values) > MAX_CELLS:
        raise ExtractRefused(str(TOO_MANY_CELLS_MESSAGE) % {"maximum": MAX_CELLS})
    rows = [
        {"values": list(key), "count": protected.cells.get(key)}
        for key in itertools.product(*values)
    ]
    row_totals: list[dict[str, Any]] = []
    column_totals: list[dict[str, Any]] = []
    if n > 1 and (n - 1) not in tests:
        row_totals = [
            {"values": list(key), "count": protected.row_totals.get(key)}
            for key in itertools.product(*values[:-1])
        ]
    if n > 1 and not any(i in tests for i in range(n - 1)):
        column_totals = [
            {"values": [value], "count": protected.column_totals.get((value,))}
            for value in values[-1]
        ]
    return {
        "dimensions": dimensions,
        "rows": rows,
        "row_totals": row_totals,
        "column_totals": column_totals,
        # Outside a slice, the grand total is not part of what was asked for.
        "grand_total": protected.grand_total if not tests else None,
        "grand_total_published": not tests,
    }


def _report_json(
    extract: Extract, protected: disclosure.Result, result: dict[str, Any]
) -> dict[str, Any]:
    """What was done to the table. Never an unprotected count, nor how many hidden counts
    are zeros (that would tell how many hold people)."""
    figures = [r["count"] for r in result["rows"]]
    totals = [r["count"] for r in (*result["row_totals"], *result["column_totals"])]
    if result["grand_total_published"]:
        totals.append(result["grand_total"])
    return {
        "extract": str(extract.pk),
        "snapshot": extract.snapshot_id,
        "snapshot_created_at": extract.snapshot.created_at.isoformat(),
        "release": extract.release_id,
        "release_name": extract.release.name if extract.release else "",
        "release_published_at": (
            extract.release.published_at.isoformat() if extract.release else ""
        ),
        "generated_at": timezone.now().isoformat(),
        "dimensions": list(extract.dimensions),
        "table_dimensions": result["dimensions"],
        "filters": extract.filters,
        "policy": extract.policy,
        "cells": len(figures),
        "cells_hidden": sum(1 for c in figures if c is None),
        "totals_listed": len(totals),
        "totals_hidden": sum(1 for c in totals if c is None),
        "rounding_base": protected.policy.rounding_base,
    }


# ---------------------------------------------------------------------------- the job


def _build_dp(
    extract: Extract, extract_id: uuid.UUID, attempt: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Noisy counts of the extract's snapshot. Its ε was spent when it was requested.

    A failed build does not give the ε back, even when it failed before any noise was drawn:
    the extract keeps its ε and a retry (``extract_retry``) builds it again without spending,
    so the researcher loses nothing but time, and an extract is released at most once. A
    refund would make a retry spend again and let the budget rise and fall with failures
    whose timing (a timeout on a large table) can depend on the data.
    """
    result, stated = dp_build.build(
        dimensions=list(extract.dimensions),
        snapshot_id=extract.snapshot_id,
        filters=extract.filters,
        policy=extract.policy,
        epsilon=extract.epsilon,
        mechanism=extract.mechanism,
        delta=extract.delta,
    )
    _progress(extract_id, attempt, PROGRESS_PROTECTED)
    report = {
        "extract": str(extract.pk),
        "snapshot": extract.snapshot_id,
        "snapshot_created_at": extract.snapshot.created_at.isoformat(),
        "generated_at": timezone.now().isoformat(),
        "dimensions": list(extract.dimensions),
        "filters": extract.filters,
        "suppressed_countries": extract.policy.get("suppressed_countries", []),
        **stated,
    }
    return result, report


def _lease_until() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=settings.RESEARCH_EXTRACT_LEASE_SECONDS)


def _claim(extract_id: uuid.UUID) -> int | None:
    """Take the job if nobody live holds it; the attempt number claimed, or None."""
    now = timezone.now()
    claimable = Q(status=Extract.Status.QUEUED) | Q(
        status=Extract.Status.RUNNING, lease_expires_at__lt=now
    )
    claimed = (
        Extract.objects.filter(claimable, pk=extract_id)
        .filter(attempts__lt=settings.RESEARCH_EXTRACT_MAX_ATTEMPTS)
        .update(
            status=Extract.Status.RUNNING,
            attempts=F("attempts") + 1,
            lease_expires_at=_lease_until(),
            started_at=now,
            progress=PROGRESS_CLAIMED,
            message="",
        )
    )
    if not claimed:
        return None
    return Extract.objects.filter(pk=extract_id).values_list("attempts", flat=True).get()


def _held(extract_id: uuid.UUID, attempt: int) -> QuerySet[Extract]:
    """The job's row, only while this attempt still holds it."""
    return Extract.objects.filter(pk=extract_id, status=Extract.Status.RUNNING, attempts=attempt)


class LeaseLost(Exception):
    """Another worker took the job over; this attempt stops without touching the row."""


def _progress(extract_id: uuid.UUID, attempt: int, percent: int) -> None:
    if not _held(extract_id, attempt).update(progress=percent, lease_expires_at=_lease_until()):
        raise LeaseLost


def _write_package(extract: Extract, result: dict[str, Any], report: dict[str, Any]) -> Path:
    directory = Path(settings.RESEARCH_EXTRACT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{extract.pk}.", suffix=".part", dir=directory)
    os.close(handle)
    temporary = Path(name)
    try:
        # The data dictionary, labels and report in the language the researcher chose; the
        # codes are the same in every language.
        with translation.override(extract.language):
            writers.write_package(
                path=temporary, file_format=extract.format, result=result, report=report
            )
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _fail(extract_id: uuid.UUID, attempt: int, message: str) -> None:
    with transaction.atomic():
        extract = _held(extract_id, attempt).select_for_update().first()
        if extract is None:
            return
        extract.status = Extract.Status.FAILED
        extract.message = message
        extract.lease_expires_at = None
        extract.finished_at = timezone.now()
        extract.save(update_fields=["status", "message", "lease_expires_at", "finished_at"])
        audit_record(
            actor=extract.requested_by,
            action=AuditAction.EXTRACT_FAILED,
            obj=extract,
            detail={"attempts": extract.attempts},
        )


def _finish(
    extract_id: uuid.UUID,
    attempt: int,
    temporary: Path,
    result: dict[str, Any],
    report: dict[str, Any],
) -> bool:
    """Publish the file and the row together; False when this attempt lost the job."""
    with transaction.atomic():
        # The row lock serialises a late worker behind the one that owns the job, so the
        # file on disk is always the one whose checksum the row records.
        extract = _held(extract_id, attempt).select_for_update().first()
        if extract is None:
            return False
        final = extract_path(extract=extract)
        size = temporary.stat().st_size
        digest = _sha256(temporary)
        os.replace(temporary, final)
        now = timezone.now()
        extract.status = Extract.Status.SUCCEEDED
        extract.progress = PROGRESS_DONE
        extract.lease_expires_at = None
        extract.finished_at = now
        extract.expires_at = now + datetime.timedelta(days=settings.RESEARCH_EXTRACT_RETENTION_DAYS)
        extract.result = result
        extract.report = report
        extract.file_name = final.name
        extract.file_size = size
        extract.file_sha256 = digest
        extract.message = ""
        extract.save()
        audit_record(
            actor=extract.requested_by,
            action=AuditAction.EXTRACT_COMPLETED,
            obj=extract,
            detail={"attempts": attempt, "sha256": digest},
        )
    return True


def _requeue_or_fail(extract_id: uuid.UUID, attempt: int) -> bool:
    """After a failed attempt: True when the job went back to the queue."""
    if attempt >= settings.RESEARCH_EXTRACT_MAX_ATTEMPTS:
        _fail(extract_id, attempt, str(BUILD_FAILED_MESSAGE) % {"attempts": attempt})
        return False
    return bool(
        _held(extract_id, attempt).update(
            status=Extract.Status.QUEUED, lease_expires_at=None, progress=0
        )
    )


@contextlib.contextmanager
def _collector_paused():
    """No cyclic garbage collection while a table is built.

    A table of tens of thousands of cells is built as as many small lists and dicts (result
    rows, file lines, JSON), none of them in a reference cycle; each allocation burst makes
    the collector walk every object of the worker again, which cost a large 62,500-cell table
    about half of its Python time. Reference counting still frees everything; the collector
    runs again when the job ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def extract_build(*, extract_id: Any) -> None:
    """Build one extract. Safe to call twice, concurrently, or after a worker died.

    Raises ExtractAttemptFailed when an attempt failed and the job was queued again, so the
    task can retry it; a refused request (population too small) fails at once.
    """
    parsed = _parse_id(extract_id)
    if parsed is None:
        return
    attempt = _claim(parsed)
    if attempt is None:
        return
    started = time.monotonic()
    with _collector_paused():
        _build(parsed, attempt, started)


def _build(parsed: uuid.UUID, attempt: int, started: float) -> None:
    temporary: Path | None = None
    try:
        extract = Extract.objects.select_related("snapshot", "release").get(pk=parsed)
        if extract.mode == ExtractMode.DP:
            result, report = _build_dp(extract, parsed, attempt)
            temporary = _write_package(extract, result, report)
            if not _finish(parsed, attempt, temporary, result, report):
                temporary.unlink(missing_ok=True)
            return
        table = aggregate(
            dimensions=list(extract.dimensions),
            snapshot_id=extract.snapshot_id,
            filters=extract.filters,
            policy=extract.policy,
        )
        _progress(parsed, attempt, PROGRESS_AGGREGATED)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(%s, %s)",
                [HISTORY_LOCK_NAMESPACE, extract.requested_by_id],
            )
        try:
            same, other = _history(extract)
            protected = _protect(extract, table, same, other)
            _progress(parsed, attempt, PROGRESS_PROTECTED)
            result = publish_slice(protected, extract.filters, table.cells)
            report = _report_json(extract, protected, result)
            temporary = _write_package(extract, result, report)
            if not _finish(parsed, attempt, temporary, result, report):
                temporary.unlink(missing_ok=True)
        finally:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, %s)",
                    [HISTORY_LOCK_NAMESPACE, extract.requested_by_id],
                )
    except LeaseLost:
        return
    except ExtractRefused as exc:
        _fail(parsed, attempt, exc.message)
    except Exception as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        # The class name only: a database error's text can quote the values it choked on.
        logger.warning(
            "Extract %s attempt %d failed after %.1fs: %s",
            parsed,
            attempt,
            time.monotonic() - started,
            type(exc).__name__,
        )
        if _requeue_or_fail(parsed, attempt):
            raise ExtractAttemptFailed(str(parsed)) from None


# ---------------------------------------------------------------------------- housekeeping


def extract_sweep() -> int:
    """Requeue jobs whose worker died (lease expired), fail those out of attempts.

    Jobs queued for longer than a lease are enqueued again too, in case their message was
    lost; a duplicate delivery is harmless since only one worker can claim a job.
    """
    now = timezone.now()
    lease = datetime.timedelta(seconds=settings.RESEARCH_EXTRACT_LEASE_SECONDS)
    max_attempts = settings.RESEARCH_EXTRACT_MAX_ATTEMPTS
    touched = 0
    stale = Extract.objects.filter(status=Extract.Status.RUNNING, lease_expires_at__lt=now)
    for extract_id, attempt in stale.values_list("pk", "attempts"):
        if attempt >= max_attempts:
            _fail(extract_id, attempt, str(BUILD_FAILED_MESSAGE) % {"attempts": attempt})
            touched += 1
            continue
        with transaction.atomic():
            if (
                _held(extract_id, attempt)
                .filter(lease_expires_at__lt=now)
                .update(status=Extract.Status.QUEUED, lease_expires_at=None, progress=0)
            ):
                _enqueue(extract_id)
                touched += 1
    waiting = Extract.objects.filter(status=Extract.Status.QUEUED, created_at__lt=now - lease)
    for extract_id in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            _enqueue(extract_id)
        touched += 1
    return touched


def extract_expire() -> int:
    """Delete files past their retention, and temporary files that no live attempt owns."""
    now = timezone.now()
    expired = 0
    for extract in Extract.objects.filter(status=Extract.Status.SUCCEEDED, expires_at__lte=now):
        with transaction.atomic():
            updated = Extract.objects.filter(pk=extract.pk, status=Extract.Status.SUCCEEDED).update(
                status=Extract.Status.EXPIRED
            )
            if updated:
                extract_path(extract=extract).unlink(missing_ok=True)
                expired += 1
    directory = Path(settings.RESEARCH_EXTRACT_DIR)
    if directory.is_dir():
        cutoff = time.time() - settings.RESEARCH_EXTRACT_LEASE_SECONDS
        for part in directory.glob(".*.part"):
            if part.stat().st_mtime < cutoff:
                part.unlink(missing_ok=True)
    return expired
