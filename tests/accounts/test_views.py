import pytest
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import Membership, Mission, User
from cases.models import AuditAction, AuditEvent
from tests import factories
from tests.second_factor import SECOND_FACTOR_QUERIES, verified_login

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "lantern-orchard-47-velvet"


def _management_urls(user_id, membership_id, mission_id):
    return [
        ("get", reverse("accounts:user_list")),
        ("get", reverse("accounts:user_create")),
        ("post", reverse("accounts:user_create")),
        ("get", reverse("accounts:user_edit", kwargs={"user_id": user_id})),
        ("post", reverse("accounts:user_edit", kwargs={"user_id": user_id})),
        ("post", reverse("accounts:membership_add", kwargs={"user_id": user_id})),
        (
            "get",
            reverse(
                "accounts:membership_remove",
                kwargs={"user_id": user_id, "membership_id": membership_id},
            ),
        ),
        (
            "post",
            reverse(
                "accounts:membership_remove",
                kwargs={"user_id": user_id, "membership_id": membership_id},
            ),
        ),
        ("get", reverse("accounts:mission_list")),
        ("get", reverse("accounts:mission_create")),
        ("post", reverse("accounts:mission_create")),
        ("get", reverse("accounts:mission_edit", kwargs={"mission_id": mission_id})),
        ("post", reverse("accounts:mission_edit", kwargs={"mission_id": mission_id})),
    ]


@pytest.fixture
def admin_client(client, central_admin):
    verified_login(client, central_admin)
    return client


def _user_data(**overrides):
    data = {
        "email": "new.person@harbour.test",
        "full_name": "New Person",
        "password": STRONG_PASSWORD,
        "is_active": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _edit_data(user, **overrides):
    data = {"email": user.email, "full_name": user.full_name}
    for flag in ("is_active", "is_central_admin", "is_researcher"):
        if getattr(user, flag):
            data[flag] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize(
    "role", ["caseworker_a", "researcher", "plain_user", "inactive_admin", "staff_user"]
)
def test_non_admins_get_404_on_every_management_url(request, client, caseworker_a, role):
    users = {
        "plain_user": lambda: factories.UserFactory(),
        "inactive_admin": lambda: factories.CentralAdminFactory(is_active=False),
        "staff_user": lambda: factories.UserFactory(is_staff=True),
    }
    user = users[role]() if role in users else request.getfixturevalue(role)
    membership = caseworker_a.memberships.get()
    verified_login(client, user)

    for method, url in _management_urls(caseworker_a.pk, membership.pk, membership.mission_id):
        response = getattr(client, method)(url)
        assert response.status_code in (302, 404), url
        if response.status_code == 302:
            # An inactive account's session is dropped: it is sent to sign in, never served.
            assert role == "inactive_admin"
            assert response.url.startswith(reverse("accounts:login"))
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_anonymous_is_sent_to_sign_in_on_every_management_url(client, caseworker_a):
    membership = caseworker_a.memberships.get()

    for method, url in _management_urls(caseworker_a.pk, membership.pk, membership.mission_id):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("accounts:login"))


def test_superuser_may_open_the_user_list(client, superuser):
    verified_login(client, superuser)

    assert client.get(reverse("accounts:user_list")).status_code == 200


