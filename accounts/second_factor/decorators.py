"""Sensitive actions ask for a second factor again when the last one is not recent."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .policy import verified_recently

View = Callable[..., HttpResponse]


def requires_recent_second_factor(
    return_to: str | None = None, *, methods: tuple[str, ...] = ("POST",)
) -> Callable[[View], View]:
    """Refuse a request of ``methods`` (the writes, by default) unless this session passed a
    second factor within ``HARBOUR_2FA_REAUTH_MINUTES``; the user confirms and then submits
    again. A download of personal data in bulk lists ``GET``: it starts again by itself.

    ``return_to`` names the page (taking the view's URL arguments) to come back to, for
    POST-only URLs; otherwise the user comes back to the same URL.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods and not verified_recently(request):
                back = reverse(return_to, kwargs=kwargs) if return_to else request.path
                query = urlencode({"next": back})
                return redirect(f"{reverse('accounts:reauthenticate')}?{query}")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
