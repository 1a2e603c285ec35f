"""The dashboard: what each role sees first after signing in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.sign_ins.selectors import sign_in_warnings
from cases.selectors import OPEN_STATUSES, case_list_assigned_open, case_status_table
from cases.views import case_rows
from cases.vocabularies import CaseStatus

MY_CASES_SHOWN = 20


@login_required
@never_cache
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict = {"is_researcher": user.is_researcher}
    # Researchers never see case data, not even counts: their panel is built from nothing.
    if not user.is_researcher and (user.is_caseworker or user.sees_all_missions):
        context["statuses"] = CaseStatus.choices
        context["status_table"] = case_status_table(user=user)
        context["open_statuses"] = OPEN_STATUSES
    if user.sees_all_missions:
        context["sign_in_warnings"] = sign_in_warnings()
        context["warning_failures"] = settings.HARBOUR_SIGN_IN_WARNING_FAILURES
        context["warning_hours"] = settings.HARBOUR_SIGN_IN_WARNING_HOURS
        context["warning_days"] = settings.HARBOUR_SIGN_IN_KNOWN_ADDRESS_DAYS
    if not user.is_researcher and user.is_caseworker:
        mine = list(case_list_assigned_open(user=user)[: MY_CASES_SHOWN + 1])
        context["my_cases"] = case_rows(mine[:MY_CASES_SHOWN])
        context["my_cases_more"] = len(mine) > MY_CASES_SHOWN
    return render(request, "dashboard/index.html", context)
