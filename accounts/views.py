"""Sign-in and sign-out, and the central administrators' pages for users and missions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import user_has_device

from accounts import lockout
from accounts.decorators import central_admin_required
from accounts.middleware import REASON_IDLE, REASON_LIFETIME, SIGNED_OUT_REASON_KEY
from accounts.second_factor import services as second_factor_services
from accounts.second_factor.decorators import requires_recent_second_factor

from . import selectors, services
from .forms import (
    LanguageForm,
    MembershipAddForm,
    MissionCreateForm,
    MissionEditForm,
    SignInForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
)

LOCKOUT_STATUS = lockout.LOCKOUT_STATUS
USER_PAGE_SIZE = 25

USER_CREATED_MESSAGE = _("The account was created.")
USER_SAVED_MESSAGE = _("The account was saved.")
MEMBERSHIP_ADDED_MESSAGE = _("The membership was added.")
MEMBERSHIP_REMOVED_MESSAGE = _("The membership was removed.")
MISSION_CREATED_MESSAGE = _("The mission was created.")
MISSION_SAVED_MESSAGE = _("The mission was saved.")
SIGNED_OUT_IDLE_MESSAGE = _(
    "You were signed out after a period of inactivity, to protect the records you had open. "
    "Sign in again to continue."
)
SIGNED_OUT_LIFETIME_MESSAGE = _(
    "You were signed out because a session lasts at most %(hours)s hours. "
    "Sign in again to continue."
)
FACTORS_RESET_MESSAGE = _(
    "The second factors of this account were removed. It must set up a new one at its next sign-in."
)


class SignInView(auth_views.LoginView):
    """Django's LoginView: CSRF, session key rotation, and ``next`` only to this host."""

    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        # Left by SessionLifetimeMiddleware in the fresh session of a timed-out one.
        reason = self.request.session.pop(SIGNED_OUT_REASON_KEY, None)
        if reason == REASON_IDLE:
            context["signed_out_notice"] = SIGNED_OUT_IDLE_MESSAGE
        elif reason == REASON_LIFETIME:
            context["signed_out_notice"] = SIGNED_OUT_LIFETIME_MESSAGE % {
                "hours": settings.HARBOUR_SESSION_ABSOLUTE_HOURS
            }
        return context

    def form_valid(self, form):
        # With a device, the password is only the first step: the session stays unverified
        # (and axes keeps counting) until the code step accepts a code.
        self.request.harbour_second_factor_pending = user_has_device(form.get_user())
        return super().form_valid(form)

    def get_success_url(self) -> str:
        if getattr(self.request, "harbour_second_factor_pending", False):
            query = urlencode({"next": self.get_redirect_url() or self.get_default_redirect_url()})
            return f"{reverse('accounts:second_factor')}?{query}"
        return super().get_success_url()