def test_user_list_shows_accounts_and_their_missions(admin_client, caseworker_a):
    response = admin_client.get(reverse("accounts:user_list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert caseworker_a.email in body
    assert "AAA" in body


def test_user_list_query_count_does_not_grow_with_users(
    admin_client, django_assert_max_num_queries, mission_a, mission_b
):
    for index in range(20):
        user = factories.UserFactory()
        factories.MembershipFactory(user=user, mission=mission_a if index % 2 else mission_b)

    with django_assert_max_num_queries(10 + SECOND_FACTOR_QUERIES):
        response = admin_client.get(reverse("accounts:user_list"))

    assert len(response.context["page_obj"].object_list) == 21


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"role": "caseworker"}, {"cw.a@harbour.test", "cw.b@harbour.test"}),
        ({"role": "central_admin"}, {"admin@harbour.test"}),
        ({"role": "researcher"}, {"research@harbour.test"}),
        ({"role": "none"}, {"nobody@harbour.test"}),
        ({"active": "no"}, {"nobody@harbour.test"}),
        ({"role": "caseworker", "mission": "MISSION_A"}, {"cw.a@harbour.test"}),
    ],
)
def test_user_list_filters(admin_client, caseworker_a, caseworker_b, researcher, query, expected):
    factories.UserFactory(email="nobody@harbour.test", is_active=False)
    if query.get("mission") == "MISSION_A":
        query = {**query, "mission": caseworker_a.memberships.get().mission_id}

    response = admin_client.get(reverse("accounts:user_list"), query)

    assert {user.email for user in response.context["page_obj"].object_list} == expected


def test_user_list_ignores_a_malformed_filter(admin_client, caseworker_a):
    response = admin_client.get(
        reverse("accounts:user_list"), {"mission": "not-a-number", "role": "king", "page": "x"}
    )

    assert response.status_code == 200
    assert caseworker_a in response.context["page_obj"].object_list


def test_user_list_is_paginated(admin_client):
    factories.UserFactory.create_batch(30)

    response = admin_client.get(reverse("accounts:user_list"), {"page": 2})

    page = response.context["page_obj"]
    assert page.number == 2
    assert len(page.object_list) == 31 - 25


def test_user_create_redirects_to_the_new_account(admin_client):
    response = admin_client.post(reverse("accounts:user_create"), _user_data())

    user = User.objects.get(email="new.person@harbour.test")
    assert response.status_code == 302
    assert response.url == reverse("accounts:user_edit", kwargs={"user_id": user.pk})
    assert AuditEvent.objects.filter(action=AuditAction.USER_CREATED).count() == 1


@pytest.mark.parametrize("password", ["short-1", "password1234", "804519237761", ""])
def test_user_create_with_a_weak_password_shows_a_field_error(admin_client, password):
    response = admin_client.post(reverse("accounts:user_create"), _user_data(password=password))

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(email="new.person@harbour.test").exists()


def test_user_create_with_a_duplicate_email_shows_a_field_error(admin_client, caseworker_a):
    response = admin_client.post(
        reverse("accounts:user_create"), _user_data(email="CW.A@harbour.test")
    )

    assert response.context["form"].errors["email"] == [services.EMAIL_TAKEN_MESSAGE]
    assert User.objects.filter(email__iexact="cw.a@harbour.test").count() == 1


def test_user_create_with_a_malformed_email_shows_a_field_error(admin_client):
    response = admin_client.post(reverse("accounts:user_create"), _user_data(email="not-email"))

    assert response.context["form"].errors["email"]
    assert not User.objects.filter(full_name="New Person").exists()


def test_user_create_refuses_researcher_and_admin(admin_client):
    response = admin_client.post(
        reverse("accounts:user_create"),
        _user_data(is_researcher="on", is_central_admin="on"),
    )

    form = response.context["form"]
    assert form.errors["is_researcher"] == [services.RESEARCHER_NOT_ADMIN_MESSAGE]
    assert not User.objects.filter(email="new.person@harbour.test").exists()


def test_user_create_without_csrf_token_is_refused(central_admin):
    client = Client(enforce_csrf_checks=True)
    verified_login(client, central_admin)

    response = client.post(reverse("accounts:user_create"), _user_data())

    assert response.status_code == 403
    assert not User.objects.filter(email="new.person@harbour.test").exists()


def test_user_edit_page_shows_the_memberships(admin_client, caseworker_a):
    response = admin_client.get(reverse("accounts:user_edit", kwargs={"user_id": caseworker_a.pk}))

    assert response.status_code == 200
    assert list(response.context["memberships"]) == list(caseworker_a.memberships.all())


