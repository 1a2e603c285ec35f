"""The sections of the case page, read together.

Each app that shows something on the case page registers a section (in its ``AppConfig.ready``):
the querysets it reads for a case the user may see, and how it turns their rows into what its
template shows. ``case_sections_read`` runs every section's querysets in one SQL statement
(``config.querybatch``), so the page costs the same few queries whatever the case holds, and
``cases`` needs no import of the apps above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from config.querybatch import fetch_together

from .forms import ClosureRequestForm, ReopenForm
from .models import Case
from .selectors import closure_panel_build


@dataclass(frozen=True)
class CaseSection:
    name: str
    # (case, user) -> {key: queryset}; ``case`` comes from a scoped read.
    querysets: Callable[..., dict[str, QuerySet]]
    # (case, user, rows) -> the section's template context.
    build: Callable[..., dict[str, Any]]


_SECTIONS: dict[str, CaseSection] = {}


def case_section_register(section: CaseSection) -> None:
    _SECTIONS[section.name] = section


def case_sections_read(*, case: Case, user) -> dict[str, dict[str, Any]]:
    """Every registered section of ``case`` (already read in scope) for ``user``."""
    wanted: dict[str, QuerySet] = {}
    for section in _SECTIONS.values():
        for key, queryset in section.querysets(case=case, user=user).items():
            wanted[f"{section.name}:{key}"] = queryset
    rows = fetch_together(wanted)
    sections = {}
    for section in _SECTIONS.values():
        prefix = f"{section.name}:"
        mine = {
            name.removeprefix(prefix): found
            for name, found in rows.items()
            if name.startswith(prefix)
        }
        sections[section.name] = section.build(case=case, user=user, rows=mine)
    return sections


def closure_section_build(*, case: Case, user, rows: dict[str, list]) -> dict[str, Any]:
    """The closure panel of ``case`` for ``user``, with its unbound forms."""
    panel = closure_panel_build(case=case, user=user, rows=rows)
    initial = {"version": case.version}
    panel["request_form"] = ClosureRequestForm(initial=initial) if panel["can_request"] else None
    panel["reopen_form"] = ReopenForm(initial=initial) if panel["can_reopen"] else None
    return panel
