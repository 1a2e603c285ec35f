"""Sign-in history: each user's own ("was this you?"), and everyone's for administrators."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.decorators import central_admin_required

from . import selectors
from .forms import SignInFilterForm

PAGE_SIZE = 25


def _page(request: HttpRequest, queryset):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    accounts = selectors.accounts_of_rows(page.object_list)
    rows = [
        {
            "event": event,
            "account": accounts.get(int(event.object_id))
            if event.object_type == selectors.USER_OBJECT_TYPE
            else event.actor,
        }
        for event in page.object_list
    ]
    return page, rows


@login_required
@never_cache
@require_GET
def sign_in_history_own(request: HttpRequest) -> HttpResponse:
    page, rows = _page(request, selectors.sign_in_history_own(user=request.user))
    return render(
        request,
        "accounts/sign_ins_own.html",
        {"page_obj": page, "rows": rows, "days": selectors.OWN_HISTORY_DAYS},
    )


@central_admin_required
@require_GET
def sign_in_history_all(request: HttpRequest) -> HttpResponse:
    filter_form = SignInFilterForm(request.GET or None)
    page, rows = _page(
        request, selectors.sign_in_history_audited(actor=request.user, **filter_form.filters())
    )
    return render(
        request,
        "accounts/sign_ins_all.html",
        {"filter_form": filter_form, "page_obj": page, "rows": rows},
    )
