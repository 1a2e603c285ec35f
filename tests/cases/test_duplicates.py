"""The likely existing persons shown before a new case is registered (issue 15 §2)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cases import duplicates
from cases.duplicates import likely_duplicates
from cases.models import Case
from cases.services import case_create
from cases.vocabularies import Gender
from tests.cases.test_views import create_data

pytestmark = pytest.mark.django_db

CREATE_URL = reverse("cases:create")
BORN = datetime.date(1998, 3, 4)


@pytest.fixture
def existing(caseworker_a, mission_a):
    return case_create(
        actor=caseworker_a,
        mission=mission_a,
        person={
            "given_name": "Fatima",
            "family_name": "Rahman",
            "date_of_birth": BORN,
            "citizenships": ["BGD"],
            "phone": "+880 1711 555 0100",
            "gender": Gender.FEMININE,
        },
    )


def _find(user, **identity):
    identity.setdefault("date_of_birth", None)
    return likely_duplicates(user=user, **identity)


@pytest.mark.parametrize(
    ("identity", "reasons"),
    [
        (
            {"given_name": "Fatma", "family_name": "Rahmen", "date_of_birth": BORN.replace(day=5)},
            [duplicates.SIMILAR_NAME, duplicates.BIRTH_WITHIN_A_YEAR],
        ),
        (
            {"given_name": "Rahman", "family_name": "Fatima", "date_of_birth": BORN},
            [duplicates.SAME_NAME, duplicates.SAME_BIRTH_DATE],
        ),
        (
            {"given_name": "FATIMA", "family_name": "rahman", "birth_year": 1999},
            [duplicates.SAME_NAME, duplicates.BIRTH_WITHIN_A_YEAR],
        ),
        (
            {"given_name": "Fatima", "family_name": "Rahman", "phone": "+880 1711 555 0100"},
            [duplicates.SAME_NAME, duplicates.SAME_PHONE],
        ),
    ],
    ids=["spelling-and-a-day-off", "swapped-names", "birth-year-only", "phone"],
)
def test_a_likely_duplicate_is_found_with_its_reasons(existing, caseworker_a, identity, reasons):
    found = _find(caseworker_a, citizenships=["BGD"], **identity)
    assert [match.case for match in found] == [existing]
    assert found[0].reasons == [*reasons, duplicates.SAME_CITIZENSHIP]


@pytest.mark.parametrize(
    "identity",
    [
        {"given_name": "John", "family_name": "Smith", "date_of_birth": BORN},
        # A name alone is too common to warn about.
        {"given_name": "Fatima", "family_name": "Rahman"},
        {"given_name": "Fatima", "family_name": "Rahman", "birth_year": 1985},
        {"given_name": "Fatima", "family_name": "Okello", "date_of_birth": BORN},
        {"given_name": "", "family_name": "", "date_of_birth": BORN},
    ],
)
def test_someone_else_is_no_duplicate(existing, caseworker_a, identity):
    assert _find(caseworker_a, **identity) == []


def test_a_case_out_of_scope_is_never_shown(existing, caseworker_b, central_admin):
    identity = {"given_name": "Fatima", "family_name": "Rahman", "date_of_birth": BORN}
    assert _find(caseworker_b, **identity) == []
    assert [m.case for m in _find(central_admin, **identity)] == [existing]


def test_the_search_costs_two_queries(existing, caseworker_a, django_assert_num_queries):
    """The same two queries (the tokens, then the cases) for one match or for five."""
    for n in range(4):
        case_create(
            actor=caseworker_a,
            mission=existing.mission,
            person={
                "given_name": "Fatima",
                "family_name": "Rahman",
                "aliases": [f"Alias {n}"],
                "date_of_birth": BORN,
                "gender": Gender.FEMININE,
            },
        )
    with django_assert_num_queries(2):
        found = _find(caseworker_a, given_name="Fatima", family_name="Rahman", date_of_birth=BORN)
        references = [m.case.reference for m in found]
    assert len(references) == duplicates.SHOWN


def _register(client, mission, **overrides):
    data = create_data(
        mission, given_name="Fatma", family_name="Rahman", date_of_birth="1998-03-05"
    )
    data.update(overrides)
    return client.post(CREATE_URL, data)


def test_registration_warns_first_and_keeps_every_answer(existing, client_for, caseworker_a):
    client = client_for(caseworker_a)
    response = _register(client, existing.mission)

    assert response.status_code == 200
    page = response.content.decode()
    assert "This person may already have a case" in page
    assert existing.reference in page
    assert reverse("cases:detail", kwargs={"case_id": existing.pk}) in page
    assert "Rahman" not in page.split("likely-duplicates", 1)[1].split("</section>", 1)[0]
    assert Case.objects.count() == 1
    form = response.context["form"]
    assert form["given_name"].value() == "Fatma"
    assert form["phone"].value() == "+977 1 555 0100"

    response = _register(client, existing.mission, not_a_duplicate="1")
    assert response.status_code == 302
    assert Case.objects.count() == 2


def test_no_warning_when_nobody_matches(client_for, caseworker_a, mission_a, existing):
    response = _register(client_for(caseworker_a), mission_a, given_name="Zephyrine")
    assert response.status_code == 302


def test_a_bad_form_is_refused_before_any_search(client_for, caseworker_a, existing):
    response = _register(client_for(caseworker_a), existing.mission, date_of_birth="not a date")
    assert response.status_code == 200
    assert response.context["duplicates"] == []
    assert Case.objects.count() == 1


def test_a_person_known_by_birth_year_only_is_found(caseworker_a, mission_a):
    """Many people know their year of birth only: the year is compared, not a token of a date."""
    existing = case_create(
        actor=caseworker_a,
        mission=mission_a,
        person={
            "given_name": "Erika",
            "family_name": "Barnett",
            "birth_year": 2001,
            "gender": Gender.FEMININE,
        },
    )
    found = _find(
        caseworker_a,
        given_name="Barnett",
        family_name="Erika",
        date_of_birth=datetime.date(2002, 1, 3),
    )
    assert [(m.case, m.reasons) for m in found] == [
        (existing, [duplicates.SAME_NAME, duplicates.BIRTH_WITHIN_A_YEAR])
    ]
