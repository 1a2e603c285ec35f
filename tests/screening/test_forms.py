import datetime

import pytest
from django.utils import timezone

from screening.forms import (
    CONDITIONS,
    PerpetratorFormSet,
    ReviewForm,
    TraffickingEventForm,
    TraffickingEventFormSet,
    section_form_class,
)
from screening.models import Screening
from screening.sections import SECTIONS


def bound(section, data, version=1):
    screening = Screening(version=version)
    return section_form_class(section)({"version": version, **data}, screening=screening)


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 30,
    }


@pytest.mark.parametrize("section", list(SECTIONS))
def test_each_section_form_has_exactly_the_section_fields(section):
    form = section_form_class(section)(screening=Screening())
    assert [f for f in form.fields if f != "version"] == SECTIONS[section]["fields"]


@pytest.mark.parametrize("section", list(SECTIONS))
def test_an_empty_section_is_a_valid_draft(section):
    assert bound(section, {}).is_valid()


def test_unknown_code_in_a_multi_select_is_refused():
    form = bound("exploitation", {"means_of_control": ["DebtBondage", "Hypnosis"]})
    assert form.has_error("means_of_control", "invalid_choice")


def test_known_codes_in_a_multi_select_are_accepted_in_order():
    form = bound("exploitation", {"means_of_control": ["WithholdsDocuments", "DebtBondage"]})
    assert form.is_valid()
    assert form.answers()["means_of_control"] == ["WithholdsDocuments", "DebtBondage"]


def test_unknown_country_is_refused():
    form = bound("person", {"citizenships": ["NPL", "ATL"]})
    assert form.has_error("citizenships", "invalid_choice")


def test_unknown_single_code_is_refused():
    form = bound("exit", {"exit_mode": "Teleported"})
    assert form.has_error("exit_mode", "invalid_choice")


def test_unknown_language_is_refused():
    form = bound("interview", {"interview_language": "xx"})
    assert form.has_error("interview_language", "invalid_choice")


def test_invalid_date_is_refused():
    form = bound("exit", {"exit_date": "2024-02-30"})
    assert form.has_error("exit_date", "invalid")


def test_date_is_parsed():
    form = bound("exit", {"exit_date": "2024-02-29"})
    assert form.is_valid()
    assert form.answers()["exit_date"] == datetime.date(2024, 2, 29)


def test_birth_year_in_the_future_is_refused():
    form = bound("person", {"birth_year": timezone.localdate().year + 1})
    assert form.has_error("birth_year")


def test_birth_year_before_1900_is_refused():
    form = bound("person", {"birth_year": 1850})
    assert form.has_error("birth_year", "min_value")


def test_too_many_children_is_refused():
    form = bound("person", {"number_of_children": 31})
    assert form.has_error("number_of_children", "max_value")


@pytest.mark.parametrize(("posted", "answer"), [("True", True), ("False", False), ("", None)])
def test_yes_no_answers_become_booleans_or_none(posted, answer):
    form = bound("consent", {"consent_interview": posted})
    assert form.is_valid()
    assert form.answers()["consent_interview"] is answer


def test_yes_no_refuses_anything_else():
    form = bound("consent", {"consent_interview": "maybe"})
    assert form.has_error("consent_interview", "invalid_choice")


def test_missing_version_is_refused():
    form = section_form_class("exit")({}, screening=Screening())
    assert form.has_error("version", "required")


def test_answers_cover_every_field_of_the_section():
    form = bound("exit", {"exit_mode": "Escaped"})
    assert form.is_valid()
    assert form.answers() == {"exit_mode": "Escaped", "exit_date": None, "identified_by": ""}


def test_conditional_fields_name_the_answer_they_depend_on():
    form = section_form_class("exploitation")(screening=Screening())
    attrs = form.fields["labour_industries"].widget.attrs
    assert (attrs["data-show-if-field"], attrs["data-show-if-value"]) == CONDITIONS[
        "labour_industries"
    ]


def test_conditional_fields_carry_a_hint_for_pages_without_javascript():
    form = section_form_class("interview")(screening=Screening())
    assert form.fields["referring_organisation_type"].help_text


def test_long_code_lists_are_filterable():
    form = section_form_class("exploitation")(screening=Screening())
    assert "data-code-filter" in form.fields["exploitation_countries"].widget.attrs


def test_route_step_needs_a_type_and_a_country():
    form = TraffickingEventForm({"locality": "Somewhere"})
    assert form.has_error("event_type", "required")
    assert form.has_error("country", "required")


def test_route_step_with_unknown_country_is_refused():
    form = TraffickingEventForm({"event_type": "Transit", "country": "XXX"})
    assert form.has_error("country", "invalid_choice")


def test_route_step_in_the_future_is_refused():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    form = TraffickingEventForm(
        {"event_type": "Transit", "country": "IND", "date": tomorrow.isoformat()}
    )
    assert form.has_error("date")


def test_route_formset_ignores_empty_rows_and_rows_ticked_for_deletion():
    data = {
        **management("events", 3),
        "events-0-event_type": "Recruitment",
        "events-0-country": "NPL",
        "events-1-event_type": "Transit",
        "events-1-country": "IND",
        "events-1-DELETE": "on",
    }
    formset = TraffickingEventFormSet(data, prefix="events")
    assert formset.is_valid()
    assert formset.rows() == [
        {"event_type": "Recruitment", "country": "NPL", "locality": "", "date": None}
    ]


def test_row_formset_refuses_more_than_thirty_rows():
    formset = TraffickingEventFormSet(management("events", 31), prefix="events")
    assert not formset.is_valid()


def test_perpetrator_with_unknown_role_is_refused():
    data = {**management("perpetrators", 1), "perpetrators-0-roles": ["Wizard"]}
    formset = PerpetratorFormSet(data, prefix="perpetrators")
    assert not formset.is_valid()
    assert formset.forms[0].has_error("roles", "invalid_choice")


def test_service_row_errors_land_on_the_row_they_name():
    data = {
        **management("events", 3),
        "events-1-event_type": "Transit",
        "events-1-country": "IND",
    }
    formset = TraffickingEventFormSet(data, prefix="events")
    assert formset.is_valid()
    assert formset.add_row_errors("events", {"events.0.country": ["Refused."]})
    assert formset.forms[1].errors["country"] == ["Refused."]


def test_review_needs_a_decision():
    form = ReviewForm({"version": 2, "comment": "Fine."})
    assert form.has_error("decision", "required")


def test_review_refuses_an_unknown_decision():
    form = ReviewForm({"version": 2, "decision": "maybe"})
    assert form.has_error("decision", "invalid_choice")
