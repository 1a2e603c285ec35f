"""Every URL of the project, checked against a declared role × outcome matrix.

A URL pattern that is not declared here fails ``test_every_url_is_declared``: adding a URL
means deciding, here, who may reach it. Case-scoped URLs are requested for a case of mission A;
the caseworker of mission B ("other") must get the same 404 as for a missing case, and so must
the researcher.
"""

from __future__ import annotations

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from research_exports.extracts import extract_path
from research_exports.models import Extract
from screening import services as screening_services
from tests import factories
from tests.matrix import PARTS
from tests.matrix.roles import (
    ADMIN_CASE_SCOPED,
    ADMIN_ONLY,
    ADMIN_ONLY_POST,
    API_ADMIN_ONLY,
    API_ADMIN_ONLY_POST,
    API_CASE_SCOPED,
    API_CASE_SCOPED_POST,
    API_CASE_WORK,
    API_RESEARCH,
    API_RESEARCH_POST,
    CASE_SCOPED,
    CASE_SCOPED_POST,
    CASE_WORK,
    HOME,
    LOGIN,
    RESEARCH,
    RESEARCH_POST,
    SIGNED_IN,
    _row,
)

MISSING_UUID = uuid.UUID(int=0)
MISSING_INT = 2**31 - 1

# URL name -> (expected GET outcome per role, the kwargs it needs)
MATRIX: dict[str, tuple[dict, tuple[str, ...]]] = {
    "dashboard": (SIGNED_IN, ()),
    "healthz": (_row(200), ()),
    "accounts:login": (_row(HOME, anonymous=200), ()),
    "accounts:logout": (_row(405), ()),
    "accounts:user_list": (ADMIN_ONLY, ()),
    "accounts:user_create": (ADMIN_ONLY, ()),
    "accounts:user_edit": (ADMIN_ONLY, ("user_id",)),
    "accounts:membership_add": (ADMIN_ONLY_POST, ("user_id",)),
    "accounts:membership_remove": (ADMIN_ONLY, ("user_id", "membership_id")),
    "accounts:mission_list": (ADMIN_ONLY, ()),
    "accounts:mission_create": (ADMIN_ONLY, ()),
    "accounts:mission_edit": (ADMIN_ONLY, ("mission_id",)),
    "cases:list": (CASE_WORK, ()),
    "cases:create": (CASE_WORK, ()),
    "cases:audit": (ADMIN_ONLY, ()),
    "cases:detail": (CASE_SCOPED, ("case_id",)),
    "cases:edit": (CASE_SCOPED, ("case_id",)),
    "screening:start": (CASE_SCOPED_POST, ("case_id",)),
    "screening:review_queue": (ADMIN_ONLY, ()),
    "screening:detail": (CASE_SCOPED, ("screening_id",)),
    "screening:section": (CASE_SCOPED, ("screening_id", "section")),
    "screening:submit": (CASE_SCOPED, ("screening_id",)),
    "screening:review": (ADMIN_CASE_SCOPED, ("screening_id",)),
    "api_token_obtain": (_row(405), ()),
    "cases_api:case_collection": (API_CASE_WORK, ()),
    "cases_api:case_item": (API_CASE_SCOPED, ("case_id",)),
    "screening_api:case_screenings": (API_CASE_SCOPED, ("case_id",)),
    "screening_api:review_queue": (API_ADMIN_ONLY, ()),
    "screening_api:detail": (API_CASE_SCOPED, ("screening_id",)),
    "screening_api:section_save": (API_CASE_SCOPED_POST, ("screening_id", "section")),
    "screening_api:submit": (API_CASE_SCOPED_POST, ("screening_id",)),
    "screening_api:review": (API_ADMIN_ONLY_POST, ("screening_id",)),
    "assistance_api:case_interviews": (API_CASE_SCOPED, ("case_id",)),
    "assistance_api:interview": (API_CASE_SCOPED, ("interview_id",)),
    "assistance_api:case_services": (API_CASE_SCOPED, ("case_id",)),
    "assistance_api:service": (API_CASE_SCOPED_POST, ("service_id",)),
    "assistance_api:case_referrals": (API_CASE_SCOPED, ("case_id",)),
    "assistance_api:case_movements": (API_CASE_SCOPED, ("case_id",)),
    "assistance_api:movement": (API_CASE_SCOPED, ("movement_id",)),
    "assistance_api:movement_assess": (API_CASE_SCOPED_POST, ("movement_id",)),
    "assistance_api:movement_transition": (API_CASE_SCOPED_POST, ("movement_id",)),
    "assistance_api:support_plan": (API_CASE_SCOPED, ("case_id",)),
    "assistance_api:case_access_grants": (API_ADMIN_ONLY_POST, ("case_id",)),
    "research:catalogue": (RESEARCH, ()),
    "research:extract_list": (RESEARCH, ()),
    "research:extract_new": (RESEARCH, ()),
    "research:extract_detail": (RESEARCH, ("extract_id",)),
    "research:extract_progress": (RESEARCH, ("extract_id",)),
    "research:extract_retry": (RESEARCH_POST, ("extract_id",)),
    "research:extract_download": (RESEARCH, ("extract_id",)),
    "research:mart": (ADMIN_ONLY, ()),
    "research_api:variables": (API_RESEARCH, ()),
    "research_api:extract_collection": (API_RESEARCH, ()),
    "research_api:extract": (API_RESEARCH, ("extract_id",)),
    "research_api:extract_retry": (API_RESEARCH_POST, ("extract_id",)),
    "research_api:extract_download": (API_RESEARCH, ("extract_id",)),
    "research_api:mart": (API_ADMIN_ONLY, ()),
    "api_schema": (_row(200, anonymous=403), ()),
    "api_docs": (SIGNED_IN, ()),
}
for _part in PARTS:
    MATRIX.update(_part.ROWS)

