"""Session lifetime: an idle limit per role and an absolute limit from sign-in.

A session of a central administrator or superuser ends after
``HARBOUR_SESSION_IDLE_MINUTES_ADMIN`` minutes without a request, anyone else's after
``HARBOUR_SESSION_IDLE_MINUTES_OTHER``, and every session ``HARBOUR_SESSION_ABSOLUTE_HOURS``
after it began, however busy. The check runs before any view, so the expired request is
already anonymous (a page sends it to the sign-in page, the API answers 403) and the sign-in
page says why.

API tokens are not sessions: they keep their own expiry and are not touched here.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone, translation

SESSION_STARTED_KEY = "harbour_session_started"
SESSION_SEEN_KEY = "harbour_session_seen"
SIGNED_OUT_REASON_KEY = "harbour_signed_out_reason"

# Sent by requests the page makes on its own (progress polling, hx-headers in the template):
# they are not the user's activity, so they must not keep an unattended session alive. A
# client that sends it only shortens its own session.
BACKGROUND_HEADER = "X-Harbour-Background"

REASON_IDLE = "idle"
REASON_LIFETIME = "lifetime"


def idle_limit(user) -> datetime.timedelta:
    minutes = (
        settings.HARBOUR_SESSION_IDLE_MINUTES_ADMIN
        if user.is_central_admin or user.is_superuser
        else settings.HARBOUR_SESSION_IDLE_MINUTES_OTHER
    )
    return datetime.timedelta(minutes=minutes)


def absolute_limit() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.HARBOUR_SESSION_ABSOLUTE_HOURS)


def session_expiry_reason(*, session, user, now: datetime.datetime) -> str | None:
    """Why this signed-in session is over, or None while it is still alive."""
    started = session.get(SESSION_STARTED_KEY)
    seen = session.get(SESSION_SEEN_KEY)
    if started is None or seen is None:
        # A session from before this check existed: it starts counting now.
        return None
    stamp = now.timestamp()
    if stamp - started >= absolute_limit().total_seconds():
        return REASON_LIFETIME
    if stamp - seen >= idle_limit(user).total_seconds():
        return REASON_IDLE
    return None


class SessionLifetimeMiddleware:
    """Signs expired sessions out before the view, and stamps live ones after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = session_expiry_reason(session=request.session, user=user, now=timezone.now())
            if reason is not None:
                from .services import session_end_expired

                session_end_expired(user=user, reason=reason)
                # Not django.contrib.auth.logout(): that is a sign-out by the user, which also
                # revokes their API tokens; a timed-out browser should not stop their scripts.
                request.session.flush()
                request.user = AnonymousUser()
                request.session[SIGNED_OUT_REASON_KEY] = reason
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # Only sessions: an API client authenticated by token (DRF sets request.user too) has
        # no session to stamp, and must not be given one.
        if user is not None and user.is_authenticated and SESSION_KEY in request.session:
            # After the view, so the request that signs in starts the clock.
            stamp = int(timezone.now().timestamp())
            request.session.setdefault(SESSION_STARTED_KEY, stamp)
            if BACKGROUND_HEADER not in request.headers:
                request.session[SESSION_SEEN_KEY] = stamp
            else:
                request.session.setdefault(SESSION_SEEN_KEY, stamp)
        return response


class UserLanguageMiddleware:
    """A signed-in user sees Harbour in the language saved on their profile, wherever they sign
    in; anyone else (and API token clients, authenticated later by DRF) in the language
    LocaleMiddleware chose from the language cookie or Accept-Language. Runs after
    AuthenticationMiddleware, which has loaded the user row this reads."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        if language and user.is_authenticated and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
