"""Access-matrix rows for bringing data in (issue 13): central administrators only."""

from __future__ import annotations

from intake.models import ImportJob
from tests.matrix.roles import ADMIN_ONLY, ADMIN_ONLY_POST, LOGIN, _row

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "intake:job_list": (ADMIN_ONLY, ()),
    "intake:template": (ADMIN_ONLY, ()),
    "intake:job_detail": (ADMIN_ONLY, ("job_id",)),
    "intake:job_progress": (ADMIN_ONLY, ("job_id",)),
    "intake:job_confirm": (ADMIN_ONLY_POST, ("job_id",)),
    "intake:job_cancel": (ADMIN_ONLY_POST, ("job_id",)),
    # This job has no rejected rows to give: 410 Gone for those who may ask.
    "intake:job_rejected": (
        _row(404, anonymous=LOGIN, central_admin=410, superuser=410),
        ("job_id",),
    ),
}

SCOPED_WRITES: list[str] = []


def world(*, case, users) -> dict:
    job = ImportJob.objects.create(
        format="htcds",
        source="legacy",
        mission=case.mission,
        created_by=users["central_admin"],
        file_name_hash="0" * 64,
        status=ImportJob.Status.VALIDATED,
    )
    return {"job_id": job.pk}
