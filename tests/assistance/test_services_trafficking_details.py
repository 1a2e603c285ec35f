import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from assistance import services
from assistance.models import TraffickingDetailChange
from assistance.profile_items import (
    TEXT_TOO_LONG_MESSAGE,
    UNKNOWN_ITEM_MESSAGE,
    UNKNOWN_ROW_FIELD_MESSAGE,
)
from assistance.selectors import trafficking_profile_current, trafficking_profile_item
from cases.models import AuditAction, AuditEvent
from cases.vocabularies import CaseStatus
from config.errors import ApplicationError, StaleVersionError
from screening.models import Screening
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def screening(active_case_a, caseworker_a):
    screening = factories.ApprovedScreeningFactory(
        case=active_case_a, created_by=caseworker_a, interviewer=caseworker_a
    )
    factories.TraffickingEventFactory(screening=screening, position=0)
    factories.TraffickingEventFactory(
        screening=screening, position=1, event_type="Exploitation", country="IND", locality="Delhi"
    )
    factories.PerpetratorFactory(screening=screening, position=0)
    return screening


@pytest.fixture
def other_admin():
    return factories.CentralAdminFactory(email="admin2@harbour.test")


def record(actor, case, **kwargs):
    defaults = {
        "item": "means_of_control",
        "kind": "correction",
        "value": ["DebtBondage"],
        "reason": "Said so at the follow-up.",
    }
    defaults.update(kwargs)
    return services.trafficking_detail_record(actor=actor, case_id=case.pk, **defaults)


def item(case, code):
    return trafficking_profile_item(profile=trafficking_profile_current(case=case), item=code)


def raw_rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def screening_snapshot(screening):
    """The stored bytes of the screening and its rows, exactly as in the database."""
    return (
        raw_rows("SELECT * FROM screening_screening WHERE id = %s", [screening.pk]),
        raw_rows(
            "SELECT * FROM screening_traffickingevent WHERE screening_id = %s ORDER BY id",
            [screening.pk],
        ),
        raw_rows(
            "SELECT * FROM screening_perpetrator WHERE screening_id = %s ORDER BY id",
            [screening.pk],
        ),
    )


def test_record_is_pending_and_does_not_change_the_current_profile(
    screening, caseworker_a, active_case_a
):
    change = record(caseworker_a, active_case_a)

    assert change.status == TraffickingDetailChange.Status.PENDING
    current = item(active_case_a, "means_of_control")
    assert current["value"] == ["PhysicalThreats"]
    assert current["provenance"]["source"] == "screening"
    pending = trafficking_profile_current(case=active_case_a)["pending"]
    assert [p["change"].pk for p in pending] == [change.pk]


def test_accepted_change_becomes_current_with_its_provenance(
    screening, caseworker_a, central_admin, active_case_a
):
    change = record(caseworker_a, active_case_a)
    services.trafficking_detail_review(
        actor=central_admin, change_id=change.pk, version=change.version, accept=True
    )

    current = item(active_case_a, "means_of_control")
    assert current["value"] == ["DebtBondage"]
    provenance = current["provenance"]
    assert provenance["source"] == "change"
    assert provenance["kind"] == "correction"
    assert provenance["author_id"] == caseworker_a.pk
    assert provenance["reviewer_id"] == central_admin.pk
    assert provenance["reviewed_at"] is not None
    assert current["display"] == ["Debt bondage"]


def test_latest_accepted_change_wins(screening, caseworker_a, central_admin, active_case_a):
    first = record(caseworker_a, active_case_a, value=["DebtBondage"])
    second = record(caseworker_a, active_case_a, value=["SexualAbuse"])
    for change in (second, first):
        services.trafficking_detail_review(
            actor=central_admin, change_id=change.pk, version=1, accept=True
        )

    assert item(active_case_a, "means_of_control")["value"] == ["SexualAbuse"]


def test_rejected_change_leaves_the_screening_answer(
    screening, caseworker_a, central_admin, active_case_a
):
    change = record(caseworker_a, active_case_a)
    services.trafficking_detail_review(
        actor=central_admin, change_id=change.pk, version=1, accept=False
    )

    current = item(active_case_a, "means_of_control")
    assert current["value"] == ["PhysicalThreats"]
    assert trafficking_profile_current(case=active_case_a)["pending"] == []


