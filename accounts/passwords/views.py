"""Password pages: change (signed in), reset by link (issued by an administrator or mailed)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django.views.generic import FormView

from accounts import selectors
from accounts.decorators import central_admin_required
from accounts.second_factor.decorators import requires_recent_second_factor
from accounts.views import apply_errors

from . import services
from .forms import PasswordChangeForm, PasswordResetRequestForm, PasswordResetSetForm

PASSWORD_CHANGED_MESSAGE = _(
    "Your password was changed. Your other sessions and all your API tokens were ended."
)
RESET_REQUESTED_MESSAGE = _(
    "If an account uses this address, a link to set a new password is on its way to it. "
    "The link works once, for a limited time."
)
RESET_COMPLETED_MESSAGE = _("Your password was set. Sign in with it.")


def _base_url(request: HttpRequest) -> str:
    # The host was checked against ALLOWED_HOSTS, so a forged Host header cannot redirect
    # a mailed link to another site.
    return request.build_absolute_uri("/")


@sensitive_post_parameters("current_password", "new_password1", "new_password2")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(
        request.POST if request.method == "POST" else None, user=request.user, request=request
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.password_change(
                user=request.user,
                new_password=form.cleaned_data["new_password1"],
                keep_session_key=request.session.session_key,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            # This session stays signed in (with a new key); the others were deleted.
            update_session_auth_hash(request, user)
            messages.success(request, PASSWORD_CHANGED_MESSAGE)
            return redirect("accounts:password_change")
    return render(request, "accounts/password_change.html", {"form": form})


@central_admin_required
@require_http_methods(["GET", "POST"])
# A reset link hands the account to whoever holds it: as sensitive as resetting its factors.
@requires_recent_second_factor()
def user_password_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """Issue a reset link for an account. It is shown on this answer only, never stored."""
    subject = selectors.user_get(user_id=user_id)
    context: dict = {"subject": subject, "minutes": services.reset_link_minutes()}
    if request.method == "POST":
        try:
            context["link"] = services.password_reset_issue(
                actor=request.user, user=subject, base_url=_base_url(request)
            )
        except ValidationError as exc:
            context["errors"] = exc.messages
    return render(request, "accounts/password_reset_issue.html", context)


@method_decorator(never_cache, name="dispatch")
class PasswordForgotView(FormView):
    """Ask for a reset link by email. The answer is the same whether or not the address is
    an account's: the same redirect and message, and the mail is sent after the response."""

    form_class = PasswordResetRequestForm
    template_name = "accounts/password_forgot.html"
    http_method_names = ["get", "post", "options"]

    def form_valid(self, form):
        services.password_reset_request(
            email=form.cleaned_data["email"], base_url=_base_url(self.request)
        )
        messages.info(self.request, RESET_REQUESTED_MESSAGE)
        return redirect("accounts:login")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset-link view: it checks the token, moves it from the URL into the session
    (so it never leaks through a Referer) and asks for the new password; the service sets it."""

    form_class = PasswordResetSetForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def get_user(self, uidb64):
        # A link made before the account was deactivated must not set its password.
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        try:
            services.password_reset_complete(
                user=form.user, new_password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, RESET_COMPLETED_MESSAGE)
        return redirect(self.success_url)
