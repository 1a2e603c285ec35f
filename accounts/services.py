"""Writes to accounts: users, memberships, missions. Each service is one audited transaction.

Audit rows carry ids, flags, codes and the names of changed fields: never an email address, a
person's name or any other value a person typed.
"""

from __future__ import annotations

import datetime
import re

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from knox.models import AuthToken

from cases.audit import audit_record
from cases.models import AuditAction
from cases.vocabularies import country_codes

from .models import ApiTokenDetail, Membership, Mission, User

SIGN_IN_RETENTION_INVALID_MESSAGE = _("Sign-in data must be kept for at least one day.")
EMAIL_TAKEN_MESSAGE = _("Another account already uses this email address.")
RESEARCHER_NOT_ADMIN_MESSAGE = _("A researcher cannot also be a central administrator.")
RESEARCHER_NO_MEMBERSHIP_MESSAGE = _("A researcher cannot be a member of a mission.")
RESEARCHER_HAS_MEMBERSHIPS_MESSAGE = _(
    "This account is a member of missions. Remove its memberships before making it a researcher."
)
SELF_DEACTIVATION_MESSAGE = _("You cannot deactivate your own account.")
SELF_DEMOTION_MESSAGE = _("You cannot remove your own central administrator role.")
SUPERUSER_PROTECTED_MESSAGE = _(
    "Only a system administrator can change a system administrator account."
)
MEMBERSHIP_EXISTS_MESSAGE = _("This account is already a member of this mission in this role.")
MISSION_INACTIVE_MESSAGE = _("This mission is inactive: nobody can be added to it.")
MISSION_CODE_MESSAGE = _("Use 2 to 8 capital letters A to Z.")
MISSION_CODE_TAKEN_MESSAGE = _("Another mission already uses this code.")
COUNTRY_UNKNOWN_MESSAGE = _("Choose a country from the list.")
API_TOKEN_NAME_REQUIRED_MESSAGE = _("Give the token a name.")

MISSION_CODE_PATTERN = re.compile(r"^[A-Z]{2,8}\Z")

USER_EDITABLE_FIELDS = ("email", "full_name", "is_active", "is_central_admin", "is_researcher")
MISSION_EDITABLE_FIELDS = ("name", "country", "is_active")


def _normalise_email(email: str) -> str:
    # Addresses are stored lower-case so that sign-in and uniqueness ignore case.
    return User.objects.normalize_email(email.strip()).lower()


def _check_email_free(*, email: str, exclude_pk: int | None = None) -> None:
    taken = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"email": [EMAIL_TAKEN_MESSAGE]})


def _check_roles(*, user: User) -> None:
    if user.is_researcher and user.is_central_admin:
        raise ValidationError({"is_researcher": [RESEARCHER_NOT_ADMIN_MESSAGE]})


def _save_user(user: User) -> None:
    # The explicit check above can lose a race with a concurrent request; the unique index
    # then decides, and the savepoint keeps the outer transaction usable.
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError({"email": [EMAIL_TAKEN_MESSAGE]}) from exc


