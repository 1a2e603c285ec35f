"""The API token page: create named tokens (shown once), list them, revoke one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.views import apply_errors

from . import permissions, selectors
from .forms import ApiTokenCreateForm

PAGE_SIZE = 25
TOKEN_CREATION_REFUSED_MESSAGE = _(
    "You cannot create API tokens yet: set up a second factor for your account first."
)
TOKEN_REVOKED_MESSAGE = _("The token was revoked. Programs using it can no longer sign in.")
CREATION_REFUSED_STATUS = 403


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def api_token_list(request: HttpRequest) -> HttpResponse:
    may_create = permissions.may_create_api_token(request.user, request)
    form = ApiTokenCreateForm(request.POST if request.method == "POST" else None)
    context: dict = {
        "may_create": may_create,
        "form": form,
        "refusal_message": TOKEN_CREATION_REFUSED_MESSAGE,
    }
    status = 200
    if request.method == "POST":
        if not may_create:
            status = CREATION_REFUSED_STATUS
        elif form.is_valid():
            try:
                token, secret = services.api_token_create(
                    user=request.user, name=form.cleaned_data["name"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                # The only time the token itself is ever shown: this answer is not stored.
                context.update(
                    {
                        "new_token": secret,
                        "new_token_expiry": token.expiry,
                        "form": ApiTokenCreateForm(),
                    }
                )
    page = Paginator(selectors.api_token_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context["page_obj"] = page
    return render(request, "accounts/api_tokens.html", context, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    detail = selectors.api_token_get(user=request.user, detail_id=token_id)
    if request.method == "POST":
        services.api_token_revoke(token=detail.token, actor=request.user)
        messages.success(request, TOKEN_REVOKED_MESSAGE)
        return redirect("accounts:api_tokens")
    return render(request, "accounts/api_token_revoke.html", {"detail": detail})
