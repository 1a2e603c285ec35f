"""Re-trafficking: linking cases of the same person, and the flag they carry."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cases.models import AuditAction, AuditEvent, Case, CaseLink
from cases.services import case_create, case_mark_retrafficked, case_update
from tests import factories

pytestmark = pytest.mark.django_db

BORN = datetime.date(1995, 3, 4)


def person(**overrides) -> dict:
    return {
        "given_name": "Sita",
        "family_name": "Gurung",
        "date_of_birth": BORN,
        "gender": "Feminine",
        **overrides,
    }


def register(actor, mission, **overrides) -> Case:
    return case_create(actor=actor, mission=mission, person=person(**overrides))


# case_mark_retrafficked


def test_mark_retrafficked_sets_the_flag_and_audits_the_source_code(case_a):
    case_mark_retrafficked(actor=None, case=case_a, source="monitoring_visit")

    case_a.refresh_from_db()
    event = AuditEvent.objects.get(action=AuditAction.CASE_RETRAFFICKING_FLAGGED)
    assert (case_a.retrafficked, event.case_id, event.detail) == (
        True,
        case_a.pk,
        {"source": "monitoring_visit"},
    )


def test_mark_retrafficked_is_idempotent_and_audited_once(case_a):
    version = case_a.version

    case_mark_retrafficked(actor=None, case=case_a, source="monitoring_visit")
    case_mark_retrafficked(actor=None, case=case_a, source="case_link")

    case_a.refresh_from_db()
    flagged = AuditEvent.objects.filter(action=AuditAction.CASE_RETRAFFICKING_FLAGGED)
    assert (flagged.count(), case_a.retrafficked, case_a.version) == (1, True, version)


# Linking on registration


def test_registering_the_same_person_in_another_mission_links_and_flags_both(
    caseworker_a, caseworker_b, mission_a, mission_b
):
    earlier = register(caseworker_a, mission_a)

    later = register(caseworker_b, mission_b)

    link = CaseLink.objects.get()
    flags = set(Case.objects.filter(retrafficked=True).values_list("pk", flat=True))
    assert (link.earlier_case_id, link.later_case_id, flags) == (
        earlier.pk,
        later.pk,
        {earlier.pk, later.pk},
    )


def test_link_audit_holds_ids_only_and_no_actor(caseworker_a, caseworker_b, mission_a, mission_b):
    earlier = register(caseworker_a, mission_a)
    later = register(caseworker_b, mission_b)

    event = AuditEvent.objects.get(action=AuditAction.CASES_LINKED)
    assert (event.actor_id, event.case_id, event.detail) == (
        None,
        later.pk,
        {"earlier_case": str(earlier.pk), "later_case": str(later.pk)},
    )


def test_a_different_person_is_not_linked(caseworker_a, mission_a):
    register(caseworker_a, mission_a)

    register(caseworker_a, mission_a, given_name="Gita")

    assert (CaseLink.objects.count(), Case.objects.filter(retrafficked=True).count()) == (0, 0)


def test_names_without_a_date_of_birth_are_not_enough_to_link(caseworker_a, mission_a):
    register(caseworker_a, mission_a, date_of_birth=None)

    register(caseworker_a, mission_a, date_of_birth=None)

    assert CaseLink.objects.count() == 0


def test_correcting_a_name_links_to_the_earlier_case(caseworker_a, mission_a):
    earlier = register(caseworker_a, mission_a)
    later = register(caseworker_a, mission_a, given_name="Sitta")

    case_update(
        actor=caseworker_a, case_id=later.pk, version=later.version, data={"given_name": "Sita"}
    )

    link = CaseLink.objects.get()
    assert (link.earlier_case_id, link.later_case_id) == (earlier.pk, later.pk)


def test_registering_a_third_time_links_to_each_earlier_case_once(caseworker_a, mission_a):
    register(caseworker_a, mission_a)
    register(caseworker_a, mission_a)

    register(caseworker_a, mission_a)

    assert CaseLink.objects.count() == 3


# Who sees it


def test_the_registering_caseworker_learns_nothing_of_the_other_missions_case(
    client_for, caseworker_a, caseworker_b, mission_a, mission_b
):
    earlier = register(caseworker_a, mission_a)
    later = register(caseworker_b, mission_b)

    html = client_for(caseworker_b).get(reverse("cases:detail", args=[later.pk])).content.decode()

    assert earlier.reference not in html
    assert "Linked cases" not in html
    assert "Re-trafficking" not in html


def test_the_earlier_missions_case_shows_no_change_to_its_caseworker(
    caseworker_a, caseworker_b, mission_a, mission_b
):
    earlier = register(caseworker_a, mission_a)
    earlier.refresh_from_db()
    seen = (earlier.updated_at, earlier.version)

    register(caseworker_b, mission_b)

    earlier.refresh_from_db()
    # "Last changed" and the version are on the case page and in the API.
    assert (earlier.retrafficked, (earlier.updated_at, earlier.version)) == (True, seen)


def test_central_admin_sees_the_linked_case_on_the_case_page(
    client_for, caseworker_a, caseworker_b, mission_a, mission_b, central_admin
):
    earlier = register(caseworker_a, mission_a)
    later = register(caseworker_b, mission_b)

    html = client_for(central_admin).get(reverse("cases:detail", args=[later.pk])).content.decode()

    assert reverse("cases:detail", args=[earlier.pk]) in html


def test_retrafficking_filter_lists_flagged_cases_for_central_admins(
    client_for, central_admin, mission_a
):
    flagged = factories.CaseFactory(mission=mission_a, retrafficked=True)
    other = factories.CaseFactory(mission=mission_a)

    html = client_for(central_admin).get(reverse("cases:list"), {"retrafficked": "true"})
    body = html.content.decode()

    assert flagged.reference in body
    assert other.reference not in body


def test_retrafficking_filter_does_not_exist_for_caseworkers(client_for, caseworker_a, mission_a):
    factories.CaseFactory(mission=mission_a, retrafficked=True)
    unflagged = factories.CaseFactory(mission=mission_a)

    response = client_for(caseworker_a).get(reverse("cases:list"), {"retrafficked": "true"})

    # Ignored: the unflagged case is still listed, so the filter reveals nothing.
    assert unflagged.reference in response.content.decode()
    assert 'name="retrafficked"' not in response.content.decode()


def test_retrafficking_filter_is_ignored_in_the_api_for_caseworkers(
    client_for, caseworker_a, mission_a
):
    factories.CaseFactory(mission=mission_a, retrafficked=True)
    factories.CaseFactory(mission=mission_a)

    response = client_for(caseworker_a).get(
        reverse("cases_api:case_collection"), {"retrafficked": "true"}
    )

    assert response.json()["count"] == 2
