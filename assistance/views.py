"""Server-rendered assistance pages. Thin: parse input, call one selector or service, render.

Every page is reached through its case (``Case.objects.visible_to``): out of scope is the same
404 as missing. A POST checks scope before it looks at the form. Pages that show notes,
reasoning or places open their record with an audited read.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import case_staff_required
from cases.models import Case
from cases.selectors import access_case_by_id
from cases.views import filters_valid, render_with_fragment
from cases.vocabularies import CaseStatus
from config.errors import ApplicationError

from . import services
from .filters import ServiceFilter
from .forms import (
    AssessmentForm,
    InterviewEditForm,
    InterviewForm,
    MovementForm,
    ReferralForm,
    ServiceForm,
    ServiceStatusForm,
    SupportPlanForm,
    TransitionForm,
    leg_formset,
)
from .models import AssistanceInterview, AssistanceService, Movement
from .selectors import (
    access_interview_by_id,
    access_movement_by_id,
    access_service_by_id,
    case_assistance_get,
    interview_get,
    movement_get,
    service_list_for_case,
    support_plan_for_case,
)

INTERVIEW_RECORDED_MESSAGE = gettext_lazy("Assistance interview recorded.")
INTERVIEW_SAVED_MESSAGE = gettext_lazy("Assistance interview saved.")
PLAN_SAVED_MESSAGE = gettext_lazy("Support plan saved.")
SERVICE_RECORDED_MESSAGE = gettext_lazy("Service recorded.")
SERVICE_STATUS_MESSAGE = gettext_lazy("Service status changed.")
SERVICE_DECLINED_MESSAGE = gettext_lazy("Recorded that the person declined this service.")
REFERRAL_RECORDED_MESSAGE = gettext_lazy("Referral recorded.")
MOVEMENT_PLANNED_MESSAGE = gettext_lazy("Movement planned.")
MOVEMENT_ASSESSED_MESSAGE = gettext_lazy("Pre-departure assessment recorded.")
MOVEMENT_MOVED_MESSAGE = gettext_lazy("Movement status changed.")
MOVEMENT_CANCELLED_MESSAGE = gettext_lazy("Movement cancelled.")

INTERVIEW_CASE_STATUSES = frozenset({CaseStatus.ACTIVE})
MOVEMENT_OPEN = (Movement.Status.PLANNED, Movement.Status.CONFIRMED)
# The step each transition button takes, and the words on it.
TRANSITION_LABELS = {
    Movement.Status.CONFIRMED: gettext_lazy("Confirm the movement"),
    Movement.Status.DEPARTED: gettext_lazy("Record the departure"),
    Movement.Status.ARRIVED: gettext_lazy("Record the arrival"),
}


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _case_context(case: Case, statuses: frozenset[str]) -> dict[str, Any]:
    return {
        "case": case,
        "case_open": case.status in statuses,
        "not_active_message": _(services.CASE_NOT_ACTIVE_MESSAGE),
    }


def _case_url(case_id) -> str:
    return reverse("cases:detail", kwargs={"case_id": case_id}) + "#assistance"


# Assistance interviews


@case_staff_required
@require_http_methods(["GET", "POST"])
def interview_create(request: HttpRequest, case_id) -> HttpResponse:
    case = access_case_by_id(user=request.user, case_id=case_id)
    form = InterviewForm(_posted(request), initial={"interview_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            interview = services.interview_record(
                actor=request.user, case_id=case.pk, data=form.answers()
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, INTERVIEW_RECORDED_MESSAGE)
            return redirect("assistance:interview", interview_id=interview.pk)
    context = {"form": form, "interview": None, **_case_context(case, INTERVIEW_CASE_STATUSES)}
    return render(request, "assistance/interview_form.html", context)


@case_staff_required
@require_GET
def interview_detail(request: HttpRequest, interview_id) -> HttpResponse:
    interview = interview_get(user=request.user, interview_id=interview_id)
    context = {"interview": interview, **_case_context(interview.case, INTERVIEW_CASE_STATUSES)}
    return render(request, "assistance/interview_detail.html", context)


def _interview_initial(interview: AssistanceInterview) -> dict[str, Any]:
    initial = {name: getattr(interview, name) for name in InterviewEditForm.base_fields}
    initial["version"] = interview.version
    return initial


@case_staff_required
@require_http_methods(["GET", "POST"])
def interview_edit(request: HttpRequest, interview_id) -> HttpResponse:
    if request.method == "GET":
        # The form shows the notes, so opening it is an audited read.
        interview = interview_get(user=request.user, interview_id=interview_id)
        form = InterviewEditForm(initial=_interview_initial(interview))
    else:
        interview = access_interview_by_id(user=request.user, interview_id=interview_id)
        form = InterviewEditForm(request.POST)
        if form.is_valid():
            try:
                services.interview_update(
                    actor=request.user,
                    interview_id=interview.pk,
                    version=form.cleaned_data["version"],
                    data=form.answers(),
                )
            except (ValidationError, ApplicationError) as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, INTERVIEW_SAVED_MESSAGE)
                return redirect("assistance:interview", interview_id=interview.pk)
    context = {
        "form": form,
        "interview": interview,
        "reload_url": request.path,
        **_case_context(interview.case, INTERVIEW_CASE_STATUSES),
    }
    return render(request, "assistance/interview_form.html", context)


# Support plan


@case_staff_required
@require_http_methods(["GET", "POST"])
def support_plan_edit(request: HttpRequest, case_id) -> HttpResponse:
    """Create the case's support plan, or edit the one it has."""
    if request.method == "GET":
        # The form shows the objectives and the action plan: an audited read.
        case = case_assistance_get(user=request.user, case_id=case_id, section="support_plan")
        plan = support_plan_for_case(case=case)
        initial = {"start_date": timezone.localdate()}
        if plan is not None:
            initial = {name: getattr(plan, name) for name in services.SUPPORT_PLAN_FIELDS}
            initial["version"] = plan.version
        form = SupportPlanForm(initial=initial, editing=plan is not None)
    else:
        case = access_case_by_id(user=request.user, case_id=case_id)
        plan = support_plan_for_case(case=case)
        form = SupportPlanForm(request.POST, editing=plan is not None)
        if form.is_valid():
            try:
                if plan is None:
                    services.support_plan_create(
                        actor=request.user, case_id=case.pk, data=form.answers()
                    )
                else:
                    services.support_plan_update(
                        actor=request.user,
                        plan_id=plan.pk,
                        version=form.cleaned_data["version"],
                        data=form.answers(),
                    )
            except (ValidationError, ApplicationError) as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, PLAN_SAVED_MESSAGE)
                return redirect(_case_url(case.pk))
    context = {
        "form": form,
        "plan": plan,
        "reload_url": request.path,
        **_case_context(case, services.ASSISTANCE_CASE_STATUSES),
    }
    return render(request, "assistance/support_plan_form.html", context)


