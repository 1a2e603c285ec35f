"""The privacy budget: ε per researcher per calendar year, and its append-only ledger.

Imported by ``research_exports.models`` so the models belong to the research_exports app.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

EPSILON_DIGITS = {"max_digits": 8, "decimal_places": 4}


class PrivacyBudget(models.Model):
    """One researcher's budget for one calendar year; the row the spending services lock.

    ``allowance`` is the year's ε (the setting, or a central administrator's value for this
    researcher); ``spent`` only grows, and never beyond the allowance when it is spent.
    """

    researcher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="privacy_budgets"
    )
    year = models.PositiveSmallIntegerField()
    allowance = models.DecimalField(_("ε for the year"), **EPSILON_DIGITS)
    spent = models.DecimalField(_("ε spent"), default=Decimal(0), **EPSILON_DIGITS)
    # True once a central administrator set this researcher's allowance for the year.
    is_override = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "researcher_id"]
        constraints = [
            models.UniqueConstraint(fields=["researcher", "year"], name="privacy_budget_one_year"),
            models.CheckConstraint(
                condition=models.Q(spent__gte=0) & models.Q(allowance__gte=0),
                name="privacy_budget_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Privacy budget {self.year}"

    @property
    def remaining(self) -> Decimal:
        return max(Decimal(0), self.allowance - self.spent)


class PrivacyLedgerEntry(models.Model):
    """One movement of a budget. Append-only: a database trigger refuses UPDATE and DELETE."""

    class Kind(models.TextChoices):
        SPEND = "spend", _("Spent on an extract")
        SET = "set", _("Budget set by an administrator")

    researcher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="privacy_ledger"
    )
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # ε spent (SPEND) or the new allowance (SET).
    epsilon = models.DecimalField(**EPSILON_DIGITS)
    remaining_after = models.DecimalField(**EPSILON_DIGITS)
    # Not a foreign key: the ledger outlives any clean-up of extracts and is never updated.
    extract_id = models.UUIDField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["researcher", "-created_at"], name="privacy_ledger_owner"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(epsilon__gte=0) & models.Q(remaining_after__gte=0),
                name="privacy_ledger_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Ledger entry {self.pk}"
