"""Reads of import jobs. Central administrators only; everyone else gets the missing page."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .models import ImportedRecord, ImportJob

JOB_LIST_FIELDS = (
    "pk",
    "format",
    "source",
    "status",
    "created_at",
    "rows_total",
    "rows_invalid",
    "rows_imported",
    "mission__code",
)


def import_job_list(*, user) -> QuerySet[ImportJob]:
    if not user.sees_all_missions:
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("mission").only(*JOB_LIST_FIELDS)


def import_job_get(*, user, job_id: Any) -> ImportJob:
    if not user.sees_all_missions:
        raise Http404
    job = ImportJob.objects.select_related("mission").filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def import_job_cases(*, job: ImportJob, limit: int) -> list[ImportedRecord]:
    """The first imported cases of a job, with their references (no identity is read)."""
    return list(
        ImportedRecord.objects.filter(job=job)
        .select_related("case")
        .only("row_number", "external_id", "case__id", "case__reference")
        .order_by("row_number")[:limit]
    )
