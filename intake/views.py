"""Pages of the import: upload -> validation report -> confirm -> progress. Central
administrators only (everyone else: the 404 of a page that is not there)."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import central_admin_required
from accounts.second_factor.decorators import requires_recent_second_factor
from config.errors import ApplicationError
from config.htmx import is_partial_request

from . import messages, services
from .forms import ImportConfirmForm, ImportUploadForm
from .models import ImportJob
from .rejected import rejected_rows_available, rejected_rows_csv
from .selectors import import_job_cases, import_job_get, import_job_list
from .template import template_xlsx

JOBS_PER_PAGE = 20
CASES_SHOWN = 20
POLL_SECONDS = 2
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOADED_MESSAGE = _("File received. It is being validated; nothing has been imported yet.")
CONFIRMED_MESSAGE = _("Import started.")
CANCELLED_MESSAGE = _("Import cancelled. Nothing more will be written.")


@central_admin_required
@require_http_methods(["GET", "POST"])
# Bulk import of identities: a second factor again before a file is taken in.
@requires_recent_second_factor()
def import_list_view(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_create(
                actor=request.user,
                mission=form.cleaned_data["mission"],
                format=form.cleaned_data["format"],
                source=form.cleaned_data["source"],
                file_name=upload.name or "",
                file_size=upload.size,
                chunks=upload.chunks(),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            flash.success(request, UPLOADED_MESSAGE)
            return redirect("intake:job_detail", job_id=job.pk)
    page = Paginator(import_job_list(user=request.user), JOBS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "intake/job_list.html", {"form": form, "page_obj": page})


@central_admin_required
@require_GET
def import_template_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(template_xlsx(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="harbour-import-template.xlsx"'
    return response


def _report_rows(job: ImportJob) -> list[dict]:
    return [
        {"row": row, "column": column, "reason": messages.message(code)}
        for row, column, code in job.report.get("errors", [])
    ]


def _context(request: HttpRequest, job: ImportJob) -> dict:
    return {
        "job": job,
        "poll_seconds": POLL_SECONDS,
        "failure_message": messages.message(job.failure) if job.failure else "",
        "refused_columns": job.report.get("columns", []),
        "failure_detail": job.report.get("detail", ""),
    }


@central_admin_required
@require_GET
def import_detail_view(request: HttpRequest, job_id) -> HttpResponse:
    job = import_job_get(user=request.user, job_id=job_id)
    context = _context(request, job)
    context.update(
        errors=_report_rows(job),
        errors_by_column=job.report.get("errors_by_column", {}),
        duplicates=job.report.get("duplicates", []),
        confirm_form=ImportConfirmForm(),
        rejected_available=rejected_rows_available(job),
        cases=import_job_cases(job=job, limit=CASES_SHOWN)
        if job.status == ImportJob.Status.SUCCEEDED
        else [],
    )
    return render(request, "intake/job_detail.html", context)


@central_admin_required
@require_GET
def import_progress_view(request: HttpRequest, job_id) -> HttpResponse:
    """The status fragment polled by htmx; without htmx it is a small page of its own."""
    job = import_job_get(user=request.user, job_id=job_id)
    template = "intake/_progress.html" if is_partial_request(request) else "intake/progress.html"
    response = render(request, template, _context(request, job))
    patch_vary_headers(response, ["HX-Request"])
    return response


@central_admin_required
@require_POST
@requires_recent_second_factor(return_to="intake:job_detail")
def import_confirm_view(request: HttpRequest, job_id) -> HttpResponse:
    job = import_job_get(user=request.user, job_id=job_id)
    form = ImportConfirmForm(request.POST)
    form.is_valid()
    try:
        services.import_confirm(
            actor=request.user,
            job_id=job.pk,
            import_valid_rows=form.cleaned_data.get("import_valid_rows", False),
        )
    except ApplicationError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, CONFIRMED_MESSAGE)
    return redirect("intake:job_detail", job_id=job.pk)


@central_admin_required
@require_POST
def import_cancel_view(request: HttpRequest, job_id) -> HttpResponse:
    job = import_job_get(user=request.user, job_id=job_id)
    try:
        services.import_cancel(actor=request.user, job_id=job.pk)
    except ApplicationError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, CANCELLED_MESSAGE)
    return redirect("intake:job_detail", job_id=job.pk)


@central_admin_required
@require_GET
# The rejected rows are identities in bulk, delivered once: confirm before, not after.
@requires_recent_second_factor(methods=("GET",))
def import_rejected_view(request: HttpRequest, job_id) -> HttpResponse:
    job = import_job_get(user=request.user, job_id=job_id)
    try:
        lines = rejected_rows_csv(actor=request.user, job_id=job.pk)
    except ApplicationError as exc:
        # Delivered once, or expired: gone, and the page says so.
        return render(
            request, "intake/rejected_gone.html", {"job": job, "message": exc.message}, status=410
        )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejected-rows-{job.pk}.csv"'
    return response
