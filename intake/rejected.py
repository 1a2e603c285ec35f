"""The rejected rows of an import of valid rows only, as a CSV to fix and upload again.

Personal data: generated on the fly from the encrypted upload (nothing else keeps the rows),
for a central administrator only, and the upload is deleted once the file has been sent.
Cells that a spreadsheet would run as a formula are written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from config.errors import ApplicationError

from . import storage
from .columns import file_columns
from .field_columns import layout_for
from .models import ImportJob
from .readers import SourceRow
from .services import NO_REJECTED_ROWS_MESSAGE, _require_central_admin, _rows, _scan
from .validation import Prepared, looks_like_formula

ROW_COLUMN = "harbour_row"
ERRORS_COLUMN = "harbour_errors"


def escape_cell(text: str) -> str:
    """Neutralise a formula-looking cell for spreadsheets (OWASP CSV injection)."""
    return "'" + text if looks_like_formula(text) else text


def _flatten(row: SourceRow, repeats: dict[str, dict]) -> dict[str, str]:
    """A row with its repeat groups as numbered columns (``hte_Type_1``...), as the report
    names them."""
    values = dict(row.values)
    for group, columns in repeats.items():
        for position, step in enumerate(row.repeats.get(group, []), start=1):
            for name in columns:
                values[f"{name}_{position}"] = step.get(name, "")
    return values


def rejected_rows_available(job: ImportJob) -> bool:
    return (
        job.status == ImportJob.Status.SUCCEEDED
        and job.import_valid_rows
        and job.rows_invalid > 0
        and job.upload_deleted_at is None
        and storage.upload_exists(job.pk)
    )


def rejected_rows_csv(*, actor: User, job_id: Any) -> Iterator[bytes]:
    """The CSV of rejected rows; the upload is deleted after the last line is produced."""
    _require_central_admin(actor)
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or not rejected_rows_available(job):
        raise ApplicationError(_(NO_REJECTED_ROWS_MESSAGE), code="no_rejected_rows")
    rejected: list[tuple[SourceRow, Prepared]] = []
    with storage.upload_open(job.pk) as file:
        _scan(
            job,
            _rows(job, file),
            on_rejected=lambda row, prepared: rejected.append((row, prepared)),
        )
    return _lines(job, rejected)


def _lines(job: ImportJob, rejected: list[tuple[SourceRow, Prepared]]) -> Iterator[bytes]:
    repeats = layout_for(job.format).repeats
    flattened = [(_flatten(row, repeats), prepared) for row, prepared in rejected]
    present = set().union(*(values for values, _prepared in flattened)) if flattened else set()
    known = [name for name in file_columns() if name in present]
    columns = known + sorted(present - set(known))
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def take() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    buffer.write("\ufeff")
    writer.writerow([ROW_COLUMN, ERRORS_COLUMN, *columns])
    yield take()
    for values, prepared in flattened:
        errors = "; ".join(f"{column}: {code}" for column, code in prepared.errors)
        writer.writerow(
            [prepared.number, errors, *(escape_cell(values.get(c, "")) for c in columns)]
        )
        yield take()
    storage.upload_delete(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(upload_deleted_at=timezone.now())