# Services


@case_staff_required
@require_GET
def service_timeline(request: HttpRequest, case_id) -> HttpResponse:
    """All services of a case, most recent first, filterable by category and status."""
    case = case_assistance_get(user=request.user, case_id=case_id, section="services")
    rows = service_list_for_case(case=case)
    filterset = ServiceFilter(request.GET or None, queryset=rows)
    # Invalid filters show their errors and no rows: an unfiltered list would look filtered.
    rows = filterset.qs if filters_valid(filterset) else rows.none()
    page = Paginator(rows, settings.HARBOUR_CASE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "form": filterset.form,
        "page_obj": page,
        **_case_context(case, services.ASSISTANCE_CASE_STATUSES),
    }
    return render_with_fragment(
        request, "assistance/service_timeline.html", "assistance/_service_results.html", context
    )


@case_staff_required
@require_http_methods(["GET", "POST"])
def service_create(request: HttpRequest, case_id) -> HttpResponse:
    case = access_case_by_id(user=request.user, case_id=case_id)
    form = ServiceForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.service_record(actor=request.user, case_id=case.pk, **form.service_kwargs())
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, SERVICE_RECORDED_MESSAGE)
            return redirect("assistance:services", case_id=case.pk)
    context = {"form": form, **_case_context(case, services.ASSISTANCE_CASE_STATUSES)}
    return render(request, "assistance/service_form.html", context)