def test_the_screening_is_never_overwritten(screening, caseworker_a, central_admin, active_case_a):
    before = screening_snapshot(screening)
    changes = [
        record(caseworker_a, active_case_a),
        record(caseworker_a, active_case_a, item="recruitment_locality", value="Butwal"),
        record(
            caseworker_a,
            active_case_a,
            item="events",
            row_position=1,
            value={"event_type": "Exploitation", "country": "THA", "locality": "Bangkok"},
        ),
        record(
            caseworker_a,
            active_case_a,
            item="perpetrators",
            kind="addition",
            value={"roles": ["Transporter"], "gender": "Feminine", "citizenship": "IND"},
        ),
    ]
    for change in changes:
        services.trafficking_detail_review(
            actor=central_admin, change_id=change.pk, version=1, accept=True
        )

    assert screening_snapshot(screening) == before
    assert Screening.objects.get(pk=screening.pk).means_of_control == ["PhysicalThreats"]


def test_row_correction_replaces_that_row_and_addition_appends(
    screening, caseworker_a, central_admin, active_case_a
):
    correction = record(
        caseworker_a,
        active_case_a,
        item="events",
        row_position=1,
        value={"event_type": "Exploitation", "country": "THA", "locality": "Bangkok"},
    )
    addition = record(
        caseworker_a,
        active_case_a,
        item="events",
        kind="addition",
        value={"event_type": "Transit", "country": "IND", "date": "2024-01-05"},
    )
    for change in (correction, addition):
        services.trafficking_detail_review(
            actor=central_admin, change_id=change.pk, version=1, accept=True
        )

    rows = item(active_case_a, "events")["rows"]
    assert [(r["position"], r["value"]["country"]) for r in rows] == [
        (0, "NPL"),
        (1, "THA"),
        (None, "IND"),
    ]
    assert rows[1]["text"] == "Bangkok"
    assert rows[0]["provenance"]["source"] == "screening"
    assert rows[1]["provenance"]["change_id"] == correction.pk
    assert rows[2]["value"]["date"] == "2024-01-05"


def test_free_text_is_encrypted_at_rest(screening, caseworker_a, active_case_a):
    change = record(caseworker_a, active_case_a, item="recruitment_locality", value="Butwal")

    stored = raw_rows(
        "SELECT value_text, reason FROM assistance_traffickingdetailchange WHERE id = %s",
        [change.pk],
    )[0]
    assert "Butwal" not in stored[0]
    assert "follow-up" not in stored[1]
    assert TraffickingDetailChange.objects.get(pk=change.pk).value_text == "Butwal"


def test_record_is_audited_with_codes_only(screening, caseworker_a, active_case_a):
    change = record(caseworker_a, active_case_a, item="recruitment_locality", value="Butwal")

    event = AuditEvent.objects.get(action=AuditAction.TRAFFICKING_DETAIL_RECORDED)
    assert event.object_id == str(change.pk)
    assert event.detail == {
        "item": "recruitment_locality",
        "kind": "correction",
        "row_position": None,
    }


def test_review_is_audited(screening, caseworker_a, central_admin, active_case_a):
    change = record(caseworker_a, active_case_a)
    services.trafficking_detail_review(
        actor=central_admin, change_id=change.pk, version=1, accept=False
    )

    event = AuditEvent.objects.get(action=AuditAction.TRAFFICKING_DETAIL_REVIEWED)
    assert event.detail["decision"] == "rejected"


def test_author_cannot_review_even_as_central_admin(screening, central_admin, active_case_a):
    change = record(central_admin, active_case_a)

    with pytest.raises(ApplicationError) as exc:
        services.trafficking_detail_review(
            actor=central_admin, change_id=change.pk, version=1, accept=True
        )
    assert exc.value.message == services.SELF_REVIEW_MESSAGE
    assert TraffickingDetailChange.objects.get(pk=change.pk).status == "pending"


