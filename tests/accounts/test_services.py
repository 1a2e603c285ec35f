import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from accounts import services
from accounts.models import Membership, Mission, User
from cases.models import AuditAction, AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "lantern-orchard-47-velvet"


def _messages(exc_info, field):
    return exc_info.value.message_dict[field]


def _create(actor, **overrides):
    values = {
        "email": "new.person@harbour.test",
        "full_name": "New Person",
        "password": STRONG_PASSWORD,
    }
    values.update(overrides)
    return services.user_create(actor=actor, **values)


def _update(actor, user, **overrides):
    values = {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": user.is_active,
        "is_central_admin": user.is_central_admin,
        "is_researcher": user.is_researcher,
    }
    values.update(overrides)
    return services.user_update(actor=actor, user=user, **values)


def test_user_create_stores_a_lower_case_email_and_a_usable_password(central_admin):
    user = _create(central_admin, email="New.Person@Harbour.TEST")

    assert user.email == "new.person@harbour.test"
    assert user.check_password(STRONG_PASSWORD)


def test_user_create_is_audited_without_personal_data(central_admin):
    user = _create(central_admin)

    event = AuditEvent.objects.get(action=AuditAction.USER_CREATED)
    assert (event.actor_id, event.object_id) == (central_admin.pk, str(user.pk))
    assert user.email not in str(event.detail)
    assert user.full_name not in str(event.detail)


@pytest.mark.parametrize("password", ["short-1", "password1234", "804519237761"])
def test_user_create_refuses_a_weak_password_and_creates_nothing(central_admin, password):
    with pytest.raises(ValidationError) as exc_info:
        _create(central_admin, password=password)

    assert _messages(exc_info, "password")
    assert not User.objects.filter(email="new.person@harbour.test").exists()
    assert not AuditEvent.objects.filter(action=AuditAction.USER_CREATED).exists()


def test_user_create_refuses_a_password_like_the_email(central_admin):
    with pytest.raises(ValidationError) as exc_info:
        _create(central_admin, email="lanternorchard@harbour.test", password="lanternorchard")

    assert _messages(exc_info, "password")


def test_user_create_refuses_an_email_taken_in_another_case(central_admin, caseworker_a):
    with pytest.raises(ValidationError) as exc_info:
        _create(central_admin, email=caseworker_a.email.upper())

    assert _messages(exc_info, "email") == [services.EMAIL_TAKEN_MESSAGE]


def test_user_create_refuses_researcher_and_central_admin_together(central_admin):
    with pytest.raises(ValidationError) as exc_info:
        _create(central_admin, is_researcher=True, is_central_admin=True)

    assert _messages(exc_info, "is_researcher") == [services.RESEARCHER_NOT_ADMIN_MESSAGE]
    assert not User.objects.filter(email="new.person@harbour.test").exists()


def test_user_update_audits_the_names_of_changed_fields_only(central_admin, caseworker_a):
    _update(central_admin, caseworker_a, full_name="Another Name", email="moved@harbour.test")

    event = AuditEvent.objects.get(action=AuditAction.USER_UPDATED)
    assert event.detail == {"fields": ["email", "full_name"]}
    assert "moved@harbour.test" not in str(event.detail)
    assert "Another Name" not in str(event.detail)


def test_user_update_without_change_writes_nothing(central_admin, caseworker_a):
    _update(central_admin, caseworker_a)

    assert not AuditEvent.objects.filter(action=AuditAction.USER_UPDATED).exists()


def test_user_update_refuses_an_email_taken_in_another_case(
    central_admin, caseworker_a, caseworker_b
):
    with pytest.raises(ValidationError) as exc_info:
        _update(central_admin, caseworker_a, email=caseworker_b.email.title())

    assert _messages(exc_info, "email") == [services.EMAIL_TAKEN_MESSAGE]
    caseworker_a.refresh_from_db()
    assert caseworker_a.email == "cw.a@harbour.test"


def test_admin_cannot_remove_their_own_admin_role(central_admin):
    with pytest.raises(ValidationError) as exc_info:
        _update(central_admin, central_admin, is_central_admin=False)

    assert _messages(exc_info, "is_central_admin") == [services.SELF_DEMOTION_MESSAGE]
    central_admin.refresh_from_db()
    assert central_admin.is_central_admin


def test_admin_cannot_deactivate_themselves(central_admin):
    with pytest.raises(ValidationError) as exc_info:
        _update(central_admin, central_admin, is_active=False)

    assert _messages(exc_info, "is_active") == [services.SELF_DEACTIVATION_MESSAGE]
    central_admin.refresh_from_db()
    assert central_admin.is_active


def test_admin_can_demote_another_admin(central_admin):
    other = factories.CentralAdminFactory()

    _update(central_admin, other, is_central_admin=False)

    other.refresh_from_db()
    assert not other.is_central_admin


def test_central_admin_cannot_change_a_superuser(central_admin, superuser):
    with pytest.raises(ValidationError) as exc_info:
        _update(central_admin, superuser, is_active=False)

    assert _messages(exc_info, NON_FIELD_ERRORS) == [services.SUPERUSER_PROTECTED_MESSAGE]


