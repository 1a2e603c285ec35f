import datetime
import re
import threading

import pytest
from django.db import connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Mission, User
from cases.models import Case, CaseReferenceCounter
from cases.services import case_create, case_reference_format
from tests import factories

THREADS = 8
CASES_PER_THREAD = 5
REGISTERED_ON = datetime.date(2025, 3, 1)


def _reference_pattern() -> str:
    constraint = next(c for c in Case._meta.constraints if c.name == "case_reference_format")
    ((lookup, pattern),) = constraint.condition.children
    assert lookup == "reference__regex"
    return pattern


def _create(actor, mission):
    return case_create(
        actor=actor,
        mission=mission,
        person={"given_name": "Test", "gender": "Feminine"},
        registered_on=REGISTERED_ON,
    )


@pytest.mark.django_db(transaction=True)
def test_parallel_creations_get_unique_gap_free_references():
    mission_id = factories.MissionFactory(code="CON").pk
    actor_id = factories.CentralAdminFactory().pk
    start = threading.Barrier(THREADS)
    references: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work():
        try:
            # Each thread has its own database connection; fetch its own rows on it.
            actor = User.objects.get(pk=actor_id)
            mission = Mission.objects.get(pk=mission_id)
            start.wait()
            for _ in range(CASES_PER_THREAD):
                case = _create(actor, mission)
                with lock:
                    references.append(case.reference)
        except BaseException as exc:
            with lock:
                failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    total = THREADS * CASES_PER_THREAD
    assert failures == []
    assert sorted(references) == [f"CON-2025-{n:05d}" for n in range(1, total + 1)]
    assert CaseReferenceCounter.objects.get(mission_id=mission_id, year=2025).last_number == total


@pytest.mark.django_db
def test_rolled_back_creation_leaves_no_gap(central_admin, mission_a):
    _create(central_admin, mission_a)

    with pytest.raises(RuntimeError), transaction.atomic():
        _create(central_admin, mission_a)
        raise RuntimeError

    assert _create(central_admin, mission_a).reference == "AAA-2025-00002"


@given(
    code=st.from_regex(r"[A-Z]{2,8}", fullmatch=True),
    year=st.integers(min_value=1000, max_value=9999),
    number=st.integers(min_value=1, max_value=10**7),
)
def test_formatted_reference_satisfies_the_database_constraint_and_parses_back(code, year, number):
    reference = case_reference_format(mission_code=code, year=year, number=number)

    mission_code, year_part, number_part = reference.split("-")
    assert re.fullmatch(_reference_pattern(), reference)
    assert (mission_code, int(year_part), int(number_part)) == (code, year, number)


@given(
    numbers=st.lists(
        st.integers(min_value=1, max_value=99999), min_size=2, max_size=20, unique=True
    )
)
def test_references_of_one_mission_year_sort_like_their_numbers(numbers):
    references = [case_reference_format(mission_code="NPL", year=2025, number=n) for n in numbers]

    assert sorted(references) == [
        case_reference_format(mission_code="NPL", year=2025, number=n) for n in sorted(numbers)
    ]