def test_another_admin_reviews_an_admins_change(
    screening, central_admin, other_admin, active_case_a
):
    change = record(central_admin, active_case_a)

    reviewed = services.trafficking_detail_review(
        actor=other_admin, change_id=change.pk, version=1, accept=True
    )
    assert reviewed.status == "accepted"


def test_caseworker_cannot_review(screening, caseworker_a, active_case_a):
    change = factories.TraffickingDetailChangeFactory(case=active_case_a)

    with pytest.raises(ApplicationError) as exc:
        services.trafficking_detail_review(
            actor=caseworker_a, change_id=change.pk, version=1, accept=True
        )
    assert exc.value.message == services.NOT_ADMIN_MESSAGE


def test_stale_and_duplicate_reviews_are_refused(
    screening, caseworker_a, central_admin, other_admin, active_case_a
):
    change = record(caseworker_a, active_case_a)
    services.trafficking_detail_review(
        actor=central_admin, change_id=change.pk, version=1, accept=True
    )

    with pytest.raises(StaleVersionError):
        services.trafficking_detail_review(
            actor=other_admin, change_id=change.pk, version=1, accept=False
        )
    with pytest.raises(ApplicationError) as exc:
        services.trafficking_detail_review(
            actor=other_admin, change_id=change.pk, version=2, accept=False
        )
    assert exc.value.message == services.DETAIL_ALREADY_REVIEWED_MESSAGE
    assert TraffickingDetailChange.objects.get(pk=change.pk).status == "accepted"


def test_out_of_scope_case_is_the_missing_404(screening, caseworker_b, active_case_a):
    with pytest.raises(Http404):
        record(caseworker_b, active_case_a)
    assert not TraffickingDetailChange.objects.exists()


def test_case_must_be_active_or_follow_up(caseworker_a, case_a):
    with pytest.raises(ApplicationError) as exc:
        record(caseworker_a, case_a)
    assert exc.value.message == services.CASE_NOT_ACTIVE_MESSAGE


def test_follow_up_case_takes_changes(screening, caseworker_a, active_case_a):
    active_case_a.status = CaseStatus.FOLLOW_UP
    active_case_a.save(update_fields=["status"])

    assert record(caseworker_a, active_case_a).status == "pending"


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"item": "nope"}, "item", UNKNOWN_ITEM_MESSAGE),
        ({"item": "narrative", "value": "x"}, "item", UNKNOWN_ITEM_MESSAGE),
        ({"kind": "rewrite"}, "kind", services.KIND_REQUIRED_MESSAGE),
        ({"reason": "  "}, "reason", services.CHANGE_REASON_REQUIRED_MESSAGE),
        ({"value": ["NotACode"]}, "value", None),
        ({"value": ["100%s"]}, "value", None),
        ({"value": "DebtBondage"}, "value", None),
        ({"item": "recruitment_country", "value": "XXX"}, "value", None),
        ({"item": "recruitment_date", "value": "not a date"}, "value", None),
        ({"item": "recruitment_date", "value": 5}, "value", None),
        ({"item": "abducted", "value": "maybe"}, "value", None),
        ({"item": "exploitation_countries", "value": ["IND", "ZZZ"]}, "value", None),
        ({"value": ["PhysicalThreats"]}, "value", services.NO_CHANGE_MESSAGE),
        ({"interview_id": "not-an-id"}, "interview", services.INTERVIEW_NOT_OF_CASE_MESSAGE),
        ({"row_position": 0}, "row_position", services.ROW_ONLY_FOR_ROWS_MESSAGE),
        (
            {
                "item": "events",
                "row_position": 7,
                "value": {"event_type": "Transit", "country": "IND"},
            },
            "row_position",
            services.ROW_NOT_FOUND_MESSAGE,
        ),
        (
            {"item": "events", "value": {"event_type": "Transit", "country": "IND"}},
            "row_position",
            services.ROW_REQUIRED_MESSAGE,
        ),
        (
            {
                "item": "events",
                "kind": "addition",
                "row_position": 0,
                "value": {"event_type": "Transit", "country": "IND"},
            },
            "row_position",
            services.ROW_ONLY_FOR_CORRECTION_MESSAGE,
        ),
        (
            {
                "item": "events",
                "kind": "addition",
                "value": {"event_type": "Flight", "country": "IND"},
            },
            "value.event_type",
            None,
        ),
        (
            {"item": "perpetrators", "kind": "addition", "value": {"roles": ["Boss"]}},
            "value.roles",
            None,
        ),
        (
            {"item": "perpetrators", "kind": "addition", "value": {"name": "Someone"}},
            "value.name",
            UNKNOWN_ROW_FIELD_MESSAGE,
        ),
        ({"item": "perpetrators", "kind": "addition", "value": ["x"]}, "value", None),
        (
            {"kind": "addition", "value": ["DebtBondage"]},
            "kind",
            services.ADDITION_CHANGES_ANSWER_MESSAGE,
        ),
        ({"kind": "addition", "value": []}, "value", services.NOTHING_TO_ADD_MESSAGE),
        ({"item": "recruitment_locality", "value": "x" * 201}, "value", TEXT_TOO_LONG_MESSAGE),
        ({"item": "recruitment_locality", "value": 12}, "value", None),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(
    screening, caseworker_a, active_case_a, kwargs, field, message
):
    with pytest.raises(ValidationError) as exc:
        record(caseworker_a, active_case_a, **kwargs)

    errors = exc.value.message_dict
    assert field in errors
    if message is not None:
        assert message in errors[field]
    assert not TraffickingDetailChange.objects.exists()


