import datetime
import io
import random
from collections import defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import Membership, Mission, User
from cases import synthetic
from cases.management.commands import seed_demo
from cases.models import Case, CaseReferenceCounter, Person
from cases.vocabularies import CaseStatus, country_codes, language_codes

pytestmark = pytest.mark.django_db


def _seed(cases: int) -> None:
    call_command("seed_demo", cases=cases, seed=7, force=True, stdout=io.StringIO())


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Mission, User, Membership, Person, Case, CaseReferenceCounter)
    }


def test_seed_twice_creates_nothing_twice():
    _seed(12)
    first = _counts()

    _seed(12)

    assert _counts() == first
    assert first["Case"] == 12


def test_seed_tops_up_to_the_requested_number():
    _seed(5)

    _seed(15)

    assert Case.objects.count() == 15


def test_seed_creates_a_caseworker_for_every_mission():
    _seed(0)

    for profile in synthetic.MISSION_PROFILES:
        user = User.objects.get(email=seed_demo.caseworker_email(profile.code))
        assert user.caseworker_mission_ids == {Mission.objects.get(code=profile.code).pk}


def test_seed_creates_a_central_administrator_and_a_researcher():
    _seed(0)

    admin = User.objects.get(email=seed_demo.ADMIN_EMAIL)
    researcher = User.objects.get(email=seed_demo.RESEARCHER_EMAIL)
    assert (admin.sees_all_missions, researcher.is_researcher) == (True, True)


def test_seeded_users_sign_in_with_the_printed_passwords():
    _seed(0)
    passwords = {
        seed_demo.ADMIN_EMAIL: seed_demo.ADMIN_PASSWORD,
        seed_demo.RESEARCHER_EMAIL: seed_demo.RESEARCHER_PASSWORD,
        **{
            seed_demo.caseworker_email(p.code): seed_demo.CASEWORKER_PASSWORD
            for p in synthetic.MISSION_PROFILES
        },
    }

    assert [
        e for e, pw in passwords.items() if not User.objects.get(email=e).check_password(pw)
    ] == []


def test_seed_prints_where_to_sign_in(capsys):
    call_command("seed_demo", cases=0, force=True)

    assert seed_demo.LOGIN_URL in capsys.readouterr().out


@override_settings(DEBUG=False)
def test_seed_refuses_to_run_with_debug_off_without_force():
    with pytest.raises(CommandError, match=seed_demo.REFUSED_MESSAGE):
        call_command("seed_demo", cases=1)

    assert not Mission.objects.exists()


def test_seeded_references_are_gap_free_and_match_the_counters():
    _seed(40)

    numbers = defaultdict(list)
    for reference, mission_code in Case.objects.values_list("reference", "mission__code"):
        code, year, number = reference.split("-")
        assert code == mission_code
        numbers[(code, int(year))].append(int(number))
    counters = {
        (c.mission.code, c.year): c.last_number
        for c in CaseReferenceCounter.objects.select_related("mission")
    }
    assert {key: sorted(found) for key, found in numbers.items()} == {
        key: list(range(1, last + 1)) for key, last in counters.items()
    }


def test_seeded_cases_hold_valid_codes_and_statuses():
    _seed(30)

    for person in Person.objects.all():
        assert set(person.citizenships) <= country_codes()
        assert set(person.languages) <= language_codes()
    assert set(Case.objects.values_list("status", flat=True)) <= set(CaseStatus.values)


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    profile=st.sampled_from(synthetic.MISSION_PROFILES),
)
def test_synthetic_age_matches_date_of_birth_at_registration(seed, profile):
    rng = random.Random(seed)
    today = datetime.date(2026, 2, 28)
    registered_on = synthetic.registration_date(rng, today=today)

    fields = synthetic.person_fields(rng, profile=profile, registered_on=registered_on)

    dob = fields["date_of_birth"]
    assert registered_on <= today
    if dob is not None:
        before_birthday = (registered_on.month, registered_on.day) < (dob.month, dob.day)
        assert fields["age_at_registration"] == registered_on.year - dob.year - before_birthday
        assert fields["birth_year"] == dob.year
    elif fields["birth_year"] is not None:
        assert fields["age_at_registration"] == registered_on.year - fields["birth_year"]
    else:
        assert fields["age_at_registration"] is None


@pytest.mark.django_db
def test_seed_builds_the_research_mart_so_researchers_find_data():
    from research_exports.mart import mart_current

    _seed(40)
    snapshot = mart_current()
    assert snapshot is not None
    assert snapshot.row_count > 0
    assert snapshot.row_count == snapshot.rows.count()


def test_seed_writes_no_audit_row_for_its_records_and_leaves_the_chain_intact():
    from cases.housekeeping import audit_verify
    from cases.models import AuditAction, AuditEvent

    before = AuditEvent.objects.count()
    out = io.StringIO()
    call_command("seed_demo", cases=40, seed=7, force=True, stdout=out)

    # The mart rebuild, the first research release and the researcher's demo extract are the
    # only audited acts of a seed: no row names a seeded case.
    assert not AuditEvent.objects.filter(case__isnull=False).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        AuditAction.MART_REBUILT,
        AuditAction.RESEARCH_RELEASE_PUBLISHED,
        AuditAction.EXTRACT_REQUESTED,
    } <= actions
    assert actions <= {
        AuditAction.MART_REBUILT,
        AuditAction.RESEARCH_RELEASE_PUBLISHED,
        AuditAction.EXTRACT_REQUESTED,
        AuditAction.EXTRACT_COMPLETED,
    }
    assert AuditEvent.objects.count() - before == len(actions)
    assert "No audit rows written for the synthetic records." in out.getvalue()
    assert audit_verify().problem is None


def test_seeded_identity_is_encrypted_and_blind_indexed_as_a_registration_would_be():
    from cases import crypto

    _seed(30)
    for person in Person.objects.all()[:10]:
        assert person.blind_index == crypto.blind_index(
            given_name=person.given_name,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT given_name FROM cases_person WHERE given_name <> '' LIMIT 5")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored
    assert all(crypto.decrypt(token) for token in stored)
    assert not set(stored) & set(Person.objects.values_list("given_name", flat=True))


@pytest.mark.django_db
def test_seed_publishes_a_first_research_release_once():
    from research_exports.models import ResearchRelease

    _seed(40)
    _seed(40)

    release = ResearchRelease.objects.get()
    assert release.snapshot.row_count > 0


@pytest.mark.django_db
def test_seed_builds_one_demo_extract_that_publishes_most_of_its_cells():
    from research_exports.models import Extract

    _seed(500)
    _seed(500)

    researcher = User.objects.get(email=seed_demo.RESEARCHER_EMAIL)
    extract = Extract.objects.get(requested_by=researcher)
    assert extract.status == Extract.Status.SUCCEEDED
    assert extract.dimensions == seed_demo.DEMO_EXTRACT_DIMENSIONS
    published = [row for row in extract.result["rows"] if row["count"]]
    assert len(published) * 2 > len(extract.result["rows"])