def test_member_of_a_mission_cannot_become_researcher(central_admin, caseworker_a):
    with pytest.raises(ValidationError) as exc_info:
        _update(central_admin, caseworker_a, is_researcher=True)

    assert _messages(exc_info, "is_researcher") == [services.RESEARCHER_HAS_MEMBERSHIPS_MESSAGE]


def test_central_admin_cannot_become_researcher(central_admin):
    other = factories.CentralAdminFactory()

    with pytest.raises(ValidationError) as exc_info:
        _update(central_admin, other, is_researcher=True)

    assert _messages(exc_info, "is_researcher") == [services.RESEARCHER_NOT_ADMIN_MESSAGE]


def test_membership_add_is_audited_with_ids_only(central_admin, mission_a):
    user = factories.UserFactory()

    membership = services.membership_add(actor=central_admin, user=user, mission=mission_a)

    event = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_ADDED)
    assert event.object_id == str(membership.pk)
    assert event.mission_id == mission_a.pk
    assert event.detail == {"user_id": user.pk, "role": Membership.Role.CASEWORKER}


def test_membership_add_refuses_a_researcher(central_admin, researcher, mission_a):
    with pytest.raises(ValidationError) as exc_info:
        services.membership_add(actor=central_admin, user=researcher, mission=mission_a)

    assert _messages(exc_info, "mission") == [services.RESEARCHER_NO_MEMBERSHIP_MESSAGE]
    assert not Membership.objects.filter(user=researcher).exists()


def test_membership_add_refuses_a_duplicate(central_admin, caseworker_a, mission_a):
    with pytest.raises(ValidationError) as exc_info:
        services.membership_add(actor=central_admin, user=caseworker_a, mission=mission_a)

    assert _messages(exc_info, "mission") == [services.MEMBERSHIP_EXISTS_MESSAGE]


def test_membership_add_refuses_an_inactive_mission(central_admin):
    mission = factories.MissionFactory(code="OLD", is_active=False)

    with pytest.raises(ValidationError) as exc_info:
        services.membership_add(actor=central_admin, user=factories.UserFactory(), mission=mission)

    assert _messages(exc_info, "mission") == [services.MISSION_INACTIVE_MESSAGE]


def test_membership_remove_deletes_and_audits(central_admin, caseworker_a, mission_a):
    membership = caseworker_a.memberships.get()
    membership_id = membership.pk

    services.membership_remove(actor=central_admin, membership=membership)

    event = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_REMOVED)
    assert not Membership.objects.filter(pk=membership_id).exists()
    assert (event.object_id, event.mission_id) == (str(membership_id), mission_a.pk)
    assert event.detail == {"user_id": caseworker_a.pk, "role": Membership.Role.CASEWORKER}


def test_mission_create_is_audited(central_admin):
    mission = services.mission_create(actor=central_admin, code="KEN", name="Kenya", country="KEN")

    event = AuditEvent.objects.get(action=AuditAction.MISSION_CREATED)
    assert (event.object_id, event.mission_id) == (str(mission.pk), mission.pk)


@pytest.mark.parametrize("code", ["K", "KENYANAIR", "ke", "K3N", "KE N", "KÉN", "KEN\n"])
def test_mission_create_refuses_a_malformed_code(central_admin, code):
    with pytest.raises(ValidationError) as exc_info:
        services.mission_create(actor=central_admin, code=code, name="Kenya", country="KEN")

    assert _messages(exc_info, "code") == [services.MISSION_CODE_MESSAGE]
    assert not Mission.objects.filter(name="Kenya").exists()


def test_mission_create_refuses_a_taken_code(central_admin, mission_a):
    with pytest.raises(ValidationError) as exc_info:
        services.mission_create(actor=central_admin, code="AAA", name="Again", country="NPL")

    assert _messages(exc_info, "code") == [services.MISSION_CODE_TAKEN_MESSAGE]


@pytest.mark.parametrize("country", ["XXX", "ke", "KE", ""])
def test_mission_create_refuses_an_unknown_country(central_admin, country):
    with pytest.raises(ValidationError) as exc_info:
        services.mission_create(actor=central_admin, code="KEN", name="Kenya", country=country)

    assert _messages(exc_info, "country") == [services.COUNTRY_UNKNOWN_MESSAGE]


def test_mission_update_audits_changed_field_names(central_admin, mission_a):
    services.mission_update(
        actor=central_admin, mission=mission_a, name="Renamed", country="IND", is_active=True
    )

    event = AuditEvent.objects.get(action=AuditAction.MISSION_UPDATED)
    assert event.detail == {"fields": ["name", "country"]}
    mission_a.refresh_from_db()
    assert (mission_a.name, mission_a.country) == ("Renamed", "IND")


def test_mission_update_refuses_an_unknown_country(central_admin, mission_a):
    with pytest.raises(ValidationError) as exc_info:
        services.mission_update(
            actor=central_admin, mission=mission_a, name="A", country="ZZZ", is_active=True
        )

    assert _messages(exc_info, "country") == [services.COUNTRY_UNKNOWN_MESSAGE]
    mission_a.refresh_from_db()
    assert mission_a.country == "NPL"
