"""The questions of the Screening Interview Form that apply only after a given answer.

One list, read by the HTML form (shown or hidden as the answer changes, with a hint without
JavaScript), by the screening service (an answer given where it does not apply is refused),
by the XLSForm (``relevant``) and by the import (the same refusal, as a report line), so the
four can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from cases.vocabularies import ExploitationType

from .models import ReferralSource


@dataclass(frozen=True)
class Condition:
    field: str  # the question that applies only sometimes
    depends_on: str  # the question whose answer decides
    value: str  # the answer (or, for a list, one of the answers) that makes it apply
    hint: Promise  # said beside the question on the HTML form
    message: str  # said when it is answered although it does not apply (gettext_noop)

    def applies(self, answer: Any) -> bool:
        if isinstance(answer, list | tuple | set | frozenset):
            return self.value in answer
        return answer == self.value


CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "referring_organisation_type",
        "referral_source",
        ReferralSource.ORGANISATION,
        _("Only when the person was referred by an organisation."),
        gettext_noop("An organisation type applies only to a referral by an organisation."),
    ),
    Condition(
        "labour_industries",
        "exploitation_types",
        ExploitationType.ForcedLabour,
        _("Only when the exploitation includes forced labour."),
        gettext_noop("Industries apply only when the exploitation includes forced labour."),
    ),
    Condition(
        "sexual_exploitation_types",
        "exploitation_types",
        ExploitationType.SexualExploitation,
        _("Only when the exploitation includes sexual exploitation."),
        gettext_noop(
            "Types of sexual exploitation apply only when the exploitation includes sexual "
            "exploitation."
        ),
    ),
)
BY_FIELD: dict[str, Condition] = {c.field: c for c in CONDITIONS}


def _answered(value: Any) -> bool:
    return value not in (None, "", [], ())


def unmet_conditions(answer: Callable[[str], Any], fields: Any = None) -> list[Condition]:
    """The conditions of ``fields`` (all when None) whose question is answered although the
    answer it depends on does not make it apply. ``answer(name)`` gives an answer."""
    return [
        condition
        for condition in CONDITIONS
        if (fields is None or condition.field in fields)
        and _answered(answer(condition.field))
        and not condition.applies(answer(condition.depends_on))
    ]
