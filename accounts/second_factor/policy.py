"""Who must use a second factor, and what a session still has to do (settings, per role).

- central administrators, superusers and Django admin staff: always;
- caseworkers (everyone else who is not a researcher): when ``HARBOUR_2FA_CASEWORKER_REQUIRED``,
  after ``HARBOUR_2FA_CASEWORKER_GRACE_DAYS`` from the account's creation; during the grace
  period Harbour keeps asking but lets them in;
- researchers: only when ``HARBOUR_2FA_RESEARCHER_REQUIRED``.

Whoever has a confirmed device must pass it at every sign-in, whether or not the policy asks.
"""

from __future__ import annotations

import datetime
import enum

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_otp import user_has_device

VERIFIED_AT_SESSION_KEY = "harbour_2fa_verified_at"


class SessionState(enum.Enum):
    DONE = "done"  # verified, or no second factor asked of this user
    GRACE = "grace"  # must enrol soon; allowed in meanwhile
    VERIFY = "verify"  # has a device: the code step is still to do
    ENROL = "enrol"  # must enrol before anything else


def is_verified(user) -> bool:
    """Whether this request's user passed a second factor (django-otp's OTPMiddleware sets
    ``otp_device``; a user from anywhere else has not)."""
    return getattr(user, "otp_device", None) is not None


def is_always_required(user) -> bool:
    return bool(user.is_superuser or user.is_staff or user.is_central_admin)


def grace_ends_at(user) -> datetime.datetime | None:
    """When a caseworker's grace period ends (None for whom there is none)."""
    if is_always_required(user) or user.is_researcher:
        return None
    if not settings.HARBOUR_2FA_CASEWORKER_REQUIRED:
        return None
    return user.date_joined + datetime.timedelta(days=settings.HARBOUR_2FA_CASEWORKER_GRACE_DAYS)


def is_required(user) -> bool:
    """Whether ``user`` may do nothing without a second factor (grace periods included)."""
    if is_always_required(user):
        return True
    if user.is_researcher:
        return settings.HARBOUR_2FA_RESEARCHER_REQUIRED
    return settings.HARBOUR_2FA_CASEWORKER_REQUIRED


def is_enforced_now(user, *, now: datetime.datetime | None = None) -> bool:
    """Required and, for a caseworker, past the grace period."""
    if not is_required(user):
        return False
    ends = grace_ends_at(user)
    return ends is None or (now or timezone.now()) >= ends


def session_state(request: HttpRequest) -> SessionState:
    user = request.user
    if not user.is_authenticated or is_verified(user):
        return SessionState.DONE
    if user_has_device(user):
        return SessionState.VERIFY
    if is_enforced_now(user):
        return SessionState.ENROL
    if is_required(user):
        return SessionState.GRACE
    return SessionState.DONE


def mark_verified_now(request: HttpRequest) -> None:
    request.session[VERIFIED_AT_SESSION_KEY] = timezone.now().isoformat()


def verified_recently(request: HttpRequest) -> bool:
    """Whether this session passed a second factor within ``HARBOUR_2FA_REAUTH_MINUTES``."""
    if not is_verified(request.user):
        return False
    raw = request.session.get(VERIFIED_AT_SESSION_KEY)
    when = parse_datetime(raw) if isinstance(raw, str) else None
    if when is None:
        return False
    window = datetime.timedelta(minutes=settings.HARBOUR_2FA_REAUTH_MINUTES)
    return timezone.now() - when <= window
