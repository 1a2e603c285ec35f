from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import audit_chain
from .fields import EncryptedDateField, EncryptedListField, EncryptedTextField
from .vocabularies import (
    CLOSED_STATUSES,
    CaseStatus,
    ClosureReason,
    Gender,
    ReopenReason,
    validate_countries,
    validate_languages,
)

# The encrypted fields of a person: everything that says who they are.
PERSON_IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "aliases",
    "date_of_birth",
    "identity_documents",
    "phone",
    "address",
)


class Person(models.Model):
    """Identity of the person a case is about.

    Identity fields are encrypted at rest; the coded fields below them stay in clear columns so
    they can be validated, indexed and aggregated without revealing who the person is.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    given_name = EncryptedTextField(_("given name"))
    family_name = EncryptedTextField(_("family name"), blank=True)
    aliases = EncryptedListField(_("aliases"), blank=True, default=list)
    date_of_birth = EncryptedDateField(_("date of birth"), blank=True, null=True)
    identity_documents = EncryptedListField(
        _("identity document numbers"), blank=True, default=list
    )
    phone = EncryptedTextField(_("phone"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    identity_removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    blind_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    gender = models.CharField(_("gender"), max_length=24, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
    )
    age_at_registration = models.PositiveSmallIntegerField(
        _("age at registration"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    citizenships = ArrayField(
        models.CharField(max_length=3),
        verbose_name=_("citizenship(s)"),
        default=list,
        blank=True,
        validators=[validate_countries],
    )
    languages = ArrayField(
        models.CharField(max_length=3),
        verbose_name=_("languages"),
        default=list,
        blank=True,
        validators=[validate_languages],
    )

    class Meta:
        indexes = [GinIndex(fields=["citizenships"], name="person_citizenships_gin")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(gender__in=Gender.values), name="person_gender_valid"
            ),
        ]

    def __str__(self) -> str:
        # Never the name: str() ends up in logs, admin history and error pages.
        return f"Person {self.pk}"


class SearchToken(models.Model):
    """One keyed search token of a person's identity (see ``cases/search.py``)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="search_tokens")
    kind = models.CharField(max_length=1)
    token = models.BinaryField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["token", "person"], name="searchtoken_token_person")]

    def __str__(self) -> str:
        return f"SearchToken {self.pk}"


class CaseQuerySet(models.QuerySet):
    @staticmethod
    def scope_missions(user) -> frozenset[int] | None:
        """The missions all of whose cases ``user`` may see (``None``: every mission). Cases
        shared with these missions are in scope on top (``visible_to``)."""
        if user is None or not user.is_authenticated or not user.is_active or user.is_researcher:
            return frozenset()
        if user.sees_all_missions:
            return None
        return user.caseworker_mission_ids

    def visible_to(self, user) -> CaseQuerySet:
        """The one access rule: which cases a user may read or change."""
        mission_ids = self.scope_missions(user)
        if mission_ids is None:
            return self.all()
        if not mission_ids:
            return self.none()
        # A case shared with one of the user's missions (after a return, say) is in scope too.
        shared = self.shared_with(mission_ids)
        return self.filter(models.Q(mission_id__in=mission_ids) | models.Q(pk__in=shared))

    @staticmethod
    def shared_with(mission_ids: Iterable[int]) -> models.QuerySet:
        """The ids of the cases shared with any of ``mission_ids`` (grants not revoked)."""
        return CaseMissionAccess.objects.filter(
            mission_id__in=mission_ids, revoked_at__isnull=True
        ).values("case_id")


