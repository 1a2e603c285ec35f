"""Shared coded vocabularies (HTCDS 2.0 codes, ISO 3166, ISO 639).

Codes are the project's internal values, so a record maps to the standard with no translation.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import pycountry
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """ISO 3166-1 alpha-3 codes (as CTDC uses), ordered by English name."""
    return tuple(sorted(((c.alpha_3, c.name) for c in pycountry.countries), key=lambda c: c[1]))


@cache
def country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in country_choices())


@cache
def country_names() -> dict[str, str]:
    return dict(country_choices())


@cache
def language_choices() -> tuple[tuple[str, str], ...]:
    """ISO 639-1 two-letter codes, ordered by English name."""
    return tuple(
        sorted(
            ((lang.alpha_2, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2")),
            key=lambda c: c[1],
        )
    )


@cache
def language_codes() -> frozenset[str]:
    return frozenset(code for code, _name in language_choices())


class Gender(models.TextChoices):
    """HTCDS prs_Gender."""

    FEMININE = "Feminine", _("Feminine")
    MASCULINE = "Masculine", _("Masculine")
    TRANSGENDER_FEMININE = "TransgenderFeminine", _("Transgender feminine")
    TRANSGENDER_MASCULINE = "TransgenderMasculine", _("Transgender masculine")
    NON_CONFORMING = "NonConforming", _("Non-conforming")
    NOT_SPECIFIED = "NonSpecifiedUnknown", _("Not specified / unknown")


class CaseStatus(models.TextChoices):
    """Lifecycle of a case; the last four are HTCDS cas_Status values."""

    SCREENING = "screening", _("Screening")
    PENDING_REVIEW = "pending_review", _("Pending review")
    ACTIVE = "active", _("Active")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")
    CLOSED_REFERRED = "closed_referred", _("Closed (referred)")


UNKNOWN_CODE_MESSAGE = _("Unknown code: %(code)s.")


def validate_codes(values: Iterable[str], allowed: frozenset[str]) -> None:
    unknown = sorted({v for v in values if v not in allowed})
    if unknown:
        raise ValidationError(
            UNKNOWN_CODE_MESSAGE, code="unknown_code", params={"code": ", ".join(unknown)}
        )


def validate_country(value: str) -> None:
    validate_codes([value], country_codes())


def validate_countries(values: Iterable[str]) -> None:
    validate_codes(values, country_codes())


def validate_languages(values: Iterable[str]) -> None:
    validate_codes(values, language_codes())
