"""Any combination of vocabulary codes round-trips through a section save; anything else is refused.

The screening is made once per test (function-scoped fixtures); every example saves the whole
section again with the screening's current version, so no example depends on an earlier one.
"""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.vocabularies import (
    ExploitationType,
    LabourIndustry,
    MeansOfControl,
    PerpetratorRole,
    RecruitmentMethod,
    SexualExploitationType,
    Vulnerability,
    WebsiteOrApp,
)
from screening import services
from screening.models import Perpetrator, Screening
from tests.screening.conftest import complete_answers

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

MULTI_VALUED = [
    ("person", "individual_vulnerabilities", Vulnerability),
    ("person", "household_vulnerabilities", Vulnerability),
    ("person", "community_vulnerabilities", Vulnerability),
    ("recruitment", "recruitment_methods", RecruitmentMethod),
    ("recruitment", "recruitment_websites", WebsiteOrApp),
    ("exploitation", "means_of_control", MeansOfControl),
    ("exploitation", "exploitation_types", ExploitationType),
]


def codes(choices) -> st.SearchStrategy[list[str]]:
    """Any subset of a vocabulary, in any order."""
    return st.lists(st.sampled_from(choices.values), unique=True)


def not_a_code(choices) -> st.SearchStrategy[str]:
    return st.text(max_size=70).filter(lambda text: text not in choices.values)


@pytest.fixture
def consented(screening_a, caseworker_a):
    return services.screening_section_save(
        actor=caseworker_a,
        screening_id=screening_a.pk,
        section="consent",
        version=screening_a.version,
        data=complete_answers()["consent"],
    )


def save(screening, actor, section, data):
    current = Screening.objects.get(pk=screening.pk)
    return services.screening_section_save(
        actor=actor,
        screening_id=screening.pk,
        section=section,
        version=current.version,
        data=data,
    )


@pytest.mark.parametrize(("section", "field", "choices"), MULTI_VALUED)
def test_any_combination_of_codes_round_trips(section, field, choices, consented, caseworker_a):
    @PROPERTY_SETTINGS
    @given(values=codes(choices))
    def round_trip(values):
        save(consented, caseworker_a, section, {field: values})
        stored = Screening.objects.get(pk=consented.pk)
        assert getattr(stored, field) == values

    round_trip()


def test_exploitation_types_round_trip_with_their_conditional_answers(consented, caseworker_a):
    @PROPERTY_SETTINGS
    @given(
        types=codes(ExploitationType),
        industries=codes(LabourIndustry),
        sexual=codes(SexualExploitationType),
    )
    def round_trip(types, industries, sexual):
        data = {
            "exploitation_types": types,
            "labour_industries": industries if ExploitationType.ForcedLabour in types else [],
            "sexual_exploitation_types": (
                sexual if ExploitationType.SexualExploitation in types else []
            ),
        }
        save(consented, caseworker_a, "exploitation", data)
        stored = Screening.objects.get(pk=consented.pk)
        assert {name: getattr(stored, name) for name in data} == data

    round_trip()


@pytest.mark.parametrize(("section", "field", "choices"), MULTI_VALUED)
def test_any_string_outside_the_vocabulary_is_refused(
    section, field, choices, consented, caseworker_a
):
    @PROPERTY_SETTINGS
    @given(valid=codes(choices), unknown=not_a_code(choices), data=st.data())
    def refused(valid, unknown, data):
        position = data.draw(st.integers(min_value=0, max_value=len(valid)))
        values = [*valid[:position], unknown, *valid[position:]]
        before = Screening.objects.get(pk=consented.pk)
        with pytest.raises(ValidationError) as exc:
            save(consented, caseworker_a, section, {field: values})
        assert field in exc.value.message_dict
        after = Screening.objects.get(pk=consented.pk)
        assert (after.version, getattr(after, field)) == (before.version, getattr(before, field))

    refused()


def test_any_role_outside_the_vocabulary_is_refused_in_perpetrator_rows(consented, caseworker_a):
    @PROPERTY_SETTINGS
    @given(unknown=not_a_code(PerpetratorRole))
    def refused(unknown):
        current = Screening.objects.get(pk=consented.pk)
        with pytest.raises(ValidationError) as exc:
            services.screening_section_save(
                actor=caseworker_a,
                screening_id=consented.pk,
                section="exploitation",
                version=current.version,
                data={},
                rows=[{"roles": ["Exploiter", unknown]}],
            )
        assert "perpetrators.0.roles" in exc.value.message_dict
        assert not Perpetrator.objects.filter(screening=consented).exists()

    refused()
