"""Researchers' pages: the variable catalogue, extract requests, results, charts and downloads.

Only researchers reach these pages; everyone else gets the 404 of a page that is not there.
The mart page is the one exception: central administrators see its snapshots (status, size,
dates; never data) and can ask for a rebuild.

Every number shown comes from ``Extract.result``, the table after disclosure control.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import (
    central_admin_required,
    research_reader_required,
    researcher_required,
)
from config.errors import ApplicationError
from config.htmx import is_partial_request

from .charts import extract_chart
from .extracts import (
    extract_file_for_download,
    extract_get,
    extract_list,
    extract_request,
    extract_request_check,
    extract_retry,
)
from .forms import ExtractRequestForm, ReleasePublishForm
from .mart import mart_rebuild_request
from .models import Extract, MartSnapshot
from .privacy import ledger as privacy_ledger
from .privacy.estimate import extract_estimate
from .releases import NO_RELEASE_MESSAGE, release_list, release_publish
from .variables import MAX_DIMENSIONS, VARIABLES

EXTRACTS_PER_PAGE = 20
SNAPSHOTS_SHOWN = 20
POLL_SECONDS = 2
REQUESTED_MESSAGE = _("Extract requested. It is being built; this page shows its progress.")
RETRIED_MESSAGE = _("Extract queued again.")
REBUILD_REQUESTED_MESSAGE = _("Rebuild requested. The new snapshot appears here when it is built.")
REBUILD_JOINED_MESSAGE = _(
    "A rebuild is already under way; your request joined it. The new snapshot appears here "
    "when it is built."
)
ESTIMATE_INCOMPLETE_MESSAGE = _(
    "Choose at least one variable (and correct the fields marked) to see an estimate."
)
IN_PROGRESS = (Extract.Status.QUEUED, Extract.Status.RUNNING)


def _dimension_labels(extract: Extract) -> list[str]:
    return [
        str(VARIABLES[name].label) if name in VARIABLES else name for name in extract.dimensions
    ]


@researcher_required
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    context = {"variables": VARIABLES.values(), "max_dimensions": MAX_DIMENSIONS}
    return render(request, "research/catalogue.html", context)


@researcher_required
@require_GET
def extract_list_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(extract_list(user=request.user), EXTRACTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page_obj": page, "poll_seconds": POLL_SECONDS, "in_progress": IN_PROGRESS}
    return render(request, "research/extract_list.html", context)


def _request_estimate(request: HttpRequest, form: ExtractRequestForm) -> dict:
    """The estimate of a bound form, or the reasons there is none yet. Spends nothing.

    A field error the estimate does not depend on (the file format) does not stop it.
    """
    form.is_valid()
    data = form.cleaned_data
    blocking = [name for name in form.errors if name != "file_format"]
    if blocking or not data.get("dimensions"):
        return {"problems": [str(ESTIMATE_INCOMPLETE_MESSAGE)]}
    try:
        dimensions, filters, dp_fields = extract_request_check(
            dimensions=data["dimensions"],
            filters=form.filters(),
            mode=data["mode"] or "suppressed",
            epsilon=data["epsilon"] or None,
            mechanism=data["mechanism"] or "laplace",
            delta=data["delta"] or 0,
        )
        estimate = extract_estimate(
            dimensions=dimensions,
            filters=filters,
            mode=data["mode"] or "suppressed",
            dp_fields=dp_fields,
        )
    except ValidationError as exc:
        return {"problems": [m for messages_ in exc.message_dict.values() for m in messages_]}
    except ApplicationError as exc:
        return {"problems": [exc.message]}
    remaining = privacy_ledger.budget_remaining(researcher=request.user)
    context = {"estimate": estimate, "budget_remaining": remaining}
    if estimate.epsilon is not None:
        left = remaining - dp_fields["epsilon"]
        context["budget_after"] = left if left >= 0 else None
    return context


def _form_page(
    request: HttpRequest, form: ExtractRequestForm, estimate: dict | None, releases: list
):
    context = {
        "form": form,
        "budget_remaining": privacy_ledger.budget_remaining(researcher=request.user),
        "estimate": estimate,
        "releases": releases,
        "no_release_message": NO_RELEASE_MESSAGE,
    }
    return render(request, "research/extract_form.html", context)


@researcher_required
@require_http_methods(["GET", "POST"])
def extract_new(request: HttpRequest) -> HttpResponse:
    releases = list(release_list())
    form = ExtractRequestForm(request.POST if request.method == "POST" else None, releases=releases)
    if request.method == "POST" and "estimate" in request.POST:
        # The no-JavaScript way to the estimate: the same form, nothing requested or spent.
        return _form_page(request, form, _request_estimate(request, form), releases)
    if request.method == "POST" and form.is_valid():
        try:
            extract = extract_request(
                actor=request.user,
                dimensions=form.cleaned_data["dimensions"],
                filters=form.filters(),
                file_format=form.cleaned_data["file_format"],
                mode=form.cleaned_data["mode"] or "suppressed",
                epsilon=form.cleaned_data["epsilon"] or None,
                mechanism=form.cleaned_data["mechanism"] or "laplace",
                delta=form.cleaned_data["delta"] or 0,
                release=form.cleaned_data["release"] or None,
                language=form.cleaned_data["language"] or translation.get_language(),
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, REQUESTED_MESSAGE)
            return redirect("research:extract_detail", extract_id=extract.pk)
    return _form_page(request, form, None, releases)


@researcher_required
@require_GET
def extract_estimate_view(request: HttpRequest) -> HttpResponse:
    """The live estimate, fetched by htmx as the form changes; a whole page without htmx."""
    releases = list(release_list())
    form = ExtractRequestForm(request.GET, releases=releases)
    estimate = _request_estimate(request, form)
    if not is_partial_request(request):
        return _form_page(request, form, estimate, releases)
    response = render(request, "research/_estimate.html", {"estimate_context": estimate})
    patch_vary_headers(response, ["HX-Request"])
    return response


@researcher_required
@require_GET
def extract_detail(request: HttpRequest, extract_id) -> HttpResponse:
    extract = extract_get(user=request.user, extract_id=extract_id)
    labels = _dimension_labels(extract)
    context = {
        "extract": extract,
        "dimension_labels": labels,
        # Row totals add up the last dimension; column totals add up the others.
        "row_totals_by": ", ".join(labels[:-1]),
        "column_totals_by": labels[-1],
        "poll_seconds": POLL_SECONDS,
        "in_progress": IN_PROGRESS,
    }
    if extract.status == Extract.Status.SUCCEEDED:
        context["chart"] = extract_chart(extract.result)
    return render(request, "research/extract_detail.html", context)


@researcher_required
@require_GET
def extract_progress(request: HttpRequest, extract_id) -> HttpResponse:
    """The status fragment polled by htmx; without htmx it is a small page of its own."""
    extract = extract_get(user=request.user, extract_id=extract_id)
    context = {"extract": extract, "poll_seconds": POLL_SECONDS, "in_progress": IN_PROGRESS}
    template = (
        "research/_progress.html" if is_partial_request(request) else "research/progress.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@researcher_required
@require_POST
def extract_retry_view(request: HttpRequest, extract_id) -> HttpResponse:
    try:
        extract_retry(actor=request.user, extract_id=extract_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, RETRIED_MESSAGE)
    return redirect("research:extract_detail", extract_id=extract_id)


@researcher_required
@require_GET
def extract_download(request: HttpRequest, extract_id) -> HttpResponse:
    try:
        path, filename = extract_file_for_download(user=request.user, extract_id=extract_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("research:extract_detail", extract_id=extract_id)
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename)


@central_admin_required
@require_http_methods(["GET", "POST"])
def mart_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            _snapshot, joined = mart_rebuild_request(actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, REBUILD_JOINED_MESSAGE if joined else REBUILD_REQUESTED_MESSAGE
            )
        return redirect("research:mart")
    # Snapshot bookkeeping only; the page never reads mart rows.
    snapshots = MartSnapshot.objects.only(
        "pk", "status", "source", "is_current", "row_count", "created_at", "completed_at"
    )[:SNAPSHOTS_SHOWN]
    return render(request, "research/mart.html", {"snapshots": snapshots})


RELEASES_PER_PAGE = 20
RELEASE_PUBLISHED_MESSAGE = _("Release published. Suppressed extracts now read it.")


@research_reader_required
@require_http_methods(["GET", "POST"])
def release_list_view(request: HttpRequest) -> HttpResponse:
    """Published releases; central administrators also publish a new one here."""
    can_publish = request.user.sees_all_missions
    if request.method == "POST" and not can_publish:
        raise Http404
    snapshots = (
        MartSnapshot.objects.filter(status=MartSnapshot.Status.READY, release__isnull=True).only(
            "pk", "row_count"
        )[:SNAPSHOTS_SHOWN]
        if can_publish
        else []
    )
    form = ReleasePublishForm(
        request.POST if request.method == "POST" else None, snapshots=snapshots
    )
    if request.method == "POST" and form.is_valid():
        try:
            release_publish(
                actor=request.user,
                name=form.cleaned_data["name"],
                snapshot_id=form.cleaned_data["snapshot"] or None,
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, RELEASE_PUBLISHED_MESSAGE)
            return redirect("research:releases")
    page = Paginator(release_list(), RELEASES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page_obj": page, "form": form if can_publish else None}
    return render(request, "research/releases.html", context)