def test_user_edit_of_a_missing_user_is_404(admin_client):
    response = admin_client.get(reverse("accounts:user_edit", kwargs={"user_id": 999999}))

    assert response.status_code == 404


def test_user_edit_saves_and_audits_field_names(admin_client, caseworker_a):
    url = reverse("accounts:user_edit", kwargs={"user_id": caseworker_a.pk})

    response = admin_client.post(url, _edit_data(caseworker_a, full_name="Changed Name"))

    caseworker_a.refresh_from_db()
    event = AuditEvent.objects.get(action=AuditAction.USER_UPDATED)
    assert response.status_code == 302
    assert caseworker_a.full_name == "Changed Name"
    assert event.detail == {"fields": ["full_name"]}


def test_self_demotion_is_refused_with_a_field_error(admin_client, central_admin):
    url = reverse("accounts:user_edit", kwargs={"user_id": central_admin.pk})

    response = admin_client.post(url, _edit_data(central_admin, is_central_admin=None))

    form = response.context["form"]
    assert form.errors["is_central_admin"] == [services.SELF_DEMOTION_MESSAGE]
    central_admin.refresh_from_db()
    assert central_admin.is_central_admin


def test_self_deactivation_is_refused_with_a_field_error(admin_client, central_admin):
    url = reverse("accounts:user_edit", kwargs={"user_id": central_admin.pk})

    response = admin_client.post(url, _edit_data(central_admin, is_active=None))

    assert response.context["form"].errors["is_active"] == [services.SELF_DEACTIVATION_MESSAGE]
    central_admin.refresh_from_db()
    assert central_admin.is_active


def test_editing_a_superuser_is_refused_for_a_central_admin(admin_client, superuser):
    url = reverse("accounts:user_edit", kwargs={"user_id": superuser.pk})

    response = admin_client.post(url, _edit_data(superuser, is_active=None))

    assert response.context["form"].non_field_errors() == [services.SUPERUSER_PROTECTED_MESSAGE]
    superuser.refresh_from_db()
    assert superuser.is_active


def test_membership_add_creates_and_audits(admin_client, mission_a):
    user = factories.UserFactory()
    url = reverse("accounts:membership_add", kwargs={"user_id": user.pk})

    response = admin_client.post(url, {"mission": mission_a.pk, "role": "caseworker"})

    assert response.status_code == 302
    assert Membership.objects.filter(user=user, mission=mission_a).exists()
    event = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_ADDED)
    assert user.email not in str(event.detail)
    assert user.full_name not in str(event.detail)


def test_membership_add_by_get_is_not_allowed(admin_client, caseworker_a):
    url = reverse("accounts:membership_add", kwargs={"user_id": caseworker_a.pk})

    assert admin_client.get(url).status_code == 405


def test_membership_add_for_a_researcher_is_refused(admin_client, researcher, mission_a):
    url = reverse("accounts:membership_add", kwargs={"user_id": researcher.pk})

    response = admin_client.post(url, {"mission": mission_a.pk, "role": "caseworker"})

    errors = response.context["membership_form"].errors
    assert errors["mission"] == [services.RESEARCHER_NO_MEMBERSHIP_MESSAGE]
    assert not Membership.objects.filter(user=researcher).exists()


@pytest.mark.parametrize(
    "data", [{}, {"mission": "abc", "role": "caseworker"}, {"mission": "MID", "role": "boss"}]
)
def test_membership_add_with_bad_input_shows_errors(admin_client, mission_a, data):
    user = factories.UserFactory()
    if data.get("mission") == "MID":
        data = {**data, "mission": mission_a.pk}
    url = reverse("accounts:membership_add", kwargs={"user_id": user.pk})

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["membership_form"].errors
    assert not Membership.objects.filter(user=user).exists()


