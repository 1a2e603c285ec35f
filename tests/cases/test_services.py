import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import AuditAction, AuditEvent, Case
from cases.services import (
    ASSIGNEE_NOT_CASEWORKER_MESSAGE,
    MISSION_NOT_ALLOWED_MESSAGE,
    STALE_VERSION_MESSAGE,
    case_create,
    case_update,
)
from config.errors import ApplicationError, StaleVersionError

pytestmark = pytest.mark.django_db

REGISTERED_ON = datetime.date(2024, 6, 15)


def _person(**overrides):
    return {
        "given_name": "Anjali",
        "family_name": "Tamang",
        "gender": "Feminine",
        "citizenships": ["NPL"],
        **overrides,
    }


def test_case_create_derives_birth_year_and_age(caseworker_a, mission_a):
    case = case_create(
        actor=caseworker_a,
        mission=mission_a,
        person=_person(date_of_birth=datetime.date(2000, 6, 16)),
        registered_on=REGISTERED_ON,
    )

    assert (case.person.birth_year, case.person.age_at_registration) == (2000, 23)


def test_case_create_derives_age_from_birth_year_alone(caseworker_a, mission_a):
    case = case_create(
        actor=caseworker_a,
        mission=mission_a,
        person=_person(birth_year=1990),
        registered_on=REGISTERED_ON,
    )

    assert case.person.age_at_registration == 34


def test_case_create_refuses_date_of_birth_in_the_future(caseworker_a, mission_a):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as excinfo:
        case_create(actor=caseworker_a, mission=mission_a, person=_person(date_of_birth=tomorrow))

    assert "date_of_birth" in excinfo.value.message_dict
    assert not Case.objects.exists()


def test_case_create_refuses_unknown_citizenship_code(caseworker_a, mission_a):
    with pytest.raises(ValidationError) as excinfo:
        case_create(actor=caseworker_a, mission=mission_a, person=_person(citizenships=["XXX"]))

    assert "citizenships" in excinfo.value.message_dict
    assert not Case.objects.exists()


def test_case_create_refuses_unknown_language_code(caseworker_a, mission_a):
    with pytest.raises(ValidationError) as excinfo:
        case_create(actor=caseworker_a, mission=mission_a, person=_person(languages=["zz"]))

    assert "languages" in excinfo.value.message_dict


def test_case_create_refuses_unknown_gender_code(caseworker_a, mission_a):
    with pytest.raises(ValidationError) as excinfo:
        case_create(actor=caseworker_a, mission=mission_a, person=_person(gender="Other"))

    assert "gender" in excinfo.value.message_dict


def test_case_create_refuses_mission_out_of_scope(caseworker_a, mission_b):
    with pytest.raises(ApplicationError) as excinfo:
        case_create(actor=caseworker_a, mission=mission_b, person=_person())

    assert excinfo.value.message == MISSION_NOT_ALLOWED_MESSAGE
    assert not Case.objects.exists()


def test_case_create_refuses_researcher(researcher, mission_a):
    with pytest.raises(ApplicationError):
        case_create(actor=researcher, mission=mission_a, person=_person())

    assert not Case.objects.exists()


def test_case_create_refuses_assignee_who_is_not_a_caseworker_of_the_mission(
    caseworker_a, caseworker_b, mission_a
):
    with pytest.raises(ValidationError) as excinfo:
        case_create(
            actor=caseworker_a, mission=mission_a, person=_person(), assigned_to=caseworker_b
        )

    assert excinfo.value.message_dict["assigned_to"] == [ASSIGNEE_NOT_CASEWORKER_MESSAGE]
    assert not Case.objects.exists()


def test_case_create_audits_the_creation(caseworker_a, mission_a):
    case = case_create(actor=caseworker_a, mission=mission_a, person=_person())

    event = AuditEvent.objects.get(action=AuditAction.CASE_CREATED)
    assert (event.case_id, event.actor_id, event.mission_id) == (
        case.pk,
        caseworker_a.pk,
        mission_a.pk,
    )


@pytest.fixture
def created_case(caseworker_a, mission_a):
    return case_create(
        actor=caseworker_a, mission=mission_a, person=_person(), registered_on=REGISTERED_ON
    )


def test_case_update_increments_version(caseworker_a, created_case):
    updated = case_update(
        actor=caseworker_a, case_id=created_case.pk, version=1, data={"given_name": "Asha"}
    )

    assert updated.version == 2


def test_case_update_refuses_stale_version_and_writes_nothing(caseworker_a, created_case):
    case_update(actor=caseworker_a, case_id=created_case.pk, version=1, data={"phone": "1"})
    events_before = AuditEvent.objects.count()

    with pytest.raises(StaleVersionError) as excinfo:
        case_update(
            actor=caseworker_a, case_id=created_case.pk, version=1, data={"given_name": "Asha"}
        )

    case = Case.objects.select_related("person").get(pk=created_case.pk)
    assert excinfo.value.message == STALE_VERSION_MESSAGE
    assert (case.version, case.person.given_name) == (2, "Anjali")
    assert AuditEvent.objects.count() == events_before


def test_case_update_audits_changed_field_names_only(caseworker_a, created_case):
    case_update(
        actor=caseworker_a,
        case_id=created_case.pk,
        version=1,
        data={"given_name": "Sunita", "phone": "+977 9800000000", "family_name": "Tamang"},
    )

    event = AuditEvent.objects.get(action=AuditAction.CASE_UPDATED)
    assert event.detail == {"fields": ["given_name", "phone"]}


def test_case_update_refuses_unknown_field(caseworker_a, created_case):
    with pytest.raises(ApplicationError) as excinfo:
        case_update(actor=caseworker_a, case_id=created_case.pk, version=1, data={"status": "x"})

    assert "status" in excinfo.value.errors
    assert Case.objects.get(pk=created_case.pk).version == 1


def test_case_update_refuses_future_date_of_birth_and_writes_nothing(caseworker_a, created_case):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError):
        case_update(
            actor=caseworker_a,
            case_id=created_case.pk,
            version=1,
            data={"date_of_birth": tomorrow},
        )

    case = Case.objects.select_related("person").get(pk=created_case.pk)
    assert (case.version, case.person.date_of_birth) == (1, None)


@pytest.mark.django_db
def test_update_without_changes_keeps_the_version(case_a, caseworker_a):
    unchanged = case_update(
        actor=caseworker_a,
        case_id=case_a.pk,
        version=case_a.version,
        data={"gender": case_a.person.gender},
    )
    assert unchanged.version == case_a.version
