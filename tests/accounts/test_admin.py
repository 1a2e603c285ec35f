import datetime
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Mission, User
from accounts.second_factor.policy import VERIFIED_AT_SESSION_KEY
from accounts.services import RESEARCHER_NO_MEMBERSHIP_MESSAGE
from cases.models import AuditAction, AuditEvent, Case, Person
from tests import factories
from tests.second_factor import verified_login

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "lantern-orchard-47-velvet"


@pytest.fixture
def superuser_client(client, superuser):
    verified_login(client, superuser)
    return client


@pytest.mark.parametrize("model", [Case, Person])
def test_case_data_is_not_in_the_django_admin(model):
    assert not admin.site.is_registered(model)


@pytest.mark.parametrize("model", [AccessAttempt, AccessFailureLog, AccessLog])
def test_the_lockouts_rows_are_not_in_the_django_admin(model):
    # Attempted usernames and addresses: kept for the lockout only, read or edited by nobody.
    assert not admin.site.is_registered(model)


@pytest.mark.parametrize("model", [User, Mission, Membership, AuditEvent])
def test_accounts_and_audit_are_in_the_django_admin(model):
    assert admin.site.is_registered(model)


def test_superuser_can_read_the_audit_trail_in_the_admin(superuser_client):
    factories.AuditEventFactory()

    response = superuser_client.get(reverse("admin:cases_auditevent_changelist"))

    assert response.status_code == 200


def test_audit_events_cannot_be_added_in_the_admin(superuser_client):
    response = superuser_client.get(reverse("admin:cases_auditevent_add"))

    assert response.status_code == 403


def test_audit_events_cannot_be_changed_in_the_admin(superuser_client):
    event = factories.AuditEventFactory()
    url = reverse("admin:cases_auditevent_change", args=[event.pk])

    response = superuser_client.post(url, {"action": AuditAction.SIGN_IN})

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.action == AuditAction.CASE_VIEWED


def test_audit_events_cannot_be_deleted_in_the_admin(superuser_client):
    event = factories.AuditEventFactory()
    url = reverse("admin:cases_auditevent_delete", args=[event.pk])

    response = superuser_client.post(url, {"post": "yes"})

    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "url_name",
    ["admin:accounts_user_changelist", "admin:cases_auditevent_changelist"],
)
def test_staff_without_superuser_cannot_use_the_admin_models(client, url_name):
    verified_login(client, factories.UserFactory(is_staff=True))

    response = client.get(reverse(url_name))

    assert response.status_code == 403


def test_superuser_creates_a_user_in_the_admin_and_it_is_audited(superuser_client):
    response = superuser_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Admin.Made@Harbour.test",
            "full_name": "Admin Made",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
    )

    user = User.objects.get(email="admin.made@harbour.test")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action=AuditAction.USER_CREATED, object_id=str(user.pk)
    ).exists()


def test_admin_user_form_refuses_a_duplicate_email(superuser_client, caseworker_a):
    response = superuser_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": caseworker_a.email.upper(),
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"]


def test_admin_membership_refuses_a_researcher(superuser_client, researcher, mission_a):
    response = superuser_client.post(
        reverse("admin:accounts_membership_add"),
        {"user": researcher.pk, "mission": mission_a.pk, "role": "caseworker"},
    )

    errors = response.context["adminform"].form.errors
    assert errors["user"] == [RESEARCHER_NO_MEMBERSHIP_MESSAGE]
    assert not Membership.objects.filter(user=researcher).exists()


def test_admin_membership_delete_is_audited(superuser_client, caseworker_a):
    membership = caseworker_a.memberships.get()

    superuser_client.post(
        reverse("admin:accounts_membership_delete", args=[membership.pk]), {"post": "yes"}
    )

    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.MEMBERSHIP_REMOVED, object_id=str(membership.pk)
    ).exists()


def test_admin_mission_code_is_read_only_once_created(superuser_client, mission_a):
    superuser_client.post(
        reverse("admin:accounts_mission_change", args=[mission_a.pk]),
        {"code": "ZZZ", "name": "Mission A", "country": "NPL", "is_active": "on"},
    )

    mission_a.refresh_from_db()
    assert mission_a.code == "AAA"


def _stale(client, minutes=60):
    session = client.session
    session[VERIFIED_AT_SESSION_KEY] = (
        timezone.now() - datetime.timedelta(minutes=minutes)
    ).isoformat()
    session.save()


def test_a_change_in_the_admin_asks_for_a_recent_second_factor(superuser_client, caseworker_a):
    _stale(superuser_client)
    url = reverse("admin:accounts_user_change", args=[caseworker_a.pk])

    shown = superuser_client.get(url)
    posted = superuser_client.post(
        url, {"email": caseworker_a.email, "is_active": "on", "is_superuser": "on"}
    )

    caseworker_a.refresh_from_db()
    assert shown.status_code == 200
    assert posted["Location"] == f"{reverse('accounts:reauthenticate')}?{urlencode({'next': url})}"
    assert not caseworker_a.is_superuser
    assert not AuditEvent.objects.filter(action=AuditAction.USER_UPDATED).exists()


def test_a_membership_delete_in_the_admin_asks_for_a_recent_second_factor(
    superuser_client, caseworker_a
):
    membership = caseworker_a.memberships.get()
    _stale(superuser_client)

    response = superuser_client.post(
        reverse("admin:accounts_membership_delete", args=[membership.pk]), {"post": "yes"}
    )

    assert response["Location"].startswith(reverse("accounts:reauthenticate"))
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_signing_out_of_the_admin_needs_no_recent_second_factor(superuser_client):
    _stale(superuser_client)

    response = superuser_client.post(reverse("admin:logout"))

    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in superuser_client.session