def test_membership_remove_get_asks_for_confirmation(admin_client, caseworker_a):
    membership = caseworker_a.memberships.get()
    url = reverse(
        "accounts:membership_remove",
        kwargs={"user_id": caseworker_a.pk, "membership_id": membership.pk},
    )

    response = admin_client.get(url)

    assert response.status_code == 200
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_membership_remove_post_deletes_and_audits(admin_client, caseworker_a, mission_a):
    membership = caseworker_a.memberships.get()
    url = reverse(
        "accounts:membership_remove",
        kwargs={"user_id": caseworker_a.pk, "membership_id": membership.pk},
    )

    response = admin_client.post(url)

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.MEMBERSHIP_REMOVED)
    assert event.mission_id == mission_a.pk
    assert caseworker_a.email not in str(event.detail)


def test_membership_remove_of_another_users_membership_is_404(
    admin_client, caseworker_a, caseworker_b
):
    other_membership = caseworker_b.memberships.get()
    url = reverse(
        "accounts:membership_remove",
        kwargs={"user_id": caseworker_a.pk, "membership_id": other_membership.pk},
    )

    response = admin_client.post(url)

    assert response.status_code == 404
    assert Membership.objects.filter(pk=other_membership.pk).exists()


def test_mission_list_shows_missions(admin_client, mission_a, mission_b):
    response = admin_client.get(reverse("accounts:mission_list"))

    assert list(response.context["missions"]) == [mission_a, mission_b]


def test_mission_list_query_count_is_fixed(admin_client, django_assert_max_num_queries, mission_a):
    factories.MissionFactory.create_batch(15)

    with django_assert_max_num_queries(7 + SECOND_FACTOR_QUERIES):
        admin_client.get(reverse("accounts:mission_list"))


def test_mission_create_upper_cases_the_code(admin_client):
    response = admin_client.post(
        reverse("accounts:mission_create"),
        {"code": "ken", "name": "Kenya", "country": "KEN", "is_active": "on"},
    )

    assert response.status_code == 302
    assert Mission.objects.filter(code="KEN", country="KEN").exists()
    assert AuditEvent.objects.filter(action=AuditAction.MISSION_CREATED).count() == 1


@pytest.mark.parametrize("code", ["K", "K3N", "TOOLONGCODE", "K-N", ""])
def test_mission_create_with_a_bad_code_shows_a_field_error(admin_client, code):
    response = admin_client.post(
        reverse("accounts:mission_create"), {"code": code, "name": "Kenya", "country": "KEN"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not Mission.objects.filter(name="Kenya").exists()


@pytest.mark.parametrize("country", ["XXX", "ke", ""])
def test_mission_create_with_an_unknown_country_shows_a_field_error(admin_client, country):
    response = admin_client.post(
        reverse("accounts:mission_create"), {"code": "KEN", "name": "Kenya", "country": country}
    )

    assert response.context["form"].errors["country"]
    assert not Mission.objects.filter(code="KEN").exists()


def test_mission_edit_saves_and_audits(admin_client, mission_a):
    url = reverse("accounts:mission_edit", kwargs={"mission_id": mission_a.pk})

    response = admin_client.post(url, {"name": "Mission A", "country": "NPL"})

    mission_a.refresh_from_db()
    assert response.status_code == 302
    assert not mission_a.is_active
    event = AuditEvent.objects.get(action=AuditAction.MISSION_UPDATED)
    assert event.detail == {"fields": ["is_active"]}


def test_mission_edit_cannot_change_the_code(admin_client, mission_a):
    url = reverse("accounts:mission_edit", kwargs={"mission_id": mission_a.pk})

    admin_client.post(
        url, {"code": "ZZZ", "name": "Mission A", "country": "NPL", "is_active": "on"}
    )

    mission_a.refresh_from_db()
    assert mission_a.code == "AAA"


def test_mission_edit_of_a_missing_mission_is_404(admin_client):
    response = admin_client.get(reverse("accounts:mission_edit", kwargs={"mission_id": 999999}))

    assert response.status_code == 404