class Case(models.Model):
    """The spine of a case file: every form hangs off it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    mission = models.ForeignKey(
        "accounts.Mission",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("mission"),
    )
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="case")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned caseworker"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.SCREENING
    )
    registered_on = models.DateField(_("registration date"), default=timezone.localdate)
    # Only historical records (the CTDC release leaves the year blank for some): registered_on
    # is then the day the record was imported, and research data shows the year as unknown.
    registration_date_unknown = models.BooleanField(default=False, editable=False)
    # Set when a monitoring visit records that the person was trafficked again, or when a new
    # case of the same person (by blind index) is linked to this one. A coded research variable.
    retrafficked = models.BooleanField(_("re-trafficking"), default=False, editable=False)
    # Set when the case closes and cleared when it is reopened (history: CaseClosureRequest,
    # CaseReopening). The identity is removed once the retention period after closure ends.
    closure_reason = models.CharField(
        _("reason for closure"),
        max_length=32,
        choices=ClosureReason.choices,
        blank=True,
        editable=False,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    status_before_closure = models.CharField(
        max_length=20, choices=CaseStatus.choices, blank=True, editable=False
    )
    identity_removal_due_on = models.DateField(
        _("identity removal due on"), null=True, blank=True, editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_on", "-reference"]
        indexes = [
            models.Index(fields=["mission", "status"], name="case_mission_status"),
            models.Index(fields=["mission", "-registered_on"], name="case_mission_registered"),
            models.Index(fields=["-registered_on", "-reference"], name="case_registered_order"),
            models.Index(fields=["assigned_to", "status"], name="case_assignee_status"),
            # Few cases are flagged; central administrators count and filter them.
            models.Index(
                fields=["mission"],
                condition=models.Q(retrafficked=True),
                name="case_retrafficked",
            ),
            models.Index(
                fields=["identity_removal_due_on"],
                name="case_identity_removal_due",
                condition=models.Q(identity_removal_due_on__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(reference__regex=r"^[A-Z]{2,8}-[0-9]{4}-[0-9]{5,}$"),
                name="case_reference_format",
            ),
            models.CheckConstraint(
                condition=models.Q(closure_reason="")
                | models.Q(closure_reason__in=ClosureReason.values),
                name="case_closure_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", kwargs={"case_id": self.pk})

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class CaseLink(models.Model):
    """Two cases of the same person: the later one registered after the earlier one.

    Made when a new registration's blind index matches an earlier case; both are then flagged
    as re-trafficking. Seen by central administrators only.
    """

    earlier_case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="later_links")
    later_case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="earlier_links")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["earlier_case", "later_case"], name="case_link_unique_pair"
            ),
            models.CheckConstraint(
                condition=~models.Q(earlier_case=models.F("later_case")),
                name="case_link_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.earlier_case_id} -> {self.later_case_id}"


class CaseClosureRequest(models.Model):
    """A caseworker's request to close a case, and its decision by a central administrator.

    A referral closes the case at once (``closed_at_once``); every other reason waits for a
    central administrator who did not make the request. One pending request per case.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")
        CLOSED_AT_ONCE = "closed_at_once", _("Closed at once (referral)")
        WITHDRAWN = "withdrawn", _("Withdrawn: the case was closed otherwise")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="closure_requests")
    reason = models.CharField(_("reason for closure"), max_length=32, choices=ClosureReason.choices)
    comment = EncryptedTextField(_("comment"), blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    return_comment = EncryptedTextField(_("comment on returning"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [
            models.Index(
                fields=["requested_at"],
                name="closure_pending_oldest",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["requested_by", "status"], name="closure_requester_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="pending"),
                name="closure_one_pending_per_case",
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=ClosureReason.values), name="closure_reason_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["pending", "approved", "returned", "closed_at_once", "withdrawn"]
                ),
                name="closure_status_valid",
            ),
            # No self-approval, whatever the requester's roles.
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("requested_by")),
                name="closure_not_decided_by_requester",
            ),
        ]

    def __str__(self) -> str:
        return f"Closure request {self.pk}"


