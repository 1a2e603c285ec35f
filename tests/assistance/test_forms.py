import datetime

import pytest
from django.forms import Field
from django.utils import timezone, translation

from assistance.forms import (
    LEG_ROWS,
    AssessmentForm,
    InterviewEditForm,
    InterviewForm,
    ReferralForm,
    ServiceForm,
    ServiceStatusForm,
    SupportPlanForm,
    leg_formset,
    sub_type_choices,
)
from assistance.models import SERVICE_SUB_TYPES, ServiceCategory, ServiceSubType
from assistance.services import INTERVIEW_FIELDS
from cases.vocabularies import ReferralReason
from tests import factories

REQUIRED = str(Field.default_error_messages["required"])
TODAY = timezone.localdate


def interview_data(**overrides) -> dict:
    data = {
        "interview_date": TODAY().isoformat(),
        "language": "ne",
        "immediate_needs": ["Food"],
        "safety_risk_level": "low",
        "wish": "stay",
    }
    data.update(overrides)
    return data


def leg_data(*rows) -> dict:
    data = {"legs-TOTAL_FORMS": str(LEG_ROWS), "legs-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        data.update({f"legs-{index}-{key}": value for key, value in row.items()})
    return data


FULL_LEG = {
    "from_country": "NPL",
    "to_country": "THA",
    "planned_date": (TODAY() + datetime.timedelta(days=3)).isoformat(),
    "transport_means": "air",
}


def test_interview_form_answers_are_the_services_fields():
    form = InterviewForm(interview_data())

    assert form.is_valid(), form.errors
    answers = form.answers()
    assert set(answers) <= set(INTERVIEW_FIELDS)
    assert answers["psychosocial_support_needed"] is None
    assert answers["interpreter_used"] is False


def test_interview_form_refuses_an_unknown_wish_and_language():
    form = InterviewForm(interview_data(wish="emigrate_to_mars", language="xx"))

    assert not form.is_valid()
    assert set(form.errors) == {"wish", "language"}


def test_interview_edit_form_needs_the_version_and_does_not_pass_it_as_an_answer():
    assert InterviewEditForm(interview_data()).errors["version"] == [REQUIRED]

    form = InterviewEditForm(interview_data(version="2"))

    assert form.is_valid()
    assert "version" not in form.answers()


def test_support_plan_form_has_a_version_only_when_editing():
    data = {"start_date": TODAY().isoformat()}

    assert SupportPlanForm(data, editing=False).is_valid()
    assert SupportPlanForm(data, editing=True).errors["version"] == [REQUIRED]


def test_sub_types_are_grouped_under_their_category():
    groups = dict(sub_type_choices()[1:])
    labels = dict(ServiceCategory.choices)

    for category, codes in SERVICE_SUB_TYPES.items():
        assert {code for code, _label in groups[labels[category]]} == set(codes)
    listed = [code for options in groups.values() for code, _label in options]
    assert sorted(listed) == sorted(ServiceSubType.values)


def test_service_form_leaves_cost_and_currency_to_the_service():
    form = ServiceForm(
        {"category": "medical", "provider": "iom", "status": "planned", "cost": "12.345"}
    )

    assert form.is_valid(), form.errors
    assert form.service_kwargs()["cost"] == "12.345"


def test_service_form_refuses_an_overlong_cost():
    form = ServiceForm(
        {"category": "medical", "provider": "iom", "status": "planned", "cost": "9" * 40}
    )

    assert "cost" in form.errors


def test_service_form_marks_the_fields_that_apply_to_one_answer_only():
    fields = ServiceForm().fields

    assert fields["organisation"].widget.attrs["data-show-if-value"] == "organisation"
    assert fields["exit_date"].widget.attrs["data-show-if-value"] == "accommodation"
    assert fields["sub_type"].widget.attrs["data-sub-type-of"] == "category"


def test_a_service_cannot_be_moved_back_to_planned():
    form = ServiceStatusForm({"version": "1", "to_status": "planned"})

    assert "to_status" in form.errors


@pytest.mark.django_db
@pytest.mark.parametrize(("ticked", "consent"), [("on", True), ("", None)])
def test_an_unticked_consent_box_records_no_decision(ticked, consent):
    organisation = factories.OrganisationFactory()
    form = ReferralForm(
        {
            "direction": "outgoing",
            "referral_date": TODAY().isoformat(),
            "organisation": organisation.pk,
            "reason": ReferralReason.AdditionalServicesRequired,
            "consent_given": ticked,
        }
    )

    assert form.is_valid(), form.errors
    assert form.service_kwargs()["consent_given"] is consent


@pytest.mark.django_db
def test_referral_form_offers_active_organisations_only():
    active = factories.OrganisationFactory()
    inactive = factories.OrganisationFactory(is_active=False)

    offered = set(ReferralForm().fields["organisation"].queryset)

    assert active in offered
    assert inactive not in offered


def test_empty_leg_rows_are_ignored():
    legs = leg_formset(leg_data(FULL_LEG))

    assert legs.is_valid(), legs.errors
    assert len(legs.legs()) == 1
    assert legs.legs()[0]["escorted"] is False


def test_a_partly_filled_leg_row_must_be_completed():
    legs = leg_formset(leg_data(FULL_LEG, {"from_country": "NPL"}))

    assert not legs.is_valid()
    assert legs.forms[1].errors["planned_date"] == [REQUIRED]


def test_more_leg_rows_than_offered_are_refused():
    data = leg_data(FULL_LEG)
    data["legs-TOTAL_FORMS"] = str(LEG_ROWS + 1)

    legs = leg_formset(data)

    assert not legs.is_valid()
    assert legs.non_form_errors()


def test_service_leg_errors_land_on_the_filled_rows():
    # Row 0 left empty: the service's leg 0 is the form's row 1.
    legs = leg_formset(leg_data({}, FULL_LEG))
    assert legs.is_valid()

    rest = legs.add_leg_errors(
        {"legs.0.to_place": ["Too long."], "legs.5.to_place": ["Lost."], "legs": ["None."]}
    )

    assert legs.forms[1].errors["to_place"] == ["Too long."]
    assert rest == {"legs.5.to_place": ["Lost."], "legs": ["None."]}


def test_an_assessment_needs_a_decision_and_reasoning():
    form = AssessmentForm({"version": "1"})

    assert form.errors == {"decision": [REQUIRED], "reasoning": [REQUIRED]}


def test_the_currency_is_chosen_from_iso_4217_named_in_the_page_language():
    with translation.override("fr"):
        html = ServiceForm()["currency"].as_widget()
    assert html.startswith("<select") and 'name="currency"' in html
    assert "maxlength" not in html
    assert '<option value="EUR">EUR — Euro</option>' in html
    # Named from pycountry's French catalog, not the English name.
    assert '<option value="GBP">GBP — Livre sterling</option>' in html
    assert '<option value="" selected>—</option>' in html


def test_a_currency_already_chosen_stays_selected():
    html = ServiceForm(initial={"currency": "USD"})["currency"].as_widget()

    assert '<option value="USD" selected>' in html
