"""The Django admin site, closed to every session that has not passed a second factor, and
asking for one again before any change made through it."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from .decorators import requires_recent_second_factor
from .policy import is_verified


class VerifiedAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and is_verified(request.user)

    def admin_view(self, view, cacheable=False):
        # The admin edits users' roles, memberships and missions, as the central
        # administrators' pages do: every write needs a recent second factor there too.
        # Signing out needs none.
        if view != self.logout:
            view = requires_recent_second_factor()(view)
        return super().admin_view(view, cacheable)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.user.is_authenticated:
            # Signed in but not allowed here (or not verified, which the middleware already
            # sends to the code step): sending them to sign in again would loop.
            raise PermissionDenied
        # One way in: Harbour's own two-step sign-in (same lockout, same audit), never the
        # admin's password-only form.
        next_url = request.GET.get("next") or reverse("admin:index")
        return redirect_to_login(next_url, reverse("accounts:login"))
