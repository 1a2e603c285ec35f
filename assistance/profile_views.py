"""Pages of further trafficking details and of joint case-sharing decisions.

Thin: parse input, call one selector or service, render. Every page works without JavaScript
(POST, redirect, GET). Case pages go through the one scoping rule; a sharing proposal is also
reachable by the receiving mission, which sees only its non-identifying facts.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import case_staff_required, central_admin_required
from cases.selectors import access_case_by_id
from config.errors import ApplicationError

from . import services
from .forms import VersionForm
from .models import CaseAccessProposal, TraffickingDetailChange
from .profile_forms import (
    GRANT_PREFIX,
    PROPOSE_PREFIX,
    DetailChangeForm,
    DetailItemForm,
    DetailReviewForm,
    ProposalDecisionForm,
    ProposeSharingForm,
    RevokeForm,
)
from .profile_items import profile_items
from .selectors import (
    access_case_access_by_id,
    access_detail_change_by_id,
    access_proposal_by_id,
    case_assistance_get,
    detail_change_list_for_case,
    detail_review_queue,
    interview_list_for_case,
    proposals_awaiting_decision,
    trafficking_profile_current,
    trafficking_profile_item,
)

CHANGE_RECORDED_MESSAGE = gettext_lazy("The change was recorded; it waits for review.")
CHANGE_ACCEPTED_MESSAGE = gettext_lazy("The change was accepted.")
CHANGE_REJECTED_MESSAGE = gettext_lazy("The change was rejected.")
PROPOSED_MESSAGE = gettext_lazy("Sharing proposed; the other mission decides.")
APPROVED_MESSAGE = gettext_lazy("Approved: the case is now shared with your mission.")
DECLINED_MESSAGE = gettext_lazy("Declined: the case is not shared.")
WITHDRAWN_MESSAGE = gettext_lazy("The proposal was withdrawn.")
GRANTED_MESSAGE = gettext_lazy("The case is now shared with the mission.")
REVOKED_MESSAGE = gettext_lazy("The sharing was revoked.")


def _posted(request: HttpRequest):
    """The form data to bind: an empty POST is still a submission, to be refused visibly."""
    return request.POST if request.method == "POST" else None


def _page(request: HttpRequest, rows):
    return Paginator(rows, settings.HARBOUR_CASE_PAGE_SIZE).get_page(request.GET.get("page"))


# Further trafficking details


@case_staff_required
@require_GET
def profile_changes(request: HttpRequest, case_id) -> HttpResponse:
    """Every further detail of the case, newest first, with its reason: an audited read."""
    case = case_assistance_get(user=request.user, case_id=case_id, section="trafficking_details")
    page = _page(request, detail_change_list_for_case(case=case))
    labels = {code: item.label for code, item in profile_items().items()}
    rows = [{"change": c, "label": labels.get(c.item, c.item)} for c in page.object_list]
    return render(
        request,
        "assistance/profile/changes.html",
        {"case": case, "page_obj": page, "rows": rows},
    )


@case_staff_required
@require_http_methods(["GET", "POST"])
def profile_change_new(request: HttpRequest, case_id) -> HttpResponse:
    """Record an addition or a correction: choose the item, then give the answer and why."""
    code = request.POST.get("item") or request.GET.get("item")
    if request.method == "GET":
        case = case_assistance_get(
            user=request.user, case_id=case_id, section="trafficking_profile"
        )
    else:
        case = access_case_by_id(user=request.user, case_id=case_id)
    item = profile_items().get(code or "")
    if item is None:
        # An unknown item is refused on the item field, whether it came by GET or POST.
        item_form = DetailItemForm({"item": code} if code else None)
        item_form.is_valid()
        return render(
            request,
            "assistance/profile/change_item.html",
            {"case": case, "form": item_form},
        )
    profile = trafficking_profile_current(case=case)
    current = trafficking_profile_item(profile=profile, item=item.code)
    form_kwargs = {
        "item": item,
        "rows": current.get("rows", []),
        "interviews": list(interview_list_for_case(case=case)[:50]),
    }
    if request.method == "GET":
        # Linked from an assistance interview, the change is recorded as learned in it.
        form = DetailChangeForm(initial={"interview": request.GET.get("interview")}, **form_kwargs)
    else:
        form = DetailChangeForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.trafficking_detail_record(
                    actor=request.user,
                    case_id=case.pk,
                    item=item.code,
                    kind=data["kind"],
                    value=form.value(),
                    reason=data["reason"],
                    row_position=data.get("row_position"),
                    interview_id=data.get("interview"),
                )
            except (ValidationError, ApplicationError) as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, CHANGE_RECORDED_MESSAGE)
                return redirect(case)
    return render(
        request,
        "assistance/profile/change_form.html",
        {"case": case, "item": item, "current": current, "form": form},
    )


@central_admin_required
@require_GET
def profile_review_queue(request: HttpRequest) -> HttpResponse:
    page = _page(request, detail_review_queue(user=request.user))
    labels = {code: item.label for code, item in profile_items().items()}
    rows = [{"change": c, "label": labels.get(c.item, c.item)} for c in page.object_list]
    return render(request, "assistance/profile/review_queue.html", {"page_obj": page, "rows": rows})


@central_admin_required
@require_http_methods(["GET", "POST"])
def profile_change_review(request: HttpRequest, change_id) -> HttpResponse:
    change = access_detail_change_by_id(user=request.user, change_id=change_id)
    case = case_assistance_get(
        user=request.user, case_id=change.case_id, section="trafficking_details"
    )
    if request.method == "GET":
        form = DetailReviewForm(initial={"version": change.version})
    else:
        form = DetailReviewForm(request.POST)
        if form.is_valid():
            accept = form.cleaned_data["decision"] == "accept"
            try:
                services.trafficking_detail_review(
                    actor=request.user,
                    change_id=change.pk,
                    version=form.cleaned_data["version"],
                    accept=accept,
                    comment=form.cleaned_data["comment"],
                )
            except (ValidationError, ApplicationError) as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    request, CHANGE_ACCEPTED_MESSAGE if accept else CHANGE_REJECTED_MESSAGE
                )
                return redirect("assistance:profile_review_queue")
    profile = trafficking_profile_current(case=case)
    pending = next((p for p in profile["pending"] if p["change"].pk == change.pk), None)
    context = {
        "case": case,
        "change": change,
        "entry": pending,
        "current": trafficking_profile_item(profile=profile, item=change.item),
        "form": form,
        "reviewable": change.status == TraffickingDetailChange.Status.PENDING
        and change.created_by_id != request.user.pk,
        "self_review_message": services.SELF_REVIEW_MESSAGE,
    }
    return render(request, "assistance/profile/review.html", context)


# Sharing a case with another mission


@case_staff_required
@require_http_methods(["GET", "POST"])
def sharing_propose(request: HttpRequest, case_id) -> HttpResponse:
    case = access_case_by_id(user=request.user, case_id=case_id)
    form = ProposeSharingForm(_posted(request), case=case, prefix=PROPOSE_PREFIX)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_access_propose(actor=request.user, case_id=case.pk, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, PROPOSED_MESSAGE)
            return redirect(case)
    return render(request, "assistance/profile/propose.html", {"case": case, "form": form})


@case_staff_required
@require_GET
def sharing_awaiting(request: HttpRequest) -> HttpResponse:
    """Proposals addressed to the user's missions: not case-scoped, non-identifying."""
    page = _page(request, proposals_awaiting_decision(user=request.user))
    return render(request, "assistance/profile/awaiting.html", {"page_obj": page})


