"""Tools for bulk synthetic data: weighted draws and COPY writers, shared by the seeders."""

from __future__ import annotations

import bisect
import datetime
import itertools
import random
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

from cases.fields import EncryptedTextField


def copy_into(model: type[models.Model], fields: list[models.Field], rows: list[list[Any]]) -> None:
    """COPY ``rows`` (database values, in the order of ``fields``) into ``model``'s table."""
    db = connections[DEFAULT_DB_ALIAS]
    table = db.ops.quote_name(model._meta.db_table)
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields)
    with (
        db.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def encrypt_columns(fields: list[models.Field], rows: list[list[Any]]) -> None:
    """Replace each encrypted field's values in ``rows`` with their tokens, one batch a column."""
    for i, field in enumerate(fields):
        if isinstance(field, EncryptedTextField):
            tokens = field.get_prep_values([row[i] for row in rows])
            for row, token in zip(rows, tokens, strict=True):
                row[i] = token


class Weighted:
    """A weighted choice drawn with one random() and a bisect: the seed makes millions."""

    def __init__(self, weights: dict[Any, float]) -> None:
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


class CopyTable:
    """Rows of one model written with COPY, from dicts of field values.

    Faster than model instances: a screening has about ninety columns, and building and
    preparing ninety fields per row would cost more than the rest of the seed. Encrypted
    fields are encrypted by the field itself (``get_prep_values``: the tokens ``save()`` writes),
    a column at a time.
    """

    def __init__(self, model: type[models.Model], *, database_id: bool = False) -> None:
        self.model = model
        self.fields = [
            f
            for f in model._meta.concrete_fields
            if database_id or not isinstance(f, models.AutoField)
        ]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.index.update({f.name: i for i, f in enumerate(self.fields)})
        self.defaults = [self._default(f) for f in self.fields]
        self.rows: list[list[Any]] = []

    @staticmethod
    def _default(field: models.Field) -> Any:
        if field.has_default():
            return field.get_default()
        return None if field.null else ""

    def add(self, values: dict[str, Any]) -> None:
        row = self.defaults.copy()
        for name, value in values.items():
            row[self.index[name]] = value
        self.rows.append(row)

    def write(self) -> None:
        encrypt_columns(self.fields, self.rows)
        copy_into(self.model, self.fields, self.rows)
        self.rows = []


def at(day: datetime.date, rng: random.Random, now: datetime.datetime) -> datetime.datetime:
    """A moment during working hours of ``day``, never after ``now``."""
    moment = datetime.datetime(
        day.year, day.month, day.day, 8 + rng.randrange(9), rng.randrange(60), tzinfo=datetime.UTC
    )
    return min(moment, now)


def days(rng: random.Random, limit: int) -> datetime.timedelta:
    # Triangular towards zero: most gaps are short, a few are long.
    return datetime.timedelta(days=int(rng.triangular(0, limit, 0)))
