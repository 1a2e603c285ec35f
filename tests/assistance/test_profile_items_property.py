"""A code is accepted in a further detail exactly when the screening accepts it."""

from django import forms
from hypothesis import given
from hypothesis import strategies as st

from assistance.profile_items import clean_value, profile_items
from screening.forms import screening_form_field

CODED_ITEMS = [
    "means_of_control",
    "recruitment_methods",
    "exploitation_types",
    "recruiter_relation",
    "recruitment_country",
    "exploitation_countries",
    "travel_document",
]


def _valid_codes(name: str) -> list[str]:
    return [str(code) for code, _label in screening_form_field(name).choices if code]


def _accepted_by_screening(name: str, value) -> bool:
    try:
        screening_form_field(name).clean(value)
    except forms.ValidationError:
        return False
    return True


def _accepted_here(name: str, value) -> bool:
    try:
        clean_value(profile_items()[name], value)
    except forms.ValidationError:
        return False
    return True


@st.composite
def item_and_code(draw):
    name = draw(st.sampled_from(CODED_ITEMS))
    code = draw(st.sampled_from(_valid_codes(name)) | st.text(max_size=40))
    return name, code


@given(item_and_code())
def test_codes_are_accepted_exactly_as_by_the_screening(case):
    name, code = case
    is_list = isinstance(screening_form_field(name), forms.MultipleChoiceField)
    value = [code] if is_list else code

    assert _accepted_here(name, value) == _accepted_by_screening(name, value)
