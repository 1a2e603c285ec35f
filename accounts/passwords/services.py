"""Password change and reset. Each write is one audited transaction.

No password, reset token or link ever reaches an audit row or a log line: rows carry the
account's id and how the reset was asked for, nothing else.

Setting a new password ends every other way into the account at once: Django refuses a session
whose stored password hash no longer matches (the view doing the change keeps its own session
with ``update_session_auth_hash``), and here the user's other session rows and their API
tokens are deleted, so nothing of them is left to be used with an old cookie.
"""

from __future__ import annotations

import datetime

from celery import current_app
from django.conf import settings
from django.contrib.auth import SESSION_KEY, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import SUPERUSER_PROTECTED_MESSAGE, api_tokens_revoke_all
from cases.audit import audit_record
from cases.models import AuditAction, AuditEvent

RESET_EMAIL_TASK_NAME = "accounts.password_reset_email_send"

RESET_INACTIVE_MESSAGE = _("This account is inactive. Activate it before sending a reset link.")
PASSWORD_UNCHANGED_MESSAGE = _("Choose a password different from the current one.")

CHANNEL_ADMINISTRATOR = "administrator"
CHANNEL_EMAIL = "email"
# Anyone can ask for a mail to any address: at most one per account in this interval, so the
# form cannot be used to flood someone's mailbox.
RESET_EMAIL_INTERVAL = datetime.timedelta(minutes=5)


def _sessions_end(*, user: User, keep_session_key: str | None) -> int:
    """Delete the session rows of ``user`` except ``keep_session_key``; return how many.

    Sessions are signed blobs, so the live ones are decoded to find the user's: sessions last
    at most ``SESSION_COOKIE_AGE`` and are only staff's, so there are few.
    """
    doomed = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if data.get(SESSION_KEY) == str(user.pk) and session.session_key != keep_session_key:
            doomed.append(session.session_key)
    deleted, _rows = Session.objects.filter(session_key__in=doomed).delete()
    return deleted


def _set_password(
    *, user: User, new_password: str, field: str, keep_session_key: str | None = None
) -> int:
    try:
        password_validation.validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    if user.check_password(new_password):
        raise ValidationError({field: [PASSWORD_UNCHANGED_MESSAGE]})
    user.set_password(new_password)
    user.save(update_fields=["password"])
    api_tokens_revoke_all(user=user)
    return _sessions_end(user=user, keep_session_key=keep_session_key)


@transaction.atomic
def password_change(*, user: User, new_password: str, keep_session_key: str | None = None) -> User:
    """Set a signed-in user's new password and end their other sessions (the one doing the
    change, ``keep_session_key``, stays). The caller has checked the current password (the
    form does, through ``authenticate`` so that wrong guesses count towards the lockout)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    ended = _set_password(
        user=user,
        new_password=new_password,
        field="new_password1",
        keep_session_key=keep_session_key,
    )
    audit_record(
        actor=user,
        action=AuditAction.PASSWORD_CHANGED,
        obj=user,
        detail={"sessions_ended": ended},
    )
    return user


def reset_link_minutes() -> int:
    return settings.PASSWORD_RESET_TIMEOUT // 60


def password_reset_link(*, user: User, base_url: str) -> str:
    """A link that sets ``user``'s password once, within ``PASSWORD_RESET_TIMEOUT`` seconds.

    Django's token is a keyed hash over the password hash and the last sign-in, so it stops
    working as soon as the password changes (or the user signs in): single use, no table.
    """
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return base_url.rstrip("/") + path


@transaction.atomic
def password_reset_issue(*, actor: User, user: User, base_url: str) -> str:
    """A central administrator's reset link for ``user``, to hand over once; never stored."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_superuser and not actor.is_superuser:
        raise ValidationError({NON_FIELD_ERRORS: [SUPERUSER_PROTECTED_MESSAGE]})
    if not user.is_active:
        raise ValidationError({NON_FIELD_ERRORS: [RESET_INACTIVE_MESSAGE]})
    audit_record(
        actor=actor,
        action=AuditAction.PASSWORD_RESET_ISSUED,
        obj=user,
        detail={"channel": CHANNEL_ADMINISTRATOR},
    )
    return password_reset_link(user=user, base_url=base_url)


def password_reset_request(*, email: str, base_url: str) -> None:
    """Someone asked for a reset link by email. Answers nothing, whether or not the address
    belongs to an account: the one lookup is the same either way, and the mail (with its audit
    row) is written by a Celery task after the response."""
    user = User.objects.filter(email=email.strip().lower(), is_active=True).only("pk").first()
    if user is not None:
        user_id = user.pk
        transaction.on_commit(lambda: _reset_email_task().delay(user_id, base_url))


def _reset_email_task():
    # By its registered name: accounts/tasks.py wraps this module's services, so importing it
    # here would tie the two modules in a circle.
    return current_app.tasks[RESET_EMAIL_TASK_NAME]


@transaction.atomic
def password_reset_email_send(*, user_id: int, base_url: str) -> bool:
    """Mail a reset link to an active account's address. False, and nothing sent, if there is
    no such account any more or one was mailed within ``RESET_EMAIL_INTERVAL``."""
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    recently = AuditEvent.objects.filter(
        action=AuditAction.PASSWORD_RESET_ISSUED,
        object_type=user._meta.label_lower,
        object_id=str(user.pk),
        detail__channel=CHANNEL_EMAIL,
        occurred_at__gte=timezone.now() - RESET_EMAIL_INTERVAL,
    )
    if recently.exists():
        return False
    audit_record(
        actor=None,
        action=AuditAction.PASSWORD_RESET_ISSUED,
        obj=user,
        detail={"channel": CHANNEL_EMAIL},
    )
    context = {
        "link": password_reset_link(user=user, base_url=base_url),
        "minutes": reset_link_minutes(),
    }
    send_mail(
        subject=render_to_string("accounts/password_reset_subject.txt", context).strip(),
        message=render_to_string("accounts/password_reset_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return True


@transaction.atomic
def password_reset_complete(*, user: User, new_password: str) -> User:
    """Set the password of the account a valid reset link was for."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _set_password(user=user, new_password=new_password, field="new_password1")
    audit_record(actor=user, action=AuditAction.PASSWORD_RESET_COMPLETED, obj=user)
    return user
