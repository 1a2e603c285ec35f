"""Server-rendered reintegration pages. Thin: parse input, call one selector or service, render.

Every write checks scope before it looks at the form, so an out-of-scope POST gets the same
404 as a missing record. Pages work without JavaScript (POST, redirect, GET).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import case_staff_required
from assistance.services import ASSISTANCE_CASE_STATUSES, SERVICE_TRANSITIONS
from cases.selectors import access_case_by_id
from config.errors import ApplicationError

from . import services
from .forms import (
    AssistanceForm,
    AssistanceStatusForm,
    OverdueFilterForm,
    PlanForm,
    VisitAddForm,
    VisitRecordForm,
)
from .models import ReintegrationAssistance
from .selectors import (
    access_item_by_id,
    access_plan_by_id,
    access_visit_by_id,
    overdue_missions,
    overdue_visit_list,
    plan_for_case,
    plan_get,
)

PLAN_CREATED_MESSAGE = gettext_lazy("Reintegration plan saved; monitoring visits scheduled.")
PLAN_UPDATED_MESSAGE = gettext_lazy("Reintegration plan saved.")
ITEM_RECORDED_MESSAGE = gettext_lazy("Reintegration assistance recorded.")
ITEM_STATUS_MESSAGE = gettext_lazy("Status changed.")
VISIT_ADDED_MESSAGE = gettext_lazy("Extra monitoring visit planned.")
VISIT_RECORDED_MESSAGE = gettext_lazy("Monitoring visit recorded.")
SECTION_ANCHOR = "#reintegration-title"


def _back(case) -> str:
    return case.get_absolute_url() + SECTION_ANCHOR


def _read_only(case) -> str:
    """The refusal shown instead of a form when the case is not open for reintegration."""
    if case.status in ASSISTANCE_CASE_STATUSES:
        return ""
    return _(services.CASE_NOT_OPEN_MESSAGE)


@case_staff_required
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest, case_id) -> HttpResponse:
    case = access_case_by_id(user=request.user, case_id=case_id)
    existing = plan_for_case(case=case)
    form = PlanForm(request.POST or None, initial={"start_date": timezone.localdate()})
    if request.method == "POST" and existing is None and form.is_valid():
        try:
            services.plan_create(actor=request.user, case_id=case.pk, data=form.plan_data())
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, PLAN_CREATED_MESSAGE)
            return redirect(_back(case))
    context = {
        "case": case,
        "form": form,
        "plan": None,
        "existing": existing,
        "refusal": _read_only(case) or (_(services.PLAN_EXISTS_MESSAGE) if existing else ""),
    }
    return render(request, "reintegration/plan_form.html", context)


@case_staff_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, reintegration_plan_id) -> HttpResponse:
    if request.method == "GET":
        # The form shows the assessment and goals: an audited read.
        plan = plan_get(user=request.user, plan_id=reintegration_plan_id)
        form = PlanForm(plan=plan)
    else:
        plan = access_plan_by_id(user=request.user, plan_id=reintegration_plan_id)
        form = PlanForm(request.POST, plan=plan)
        if form.is_valid():
            try:
                services.plan_update(
                    actor=request.user,
                    plan_id=plan.pk,
                    version=form.cleaned_data["version"],
                    data=form.plan_data(),
                )
            except (ValidationError, ApplicationError) as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, PLAN_UPDATED_MESSAGE)
                return redirect(_back(plan.case))
    context = {
        "case": plan.case,
        "form": form,
        "plan": plan,
        "existing": None,
        "refusal": _read_only(plan.case),
    }
    return render(request, "reintegration/plan_form.html", context)


@case_staff_required
@require_http_methods(["GET", "POST"])
def assistance_create(request: HttpRequest, case_id) -> HttpResponse:
    case = access_case_by_id(user=request.user, case_id=case_id)
    form = AssistanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.assistance_record(actor=request.user, case_id=case.pk, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, ITEM_RECORDED_MESSAGE)
            return redirect(_back(case))
    context = {"case": case, "form": form, "refusal": _read_only(case)}
    return render(request, "reintegration/assistance_form.html", context)


@case_staff_required
@require_http_methods(["GET", "POST"])
def assistance_status(request: HttpRequest, reintegration_item_id) -> HttpResponse:
    item = access_item_by_id(user=request.user, item_id=reintegration_item_id)
    allowed_codes = SERVICE_TRANSITIONS.get(item.status, frozenset())
    allowed = [
        (c, label) for c, label in ReintegrationAssistance.Status.choices if c in allowed_codes
    ]
    form = AssistanceStatusForm(
        request.POST or None, allowed=allowed, initial={"version": item.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.assistance_status_change(
                actor=request.user,
                item_id=item.pk,
                version=form.cleaned_data["version"],
                to_status=form.cleaned_data["to_status"],
                end_date=form.cleaned_data["end_date"],
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, ITEM_STATUS_MESSAGE)
            return redirect(_back(item.case))
    refusal = _read_only(item.case) or ("" if allowed else _(services.ITEM_FINAL_MESSAGE))
    context = {"case": item.case, "item": item, "form": form, "refusal": refusal}
    return render(request, "reintegration/assistance_status.html", context)


@case_staff_required
@require_http_methods(["GET", "POST"])
def visit_add(request: HttpRequest, case_id) -> HttpResponse:
    case = access_case_by_id(user=request.user, case_id=case_id)
    form = VisitAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_add(
                actor=request.user, case_id=case.pk, planned_date=form.cleaned_data["planned_date"]
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, VISIT_ADDED_MESSAGE)
            return redirect(_back(case))
    refusal = _read_only(case)
    if not refusal and plan_for_case(case=case) is None:
        refusal = _(services.PLAN_REQUIRED_MESSAGE)
    context = {"case": case, "form": form, "refusal": refusal}
    return render(request, "reintegration/visit_add.html", context)


@case_staff_required
@require_http_methods(["GET", "POST"])
def visit_record(request: HttpRequest, visit_id) -> HttpResponse:
    visit = access_visit_by_id(user=request.user, visit_id=visit_id)
    form = VisitRecordForm(
        request.POST or None,
        case=visit.case,
        initial={"version": visit.version, "visited_by": request.user.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_record(
                actor=request.user,
                visit_id=visit.pk,
                version=form.cleaned_data["version"],
                **form.record_data(),
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, VISIT_RECORDED_MESSAGE)
            return redirect(_back(visit.case))
    refusal = _read_only(visit.case)
    if not refusal and visit.status not in services.PENDING_VISIT_STATUSES:
        refusal = _(services.VISIT_NOT_OPEN_MESSAGE)
    context = {"case": visit.case, "visit": visit, "form": form, "refusal": refusal}
    return render(request, "reintegration/visit_record.html", context)


@case_staff_required
@require_GET
def overdue_visits(request: HttpRequest) -> HttpResponse:
    form = OverdueFilterForm(request.GET or None, missions=overdue_missions(user=request.user))
    if form.is_bound and not form.is_valid():
        # An invalid filter shows its error and no rows: an unfiltered list would look filtered.
        visits = overdue_visit_list(user=request.user).none()
    else:
        mission = form.cleaned_data.get("mission") if form.is_bound else None
        visits = overdue_visit_list(user=request.user, mission_id=mission.pk if mission else None)
    page = Paginator(visits, settings.HARBOUR_CASE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reintegration/overdue_list.html", {"form": form, "page_obj": page})