def test_date_in_the_future_is_refused(screening, caseworker_a, active_case_a):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as exc:
        record(caseworker_a, active_case_a, item="recruitment_date", value=tomorrow.isoformat())
    assert "value" in exc.value.message_dict


def test_addition_to_a_list_keeps_the_current_codes(screening, caseworker_a, active_case_a):
    change = record(
        caseworker_a, active_case_a, kind="addition", value=["PhysicalThreats", "DebtBondage"]
    )

    assert change.value == ["PhysicalThreats", "DebtBondage"]


def test_addition_to_an_empty_answer(screening, caseworker_a, active_case_a):
    change = record(caseworker_a, active_case_a, item="abducted", kind="addition", value=True)

    assert change.value is True


def test_interview_of_another_case_is_refused(screening, caseworker_a, active_case_a):
    other = factories.AssistanceInterviewFactory()

    with pytest.raises(ValidationError) as exc:
        record(caseworker_a, active_case_a, interview_id=other.pk)
    assert exc.value.message_dict["interview"] == [services.INTERVIEW_NOT_OF_CASE_MESSAGE]


def test_change_within_an_interview(screening, caseworker_a, active_case_a):
    interview = factories.AssistanceInterviewFactory(case=active_case_a, created_by=caseworker_a)

    change = record(caseworker_a, active_case_a, interview_id=interview.pk)
    assert change.interview == interview


def test_row_correction_after_a_newer_screening_cannot_be_accepted(
    screening, caseworker_a, central_admin, active_case_a
):
    change = record(
        caseworker_a,
        active_case_a,
        item="events",
        row_position=0,
        value={"event_type": "Recruitment", "country": "IND"},
    )
    factories.ApprovedScreeningFactory(
        case=active_case_a, reviewed_at=timezone.now() + datetime.timedelta(minutes=1)
    )

    with pytest.raises(ApplicationError) as exc:
        services.trafficking_detail_review(
            actor=central_admin, change_id=change.pk, version=1, accept=True
        )
    assert exc.value.message == services.SCREENING_CHANGED_MESSAGE


def test_profile_without_screening_takes_additions(caseworker_a, active_case_a):
    profile = trafficking_profile_current(case=active_case_a)
    assert profile["screening"] is None
    assert item(active_case_a, "means_of_control")["provenance"]["source"] == ""

    change = record(caseworker_a, active_case_a, kind="addition")
    assert change.screening is None


def test_the_same_pending_change_twice_is_refused(screening, caseworker_a, active_case_a):
    record(caseworker_a, active_case_a)

    with pytest.raises(ApplicationError) as exc:
        record(caseworker_a, active_case_a, reason="Again.")
    assert exc.value.message == services.DETAIL_DUPLICATE_MESSAGE
    assert TraffickingDetailChange.objects.count() == 1
    assert record(caseworker_a, active_case_a, value=["SexualAbuse"]).status == "pending"
