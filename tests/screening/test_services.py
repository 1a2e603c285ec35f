import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from cases.models import AuditAction, AuditEvent
from cases.vocabularies import CaseStatus
from config.errors import ApplicationError, StaleVersionError
from screening import services
from screening.models import Screening, TraffickingEvent
from screening.selectors import review_queue, route_countries, screening_current
from tests import factories
from tests.screening.conftest import complete_answers, fill

pytestmark = pytest.mark.django_db


def save(screening, actor, section, data, rows=None):
    return services.screening_section_save(
        actor=actor,
        screening_id=screening.pk,
        section=section,
        version=screening.version,
        data=data,
        rows=rows,
    )


def test_start_prefills_coded_person_answers_from_the_case(screening_a, case_a):
    assert screening_a.gender == case_a.person.gender
    assert screening_a.citizenships == case_a.person.citizenships
    assert screening_a.status == Screening.Status.DRAFT


def test_a_second_open_screening_is_refused(screening_a, case_a, caseworker_a):
    with pytest.raises(ApplicationError) as exc:
        services.screening_start(actor=caseworker_a, case_id=case_a.pk)
    assert exc.value.message == services.OPEN_SCREENING_EXISTS_MESSAGE


def test_out_of_scope_caseworker_cannot_start_or_save(screening_a, case_a, caseworker_b):
    with pytest.raises(Http404):
        services.screening_start(actor=caseworker_b, case_id=case_a.pk)
    with pytest.raises(Http404):
        save(screening_a, caseworker_b, "interview", {"interview_country": "NPL"})


def test_without_consent_only_the_refusal_is_recorded(screening_a, caseworker_a):
    screening = save(screening_a, caseworker_a, "consent", {"consent_interview": False})
    assert screening.consent_interview is False
    assert screening.consent_taken_by == caseworker_a
    with pytest.raises(ApplicationError) as exc:
        save(screening, caseworker_a, "person", {"gender": "Masculine"})
    assert exc.value.code == "consent_required"
    screening.refresh_from_db()
    assert screening.gender != "Masculine"


def test_research_consent_is_stored_as_given(screening_a, caseworker_a):
    answers = complete_answers()["consent"] | {"consent_research": False}
    screening = save(screening_a, caseworker_a, "consent", answers)
    screening.refresh_from_db()
    assert screening.consent_research is False


def test_a_section_saves_while_another_section_is_incomplete(screening_a, caseworker_a):
    screening = save(screening_a, caseworker_a, "consent", complete_answers()["consent"])
    screening = save(screening, caseworker_a, "exploitation", {"exploitation_types": ["Other"]})
    screening.refresh_from_db()
    assert screening.exploitation_types == ["Other"]
    assert screening.trafficking_status == ""


def test_unknown_code_is_refused_and_nothing_is_written(screening_a, caseworker_a):
    screening = save(screening_a, caseworker_a, "consent", complete_answers()["consent"])
    version = screening.version
    with pytest.raises(ValidationError) as exc:
        save(screening, caseworker_a, "exploitation", {"means_of_control": ["Hypnosis"]})
    assert "means_of_control" in exc.value.message_dict
    screening.refresh_from_db()
    assert screening.means_of_control == []
    assert screening.version == version


def test_industry_without_forced_labour_is_refused(screening_a, caseworker_a):
    screening = save(screening_a, caseworker_a, "consent", complete_answers()["consent"])
    with pytest.raises(ValidationError) as exc:
        save(
            screening,
            caseworker_a,
            "exploitation",
            {"exploitation_types": ["SexualExploitation"], "labour_industries": ["F_Construction"]},
        )
    assert exc.value.message_dict["labour_industries"] == [services.INDUSTRY_WITHOUT_FORCED_LABOUR]


def test_sexual_type_without_sexual_exploitation_is_refused(screening_a, caseworker_a):
    screening = save(screening_a, caseworker_a, "consent", complete_answers()["consent"])
    with pytest.raises(ValidationError) as exc:
        save(
            screening,
            caseworker_a,
            "exploitation",
            {"exploitation_types": ["ForcedLabour"], "sexual_exploitation_types": ["Prostitution"]},
        )
    assert "sexual_exploitation_types" in exc.value.message_dict


