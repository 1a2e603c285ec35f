"""Sign-in events come from django.contrib.auth, which we do not own: record them here."""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from cases.audit import audit_record
from cases.models import AuditAction

from .lockout import SECOND_FACTOR_MARK
from .models import User
from .services import api_tokens_revoke_all, language_codes, user_language_set


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs) -> None:
    audit_record(actor=user, action=AuditAction.SIGN_IN)
    # A language picked on the sign-in page is the user's latest choice: it becomes theirs.
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) if request is not None else None
    if chosen in language_codes():
        user_language_set(user=user, language=chosen)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(actor=user, action=AuditAction.SIGN_OUT)
        # Signing out ends every way in that this user opened, API tokens included.
        api_tokens_revoke_all(user=user)


def _account_attempted(username) -> User | None:
    """The account a failed attempt named, if there is one (addresses are stored lower-case)."""
    if not isinstance(username, str) or not username.strip():
        return None
    return User.objects.filter(email=username.strip().lower()).only("pk").first()


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    if credentials.get(SECOND_FACTOR_MARK):
        # The code step records its own failure (SECOND_FACTOR_FAILED, with the account).
        return
    # The attempted username is personal data and may not even be an account: it is never
    # kept. When it names an account, the row points at that account by id, so its owner sees
    # the failure in their sign-in history and the dashboard can warn about a targeted account.
    # The lookup runs for every failure, so the work does not depend on the account existing.
    account = _account_attempted(credentials.get("username"))
    audit_record(actor=None, action=AuditAction.SIGN_IN_FAILED, obj=account)


@receiver(user_locked_out)
def _on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    # One row per refused attempt; the account's id at most, never the attempted username.
    audit_record(
        actor=None, action=AuditAction.SIGN_IN_LOCKED_OUT, obj=_account_attempted(username)
    )
