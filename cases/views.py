"""Server-rendered case pages. Thin: parse input, call one selector or service, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import case_staff_required, central_admin_required
from config.errors import ApplicationError
from config.htmx import is_partial_request

from .case_page import case_sections_read
from .duplicates import likely_duplicates
from .filters import AuditEventFilter, CaseFilter, search_query
from .forms import (
    CaseCreateForm,
    CaseEditForm,
    ClosureDecisionForm,
    ClosureQueueFilterForm,
    ClosureRequestForm,
    ReopenForm,
)
from .models import Case, CaseClosureRequest
from .selectors import (
    access_case_by_id,
    audit_trail_open,
    case_get,
    case_list_rows,
    closure_queue,
    closure_request_get,
    registrable_missions,
)
from .services import (
    CASE_NOT_CLOSED_MESSAGE,
    CLOSURE_NOT_PENDING_MESSAGE,
    case_create,
    case_reopen,
    case_search_record,
    case_update,
    closure_approve,
    closure_request,
    closure_return,
)
from .vocabularies import CLOSED_STATUSES, ClosureReason, country_names, language_choices

CASE_CREATED_MESSAGE = gettext_noop("Case %(reference)s registered.")
CASE_UPDATED_MESSAGE = gettext_noop("Case %(reference)s saved.")
CLOSURE_REQUESTED_MESSAGE = gettext_noop(
    "Closure of case %(reference)s requested: a central administrator will decide."
)
CLOSED_AT_ONCE_MESSAGE = gettext_noop("Case %(reference)s closed as referred.")
CLOSURE_APPROVED_MESSAGE = gettext_noop("Case %(reference)s closed.")
CLOSURE_RETURNED_MESSAGE = gettext_noop("The closure request for case %(reference)s was returned.")
CASE_REOPENED_MESSAGE = gettext_noop("Case %(reference)s reopened.")


def render_with_fragment(
    request: HttpRequest, template: str, fragment: str, context: dict[str, Any]
) -> HttpResponse:
    response = render(request, fragment if is_partial_request(request) else template, context)
    # The same URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def filters_valid(filterset) -> bool:
    # An unbound filter set (no query string) is "invalid" to django-filter; here it means
    # no filter at all.
    return not filterset.is_bound or filterset.is_valid()


def coded_labels(codes: list[str], names: dict[str, str]) -> list[tuple[str, str]]:
    return [(code, names.get(code, code)) for code in codes]


def case_rows(cases) -> list[dict[str, Any]]:
    countries = country_names()
    return [
        {"case": case, "citizenships": coded_labels(case.person.citizenships, countries)}
        for case in cases
    ]


@case_staff_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    filterset = CaseFilter(
        request.GET or None, queryset=case_list_rows(user=request.user), user=request.user
    )
    # Invalid filters show their errors and no rows: an unfiltered list would look filtered.
    cases = filterset.qs if filters_valid(filterset) else Case.objects.none()
    page = Paginator(cases, settings.HARBOUR_CASE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = search_query(filterset)
    if query:
        case_search_record(actor=request.user, query=query, results=page.paginator.count)
    context = {
        "filter": filterset,
        "form": filterset.form,
        "page_obj": page,
        "rows": case_rows(page.object_list),
    }
    return render_with_fragment(
        request, "cases/case_list.html", "cases/_case_results.html", context
    )


@case_staff_required
@require_GET
def case_detail(request: HttpRequest, case_id) -> HttpResponse:
    case = case_get(user=request.user, case_id=case_id)
    person = case.person
    context = {
        "case": case,
        # Every section of every app, read in one statement after the audited scoped read.
        "sections": case_sections_read(case=case, user=request.user),
        "person": person,
        "citizenships": coded_labels(person.citizenships, country_names()),
        "languages": coded_labels(person.languages, dict(language_choices())),
    }
    return render(request, "cases/case_detail.html", context)


@case_staff_required
@require_http_methods(["GET", "POST"])
def case_create_view(request: HttpRequest) -> HttpResponse:
    if not registrable_missions(request.user).exists():
        raise Http404
    form = CaseCreateForm(request.POST or None, user=request.user)
    duplicates = []
    valid = request.method == "POST" and form.is_valid()
    if valid and request.POST.get("not_a_duplicate") != "1":
        # Before anything is written: the caseworker opens the existing case or goes on.
        person = form.cleaned_data
        duplicates = likely_duplicates(
            user=request.user,
            given_name=person["given_name"],
            family_name=person["family_name"],
            date_of_birth=person["date_of_birth"],
            birth_year=person["birth_year"],
            phone=person["phone"],
            citizenships=person["citizenships"],
        )
    if valid and not duplicates:
        try:
            case = case_create(
                actor=request.user,
                mission=form.cleaned_data["mission"],
                person=form.person_data(),
                registered_on=form.cleaned_data["registered_on"],
                assigned_to=form.cleaned_data["assigned_to"],
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _(CASE_CREATED_MESSAGE) % {"reference": case.reference})
            return redirect(case)
    return render(
        request, "cases/case_form.html", {"form": form, "case": None, "duplicates": duplicates}
    )


@case_staff_required
@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, case_id) -> HttpResponse:
    if request.method == "GET":
        # The form shows the identity, so opening it is an audited read.
        case = case_get(user=request.user, case_id=case_id)
        form = CaseEditForm(case=case)
        return render(request, "cases/case_form.html", {"form": form, "case": case})

    case = access_case_by_id(user=request.user, case_id=case_id)
    form = CaseEditForm(request.POST, case=case)
    if form.is_valid():
        try:
            case = case_update(
                actor=request.user,
                case_id=case.pk,
                version=form.cleaned_data["version"],
                data=form.update_data(),
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _(CASE_UPDATED_MESSAGE) % {"reference": case.reference})
            return redirect(case)
    return render(request, "cases/case_form.html", {"form": form, "case": case})


@login_required
@never_cache
@require_GET
def audit_trail(request: HttpRequest) -> HttpResponse:
    applied = [name for name in AuditEventFilter.base_filters if request.GET.get(name)]
    events = audit_trail_open(user=request.user, filters=applied)
    filterset = AuditEventFilter(request.GET or None, queryset=events)
    events = filterset.qs if filters_valid(filterset) else events.none()
    page = Paginator(events, settings.HARBOUR_CASE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": filterset, "form": filterset.form, "page_obj": page}
    return render_with_fragment(
        request, "cases/audit_list.html", "cases/_audit_results.html", context
    )


# Closure and reopening


@case_staff_required
@require_http_methods(["GET", "POST"])
def closure_request_view(request: HttpRequest, case_id) -> HttpResponse:
    # Scope first: out of scope is the one 404 whatever the body.
    case = access_case_by_id(user=request.user, case_id=case_id)
    form = ClosureRequestForm(request.POST or None, initial={"version": case.version})
    if request.method == "POST" and form.is_valid():
        try:
            closure = closure_request(
                actor=request.user,
                case_id=case.pk,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            done = (
                CLOSED_AT_ONCE_MESSAGE
                if closure.reason == ClosureReason.REFERRED
                else CLOSURE_REQUESTED_MESSAGE
            )
            messages.success(request, _(done) % {"reference": case.reference})
            return redirect(case)
    context = {"case": case, "form": form, "is_closed": case.status in CLOSED_STATUSES}
    return render(request, "cases/closure_request.html", context)


@central_admin_required
@require_GET
def closure_queue_view(request: HttpRequest) -> HttpResponse:
    form = ClosureQueueFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # An invalid filter shows its error and no rows: an unfiltered list would look filtered.
        rows = CaseClosureRequest.objects.none()
    else:
        mission = form.cleaned_data.get("mission") if form.is_bound else None
        rows = closure_queue(user=request.user, mission_id=mission.pk if mission else None)
    page = Paginator(rows, settings.HARBOUR_CASE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/closure_queue.html", {"form": form, "page_obj": page})


@central_admin_required
@require_http_methods(["GET", "POST"])
def closure_decide_view(request: HttpRequest, closure_request_id) -> HttpResponse:
    closure = closure_request_get(user=request.user, request_id=closure_request_id)
    form = ClosureDecisionForm(request.POST or None, initial={"version": closure.version})
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == ClosureDecisionForm.APPROVE
        try:
            if approve:
                closure_approve(
                    actor=request.user,
                    request_id=closure.pk,
                    version=form.cleaned_data["version"],
                )
            else:
                closure_return(
                    actor=request.user,
                    request_id=closure.pk,
                    version=form.cleaned_data["version"],
                    comment=form.cleaned_data["comment"],
                )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            done = CLOSURE_APPROVED_MESSAGE if approve else CLOSURE_RETURNED_MESSAGE
            messages.success(request, _(done) % {"reference": closure.case.reference})
            return redirect("cases:closure_queue")
    context = {
        "closure": closure,
        "case": closure.case,
        "form": form,
        "decidable": closure.status == CaseClosureRequest.Status.PENDING
        and closure.requested_by_id != request.user.pk,
        "not_pending_message": _(CLOSURE_NOT_PENDING_MESSAGE),
    }
    return render(request, "cases/closure_decide.html", context)


@central_admin_required
@require_http_methods(["GET", "POST"])
def case_reopen_view(request: HttpRequest, case_id) -> HttpResponse:
    case = access_case_by_id(user=request.user, case_id=case_id)
    form = ReopenForm(request.POST or None, initial={"version": case.version})
    if request.method == "POST" and form.is_valid():
        try:
            case_reopen(
                actor=request.user,
                case_id=case.pk,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _(CASE_REOPENED_MESSAGE) % {"reference": case.reference})
            return redirect(case)
    context = {
        "case": case,
        "form": form,
        "is_closed": case.status in CLOSED_STATUSES,
        "not_closed_message": _(CASE_NOT_CLOSED_MESSAGE),
    }
    return render(request, "cases/case_reopen.html", context)