def test_stale_version_is_refused(screening_a, caseworker_a):
    save(screening_a, caseworker_a, "interview", {"interview_country": "THA"})
    with pytest.raises(StaleVersionError):
        save(screening_a, caseworker_a, "interview", {"interview_country": "IND"})
    screening_a.refresh_from_db()
    assert screening_a.interview_country == "THA"


def test_duration_and_minority_are_computed(screening_a, caseworker_a, case_a):
    screening = save(screening_a, caseworker_a, "consent", complete_answers()["consent"])
    screening = save(
        screening,
        caseworker_a,
        "person",
        {"gender": "Masculine", "birth_year": case_a.registered_on.year - 16},
    )
    assert screening.minor_at_registration is True
    screening = save(
        screening,
        caseworker_a,
        "exploitation",
        {
            "exploitation_start": datetime.date(2024, 1, 10),
            "exploitation_end": datetime.date(2025, 1, 10),
        },
    )
    assert screening.exploitation_months == 13


def test_route_rows_are_kept_in_order(screening_a, caseworker_a):
    screening = save(screening_a, caseworker_a, "consent", complete_answers()["consent"])
    rows = [
        {"event_type": "Recruitment", "country": "NPL", "locality": "Village"},
        {"event_type": "Transit", "country": "IND"},
        {"event_type": "Exploitation", "country": "ARE"},
    ]
    screening = save(screening, caseworker_a, "route", {"border_crossing": "Irregular"}, rows)
    assert route_countries(screening=screening) == ["NPL", "IND", "ARE"]


def test_route_row_with_unknown_country_is_refused(screening_a, caseworker_a):
    screening = save(screening_a, caseworker_a, "consent", complete_answers()["consent"])
    with pytest.raises(ValidationError) as exc:
        save(screening, caseworker_a, "route", {}, [{"event_type": "Transit", "country": "XXX"}])
    assert "events.0.country" in exc.value.message_dict
    assert TraffickingEvent.objects.count() == 0