@case_staff_required
@require_http_methods(["GET", "POST"])
def service_status(request: HttpRequest, service_id) -> HttpResponse:
    """Move a service on. "Declined by the person" is an outcome that is recorded."""
    service = access_service_by_id(user=request.user, service_id=service_id)
    if request.method == "GET":
        form = ServiceStatusForm(initial={"version": service.version})
    else:
        form = ServiceStatusForm(request.POST)
        if form.is_valid():
            to_status = form.cleaned_data["to_status"]
            try:
                services.service_status_change(
                    actor=request.user,
                    service_id=service.pk,
                    version=form.cleaned_data["version"],
                    to_status=to_status,
                    end_date=form.cleaned_data["end_date"],
                )
            except (ValidationError, ApplicationError) as exc:
                form.add_service_error(exc)
            else:
                declined = to_status == AssistanceService.Status.DECLINED
                messages.success(
                    request, SERVICE_DECLINED_MESSAGE if declined else SERVICE_STATUS_MESSAGE
                )
                return redirect("assistance:services", case_id=service.case_id)
    context = {
        "form": form,
        "service": service,
        "reload_url": request.path,
        "final": service.status not in services.SERVICE_TRANSITIONS,
        "final_message": _(services.SERVICE_FINAL_MESSAGE),
        **_case_context(service.case, services.ASSISTANCE_CASE_STATUSES),
    }
    return render(request, "assistance/service_status_form.html", context)


# Referrals


@case_staff_required
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest, case_id) -> HttpResponse:
    case = access_case_by_id(user=request.user, case_id=case_id)
    form = ReferralForm(_posted(request), initial={"referral_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_record(actor=request.user, case_id=case.pk, **form.service_kwargs())
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, REFERRAL_RECORDED_MESSAGE)
            return redirect(_case_url(case.pk))
    context = {"form": form, **_case_context(case, services.ASSISTANCE_CASE_STATUSES)}
    return render(request, "assistance/referral_form.html", context)


# Movement


@case_staff_required
@require_http_methods(["GET", "POST"])
def movement_create(request: HttpRequest, case_id) -> HttpResponse:
    case = access_case_by_id(user=request.user, case_id=case_id)
    form = MovementForm(_posted(request))
    legs = leg_formset(_posted(request))
    if request.method == "POST" and form.is_valid() and legs.is_valid():
        try:
            movement = services.movement_plan(
                actor=request.user, case_id=case.pk, legs=legs.legs(), **form.movement_kwargs()
            )
        except ValidationError as exc:
            rest = legs.add_leg_errors(exc.message_dict)
            if rest:
                form.add_service_error(ValidationError(rest))
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, MOVEMENT_PLANNED_MESSAGE)
            return redirect("assistance:movement", movement_id=movement.pk)
    context = {
        "form": form,
        "legs": legs,
        **_case_context(case, services.ASSISTANCE_CASE_STATUSES),
    }
    return render(request, "assistance/movement_form.html", context)


def _render_movement(
    request: HttpRequest,
    movement: Movement,
    *,
    assessment: AssessmentForm | None = None,
    refusal: str = "",
) -> HttpResponse:
    version = {"version": movement.version}
    next_status = services.MOVEMENT_NEXT.get(movement.status)
    context = {
        "movement": movement,
        "case": movement.case,
        "assessment_form": assessment or AssessmentForm(initial=version),
        "can_assess": movement.status in MOVEMENT_OPEN,
        "next_status": next_status,
        "next_label": TRANSITION_LABELS.get(next_status),
        # Two forms on one page: the transition form's ids must not repeat the assessment's.
        "transition_form": TransitionForm(
            initial={**version, "to_status": next_status}, auto_id="transition_%s"
        ),
        "can_cancel": movement.status not in services.MOVEMENT_FINAL,
        "no_go": movement.assessment_decision == "no_go",
        "no_go_message": _(services.NO_GO_MESSAGE),
        "refusal": refusal,
        "reload_url": reverse("assistance:movement", kwargs={"movement_id": movement.pk}),
    }
    return render(request, "assistance/movement_detail.html", context)


