"""Which role may open a page. Everyone else gets the 404 of a page that is not there.

Pages behind these carry personal data or a researcher's own work, so no browser or proxy may
keep a copy (never_cache).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

View = Callable[..., HttpResponse]


def _role_required(allowed: Callable[[Any], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @login_required
        @never_cache
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not allowed(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Staff who may hold cases: caseworkers and central administrators, never researchers.
case_staff_required = _role_required(lambda user: not user.is_researcher)
central_admin_required = _role_required(lambda user: user.sees_all_missions)
researcher_required = _role_required(lambda user: user.is_researcher)
research_reader_required = _role_required(lambda user: user.is_researcher or user.sees_all_missions)
