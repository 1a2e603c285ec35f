import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.forms import (
    LINE_TOO_LONG_MESSAGE,
    MAX_LINES,
    TOO_MANY_LINES_MESSAGE,
    CaseCreateForm,
    CaseEditForm,
    LinesField,
)
from cases.vocabularies import Gender
from config.errors import ApplicationError, StaleVersionError
from tests import factories

pytestmark = pytest.mark.django_db


def form_data(mission, **overrides) -> dict:
    data = {
        "mission": mission.pk,
        "given_name": "Asha",
        "family_name": "",
        "aliases": "",
        "date_of_birth": "",
        "birth_year": "",
        "gender": Gender.NOT_SPECIFIED,
        "citizenships": [],
        "languages": [],
        "identity_documents": "",
        "phone": "",
        "address": "",
        "registered_on": timezone.localdate().isoformat(),
        "assigned_to": "",
    }
    data.update(overrides)
    return data


def test_lines_field_drops_blank_lines_and_spaces():
    assert LinesField().clean("  one \n\n two\r\n ") == ["one", "two"]


def test_lines_field_refuses_too_many_lines():
    with pytest.raises(ValidationError) as error:
        LinesField().clean("\n".join("x" for _ in range(MAX_LINES + 1)))

    assert error.value.messages == [TOO_MANY_LINES_MESSAGE % {"max": MAX_LINES}]


def test_lines_field_refuses_a_long_line():
    with pytest.raises(ValidationError) as error:
        LinesField(max_line_length=5).clean("123456")

    assert error.value.messages == [LINE_TOO_LONG_MESSAGE % {"max": 5}]


def test_caseworker_may_choose_only_own_missions(caseworker_a, mission_a, mission_b):
    form = CaseCreateForm(user=caseworker_a)

    assert list(form.fields["mission"].queryset) == [mission_a]


def test_central_admin_may_choose_every_active_mission(central_admin, mission_a, mission_b):
    factories.MissionFactory(code="OLD", is_active=False)

    form = CaseCreateForm(user=central_admin)

    assert list(form.fields["mission"].queryset) == [mission_a, mission_b]


def test_researcher_may_choose_no_mission(researcher, mission_a):
    assert not CaseCreateForm(user=researcher).fields["mission"].queryset.exists()


def test_out_of_scope_mission_is_an_invalid_choice(caseworker_a, mission_a, mission_b):
    form = CaseCreateForm(form_data(mission_b), user=caseworker_a)

    assert not form.is_valid()
    assert "mission" in form.errors


def test_assignee_choices_are_caseworkers_of_offered_missions(
    caseworker_a, caseworker_b, mission_a
):
    form = CaseCreateForm(user=caseworker_a)

    assert list(form.fields["assigned_to"].queryset) == [caseworker_a]


def test_unknown_country_is_invalid(caseworker_a, mission_a):
    form = CaseCreateForm(form_data(mission_a, citizenships=["XXX"]), user=caseworker_a)

    assert not form.is_valid()
    assert "citizenships" in form.errors


def test_full_date_of_birth_gives_the_birth_year(caseworker_a, mission_a):
    form = CaseCreateForm(form_data(mission_a, date_of_birth="2001-02-03"), user=caseworker_a)

    assert form.is_valid()
    assert form.person_data()["birth_year"] == 2001


def test_explicit_birth_year_is_kept_for_the_service_to_check(caseworker_a, mission_a):
    form = CaseCreateForm(
        form_data(mission_a, date_of_birth="2001-02-03", birth_year="1999"), user=caseworker_a
    )

    assert form.is_valid()
    assert form.person_data()["birth_year"] == 1999


def test_birth_year_before_1900_is_invalid(caseworker_a, mission_a):
    form = CaseCreateForm(form_data(mission_a, birth_year="1899"), user=caseworker_a)

    assert not form.is_valid()
    assert "birth_year" in form.errors


def test_person_data_holds_only_person_fields(caseworker_a, mission_a):
    form = CaseCreateForm(form_data(mission_a, aliases="A\nB"), user=caseworker_a)
    assert form.is_valid()

    data = form.person_data()

    assert "mission" not in data
    assert data["aliases"] == ["A", "B"]


def test_edit_form_leaves_derived_birth_year_empty(case_a):
    form = CaseEditForm(case=case_a)

    assert case_a.person.date_of_birth is not None
    assert form.initial["birth_year"] is None


def test_edit_form_shows_birth_year_when_only_the_year_is_known(mission_a):
    person = factories.PersonFactory(date_of_birth=None, birth_year=1990)
    case = factories.CaseFactory(mission=mission_a, person=person)

    assert CaseEditForm(case=case).initial["birth_year"] == 1990


def test_edit_form_has_no_mission_field(case_a):
    assert "mission" not in CaseEditForm(case=case_a).fields


def test_edit_form_requires_version(case_a):
    data = form_data(case_a.mission)
    form = CaseEditForm(data, case=case_a)

    assert not form.is_valid()
    assert "version" in form.errors


def test_edit_form_offers_only_caseworkers_of_the_case_mission(case_a, caseworker_a, caseworker_b):
    form = CaseEditForm(case=case_a)

    assert list(form.fields["assigned_to"].queryset) == [caseworker_a]


def _valid_edit_form(case):
    form = CaseEditForm(form_data(case.mission, version=case.version), case=case)
    assert form.is_valid()
    return form


def test_service_field_errors_go_next_to_their_field(case_a):
    form = _valid_edit_form(case_a)

    form.add_service_error(ValidationError({"date_of_birth": ["bad date"]}))

    assert form.errors["date_of_birth"] == ["bad date"]


def test_service_errors_on_unknown_fields_become_form_errors(case_a):
    form = _valid_edit_form(case_a)

    form.add_service_error(ValidationError({"age_at_registration": ["too old"]}))

    assert form.non_field_errors() == ["too old"]


def test_application_error_with_field_errors_goes_to_the_field(case_a):
    form = _valid_edit_form(case_a)

    form.add_service_error(ApplicationError("refused", errors={"assigned_to": ["not here"]}))

    assert form.errors["assigned_to"] == ["not here"]


def test_stale_version_error_is_a_form_error(case_a):
    form = _valid_edit_form(case_a)

    form.add_service_error(StaleVersionError("changed by someone else"))

    assert form.non_field_errors() == ["changed by someone else"]


def test_registration_date_defaults_to_today(caseworker_a, mission_a):
    form = CaseCreateForm(user=caseworker_a)

    assert form["registered_on"].value() == timezone.localdate()


def test_future_date_of_birth_passes_the_form_for_the_service_to_refuse(caseworker_a, mission_a):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    form = CaseCreateForm(
        form_data(mission_a, date_of_birth=tomorrow.isoformat()), user=caseworker_a
    )

    assert form.is_valid()