@case_staff_required
@require_http_methods(["GET", "POST"])
def sharing_decide(request: HttpRequest, proposal_id) -> HttpResponse:
    proposal = access_proposal_by_id(user=request.user, proposal_id=proposal_id)
    form = ProposalDecisionForm(_posted(request), initial={"version": proposal.version})
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            proposal = services.case_access_proposal_decide(
                actor=request.user,
                proposal_id=proposal.pk,
                version=form.cleaned_data["version"],
                approve=approve,
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, APPROVED_MESSAGE if approve else DECLINED_MESSAGE)
            if approve:
                return redirect(proposal.case)
            return redirect("assistance:sharing_awaiting")
    context = {
        "proposal": proposal,
        "form": form,
        "pending": proposal.status == CaseAccessProposal.Status.PENDING,
    }
    return render(request, "assistance/profile/decide.html", context)


@case_staff_required
@require_http_methods(["GET", "POST"])
def sharing_withdraw(request: HttpRequest, proposal_id) -> HttpResponse:
    proposal = access_proposal_by_id(user=request.user, proposal_id=proposal_id)
    form = VersionForm(_posted(request), initial={"version": proposal.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.case_access_proposal_withdraw(
                actor=request.user, proposal_id=proposal.pk, version=form.cleaned_data["version"]
            )
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, WITHDRAWN_MESSAGE)
            return redirect(proposal.case)
    context = {
        "proposal": proposal,
        "form": form,
        "pending": proposal.status == CaseAccessProposal.Status.PENDING,
    }
    return render(request, "assistance/profile/withdraw.html", context)


@central_admin_required
@require_http_methods(["GET", "POST"])
def sharing_grant(request: HttpRequest, case_id) -> HttpResponse:
    case = access_case_by_id(user=request.user, case_id=case_id)
    form = ProposeSharingForm(_posted(request), case=case, prefix=GRANT_PREFIX)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_access_grant(actor=request.user, case_id=case.pk, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, GRANTED_MESSAGE)
            return redirect(case)
    return render(request, "assistance/profile/grant.html", {"case": case, "form": form})


@central_admin_required
@require_http_methods(["GET", "POST"])
def sharing_revoke(request: HttpRequest, access_id: int) -> HttpResponse:
    access = access_case_access_by_id(user=request.user, access_id=access_id)
    form = RevokeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.case_access_revoke(actor=request.user, access_id=access.pk)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, REVOKED_MESSAGE)
            return redirect(access.case)
    context = {"access": access, "case": access.case, "form": form}
    return render(request, "assistance/profile/revoke.html", context)
