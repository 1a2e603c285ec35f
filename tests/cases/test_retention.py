"""Removing identities after the retention period: what goes, what stays, who is untouched."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cases.models import PERSON_IDENTITY_FIELDS, AuditAction, AuditEvent, Case, Person
from cases.retention import case_owned_text, identity_removal_due, identity_remove_expired
from research_exports import mart
from research_exports.models import MartSnapshot
from tests import factories

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)
NEXT_YEAR = timezone.localdate() + datetime.timedelta(days=365)


def case_with_records(mission, **case_fields) -> Case:
    """A case with free text in a screening, a route, assistance, movement and closure."""
    case = factories.ClosedCaseFactory(mission=mission, **case_fields)
    screening = factories.ApprovedScreeningFactory(
        case=case,
        consent_research=True,
        narrative="Taken across the border at night.",
        reasoning_act="Recruited with a false job offer.",
        review_comment="Clear.",
        interview_locality="Biratnagar",
    )
    factories.TraffickingEventFactory(screening=screening, locality="Pokhara")
    factories.AssistanceInterviewFactory(
        case=case, health_notes="Needs follow-up.", wish_notes="Go home."
    )
    factories.AssistanceServiceFactory(case=case, notes="Clinic visit.")
    factories.ReferralFactory(case=case, details="Shelter referral.")
    factories.MovementLegFactory(
        movement=factories.MovementFactory(case=case), from_place="Bangkok", to_place="Kathmandu"
    )
    factories.CaseClosureRequestFactory(
        case=case, status="approved", comment="Reintegrated.", decided_by=None
    )
    return case


def snapshot(case: Case) -> dict[str, list[dict]]:
    """Every row of the case, of every model that hangs off it, as stored values."""
    rows = {
        "cases.case": list(Case.objects.filter(pk=case.pk).values()),
        "cases.person": list(Person.objects.filter(pk=case.person_id).values()),
    }
    for item in case_owned_text():
        rows[item.model._meta.label_lower] = sorted(
            item.model._default_manager.filter(**{item.case_lookup: case.pk}).values(),
            key=lambda row: str(row["id"]),
        )
    return rows


def cleared(before: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """What ``before`` should become: encrypted fields empty, every other value the same."""
    owned = {item.model._meta.label_lower: item for item in case_owned_text()}
    after = {}
    for label, rows in before.items():
        item = owned.get(label)
        after[label] = [
            {
                key: (
                    item.model._meta.get_field(key).get_default()
                    if item is not None and key in item.fields
                    else value
                )
                for key, value in row.items()
            }
            for row in rows
        ]
    return after


@pytest.fixture
def due(mission_a):
    return case_with_records(mission_a, identity_removal_due_on=YESTERDAY)


@pytest.fixture
def not_due(mission_a):
    return case_with_records(mission_a, identity_removal_due_on=NEXT_YEAR)


def test_discovery_finds_the_free_text_of_every_app():
    labels = {item.model._meta.label_lower for item in case_owned_text()}

    assert {
        "screening.screening",
        "screening.traffickingevent",
        "assistance.assistanceinterview",
        "assistance.supportplan",
        "assistance.assistanceservice",
        "assistance.referral",
        "assistance.movementleg",
        "cases.caseclosurerequest",
        "cases.casereopening",
    } <= labels
    assert "cases.person" not in labels


def test_due_lists_only_cases_past_their_date_with_identity(due, not_due, mission_a):
    factories.ClosedCaseFactory(
        mission=mission_a,
        identity_removal_due_on=YESTERDAY,
        person=factories.PersonFactory(identity_removed_at=timezone.now()),
    )

    assert list(identity_removal_due().values_list("pk", flat=True)) == [due.pk]


def test_removal_clears_identity_and_keeps_coded_fields(due):
    person_before = Person.objects.values().get(pk=due.person_id)

    identity_remove_expired()

    person = Person.objects.get(pk=due.person_id)
    assert [getattr(person, name) for name in PERSON_IDENTITY_FIELDS] == [
        "",
        "",
        [],
        None,
        [],
        "",
        "",
    ]
    assert (person.blind_index, person.identity_removed_at is not None) == ("", True)
    coded = ("gender", "birth_year", "age_at_registration", "citizenships", "languages")
    assert {name: getattr(person, name) for name in coded} == {
        name: person_before[name] for name in coded
    }


def test_removal_clears_free_text_and_nothing_else_of_the_case(due):
    before = snapshot(due)

    identity_remove_expired()

    after = snapshot(due)
    expected = cleared(before)
    expected["cases.person"] = after["cases.person"]  # checked in the test above
    assert after == expected


def test_removal_leaves_every_other_case_untouched(due, not_due, case_a):
    others = {case.pk: snapshot(case) for case in (not_due, case_a)}

    identity_remove_expired(batch_size=1)

    assert {case.pk: snapshot(case) for case in (not_due, case_a)} == others


def test_removal_is_audited_once_per_case_with_no_actor_and_ids_only(due):
    identity_remove_expired()
    identity_remove_expired()

    event = AuditEvent.objects.get(action=AuditAction.IDENTITY_REMOVED)
    assert (event.actor_id, event.case_id, sorted(event.detail)) == (None, due.pk, ["models"])


def test_removal_is_idempotent(due, mission_a):
    case_with_records(mission_a, identity_removal_due_on=YESTERDAY)

    first = identity_remove_expired(batch_size=1)
    state = snapshot(due)
    second = identity_remove_expired()

    assert (first, second, snapshot(due)) == (2, 0, state)


def test_case_stays_counted_in_the_research_mart(due):
    before = mart.mart_rebuild(source=MartSnapshot.Source.SCHEDULE).row_count

    identity_remove_expired()

    after = mart.mart_rebuild(source=MartSnapshot.Source.SCHEDULE).row_count
    assert (before, after) == (1, 1)


def test_command_lists_references_without_names_and_removes_nothing(due):
    out = StringIO()

    call_command("remove_expired_identities", stdout=out)

    due.person.refresh_from_db()
    assert due.reference in out.getvalue()
    assert due.person.given_name not in out.getvalue()
    assert due.person.identity_removed_at is None


def test_command_apply_removes(due):
    out = StringIO()

    call_command("remove_expired_identities", "--apply", "--batch-size", "10", stdout=out)

    due.person.refresh_from_db()
    assert due.person.identity_removed_at is not None
    assert "Removed the identity of 1 case(s)." in out.getvalue()


def test_command_refuses_a_bad_batch_size():
    with pytest.raises(CommandError):
        call_command("remove_expired_identities", "--batch-size", "0")