class SignOutView(auth_views.LogoutView):
    # POST only: a GET (an <img src>, a link) must not be able to end a session.
    http_method_names = ["post", "options"]


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The header's language switcher, on every page including sign-in. Saves the choice on the
    signed-in user's profile, and in the language cookie for the pages before sign-in."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/language.html", {"language_form": form}, status=400)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=language)
    # Back to the page the switcher was on. The form carries no path of its own, so pages that
    # must read the same for every URL (the lockout page) stay byte-identical.
    target = form.cleaned_data["next"] or request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("dashboard")
    response = redirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes' lockout page (it passes the response and the credentials).

    The page never mentions the attempted address, so it reads the same for an existing
    account and for an address that belongs to nobody.
    """
    return lockout.lockout_page(request)


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def apply_errors(form, error: ValidationError) -> None:
    # Services key errors by field name; anything the form has no field for goes on top.
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


@central_admin_required
@require_http_methods(["GET"])
def user_list(request: HttpRequest) -> HttpResponse:
    filter_form = UserFilterForm(request.GET or None)
    users = selectors.user_list(**filter_form.filters())
    page = Paginator(users, USER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "accounts/user_list.html", {"filter_form": filter_form, "page_obj": page}
    )


@central_admin_required
@require_http_methods(["GET", "POST"])
# A new account may be given the central administrator's role: as sensitive as a change of roles.
@requires_recent_second_factor()
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, USER_CREATED_MESSAGE)
            return redirect("accounts:user_edit", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


def _user_page(request: HttpRequest, *, user, form, membership_form) -> HttpResponse:
    return render(
        request,
        "accounts/user_form.html",
        {
            "form": form,
            "membership_form": membership_form,
            "subject": user,
            "memberships": selectors.user_memberships(user=user),
            "second_factor_count": second_factor_services.primary_devices(user=user).count()
            + second_factor_services.passkeys(user=user).count(),
        },
    )


@central_admin_required
@require_http_methods(["GET", "POST"])
@requires_recent_second_factor()
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    user = selectors.user_get(user_id=user_id)
    initial = {name: getattr(user, name) for name in services.USER_EDITABLE_FIELDS}
    form = UserEditForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, USER_SAVED_MESSAGE)
            return redirect("accounts:user_edit", user_id=user.pk)
    return _user_page(request, user=user, form=form, membership_form=MembershipAddForm())


@central_admin_required
@require_POST
@requires_recent_second_factor(return_to="accounts:user_edit")
def membership_add(request: HttpRequest, user_id: int) -> HttpResponse:
    user = selectors.user_get(user_id=user_id)
    membership_form = MembershipAddForm(request.POST)
    if membership_form.is_valid():
        try:
            services.membership_add(actor=request.user, user=user, **membership_form.cleaned_data)
        except ValidationError as exc:
            apply_errors(membership_form, exc)
        else:
            messages.success(request, MEMBERSHIP_ADDED_MESSAGE)
            return redirect("accounts:user_edit", user_id=user.pk)
    initial = {name: getattr(user, name) for name in services.USER_EDITABLE_FIELDS}
    return _user_page(
        request, user=user, form=UserEditForm(initial=initial), membership_form=membership_form
    )


@central_admin_required
@require_http_methods(["GET", "POST"])
@requires_recent_second_factor()
def membership_remove(request: HttpRequest, user_id: int, membership_id: int) -> HttpResponse:
    user = selectors.user_get(user_id=user_id)
    membership = selectors.membership_get(user=user, membership_id=membership_id)
    if request.method == "POST":
        services.membership_remove(actor=request.user, membership=membership)
        messages.success(request, MEMBERSHIP_REMOVED_MESSAGE)
        return redirect("accounts:user_edit", user_id=user.pk)
    return render(
        request,
        "accounts/membership_remove.html",
        {"subject": user, "membership": membership},
    )


@central_admin_required
@require_http_methods(["GET", "POST"])
@requires_recent_second_factor()
def user_second_factors_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """A central administrator removes a user's factors (a lost phone), after confirming."""
    user = selectors.user_get(user_id=user_id)
    error = None
    if request.method == "POST":
        try:
            second_factor_services.second_factors_reset(actor=request.user, user=user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, FACTORS_RESET_MESSAGE)
            return redirect("accounts:user_edit", user_id=user.pk)
    return render(
        request,
        "accounts/second_factors_reset.html",
        {"subject": user, "error": error},
        status=400 if error else 200,
    )


@central_admin_required
@require_http_methods(["GET"])
def mission_list(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/mission_list.html", {"missions": selectors.mission_list()})


@central_admin_required
@require_http_methods(["GET", "POST"])
def mission_create(request: HttpRequest) -> HttpResponse:
    form = MissionCreateForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.mission_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, MISSION_CREATED_MESSAGE)
            return redirect("accounts:mission_list")
    return render(request, "accounts/mission_form.html", {"form": form, "creating": True})


@central_admin_required
@require_http_methods(["GET", "POST"])
def mission_edit(request: HttpRequest, mission_id: int) -> HttpResponse:
    mission = selectors.mission_get(mission_id=mission_id)
    initial = {name: getattr(mission, name) for name in services.MISSION_EDITABLE_FIELDS}
    form = MissionEditForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.mission_update(actor=request.user, mission=mission, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, MISSION_SAVED_MESSAGE)
            return redirect(reverse("accounts:mission_list"))
    return render(request, "accounts/mission_form.html", {"form": form, "mission": mission})
