"""Server-rendered screening pages. Thin: parse input, call one selector or service, render.

Every page works without JavaScript (POST, redirect, GET); htmx requests get the section
fragment instead, so a draft saves without reloading the page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import case_staff_required, central_admin_required
from cases.vocabularies import country_names
from config.errors import ApplicationError
from config.htmx import is_partial_request

from . import services
from .forms import (
    PerpetratorForm,
    ReviewForm,
    ReviewQueueFilterForm,
    SubmitForm,
    YesNoField,
    row_formset,
    section_form_class,
)
from .models import Screening
from .sections import SECTION_KEYS, SECTIONS, SECTIONS_BEFORE_CONSENT, section_of
from .selectors import (
    access_screening_by_id,
    review_queue,
    route_countries,
    saved_sections,
    screening_get,
)

SCREENING_STARTED_MESSAGE = gettext_lazy("Screening started.")
DRAFT_SAVED_MESSAGE = gettext_lazy("Draft saved.")
SUBMITTED_MESSAGE = gettext_lazy("Screening submitted for review.")
APPROVED_MESSAGE = gettext_lazy("Determination approved.")
RETURNED_MESSAGE = gettext_lazy("Determination returned for correction.")
CONTINUE = "continue"
EDITABLE_STATUSES = (Screening.Status.DRAFT, Screening.Status.RETURNED)
COMPUTED_ANSWERS = {
    "person": [
        ("age_at_registration", gettext_lazy("Age at registration")),
        ("minor_at_registration", gettext_lazy("Minor at registration")),
    ],
    "exploitation": [("exploitation_months", gettext_lazy("Duration of exploitation (months)"))],
}


STATE_LABELS = {
    "not_started": gettext_lazy("Not started"),
    "incomplete": gettext_lazy("Incomplete"),
    "complete": gettext_lazy("Complete"),
}


def _section_url(screening: Screening, section: str) -> str:
    return reverse("screening:section", kwargs={"screening_id": screening.pk, "section": section})


def _next_section(section: str) -> str | None:
    index = SECTION_KEYS.index(section)
    return SECTION_KEYS[index + 1] if index + 1 < len(SECTION_KEYS) else None


def _previous_section(section: str) -> str | None:
    index = SECTION_KEYS.index(section)
    return SECTION_KEYS[index - 1] if index > 0 else None


def _has_answer(value: Any) -> bool:
    return value not in (None, "", [])


def _section_states(screening: Screening) -> list[dict[str, Any]]:
    """Navigation A..H: which sections are not started, incomplete or complete."""
    missing = {section_of(field) for field in services.screening_submission_errors(screening)}
    has_rows = {
        "events": screening.events.exists(),
        "perpetrators": screening.perpetrators.exists(),
    }
    saved = saved_sections(screening)
    states = []
    for key, info in SECTIONS.items():
        # An answer Harbour copied in when the screening started (the mission's country, the
        # person's gender...) is not the caseworker's: alone it leaves the section not started.
        started = (
            key in saved
            or any(
                _has_answer(getattr(screening, f))
                for f in info["fields"]
                if f not in services.PREFILLED_FIELDS
            )
            or has_rows.get(info.get("rows", ""), False)
        )
        if key in missing:
            state = "incomplete" if started else "not_started"
        else:
            state = "complete" if started else "not_started"
        states.append(
            {
                "key": key,
                "letter": info["letter"],
                "title": info["title"],
                "state": state,
                "state_label": STATE_LABELS[state],
                "url": _section_url(screening, key),
            }
        )
    return states


def _display(field: forms.Field, value: Any) -> list[str]:
    """An answer as the words a person reads: labels for codes, Yes/No, local dates."""
    if not _has_answer(value):
        return []
    if isinstance(field, YesNoField):
        return [_("Yes") if value else _("No")]
    if isinstance(field, forms.ChoiceField):
        labels = {str(code): label for code, label in field.choices}
        values = value if isinstance(value, list) else [value]
        return [str(labels.get(code, code)) for code in values]
    if isinstance(field, forms.DateField):
        return [date_format(value)]
    return [str(value)]


def _answers(screening: Screening, sections=SECTION_KEYS) -> list[dict[str, Any]]:
    result = []
    for key in sections:
        form_class = section_form_class(key)
        rows = [
            {
                "label": form_class.base_fields[name].label,
                "values": _display(form_class.base_fields[name], getattr(screening, name)),
                "long": name in ("narrative",) or name.startswith("reasoning_"),
            }
            for name in SECTIONS[key]["fields"]
        ]
        for name, label in COMPUTED_ANSWERS.get(key, []):
            value = getattr(screening, name)
            if isinstance(value, bool):
                shown = [_("Yes") if value else _("No")]
            else:
                shown = [str(value)] if value is not None else []
            rows.append({"label": label, "values": shown, "long": False})
        result.append({"key": key, **SECTIONS[key], "answers": rows})
    return result


def _rows_context(screening: Screening) -> dict[str, Any]:
    """The route (ordered countries and its events) and the perpetrators, in words."""
    names = country_names()
    perpetrator_fields = PerpetratorForm.base_fields
    return {
        "route": [(code, names.get(code, code)) for code in route_countries(screening=screening)],
        "events": [
            {"event": event, "country_name": names.get(event.country, event.country)}
            for event in screening.events.all()
        ],
        "perpetrators": [
            {
                name: ", ".join(_display(field, getattr(perpetrator, name)))
                for name, field in perpetrator_fields.items()
            }
            for perpetrator in screening.perpetrators.all()
        ],
    }


def _missing_by_section(screening: Screening, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Submission errors grouped by section, each with a link to its field."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for field, messages_ in errors.items():
        section = section_of(field)
        if section is None:
            continue
        label = section_form_class(section).base_fields[field].label
        groups.setdefault(section, []).append(
            {
                "label": label,
                "messages": messages_,
                "url": f"{_section_url(screening, section)}#field-{field}",
            }
        )
    return [
        {
            "key": key,
            "letter": SECTIONS[key]["letter"],
            "title": SECTIONS[key]["title"],
            "url": _section_url(screening, key),
            "items": groups[key],
        }
        for key in SECTION_KEYS
        if key in groups
    ]


@case_staff_required
@require_POST
def screening_start_view(request: HttpRequest, case_id) -> HttpResponse:
    try:
        screening = services.screening_start(actor=request.user, case_id=case_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("cases:detail", case_id=case_id)
    messages.success(request, SCREENING_STARTED_MESSAGE)
    return redirect(_section_url(screening, SECTION_KEYS[0]))


@case_staff_required
@require_GET
def screening_detail(request: HttpRequest, screening_id) -> HttpResponse:
    screening = screening_get(user=request.user, screening_id=screening_id)
    context = {
        "screening": screening,
        "case": screening.case,
        "sections": _answers(screening),
        "editable": screening.status in EDITABLE_STATUSES,
        **_rows_context(screening),
    }
    return render(request, "screening/screening_detail.html", context)


def _section_context(
    screening: Screening, section: str, form, formset, *, saved: bool = False
) -> dict[str, Any]:
    next_section = _next_section(section)
    previous_section = _previous_section(section)
    return {
        "screening": screening,
        "case": screening.case,
        "section": section,
        "info": SECTIONS[section],
        "form": form,
        "formset": formset,
        "nav": _section_states(screening),
        "saved": saved,
        "editable": screening.status in EDITABLE_STATUSES,
        "consent_blocked": (
            section not in SECTIONS_BEFORE_CONSENT and screening.consent_interview is not True
        ),
        "consent_message": _(services.CONSENT_REQUIRED_MESSAGE),
        "not_editable_message": _(services.NOT_EDITABLE_MESSAGE),
        "action_url": _section_url(screening, section),
        "next_url": _section_url(screening, next_section) if next_section else None,
        "previous_url": _section_url(screening, previous_section) if previous_section else None,
        "submit_url": reverse("screening:submit", kwargs={"screening_id": screening.pk}),
    }


def _render_section(
    request: HttpRequest, screening: Screening, section: str, form, formset, **kwargs
) -> HttpResponse:
    context = _section_context(screening, section, form, formset, **kwargs)
    template = (
        "screening/_section_panel.html"
        if is_partial_request(request)
        else "screening/section_form.html"
    )
    response = render(request, template, context)
    # The same URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _unbound_section(screening: Screening, section: str):
    form = section_form_class(section)(screening=screening)
    kind = SECTIONS[section].get("rows")
    formset = row_formset(kind, screening=screening) if kind else None
    return form, formset


@case_staff_required
@require_http_methods(["GET", "POST"])
def screening_section(request: HttpRequest, screening_id, section: str) -> HttpResponse:
    if section not in SECTIONS:
        raise Http404
    if request.method == "GET":
        screening = screening_get(user=request.user, screening_id=screening_id)
        form, formset = _unbound_section(screening, section)
        return _render_section(request, screening, section, form, formset)

    screening = access_screening_by_id(user=request.user, screening_id=screening_id)
    form = section_form_class(section)(request.POST, screening=screening)
    kind = SECTIONS[section].get("rows")
    formset = row_formset(kind, screening=screening, data=request.POST) if kind else None
    if form.is_valid() and (formset is None or formset.is_valid()):
        try:
            screening = services.screening_section_save(
                actor=request.user,
                screening_id=screening.pk,
                section=section,
                version=form.cleaned_data["version"],
                data=form.answers(),
                rows=formset.rows() if formset is not None else None,
            )
        except ValidationError as exc:
            errors = exc.message_dict
            row_errors = {k: v for k, v in errors.items() if "." in k}
            if row_errors and not (formset and formset.add_row_errors(kind, row_errors)):
                form.add_error(None, [m for v in row_errors.values() for m in v])
            form.add_service_error(
                ValidationError({k: v for k, v in errors.items() if k not in row_errors})
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            return _after_save(request, screening, section)
    return _render_section(request, screening, section, form, formset)


def _after_save(request: HttpRequest, screening: Screening, section: str) -> HttpResponse:
    go_on = request.POST.get("action") == CONTINUE
    target = _next_section(section) if go_on else section
    if target is None:
        url = reverse("screening:submit", kwargs={"screening_id": screening.pk})
    else:
        url = _section_url(screening, target)
    if not is_partial_request(request):
        messages.success(request, DRAFT_SAVED_MESSAGE)
        return redirect(url)
    if target is None:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    if target != section:
        # Opening the next section shows its answers: an audited read, as on a page load.
        screening = screening_get(user=request.user, screening_id=screening.pk)
    form, formset = _unbound_section(screening, target)
    response = _render_section(request, screening, target, form, formset, saved=True)
    if target != section:
        response["HX-Push-Url"] = url
    return response


@case_staff_required
@require_http_methods(["GET", "POST"])
def screening_submit_view(request: HttpRequest, screening_id) -> HttpResponse:
    screening = access_screening_by_id(user=request.user, screening_id=screening_id)
    form = SubmitForm(request.POST or None, initial={"version": screening.version})
    refusal = ""
    if request.method == "POST" and not form.is_valid():
        refusal = _(services.STALE_MESSAGE)
        errors = services.screening_submission_errors(screening)
    elif request.method == "POST":
        try:
            services.screening_submit(
                actor=request.user,
                screening_id=screening.pk,
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            errors = exc.message_dict
        except ApplicationError as exc:
            refusal = exc.message
            errors = services.screening_submission_errors(screening)
        else:
            messages.success(request, SUBMITTED_MESSAGE)
            return redirect(screening.case)
    else:
        errors = services.screening_submission_errors(screening)
    context = {
        "screening": screening,
        "case": screening.case,
        "form": form,
        "refusal": refusal,
        "missing": _missing_by_section(screening, errors),
        "editable": screening.status in EDITABLE_STATUSES,
        "not_editable_message": _(services.NOT_EDITABLE_MESSAGE),
        "nav": _section_states(screening),
        # The read-back: every answer, as the reviewer will read it, before it is sent.
        "sections": _answers(screening),
        **_rows_context(screening),
    }
    return render(request, "screening/submit.html", context)


@central_admin_required
@require_GET
def review_queue_view(request: HttpRequest) -> HttpResponse:
    form = ReviewQueueFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # An invalid filter shows its error and no rows: an unfiltered list would look filtered.
        rows = Screening.objects.none()
    else:
        mission = form.cleaned_data.get("mission") if form.is_bound else None
        rows = review_queue(user=request.user, mission_id=mission.pk if mission else None)
    page = Paginator(rows, settings.HARBOUR_CASE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "screening/review_queue.html", {"form": form, "page_obj": page})


@central_admin_required
@require_http_methods(["GET", "POST"])
def screening_review(request: HttpRequest, screening_id) -> HttpResponse:
    if request.method == "GET":
        screening = screening_get(user=request.user, screening_id=screening_id)
        form = ReviewForm(initial={"version": screening.version})
    else:
        screening = access_screening_by_id(user=request.user, screening_id=screening_id)
        form = ReviewForm(request.POST)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            try:
                services.determination_review(
                    actor=request.user,
                    screening_id=screening.pk,
                    version=form.cleaned_data["version"],
                    approve=approve,
                    comment=form.cleaned_data["comment"],
                )
            except (ValidationError, ApplicationError) as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, APPROVED_MESSAGE if approve else RETURNED_MESSAGE)
                return redirect("screening:review_queue")
    context = {
        "screening": screening,
        "case": screening.case,
        "form": form,
        "reviewable": screening.status == Screening.Status.SUBMITTED,
        "not_reviewable_message": _(services.NOT_SUBMITTED_MESSAGE),
        "sections": _answers(screening),
        **_rows_context(screening),
    }
    return render(request, "screening/review.html", context)
