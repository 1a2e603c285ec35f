"""Field errors that services collect before raising them together as one ValidationError.

Shared by the apps whose services validate a whole form's answers at once (assistance,
reintegration), so each does not keep its own copy.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config.errors import ApplicationError

DATE_IN_FUTURE_MESSAGE = gettext_noop("This date is in the future.")
UNKNOWN_ANSWERS_MESSAGE = gettext_noop("These answers do not belong to this form.")


def error_add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(_(message))


def error_if_in_future(errors: dict[str, list[str]], field: str, value: Any) -> None:
    if isinstance(value, datetime.date) and value > timezone.localdate():
        error_add(errors, field, DATE_IN_FUTURE_MESSAGE)


def refuse_unknown_fields(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Answers the form does not have are refused as a whole, naming them."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ApplicationError(_(UNKNOWN_ANSWERS_MESSAGE), errors={f: [] for f in unknown})
