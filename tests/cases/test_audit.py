import datetime

import pytest
from django.core import serializers
from django.db import DatabaseError, connection, transaction

from cases.models import AuditAction, AuditEvent
from cases.selectors import case_get
from cases.services import case_create, case_update
from tests import factories

pytestmark = pytest.mark.django_db

GIVEN_NAME = "Xanthippe"
FAMILY_NAME = "Vorobyeva-Quist"
PHONE = "+380 44 987 6543"
DATE_OF_BIRTH = datetime.date(1987, 11, 29)


def test_update_of_an_audit_row_is_refused_by_the_database():
    event = factories.AuditEventFactory()

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_auditevent SET action = %s WHERE id = %s",
            [AuditAction.SIGN_IN, event.pk],
        )

    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.CASE_VIEWED


def test_delete_of_an_audit_row_is_refused_by_the_database():
    event = factories.AuditEventFactory()

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_auditevent WHERE id = %s", [event.pk])

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_rows_never_contain_personal_data(caseworker_a, mission_a):
    case = case_create(
        actor=caseworker_a,
        mission=mission_a,
        person={
            "given_name": GIVEN_NAME,
            "family_name": FAMILY_NAME,
            "gender": "Feminine",
            "date_of_birth": DATE_OF_BIRTH,
            "phone": PHONE,
        },
    )
    case_get(user=caseworker_a, case_id=case.pk)
    case_update(
        actor=caseworker_a,
        case_id=case.pk,
        version=case.version,
        data={"given_name": GIVEN_NAME + "a", "address": "12 Khreshchatyk"},
    )

    dumped = serializers.serialize("json", AuditEvent.objects.all())

    assert AuditEvent.objects.count() == 3
    assert not [
        value
        for value in (GIVEN_NAME, FAMILY_NAME, PHONE, DATE_OF_BIRTH.isoformat(), "Khreshchatyk")
        if value in dumped
    ]


@pytest.mark.django_db
def test_refused_access_inside_a_rolled_back_service_is_still_audited(
    case_b, caseworker_a, client_for
):

    client = client_for(caseworker_a)
    response = client.post(f"/screenings/start/{case_b.pk}/")
    assert response.status_code == 404
    refused = AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=caseworker_a)
    assert refused.count() == 1
    assert refused.get().detail == {"object_type": "cases.case", "object_id": str(case_b.pk)}


@pytest.mark.django_db
def test_refused_api_access_inside_a_service_is_audited(case_b, caseworker_a, client_for):

    client = client_for(caseworker_a)
    response = client.patch(
        f"/api/v1/cases/{case_b.pk}/", {"version": 1}, content_type="application/json"
    )
    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REFUSED, actor=caseworker_a, mission=case_b.mission
    ).exists()


@pytest.mark.django_db
def test_refused_screening_access_is_audited(case_a, caseworker_a, caseworker_b, client_for):

    from screening.services import screening_start

    screening = screening_start(actor=caseworker_a, case_id=case_a.pk)
    response = client_for(caseworker_b).get(f"/screenings/{screening.pk}/")
    assert response.status_code == 404
    event = AuditEvent.objects.get(action=AuditAction.ACCESS_REFUSED, actor=caseworker_b)
    assert event.detail["object_type"] == "screening.screening"
