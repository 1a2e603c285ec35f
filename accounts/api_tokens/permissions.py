"""Who may create an API token."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


def may_create_api_token(user: User, request: HttpRequest) -> bool:
    """Whether ``user``, in this ``request``, may create an API token on the token page.

    Only a session that passed a second factor (django-otp's ``is_verified``): a token outlives
    the session, so a stolen password alone must never be able to mint one.
    """
    return bool(user.is_authenticated and getattr(user, "is_verified", lambda: False)())