@case_staff_required
@require_GET
def movement_detail(request: HttpRequest, movement_id) -> HttpResponse:
    movement = movement_get(user=request.user, movement_id=movement_id)
    return _render_movement(request, movement)


@case_staff_required
@require_POST
def movement_assess(request: HttpRequest, movement_id) -> HttpResponse:
    movement = access_movement_by_id(user=request.user, movement_id=movement_id)
    form = AssessmentForm(request.POST)
    if form.is_valid():
        try:
            services.movement_assess(
                actor=request.user,
                movement_id=movement.pk,
                version=form.cleaned_data["version"],
                decision=form.cleaned_data["decision"],
                reasoning=form.cleaned_data["reasoning"],
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, MOVEMENT_ASSESSED_MESSAGE)
            return redirect("assistance:movement", movement_id=movement.pk)
    # Showing the page again shows its places: an audited read.
    movement = movement_get(user=request.user, movement_id=movement.pk)
    return _render_movement(request, movement, assessment=form)


def _transition(request: HttpRequest, movement: Movement, form: TransitionForm) -> str:
    """Run the transition the form asks for; the refusal to show, or "" when it was made."""
    if not form.is_valid():
        return (
            _(services.STALE_MESSAGE)
            if "version" in form.errors
            else _(services.MOVEMENT_ORDER_MESSAGE)
        )
    try:
        services.movement_transition(
            actor=request.user,
            movement_id=movement.pk,
            version=form.cleaned_data["version"],
            to_status=form.cleaned_data["to_status"],
        )
    except ApplicationError as exc:
        return exc.message
    return ""


@case_staff_required
@require_POST
def movement_transition(request: HttpRequest, movement_id) -> HttpResponse:
    """Confirm, depart or arrive. Cancelling has its own page, with a confirmation step."""
    movement = access_movement_by_id(user=request.user, movement_id=movement_id)
    form = TransitionForm(request.POST)
    if form.is_valid() and form.cleaned_data["to_status"] not in TRANSITION_LABELS:
        refusal = _(services.MOVEMENT_ORDER_MESSAGE)
    else:
        refusal = _transition(request, movement, form)
    if not refusal:
        messages.success(request, MOVEMENT_MOVED_MESSAGE)
        return redirect("assistance:movement", movement_id=movement.pk)
    movement = movement_get(user=request.user, movement_id=movement.pk)
    return _render_movement(request, movement, refusal=refusal)


@case_staff_required
@require_http_methods(["GET", "POST"])
def movement_cancel(request: HttpRequest, movement_id) -> HttpResponse:
    """Ask before cancelling a movement; cancelling cannot be undone."""
    movement = access_movement_by_id(user=request.user, movement_id=movement_id)
    refusal = ""
    if request.method == "POST":
        data = request.POST.copy()
        data["to_status"] = Movement.Status.CANCELLED
        refusal = _transition(request, movement, TransitionForm(data))
        if not refusal:
            messages.success(request, MOVEMENT_CANCELLED_MESSAGE)
            return redirect("assistance:movement", movement_id=movement.pk)
    context = {
        "movement": movement,
        "case": movement.case,
        "form": TransitionForm(initial={"version": movement.version}),
        "can_cancel": movement.status not in services.MOVEMENT_FINAL,
        "final_message": _(services.MOVEMENT_FINAL_MESSAGE),
        "refusal": refusal,
    }
    return render(request, "assistance/movement_cancel.html", context)