@transaction.atomic
def user_create(
    *,
    actor: User,
    email: str,
    full_name: str,
    password: str,
    is_central_admin: bool = False,
    is_researcher: bool = False,
    is_active: bool = True,
) -> User:
    """Create an account with an initial password that satisfies the password validators."""
    user = User(
        email=_normalise_email(email),
        full_name=full_name.strip(),
        is_central_admin=is_central_admin,
        is_researcher=is_researcher,
        is_active=is_active,
    )
    _check_roles(user=user)
    _check_email_free(email=user.email)
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(validate_unique=False, validate_constraints=False)
    _save_user(user)
    audit_record(
        actor=actor,
        action=AuditAction.USER_CREATED,
        obj=user,
        detail={
            "is_active": user.is_active,
            "is_central_admin": user.is_central_admin,
            "is_researcher": user.is_researcher,
        },
    )
    return user


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    email: str,
    full_name: str,
    is_active: bool,
    is_central_admin: bool,
    is_researcher: bool,
) -> User:
    """Change an account's details and global roles; the audit row names the changed fields."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_superuser and not actor.is_superuser:
        raise ValidationError({NON_FIELD_ERRORS: [SUPERUSER_PROTECTED_MESSAGE]})
    if user.pk == actor.pk:
        # An administrator locking themselves out could leave nobody able to undo it.
        if not is_active:
            raise ValidationError({"is_active": [SELF_DEACTIVATION_MESSAGE]})
        if user.is_central_admin and (not is_central_admin or is_researcher):
            field = "is_central_admin" if not is_central_admin else "is_researcher"
            raise ValidationError({field: [SELF_DEMOTION_MESSAGE]})

    new_values = {
        "email": _normalise_email(email),
        "full_name": full_name.strip(),
        "is_active": is_active,
        "is_central_admin": is_central_admin,
        "is_researcher": is_researcher,
    }
    changed = [name for name in USER_EDITABLE_FIELDS if getattr(user, name) != new_values[name]]
    if not changed:
        return user
    for name in changed:
        setattr(user, name, new_values[name])

    _check_roles(user=user)
    if "email" in changed:
        _check_email_free(email=user.email, exclude_pk=user.pk)
    if "is_researcher" in changed and user.is_researcher and user.memberships.exists():
        raise ValidationError({"is_researcher": [RESEARCHER_HAS_MEMBERSHIPS_MESSAGE]})
    user.full_clean(validate_unique=False, validate_constraints=False)
    _save_user(user)
    audit_record(actor=actor, action=AuditAction.USER_UPDATED, obj=user, detail={"fields": changed})
    return user


@transaction.atomic
def membership_add(
    *,
    actor: User,
    user: User,
    mission: Mission,
    role: str = Membership.Role.CASEWORKER,
) -> Membership:
    """Give an account a role in a mission."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_researcher:
        raise ValidationError({"mission": [RESEARCHER_NO_MEMBERSHIP_MESSAGE]})
    if not mission.is_active:
        raise ValidationError({"mission": [MISSION_INACTIVE_MESSAGE]})
    if Membership.objects.filter(user=user, mission=mission, role=role).exists():
        raise ValidationError({"mission": [MEMBERSHIP_EXISTS_MESSAGE]})
    membership = Membership(user=user, mission=mission, role=role)
    membership.full_clean(validate_unique=False, validate_constraints=False)
    membership.save()
    audit_record(
        actor=actor,
        action=AuditAction.MEMBERSHIP_ADDED,
        obj=membership,
        mission_id=mission.pk,
        detail={"user_id": user.pk, "role": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """Take a mission role away from an account."""
    # Recorded before the delete: the audit row keeps the membership's id after it is gone.
    audit_record(
        actor=actor,
        action=AuditAction.MEMBERSHIP_REMOVED,
        obj=membership,
        mission_id=membership.mission_id,
        detail={"user_id": membership.user_id, "role": membership.role},
    )
    membership.delete()


def _check_mission(*, code: str | None, country: str) -> None:
    errors: dict[str, list] = {}
    if code is not None:
        if not MISSION_CODE_PATTERN.match(code):
            errors["code"] = [MISSION_CODE_MESSAGE]
        elif Mission.objects.filter(code=code).exists():
            errors["code"] = [MISSION_CODE_TAKEN_MESSAGE]
    if country not in country_codes():
        errors["country"] = [COUNTRY_UNKNOWN_MESSAGE]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def mission_create(
    *, actor: User, code: str, name: str, country: str, is_active: bool = True
) -> Mission:
    """Open a mission. Its code is fixed from now on: case references carry it."""
    _check_mission(code=code, country=country)
    mission = Mission(code=code, name=name.strip(), country=country, is_active=is_active)
    mission.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            mission.save()
    except IntegrityError as exc:
        raise ValidationError({"code": [MISSION_CODE_TAKEN_MESSAGE]}) from exc
    audit_record(
        actor=actor,
        action=AuditAction.MISSION_CREATED,
        obj=mission,
        mission_id=mission.pk,
        detail={"code": mission.code, "country": mission.country, "is_active": is_active},
    )
    return mission


@transaction.atomic
def mission_update(
    *, actor: User, mission: Mission, name: str, country: str, is_active: bool
) -> Mission:
    """Change a mission's name, country or active flag (not its code)."""
    mission = Mission.objects.select_for_update().get(pk=mission.pk)
    _check_mission(code=None, country=country)
    new_values = {"name": name.strip(), "country": country, "is_active": is_active}
    changed = [
        field_name
        for field_name in MISSION_EDITABLE_FIELDS
        if getattr(mission, field_name) != new_values[field_name]
    ]
    if not changed:
        return mission
    for field_name in changed:
        setattr(mission, field_name, new_values[field_name])
    mission.full_clean(validate_unique=False, validate_constraints=False)
    mission.save(update_fields=changed)
    audit_record(
        actor=actor,
        action=AuditAction.MISSION_UPDATED,
        obj=mission,
        mission_id=mission.pk,
        detail={"fields": changed},
    )
    return mission


@transaction.atomic
def sign_in_data_purge(*, retention_days: int, now: datetime.datetime | None = None) -> int:
    """Delete django-axes' rows older than ``retention_days``; returns how many went.

    Axes keeps attempted usernames, client addresses and user agents only to decide lockouts,
    which needs the last ``AXES_COOLOFF_TIME``. The durable record of sign-ins is the audit
    trail (ids and codes only), so nothing here is kept beyond the retention period.
    """
    if retention_days < 1:
        raise ValidationError(SIGN_IN_RETENTION_INVALID_MESSAGE, code="invalid")
    cutoff = (now or timezone.now()) - datetime.timedelta(days=retention_days)
    removed = 0
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        count, _deleted = model.objects.filter(attempt_time__lt=cutoff).delete()
        removed += count
    return removed


API_TOKEN_SIGN_IN_NAME = gettext_noop("API sign-in")
# last_used_at is written at most this often per token, not on every request.
API_TOKEN_LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[AuthToken, str]:
    """A new named API token for ``user``: the row (digest only) and the token, to show once.

    The user's expired tokens go at the same time. The audit row carries neither the token nor
    its name (typed by a person).
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": [API_TOKEN_NAME_REQUIRED_MESSAGE]})
    AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    lifetime = datetime.timedelta(hours=settings.HARBOUR_API_TOKEN_LIFETIME_HOURS)
    token, secret = AuthToken.objects.create(user=user, expiry=lifetime)
    detail = ApiTokenDetail(token=token, name=name)
    detail.full_clean(exclude=["token"], validate_constraints=False)
    detail.save()
    audit_record(actor=user, action=AuditAction.API_TOKEN_CREATED, obj=detail)
    return token, secret


@transaction.atomic
def api_tokens_revoke_all(*, user: User, actor: User | None = None) -> int:
    """Delete every API token of ``user`` (sign-out, password change); returns how many."""
    _total, per_model = AuthToken.objects.filter(user=user).delete()
    # The total counts each token's ApiTokenDetail too.
    count = per_model.get(AuthToken._meta.label, 0)
    if count:
        audit_record(
            actor=actor or user, action=AuditAction.API_TOKEN_REVOKED, detail={"count": count}
        )
    return count


@transaction.atomic
def api_token_revoke(*, token: AuthToken, actor: User) -> None:
    """Delete one API token (an API client signing out with it, or its owner on their page)."""
    detail = ApiTokenDetail.objects.filter(token_id=token.digest).first()
    AuthToken.objects.filter(digest=token.digest).delete()
    audit_record(
        actor=actor,
        action=AuditAction.API_TOKEN_REVOKED,
        obj=detail,
        detail={"count": 1},
    )


def api_token_mark_used(*, token: AuthToken) -> None:
    """Record that ``token`` was just used, unless that was recorded less than a minute ago."""
    now = timezone.now()
    try:
        detail = token.harbour_detail
    except ApiTokenDetail.DoesNotExist:
        return
    if detail.last_used_at is not None and now - detail.last_used_at < (
        API_TOKEN_LAST_USED_RESOLUTION
    ):
        return
    ApiTokenDetail.objects.filter(pk=detail.pk).update(last_used_at=now)
    detail.last_used_at = now


@transaction.atomic
def session_end_expired(*, user: User, reason: str) -> None:
    """Record that a session ended on its own (idle or too old); the caller clears it."""
    audit_record(actor=user, action=AuditAction.SIGN_OUT, detail={"reason": reason})


LANGUAGE_UNKNOWN_MESSAGE = _("Choose one of the languages Harbour offers.")


def language_codes() -> frozenset[str]:
    return frozenset(code for code, _name in settings.LANGUAGES)


def user_language_set(*, user: User, language: str) -> User:
    """Save the language Harbour speaks to this user from now on (a preference, not audited:
    it carries no record and grants nothing)."""
    if language not in language_codes():
        raise ValidationError({"language": LANGUAGE_UNKNOWN_MESSAGE}, code="invalid_language")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
