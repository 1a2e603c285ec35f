import datetime
import json

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from cases import crypto
from cases.models import AuditAction, AuditEvent, Person
from cases.services import case_create
from tests import factories

pytestmark = pytest.mark.django_db

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
DOB = datetime.date(1994, 3, 17)
IDENTITY = {
    "given_name": "Zephyrine",
    "family_name": "Quillfeather",
    "aliases": ["Zephy"],
    "date_of_birth": DOB,
    "identity_documents": ["PX9931177"],
    "phone": "+977 9812345678",
    "address": "Ward 7, Pokhara",
}
PLAINTEXTS = (
    "Zephyrine",
    "Quillfeather",
    "Zephy",
    "1994-03-17",
    "PX9931177",
    "9812345678",
    "Pokhara",
)
ENCRYPTED_COLUMNS = (
    "given_name",
    "family_name",
    "aliases",
    "date_of_birth",
    "identity_documents",
    "phone",
    "address",
)


def _raw_columns(person_id) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(ENCRYPTED_COLUMNS)} FROM cases_person WHERE id = %s",  # noqa: S608
            [person_id],
        )
        return dict(zip(ENCRYPTED_COLUMNS, cursor.fetchone(), strict=True))


def test_identity_columns_hold_no_plaintext(caseworker_a, mission_a):
    case = case_create(
        actor=caseworker_a, mission=mission_a, person={**IDENTITY, "gender": "Feminine"}
    )

    raw = _raw_columns(case.person_id)

    assert all(raw.values())
    assert not [p for p in PLAINTEXTS for value in raw.values() if p in value]


def test_identity_columns_decrypt_back_to_the_values(caseworker_a, mission_a):
    case = case_create(
        actor=caseworker_a, mission=mission_a, person={**IDENTITY, "gender": "Feminine"}
    )

    person = Person.objects.get(pk=case.person_id)

    assert {field: getattr(person, field) for field in IDENTITY} == IDENTITY


def test_blind_index_ignores_case_accents_and_spacing():
    assert crypto.blind_index(
        given_name="José  Luis", family_name="García", date_of_birth=DOB
    ) == crypto.blind_index(given_name="jose luis", family_name=" GARCIA", date_of_birth=DOB)


def test_blind_index_differs_for_a_different_date_of_birth():
    assert crypto.blind_index(
        given_name="José", family_name="García", date_of_birth=DOB
    ) != crypto.blind_index(
        given_name="José", family_name="García", date_of_birth=DOB + datetime.timedelta(days=1)
    )


def test_case_create_stores_equal_blind_index_for_the_same_person_spelt_differently(
    caseworker_a, mission_a
):
    first = case_create(
        actor=caseworker_a,
        mission=mission_a,
        person={"given_name": "José  García", "gender": "Masculine", "date_of_birth": DOB},
    )
    second = case_create(
        actor=caseworker_a,
        mission=mission_a,
        person={"given_name": "jose garcia", "gender": "Masculine", "date_of_birth": DOB},
    )

    assert first.person.blind_index == second.person.blind_index


@pytest.fixture
def persons_under_key_a():
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        return [factories.PersonFactory(**IDENTITY) for _ in range(3)]


def test_rotation_makes_every_value_readable_with_the_new_key_alone(persons_under_key_a):
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        call_command("rotate_encryption_keys", batch_size=2)

    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):
        persons = list(Person.objects.filter(pk__in=[p.pk for p in persons_under_key_a]))

    assert [{f: getattr(p, f) for f in IDENTITY} for p in persons] == [IDENTITY] * 3


def test_rotation_leaves_nothing_readable_with_the_old_key_alone(persons_under_key_a):
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        call_command("rotate_encryption_keys")

    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]), pytest.raises(ImproperlyConfigured):
        crypto.decrypt(_raw_columns(persons_under_key_a[0].pk)["given_name"])


def test_rotation_is_audited_once_with_counts_only(persons_under_key_a):
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        call_command("rotate_encryption_keys", batch_size=2)

    event = AuditEvent.objects.get(action=AuditAction.ENCRYPTION_KEYS_ROTATED)
    assert (event.detail["rows"], event.detail["values"]) == (3, 21)
    assert event.detail["models"]["cases.person"] == 3


# Batch encryption (bulk loads)

BATCH = ["Zephyrine", "", "Ward 7, Pokhara — नेपाल", "x" * 16, "Zephyrine"]


def test_batch_tokens_are_fernet_tokens_of_the_first_key():
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A, KEY_B]):
        tokens = crypto.encrypt_many(BATCH)

    assert [Fernet(KEY_A.encode()).decrypt(t.encode()).decode() for t in tokens] == BATCH
    with pytest.raises(InvalidToken):
        Fernet(KEY_B.encode()).decrypt(tokens[0].encode())


def test_batch_tokens_of_equal_plaintexts_differ():
    tokens = crypto.encrypt_many(BATCH)

    assert tokens[0] != tokens[4]
    assert len({t[:57] for t in tokens}) == len(tokens)  # header and IV: a fresh IV each


def test_batch_prep_matches_what_save_stores():
    field = Person._meta.get_field("aliases")
    values = [["Zephy", "Z"], [], None, ["  "]]

    prepared = field.get_prep_values(values)

    assert prepared[1:] == [field.get_prep_value(v) for v in values[1:]]
    assert json.loads(crypto.decrypt(prepared[0])) == ["Zephy", "Z"]
