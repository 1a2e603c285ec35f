"""The privacy budget pages: a researcher's own budget and ledger; central administrators'
view of every budget and ledger, and the form that sets a budget (after a confirmation).

Only ε figures and ids are shown: a ledger never holds a count of people.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import central_admin_required, researcher_required
from config.errors import ApplicationError

from . import ledger
from .filters import BudgetFilter, LedgerFilter
from .forms import BudgetSetForm
from .models import PrivacyBudget

PER_PAGE = 25
BUDGET_SET_MESSAGE = _("The privacy budget was set.")


def _filtered(filterset):
    # Invalid filters show their errors and no rows: an unfiltered list would look filtered.
    valid = not filterset.is_bound or filterset.is_valid()
    return filterset.qs if valid else filterset.queryset.none()


@researcher_required
@require_GET
def privacy_budget_view(request: HttpRequest) -> HttpResponse:
    """The researcher's own budgets (one per year) and their ledger, newest first."""
    year = ledger.current_year()
    budgets = list(ledger.budget_list(user=request.user))
    current = next((b for b in budgets if b.year == year), None)
    entries = Paginator(ledger.ledger_list(user=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "year": year,
        "allowance": current.allowance if current else ledger.default_allowance(),
        "spent": current.spent if current else 0,
        "remaining": current.remaining if current else ledger.default_allowance(),
        "budgets": budgets,
        "page_obj": entries,
    }
    return render(request, "research/privacy.html", context)


def _confirmation(form: BudgetSetForm) -> dict:
    researcher, year = form.cleaned_data["researcher"], form.cleaned_data["year"]
    budget = PrivacyBudget.objects.filter(researcher=researcher, year=year).first()
    return {
        "researcher": researcher,
        "year": year,
        "allowance": form.cleaned_data["allowance"],
        "current": budget.allowance if budget else ledger.default_allowance(),
        "spent": budget.spent if budget else 0,
    }


@central_admin_required
@require_http_methods(["GET", "POST"])
def privacy_admin_view(request: HttpRequest) -> HttpResponse:
    """Every researcher's budgets, filtered; a POST sets one, the second time confirmed."""
    form = BudgetSetForm(request.POST if request.method == "POST" else None)
    confirm = None
    if request.method == "POST" and form.is_valid():
        if "confirm" not in request.POST:
            confirm = _confirmation(form)
        else:
            try:
                ledger.budget_set(
                    actor=request.user,
                    researcher_id=form.cleaned_data["researcher"].pk,
                    year=form.cleaned_data["year"],
                    allowance=form.cleaned_data["allowance"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                for field, errors in exc.errors.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, BUDGET_SET_MESSAGE)
                return redirect("research:privacy_admin")
    filterset = BudgetFilter(request.GET or None, queryset=ledger.budget_list(user=request.user))
    page = Paginator(_filtered(filterset), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "confirm": confirm,
        "filter": filterset,
        "page_obj": page,
        "default_allowance": ledger.default_allowance(),
        "year": ledger.current_year(),
    }
    return render(request, "research/privacy_admin.html", context)


@central_admin_required
@require_GET
def privacy_admin_ledger_view(request: HttpRequest) -> HttpResponse:
    """The whole ledger (append-only), filtered by researcher, year or kind of movement."""
    filterset = LedgerFilter(request.GET or None, queryset=ledger.ledger_list(user=request.user))
    page = Paginator(_filtered(filterset), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "research/privacy_admin_ledger.html", {"filter": filterset, "page_obj": page}
    )