class CaseReopening(models.Model):
    """A central administrator reopening a closed case; the case returns to its earlier status."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reopenings")
    reason = models.CharField(
        _("reason for reopening"), max_length=32, choices=ReopenReason.choices
    )
    comment = EncryptedTextField(_("comment"), blank=True)
    from_status = models.CharField(max_length=20, choices=CaseStatus.choices)
    to_status = models.CharField(max_length=20, choices=CaseStatus.choices)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reopened_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reason__in=ReopenReason.values), name="reopening_reason_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Reopening {self.pk}"


class CaseAccessReason(models.TextChoices):
    RETURN_ARRIVED = "return_arrived", _("Return arrived: receiving mission continues")
    ONWARD_ARRIVED = "onward_arrived", _("Onward travel arrived: receiving mission continues")
    JOINT_ASSISTANCE = "joint_assistance", _("Joint assistance between missions")


class CaseMissionAccess(models.Model):
    """A mission other than the case's own that may continue the case, e.g. after a return.

    Granted and revoked by a central administrator; ``Case.objects.visible_to`` reads it, so
    access still flows through the one scoping rule.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="mission_accesses")
    mission = models.ForeignKey(
        "accounts.Mission", on_delete=models.PROTECT, related_name="shared_case_accesses"
    )
    reason = models.CharField(_("reason"), max_length=24, choices=CaseAccessReason.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        indexes = [
            models.Index(fields=["mission", "case"], name="case_access_mission_case"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "mission"],
                condition=models.Q(revoked_at__isnull=True),
                name="case_access_one_live_grant",
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=CaseAccessReason.values),
                name="case_access_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} shared with {self.mission_id}"


class CaseStatusCount(models.Model):
    """How many cases a mission holds in a status, so the dashboard reads a few rows instead
    of counting a mission's cases on every visit.

    Kept by triggers on ``cases_case`` (migration ``0015_case_status_counts``) in the
    transaction of every insert, update, delete and truncate, whatever wrote it: services,
    ``update()``, imports, the seed's ``COPY``. Nothing in Python writes it. Read only through
    ``case_status_table``, for the missions of the user's scope.
    """

    mission = models.ForeignKey("accounts.Mission", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=CaseStatus.choices)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mission", "status"], name="case_count_mission_status"),
        ]

    def __str__(self) -> str:
        return f"{self.mission_id}/{self.status}: {self.count}"


class CaseReferenceCounter(models.Model):
    """Last number issued per mission and year. Its row lock makes references gap-free."""

    mission = models.ForeignKey("accounts.Mission", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mission", "year"], name="case_counter_mission_year"),
        ]

    def __str__(self) -> str:
        return f"{self.mission_id}/{self.year}: {self.last_number}"


