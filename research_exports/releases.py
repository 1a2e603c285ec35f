"""Research releases: the mart snapshots suppressed-count extracts read.

A central administrator publishes a release (for example each quarter) from a built snapshot,
usually the current one. The snapshot is then frozen: nightly rebuilds make new snapshots and
never touch it, and it is not pruned while its release exists. Suppressed extracts read the
latest release, or one the researcher picks, never the nightly mart, so that two rebuilds one
case apart are never both published.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.audit import audit_record
from cases.models import AuditAction
from config.errors import ApplicationError

from .models import MartSnapshot, ResearchRelease

NAME_MAX = 100
NOT_ADMINISTRATOR_MESSAGE = _("Only central administrators can publish research releases.")
NAME_REQUIRED_MESSAGE = _("Give the release a name, for example 2026 Q1.")
NAME_TOO_LONG_MESSAGE = _("A release name has at most %(max)d characters.")
NAME_TAKEN_MESSAGE = _("A release of this name already exists: choose another name.")
SNAPSHOT_NOT_READY_MESSAGE = _(
    "There is no built research mart snapshot to publish yet. Rebuild the mart first."
)
SNAPSHOT_UNKNOWN_MESSAGE = _("Choose a built snapshot of the research mart.")
ALREADY_RELEASED_MESSAGE = _("This snapshot is already published as release %(name)s.")
NO_RELEASE_MESSAGE = _(
    "No research release has been published yet, so there are no suppressed counts to "
    "request. A central administrator publishes releases; try again after the next one."
)
RELEASE_UNKNOWN_MESSAGE = _("Choose one of the published releases.")


def release_list() -> QuerySet[ResearchRelease]:
    """Published releases, newest first (a fixed number of queries: one)."""
    return ResearchRelease.objects.select_related("snapshot")


def release_for_request(*, release_id: Any = None) -> ResearchRelease:
    """The release a suppressed extract reads: the one chosen, or the latest.

    Locks the release's snapshot row until the request's transaction ends.
    """
    releases = ResearchRelease.objects.select_related("snapshot").select_for_update(
        of=("self", "snapshot")
    )
    if release_id in (None, ""):
        release = releases.order_by("-published_at", "-pk").first()
        if release is None:
            raise ApplicationError(str(NO_RELEASE_MESSAGE), code="no_release")
        return release
    try:
        parsed = int(release_id)
    except (TypeError, ValueError):
        parsed = None
    release = releases.filter(pk=parsed).first() if parsed is not None else None
    if release is None:
        raise ApplicationError(
            str(RELEASE_UNKNOWN_MESSAGE),
            code="invalid",
            errors={"release": [str(RELEASE_UNKNOWN_MESSAGE)]},
        )
    return release


def _clean_name(name: Any) -> str:
    cleaned = name.strip() if isinstance(name, str) else ""
    if not cleaned:
        raise _invalid("name", str(NAME_REQUIRED_MESSAGE))
    if len(cleaned) > NAME_MAX:
        raise _invalid("name", str(NAME_TOO_LONG_MESSAGE) % {"max": NAME_MAX})
    return cleaned


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid", errors={field: [message]})


@transaction.atomic
def release_publish(*, actor: User, name: Any, snapshot_id: Any = None) -> ResearchRelease:
    """Publish a built snapshot (by default the current one) as a release; audited."""
    if not (actor.is_authenticated and actor.sees_all_missions):
        raise ApplicationError(str(NOT_ADMINISTRATOR_MESSAGE), code="not_administrator")
    cleaned = _clean_name(name)
    snapshots = MartSnapshot.objects.select_for_update().filter(status=MartSnapshot.Status.READY)
    if snapshot_id in (None, ""):
        snapshot = snapshots.filter(is_current=True).first()
        if snapshot is None:
            raise ApplicationError(str(SNAPSHOT_NOT_READY_MESSAGE), code="no_data")
    else:
        try:
            parsed = int(snapshot_id)
        except (TypeError, ValueError):
            parsed = None
        snapshot = snapshots.filter(pk=parsed).first() if parsed is not None else None
        if snapshot is None:
            raise _invalid("snapshot", str(SNAPSHOT_UNKNOWN_MESSAGE))
    existing = ResearchRelease.objects.filter(snapshot=snapshot).first()
    if existing is not None:
        raise _invalid("snapshot", str(ALREADY_RELEASED_MESSAGE) % {"name": existing.name})
    if ResearchRelease.objects.filter(name=cleaned).exists():
        raise _invalid("name", str(NAME_TAKEN_MESSAGE))
    try:
        with transaction.atomic():
            release = ResearchRelease.objects.create(
                snapshot=snapshot, name=cleaned, published_by=actor
            )
    except IntegrityError:
        # A concurrent publish took the name or the snapshot first.
        raise _invalid("name", str(NAME_TAKEN_MESSAGE)) from None
    audit_record(
        actor=actor,
        action=AuditAction.RESEARCH_RELEASE_PUBLISHED,
        obj=release,
        detail={"release": release.pk, "snapshot": snapshot.pk, "rows": snapshot.row_count},
    )
    return release
