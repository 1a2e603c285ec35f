from __future__ import annotations

import hashlib
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key, key_validator

from cases.fields import EncryptedTextField
from cases.vocabularies import validate_country


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Signs in with an email address.

    Global roles are flags; mission roles are memberships. A researcher holds no other role.
    """

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_central_admin = models.BooleanField(_("central administrator"), default=False)
    is_researcher = models.BooleanField(_("researcher"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("Django admin access"), default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # The language Harbour speaks to this user once signed in (accounts.middleware); blank:
    # the browser's (Accept-Language) or the one chosen on the sign-in page.
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(is_researcher=True) & models.Q(is_central_admin=True)),
                name="researcher_holds_no_admin_role",
            ),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @cached_property
    def caseworker_mission_ids(self) -> frozenset[int]:
        if not self.is_active or self.is_researcher:
            return frozenset()
        return frozenset(
            self.memberships.filter(role=Membership.Role.CASEWORKER).values_list(
                "mission_id", flat=True
            )
        )

    @property
    def is_caseworker(self) -> bool:
        return bool(self.caseworker_mission_ids)

    @property
    def sees_all_missions(self) -> bool:
        return (
            self.is_active
            and not self.is_researcher
            and (self.is_central_admin or self.is_superuser)
        )


class Mission(models.Model):
    """A country mission: the unit of access for caseworkers."""

    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        help_text=_("Short upper-case code used in case references, e.g. NPL."),
    )
    name = models.CharField(_("name"), max_length=120)
    country = models.CharField(_("country"), max_length=3, validators=[validate_country])
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[A-Z]{2,8}$"), name="mission_code_upper_alpha"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Membership(models.Model):
    class Role(models.TextChoices):
        CASEWORKER = "caseworker", _("Caseworker")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    mission = models.ForeignKey(Mission, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CASEWORKER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["mission__code", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "mission", "role"], name="membership_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.mission_id}:{self.role}"


class ApiTokenDetail(models.Model):
    """What Harbour knows of one django-rest-knox token beyond its digest: a name its owner
    chose, and when it was last used (written at most once a minute, not on every request).

    Deleted with the token (revocation, expiry), so it never outlives it.
    """

    token = models.OneToOneField(
        "knox.AuthToken", on_delete=models.CASCADE, related_name="harbour_detail"
    )
    name = models.CharField(_("name"), max_length=80)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="api_token_named"),
        ]

    def __str__(self) -> str:
        return f"api token {self.pk}"


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's one-time recovery codes, as a django-otp device.

    django-otp's own static device keeps its tokens in clear text, which anyone who can read
    the table could use to sign in. Here only a SHA-256 digest of each code is kept: the codes
    are long random strings, so a fast digest is enough (there is no dictionary to try).
    """

    class Meta:
        verbose_name = _("recovery codes")

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token) -> bool:
        allowed, _reason = self.verify_is_allowed()
        if not allowed or not isinstance(token, str):
            return False
        digest = recovery_code_digest(token)
        deleted, _rows = self.codes.filter(digest=digest).delete()
        if deleted:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False


class AuthenticatorApp(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (TOTP) of a user, with its secret encrypted at rest.

    django-otp's own TOTP device keeps the secret in clear text: whoever reads that table can
    compute every future code. Here the hex secret is a Fernet token under the field keys
    (``FIELD_ENCRYPTION_KEYS``, rotated by ``rotate_encryption_keys`` like every encrypted
    field). Verification, drift, replay refusal, throttling and the provisioning URL are
    django-otp's own (``TOTPDevice``'s methods, which read only these fields).
    """

    key = EncryptedTextField(default=default_key, validators=[key_validator])
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")

    bin_key = TOTPDevice.bin_key
    config_url = TOTPDevice.config_url
    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    _read_str_from_settings = TOTPDevice._read_str_from_settings


class RecoveryCode(models.Model):
    """One unused recovery code, stored as its digest only. A used code is deleted."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="recovery_code_unique"),
        ]

    def __str__(self) -> str:
        return f"recovery code {self.pk}"


def recovery_code_normalise(code: str) -> str:
    # People copy codes with spaces or dashes and in either case; the digest ignores both.
    return "".join(ch for ch in code.upper() if ch.isalnum())


def recovery_code_digest(code: str) -> str:
    return hashlib.sha256(recovery_code_normalise(code).encode("ascii", "ignore")).hexdigest()