class AuditAction(models.TextChoices):
    CASE_VIEWED = "case_viewed", _("Case viewed")
    CASE_LISTED = "case_listed", _("Case list viewed")
    # A search by name, phone, date of birth or reference: a keyed digest of the query and the
    # number of results, never the terms.
    CASE_SEARCHED = "case_searched", _("Cases searched")
    CASE_CREATED = "case_created", _("Case created")
    CASE_UPDATED = "case_updated", _("Case updated")
    CASE_ASSIGNED = "case_assigned", _("Case assigned")
    CASE_STATUS_CHANGED = "case_status_changed", _("Case status changed")
    ACCESS_REFUSED = "access_refused", _("Access refused")
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_OUT = "sign_out", _("Signed out")
    USER_CREATED = "user_created", _("User created")
    USER_UPDATED = "user_updated", _("User updated")
    MEMBERSHIP_ADDED = "membership_added", _("Membership added")
    MEMBERSHIP_REMOVED = "membership_removed", _("Membership removed")
    MISSION_CREATED = "mission_created", _("Mission created")
    MISSION_UPDATED = "mission_updated", _("Mission updated")
    SCREENING_STARTED = "screening_started", _("Screening started")
    SCREENING_VIEWED = "screening_viewed", _("Screening viewed")
    SCREENING_SECTION_SAVED = "screening_section_saved", _("Screening section saved")
    SCREENING_SUBMITTED = "screening_submitted", _("Screening submitted")
    SCREENING_APPROVED = "screening_approved", _("Determination approved")
    SCREENING_RETURNED = "screening_returned", _("Determination returned")
    MART_REBUILT = "mart_rebuilt", _("Research mart rebuilt")
    EXTRACT_REQUESTED = "extract_requested", _("Extract requested")
    EXTRACT_COMPLETED = "extract_completed", _("Extract completed")
    EXTRACT_FAILED = "extract_failed", _("Extract failed")
    EXTRACT_RETRIED = "extract_retried", _("Extract retried")
    EXTRACT_DOWNLOADED = "extract_downloaded", _("Extract downloaded")
    AUDIT_VIEWED = "audit_viewed", _("Audit trail viewed")
    ENCRYPTION_KEYS_ROTATED = "encryption_keys_rotated", _("Encryption keys rotated")
    AUDIT_INTEGRITY_CHECKED = "audit_integrity_checked", _("Audit integrity checked")
    ORGANISATION_CREATED = "organisation_created", _("Organisation created")
    ORGANISATION_UPDATED = "organisation_updated", _("Organisation updated")
    ASSISTANCE_INTERVIEW_RECORDED = (
        "assistance_interview_recorded",
        _("Assistance interview recorded"),
    )
    ASSISTANCE_INTERVIEW_UPDATED = "assistance_interview_updated", _("Assistance interview updated")
    SUPPORT_PLAN_CREATED = "support_plan_created", _("Support plan created")
    SUPPORT_PLAN_UPDATED = "support_plan_updated", _("Support plan updated")
    SERVICE_RECORDED = "service_recorded", _("Assistance service recorded")
    SERVICE_STATUS_CHANGED = "service_status_changed", _("Assistance service status changed")
    REFERRAL_RECORDED = "referral_recorded", _("Referral recorded")
    MOVEMENT_PLANNED = "movement_planned", _("Movement planned")
    MOVEMENT_ASSESSED = "movement_assessed", _("Movement pre-departure assessment recorded")
    MOVEMENT_STATUS_CHANGED = "movement_status_changed", _("Movement status changed")
    CASE_ACCESS_GRANTED = "case_access_granted", _("Case shared with a mission")
    CASE_ACCESS_REVOKED = "case_access_revoked", _("Case sharing with a mission revoked")
    CASE_ACCESS_PROPOSED = "case_access_proposed", _("Case sharing proposed by a mission")
    CASE_ACCESS_PROPOSAL_DECIDED = (
        "case_access_proposal_decided",
        _("Case sharing proposal decided by the other mission"),
    )
    CASE_ACCESS_PROPOSAL_WITHDRAWN = (
        "case_access_proposal_withdrawn",
        _("Case sharing proposal withdrawn"),
    )
    TRAFFICKING_DETAIL_RECORDED = (
        "trafficking_detail_recorded",
        _("Further trafficking detail recorded"),
    )
    TRAFFICKING_DETAIL_REVIEWED = (
        "trafficking_detail_reviewed",
        _("Further trafficking detail reviewed"),
    )
    REINTEGRATION_PLAN_CREATED = "reintegration_plan_created", _("Reintegration plan created")
    REINTEGRATION_PLAN_UPDATED = "reintegration_plan_updated", _("Reintegration plan updated")
    REINTEGRATION_ASSISTANCE_RECORDED = (
        "reintegration_assistance_recorded",
        _("Reintegration assistance recorded"),
    )
    REINTEGRATION_ASSISTANCE_STATUS_CHANGED = (
        "reintegration_assistance_status_changed",
        _("Reintegration assistance status changed"),
    )
    MONITORING_VISIT_SCHEDULED = "monitoring_visit_scheduled", _("Monitoring visit scheduled")
    MONITORING_VISIT_RECORDED = "monitoring_visit_recorded", _("Monitoring visit recorded")
    MONITORING_VISITS_MARKED_OVERDUE = (
        "monitoring_visits_marked_overdue",
        _("Monitoring visits marked overdue"),
    )
    CASE_RETRAFFICKING_FLAGGED = "case_retrafficking_flagged", _("Case flagged as re-trafficking")
    CASES_LINKED = "cases_linked", _("Cases of the same person linked")
    CASE_CLOSURE_REQUESTED = "case_closure_requested", _("Case closure requested")
    CASE_CLOSURE_APPROVED = "case_closure_approved", _("Case closure approved")
    CASE_CLOSURE_RETURNED = "case_closure_returned", _("Case closure request returned")
    CASE_CLOSED = "case_closed", _("Case closed")
    CASE_REOPENED = "case_reopened", _("Case reopened")
    IDENTITY_REMOVED = "identity_removed", _("Identity removed under the retention period")
    # Accounts and sign-in security (issue 12): never a password, code or token in the row.
    SIGN_IN_LOCKED_OUT = "sign_in_locked_out", _("Sign-in locked out")
    SECOND_FACTOR_VERIFIED = "second_factor_verified", _("Second factor verified")
    SECOND_FACTOR_FAILED = "second_factor_failed", _("Second factor failed")
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled", _("Second factor enrolled")
    SECOND_FACTOR_REMOVED = "second_factor_removed", _("Second factor removed")
    SECOND_FACTORS_RESET = "second_factors_reset", _("Second factors reset by an administrator")
    RECOVERY_CODES_GENERATED = "recovery_codes_generated", _("Recovery codes generated")
    REAUTHENTICATED = "reauthenticated", _("Re-authenticated for a sensitive action")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET_ISSUED = "password_reset_issued", _("Password reset link issued")
    PASSWORD_RESET_COMPLETED = "password_reset_completed", _("Password reset completed")
    API_TOKEN_CREATED = "api_token_created", _("API token created")
    API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
    # Tamper-evident audit trail (issue 12).
    AUDIT_CHECKPOINT_SIGNED = "audit_checkpoint_signed", _("Audit checkpoint signed")
    AUDIT_RETENTION_APPLIED = "audit_retention_applied", _("Audit retention applied")
    # Research release (issue 11).
    RESEARCH_RELEASE_PUBLISHED = "research_release_published", _("Research release published")
    EXTRACT_REFUSED = "extract_refused", _("Extract refused")
    PRIVACY_BUDGET_SPENT = "privacy_budget_spent", _("Privacy budget spent")
    PRIVACY_BUDGET_SET = "privacy_budget_set", _("Privacy budget set")
    # Bringing data in (issue 13): one event per import, counts only.
    CASES_IMPORTED = "cases_imported", _("Cases imported from a file")


class AuditEventQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Chain each row in order, under one lock, then insert them together."""
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            seq, prev = audit_chain.lock_chain_and_read_head()
            for obj in objs:
                fields = {name: getattr(obj, name) for name in audit_chain.CHAINED_FIELDS}
                seq += 1
                obj.seq, obj.prev_hash = seq, prev
                obj.row_hash = prev = audit_chain.row_hash(seq=seq, prev_hash=prev, fields=fields)
            return super().bulk_create(objs, *args, **kwargs)


class AuditEvent(models.Model):
    """Append-only record of who did what. Ids and codes only: never names or free text.

    References are plain columns (no foreign-key constraint) so rows outlive their subjects,
    and a database trigger refuses UPDATE and DELETE.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    action = models.CharField(max_length=40, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    case = models.ForeignKey(
        Case, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    case_reference = models.CharField(max_length=32, blank=True, db_index=True)
    mission = models.ForeignKey(
        "accounts.Mission",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # Codes and field names only, e.g. {"from": "screening", "to": "pending_review"}.
    detail = models.JSONField(default=dict, blank=True)
    # The hash chain (cases/audit_chain.py): set on insert, under the chain's lock.
    seq = models.BigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    row_hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time"),
            models.Index(fields=["case", "-occurred_at"], name="audit_case_time"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs) -> None:
        """Insert only (the database refuses UPDATE): every new row joins the hash chain."""
        if not self._state.adding:
            raise ValueError("audit rows are append-only")
        # No savepoint of its own (two round trips saved): a failed insert fails the caller's
        # transaction, as it did before; outside one, this is the transaction that holds the lock.
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            audit_chain.chain_event(self)
            super().save(*args, **kwargs)


class AuditCheckpoint(models.Model):
    """The head of the audit chain at a moment, signed with a key kept outside the database.

    Append-only like the audit trail. A checkpoint whose row is gone, or whose hash no longer
    matches the row, shows that the trail was cut or rewritten, even by the database's owner
    (who cannot compute the HMAC without HARBOUR_AUDIT_CHECKPOINT_KEY).
    """

    class Kind(models.TextChoices):
        # The head of the chain, signed hourly.
        CHECKPOINT = "checkpoint", _("Checkpoint")
        # Where the kept chain starts after `manage.py audit_retention`: the rows up to and
        # including `seq` were removed, and the first kept row's prev_hash is `row_hash`.
        ANCHOR = "anchor", _("Retention anchor")

    signed_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CHECKPOINT)
    seq = models.BigIntegerField()
    row_hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.seq}"