# Django's admin: staff only (the superuser here); everyone else is sent to its own login.
DJANGO_ADMIN_PREFIX = "admin/"
DJANGO_ADMIN = _row(302, superuser=200)

# Case-scoped URLs that change data: a POST by another mission's caseworker or a researcher
# must be the same 404 as for a missing case, before any validation happens.
CASE_SCOPED_WRITES = [
    "cases:edit",
    "screening:start",
    "screening:section",
    "screening:submit",
    "cases_api:case_item",
    "screening_api:case_screenings",
    "screening_api:section_save",
    "screening_api:submit",
    "assistance_api:case_interviews",
    "assistance_api:interview",
    "assistance_api:case_services",
    "assistance_api:service",
    "assistance_api:case_referrals",
    "assistance_api:case_movements",
    "assistance_api:movement_assess",
    "assistance_api:movement_transition",
    "assistance_api:support_plan",
    "assistance_api:case_access_grants",
]
for _part in PARTS:
    CASE_SCOPED_WRITES.extend(_part.SCOPED_WRITES)


def _iter_patterns(entries, prefix="", namespace=None):
    for entry in entries:
        if isinstance(entry, URLResolver):
            full_ns = ":".join(p for p in (namespace, entry.namespace) if p) or None
            yield from _iter_patterns(entry.url_patterns, prefix + str(entry.pattern), full_ns)
        elif isinstance(entry, URLPattern):
            name = entry.name
            qualified = f"{namespace}:{name}" if namespace and name else name
            yield qualified, prefix + str(entry.pattern)


def all_url_patterns() -> list[tuple[str | None, str]]:
    return list(_iter_patterns(get_resolver().url_patterns))


def test_every_url_is_declared():
    undeclared = [
        (name, route)
        for name, route in all_url_patterns()
        if not route.startswith(DJANGO_ADMIN_PREFIX) and name not in MATRIX
    ]
    assert undeclared == []


def test_matrix_has_no_stale_entries():
    names = {name for name, _route in all_url_patterns()}
    assert sorted(set(MATRIX) - names) == []


