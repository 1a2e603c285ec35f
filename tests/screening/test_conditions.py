"""The one list of conditional questions, as the screening service, the HTML form and the
XLSForm read it (the import's side: tests/intake/test_services.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from screening import forms, services
from screening.conditions import CONDITIONS, unmet_conditions
from screening.sections import SECTIONS
from tests.screening.conftest import complete_answers, fill

pytestmark = pytest.mark.django_db

# For each question: an answer of it, and answers of the question it depends on that make it
# apply and that do not.
SAMPLES = {
    "referring_organisation_type": ("NGO", "Organisation", "SelfReferral"),
    "labour_industries": (["F_Construction"], ["ForcedLabour"], ["SexualExploitation"]),
    "sexual_exploitation_types": (["Prostitution"], ["SexualExploitation"], ["ForcedLabour"]),
}


def _section(name: str) -> str:
    return next(key for key, section in SECTIONS.items() if name in section["fields"])


def test_every_condition_has_a_sample_and_depends_on_a_question_of_its_own_section():
    assert set(SAMPLES) == {c.field for c in CONDITIONS}
    for condition in CONDITIONS:
        # The service checks a section as it is saved, so both answers are in it.
        assert _section(condition.field) == _section(condition.depends_on)


def test_the_form_shows_each_question_only_with_the_answer_it_depends_on(screening_a):
    for condition in CONDITIONS:
        form = forms.section_form_class(_section(condition.field))(screening=screening_a)
        attrs = form.fields[condition.field].widget.attrs
        assert attrs["data-show-if-field"] == condition.depends_on
        assert attrs["data-show-if-value"] == condition.value
        assert form.fields[condition.field].help_text == condition.hint


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: c.field)
def test_the_service_refuses_an_answer_where_it_does_not_apply(
    screening_a, caseworker_a, condition
):
    screening = fill(screening_a, caseworker_a, {"consent": complete_answers()["consent"]})
    answer, applies, does_not = SAMPLES[condition.field]
    section = _section(condition.field)
    with pytest.raises(ValidationError) as refused:
        services.screening_section_save(
            actor=caseworker_a,
            screening_id=screening.pk,
            section=section,
            version=screening.version,
            data={condition.depends_on: does_not, condition.field: answer},
        )
    assert refused.value.message_dict[condition.field] == [condition.message]

    saved = services.screening_section_save(
        actor=caseworker_a,
        screening_id=screening.pk,
        section=section,
        version=screening.version,
        data={condition.depends_on: applies, condition.field: answer},
    )
    assert getattr(saved, condition.field) == answer


def test_an_unanswered_question_never_fails_its_condition():
    answers = {c.depends_on: None for c in CONDITIONS} | {c.field: [] for c in CONDITIONS}
    assert unmet_conditions(answers.get) == []