def test_narrative_is_encrypted_at_rest(screening_a, caseworker_a):
    screening = save(screening_a, caseworker_a, "consent", complete_answers()["consent"])
    save(screening, caseworker_a, "exploitation", {"narrative": "They took my passport at Doha"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT narrative FROM screening_screening WHERE id = %s", [screening.pk])
        (raw,) = cursor.fetchone()
    assert "passport" not in raw
    screening.refresh_from_db()
    assert screening.narrative == "They took my passport at Doha"


def test_submit_requires_consistent_dates(screening_a, caseworker_a):
    answers = complete_answers()
    answers["exit"]["exit_date"] = answers["recruitment"]["recruitment_date"] - datetime.timedelta(
        days=1
    )
    screening = fill(screening_a, caseworker_a, answers)
    with pytest.raises(ValidationError) as exc:
        services.screening_submit(
            actor=caseworker_a, screening_id=screening.pk, version=screening.version
        )
    assert services.DATE_ORDER_MESSAGE in exc.value.message_dict["exit_date"]
    screening.refresh_from_db()
    assert screening.status == Screening.Status.DRAFT


def test_submit_requires_the_determination(screening_a, caseworker_a):
    answers = complete_answers()
    del answers["determination"]
    screening = fill(screening_a, caseworker_a, answers)
    with pytest.raises(ValidationError) as exc:
        services.screening_submit(
            actor=caseworker_a, screening_id=screening.pk, version=screening.version
        )
    assert "trafficking_status" in exc.value.message_dict
    assert "eligible_for_assistance" in exc.value.message_dict


def test_means_not_required_for_a_minor(screening_a, caseworker_a, case_a):
    answers = complete_answers()
    answers["person"]["birth_year"] = case_a.registered_on.year - 15
    answers["determination"]["reasoning_means"] = ""
    screening = fill(screening_a, caseworker_a, answers)
    submitted = services.screening_submit(
        actor=caseworker_a, screening_id=screening.pk, version=screening.version
    )
    assert submitted.status == Screening.Status.SUBMITTED


def test_submit_moves_the_case_to_pending_review(submitted_screening, case_a):
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.PENDING_REVIEW
    assert AuditEvent.objects.filter(action=AuditAction.SCREENING_SUBMITTED, case=case_a).exists()


def test_submitted_screening_cannot_be_edited(submitted_screening, caseworker_a):
    with pytest.raises(ApplicationError) as exc:
        save(submitted_screening, caseworker_a, "exit", {"exit_mode": "Released"})
    assert exc.value.code == "not_editable"


def test_approve_eligible_makes_the_case_active(submitted_screening, central_admin, case_a):
    services.determination_review(
        actor=central_admin,
        screening_id=submitted_screening.pk,
        version=submitted_screening.version,
        approve=True,
    )
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.ACTIVE
    assert screening_current(case=case_a) == submitted_screening


def test_approve_not_eligible_closes_the_case_as_referred(
    screening_a, caseworker_a, central_admin, case_a
):
    answers = complete_answers()
    answers["determination"] |= {
        "trafficking_status": "NotAVictimOfTrafficking",
        "eligible_for_assistance": False,
        "referral_made": "Referred to labour inspectorate.",
    }
    screening = fill(screening_a, caseworker_a, answers)
    screening = services.screening_submit(
        actor=caseworker_a, screening_id=screening.pk, version=screening.version
    )
    services.determination_review(
        actor=central_admin, screening_id=screening.pk, version=screening.version, approve=True
    )
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.CLOSED_REFERRED


def test_return_needs_a_comment_and_sends_the_case_back(submitted_screening, central_admin, case_a):
    with pytest.raises(ValidationError):
        services.determination_review(
            actor=central_admin,
            screening_id=submitted_screening.pk,
            version=submitted_screening.version,
            approve=False,
        )
    returned = services.determination_review(
        actor=central_admin,
        screening_id=submitted_screening.pk,
        version=submitted_screening.version,
        approve=False,
        comment="Exit date missing evidence.",
    )
    case_a.refresh_from_db()
    assert returned.status == Screening.Status.RETURNED
    assert case_a.status == CaseStatus.SCREENING


def test_caseworker_cannot_review(submitted_screening, caseworker_a):
    with pytest.raises(ApplicationError) as exc:
        services.determination_review(
            actor=caseworker_a,
            screening_id=submitted_screening.pk,
            version=submitted_screening.version,
            approve=True,
        )
    assert exc.value.code == "not_reviewer"


def test_self_approval_refused_even_for_an_administrator(case_a, mission_a):
    both = factories.CentralAdminFactory()
    factories.MembershipFactory(user=both, mission=mission_a)
    screening = services.screening_start(actor=both, case_id=case_a.pk)
    screening = fill(screening, both, complete_answers())
    screening = services.screening_submit(
        actor=both, screening_id=screening.pk, version=screening.version
    )
    with pytest.raises(ApplicationError) as exc:
        services.determination_review(
            actor=both, screening_id=screening.pk, version=screening.version, approve=True
        )
    assert exc.value.code == "self_review"


def test_rescreening_keeps_earlier_screenings_and_latest_approved_is_current(
    submitted_screening, central_admin, caseworker_a, case_a
):
    first = services.determination_review(
        actor=central_admin,
        screening_id=submitted_screening.pk,
        version=submitted_screening.version,
        approve=True,
    )
    second = services.screening_start(actor=caseworker_a, case_id=case_a.pk)
    second = fill(second, caseworker_a, complete_answers())
    second = services.screening_submit(
        actor=caseworker_a, screening_id=second.pk, version=second.version
    )
    assert screening_current(case=case_a) == first
    second = services.determination_review(
        actor=central_admin, screening_id=second.pk, version=second.version, approve=True
    )
    assert screening_current(case=case_a) == second
    assert case_a.screenings.count() == 2


def test_review_queue_lists_oldest_first_for_administrators_only(
    submitted_screening, central_admin, caseworker_a, case_b, caseworker_b
):
    other = services.screening_start(actor=caseworker_b, case_id=case_b.pk)
    other = fill(other, caseworker_b, complete_answers())
    services.screening_submit(actor=caseworker_b, screening_id=other.pk, version=other.version)
    Screening.objects.filter(pk=other.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=2)
    )
    assert [s.pk for s in review_queue(user=central_admin)] == [other.pk, submitted_screening.pk]
    assert list(review_queue(user=central_admin, mission_id=case_b.mission_id)) == [other]
    assert list(review_queue(user=caseworker_a)) == []