@pytest.fixture
def world(
    mission_a,
    mission_b,
    caseworker_a,
    caseworker_b,
    central_admin,
    researcher,
    superuser,
    settings,
    tmp_path,
):
    case = factories.CaseFactory(mission=mission_a, assigned_to=caseworker_a)
    # The researcher's own extract, ready, with its file, so every research URL can answer 200.
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    extract = factories.ExtractFactory(
        requested_by=researcher,
        status=Extract.Status.SUCCEEDED,
        result={
            "dimensions": ["gender"],
            "rows": [{"values": ["Woman"], "count": 120}],
            "row_totals": [],
            "column_totals": [],
            "grand_total": 120,
        },
    )
    extract_path(extract=extract).write_bytes(b"PK")
    screening = screening_services.screening_start(actor=caseworker_a, case_id=case.pk)
    membership = caseworker_a.memberships.get()
    # Assistance records hang off the same case; factories skip the active-case rule, which
    # only matters to writes.
    interview = factories.AssistanceInterviewFactory(case=case, created_by=caseworker_a)
    service = factories.AssistanceServiceFactory(case=case, created_by=caseworker_a)
    movement = factories.MovementFactory(case=case, created_by=caseworker_a)
    factories.SupportPlanFactory(case=case, created_by=caseworker_a)
    users = {
        "anonymous": None,
        "caseworker": caseworker_a,
        "other": caseworker_b,
        "central_admin": central_admin,
        "researcher": researcher,
        "superuser": superuser,
    }
    kwargs = {
        "case_id": case.pk,
        "screening_id": screening.pk,
        "section": "interview",
        "user_id": caseworker_a.pk,
        "membership_id": membership.pk,
        "mission_id": mission_a.pk,
        "extract_id": extract.pk,
        "interview_id": interview.pk,
        "service_id": service.pk,
        "movement_id": movement.pk,
    }
    for part in PARTS:
        kwargs.update(part.world(case=case, users=users))
    return {"users": users, "kwargs": kwargs}


def _outcome(response) -> int | str:
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("accounts:login")):
            return LOGIN
        if location == reverse("dashboard"):
            return HOME
        if location.startswith("/admin/login/"):
            return 302
        return f"302 {location}"
    return response.status_code


def _url(name: str, world) -> str:
    _expected, needs = MATRIX[name]
    return reverse(name, kwargs={key: world["kwargs"][key] for key in needs})


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_get_outcome_per_role(name, world, client_for):
    expected, _needs = MATRIX[name]
    url = _url(name, world)
    observed = {role: _outcome(client_for(user).get(url)) for role, user in world["users"].items()}
    assert observed == expected


@pytest.mark.django_db
def test_django_admin_is_for_staff_only(world, client_for):
    observed = {
        role: _outcome(client_for(user).get("/admin/")) for role, user in world["users"].items()
    }
    assert observed == DJANGO_ADMIN


@pytest.mark.django_db
@pytest.mark.parametrize("name", CASE_SCOPED_WRITES)
@pytest.mark.parametrize("role", ["other", "researcher"])
def test_out_of_scope_writes_get_the_missing_case_404(name, role, world, client_for):
    client = client_for(world["users"][role])
    url = _url(name, world)
    # Every record id is swapped for one that does not exist.
    missing = {
        key: (MISSING_UUID if isinstance(value, uuid.UUID) else MISSING_INT)
        if key.endswith("_id")
        else value
        for key, value in world["kwargs"].items()
    }
    _expected, needs = MATRIX[name]
    missing_url = reverse(name, kwargs={key: missing[key] for key in needs})
    for method in ("post", "patch"):
        response = getattr(client, method)(url, {}, content_type="application/json")
        if response.status_code == 405:
            continue
        assert response.status_code == 404
        assert (
            response.content
            == getattr(client, method)(missing_url, {}, content_type="application/json").content
        )


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["cases:list", "cases_api:case_collection"])
def test_lists_never_include_another_missions_case(name, world, client_for, mission_b):
    other_case = factories.CaseFactory(mission=mission_b)
    client = client_for(world["users"]["caseworker"])
    body = client.get(reverse(name)).content.decode()
    assert other_case.reference not in body
