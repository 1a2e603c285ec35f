"""Several model querysets read in one SQL statement.

A page that shows many small lists (the case page: interviews, services, referrals, movements,
shares, visits...) paid one round trip, one cursor and one result parse per list. Here each
queryset keeps its own SQL (its filters, ordering, ``select_related`` and slice), becomes a
``json_agg`` subquery of a single ``SELECT``, and its rows come back as model instances built
the way Django builds them (``Model.from_db``, the fields' own converters, so encrypted
fields decrypt as usual; ``select_related`` objects populated).

What it does not do: ``prefetch_related`` (read the related rows as a queryset of their own
and attach them with ``attach_prefetched``), ``values()`` querysets, and field types whose JSON
form is not their value (binary, duration): those raise ``ValueError`` rather than guess.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators

_UNSUPPORTED = {"BinaryField", "DurationField"}


def _storage_field(field):
    # A foreign key's column holds the value of the key it points to.
    while field is not None and getattr(field, "is_relation", False) and field.target_field:
        field = field.target_field
    return field


def _from_json(value: Any, field) -> Any:
    """The value psycopg would have returned for ``field``'s column."""
    if value is None or field is None:
        return value
    kind = field.get_internal_type()
    if kind in _UNSUPPORTED:
        raise ValueError(f"querybatch cannot read a {kind} column")
    if kind == "UUIDField":
        return uuid.UUID(value)
    if kind == "DateTimeField":
        return datetime.datetime.fromisoformat(value)
    if kind == "DateField":
        return datetime.date.fromisoformat(value)
    if kind == "TimeField":
        return datetime.time.fromisoformat(value)
    if kind == "FloatField":
        return float(value)
    if kind == "DecimalField":
        # A numeric without decimal places reads back as a JSON integer.
        return decimal.Decimal(str(value))
    if kind == "JSONField":
        # Django reads jsonb as text and parses it in the field's from_db_value.
        return json.dumps(value)
    if kind == "ArrayField":
        base = _storage_field(field.base_field)
        return [_from_json(item, base) for item in value]
    return value


def _compile(queryset: QuerySet, using: str):
    if queryset._prefetch_related_lookups:
        raise ValueError("querybatch does not run prefetch_related; use attach_prefetched")
    if queryset._iterable_class is not ModelIterable:
        raise ValueError("querybatch reads model querysets only (no values())")
    compiler = queryset.query.get_compiler(using=using)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    return compiler, sql, params


def _instances(compiler, rows: list[dict[str, Any]], using: str) -> list[Model]:
    select = compiler.select
    fields = [_storage_field(getattr(column, "output_field", None)) for column, *_ in select]
    native = [[_from_json(row[f"c{i}"], field) for i, field in enumerate(fields)] for row in rows]
    converted = compiler.results_iter(results=[native])
    klass_info = compiler.klass_info
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, using)
    annotations = compiler.annotation_col_map.items()
    model = klass_info["model"]
    objects = []
    for row in converted:
        obj = model.from_db(using, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in annotations:
            setattr(obj, name, row[position])
        objects.append(obj)
    return objects


def fetch_together(
    querysets: Mapping[str, QuerySet], *, using: str = DEFAULT_DB_ALIAS
) -> dict[str, list[Model]]:
    """Evaluate every queryset of ``querysets`` in one statement; the lists, by the same keys.

    Each list has the rows its queryset would have returned, in its order (the subquery's
    ``ORDER BY`` and ``LIMIT`` apply before the aggregate reads its rows).
    """
    compiled = {name: _compile(qs, using) for name, qs in querysets.items()}
    parts, params, names = [], [], []
    for name, entry in compiled.items():
        if entry is None:
            continue
        compiler, sql, sql_params = entry
        # Positional names: the joined tables of select_related repeat column names.
        columns = ", ".join(f"c{i}" for i in range(len(compiler.select)))
        alias = f"q{len(names)}"
        parts.append(
            # Django's own compiled SQL, with its parameters kept apart.
            f"(SELECT coalesce(json_agg({alias}), '[]')::text "  # noqa: S608
            f"FROM ({sql}) AS {alias}({columns}))"
        )
        params.extend(sql_params)
        names.append(name)
    results: dict[str, list[Model]] = {name: [] for name in querysets}
    if not parts:
        return results
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    for name, text in zip(names, row, strict=True):
        rows = json.loads(text, parse_float=decimal.Decimal)
        results[name] = _instances(compiled[name][0], rows, using)
    return results


def attach_prefetched(
    objects: Iterable[Model], related_name: str, related: Iterable[Model], fk_attname: str
) -> None:
    """Give each of ``objects`` its ``related_name`` rows from ``related`` (read together),
    as ``prefetch_related`` would: ``obj.<related_name>.all()`` then costs no query."""
    by_owner: dict[Any, list[Model]] = {}
    for item in related:
        by_owner.setdefault(getattr(item, fk_attname), []).append(item)
    for obj in objects:
        manager = getattr(obj, related_name)
        queryset = manager.get_queryset()
        queryset._result_cache = by_owner.get(obj.pk, [])
        queryset._prefetch_done = True
        if not hasattr(obj, "_prefetched_objects_cache"):
            obj._prefetched_objects_cache = {}
        obj._prefetched_objects_cache[manager.field.remote_field.cache_name] = queryset
