"""Sign-in history: what is audited, each user's own page, the administrators' page with its
filters, and the dashboard warning about an account under attack."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.passwords import services as password_services
from accounts.sign_ins.forms import DATE_RANGE_MESSAGE
from accounts.sign_ins.selectors import sign_in_warnings
from cases.models import AuditAction, AuditEvent
from tests import factories
from tests.second_factor import SECOND_FACTOR_QUERIES, verified_login

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
OWN_URL = reverse("accounts:sign_ins")
ALL_URL = reverse("accounts:sign_ins_all")
DASHBOARD_URL = reverse("dashboard")
WRONG_PASSWORD = "not-the-password-at-all"


def fail(email, *, ip="10.0.0.1"):
    return Client().post(LOGIN_URL, {"username": email, "password": WRONG_PASSWORD}, REMOTE_ADDR=ip)


def event(action, *, actor=None, about=None, ip=None, ago=datetime.timedelta(0), **extra):
    fields = {
        "action": action,
        "actor": actor,
        "ip_address": ip,
        "occurred_at": timezone.now() - ago,
        **extra,
    }
    if about is not None:
        fields.update(object_type="accounts.user", object_id=str(about.pk))
    return factories.AuditEventFactory(**fields)


@pytest.fixture
def account():
    return factories.UserFactory(email="worker@harbour.test")


# What is audited


def test_a_failure_naming_an_account_points_at_it(account):
    fail("Worker@harbour.test")

    row = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert (row.object_type, row.object_id) == ("accounts.user", str(account.pk))
    assert row.actor is None
    assert row.ip_address == "10.0.0.1"
    assert "worker" not in str(row.detail)


def test_a_failure_naming_nobody_points_at_nothing(account):
    fail("nobody@harbour.test")

    row = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert (row.object_type, row.object_id) == ("", "")
    assert row.detail == {}


def test_a_lockout_points_at_the_account(account, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        fail(account.email)

    row = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_LOCKED_OUT).first()
    assert row.object_id == str(account.pk)


def test_a_sign_in_is_audited_with_the_address(account):
    Client().post(
        LOGIN_URL,
        {"username": account.email, "password": factories.DEFAULT_PASSWORD},
        REMOTE_ADDR="10.9.9.9",
    )

    row = AuditEvent.objects.get(action=AuditAction.SIGN_IN)
    assert row.actor == account
    assert row.ip_address == "10.9.9.9"


# Own page


@pytest.fixture
def own(client, account):
    verified_login(client, account)
    return client


def test_own_page_shows_my_sign_ins_and_failures_naming_me(own, account):
    event(AuditAction.SIGN_IN, actor=account, ip="192.0.2.10")
    event(AuditAction.SIGN_IN_FAILED, about=account, ip="198.51.100.7")

    body = own.get(OWN_URL).content.decode()

    assert "192.0.2.10" in body
    assert "198.51.100.7" in body
    assert "Was each of these you?" in body


@pytest.mark.parametrize(
    "action",
    [
        AuditAction.SECOND_FACTOR_VERIFIED,
        AuditAction.SECOND_FACTOR_FAILED,
        AuditAction.SECOND_FACTOR_ENROLLED,
        AuditAction.SECOND_FACTOR_REMOVED,
        AuditAction.PASSWORD_CHANGED,
        AuditAction.API_TOKEN_CREATED,
        AuditAction.API_TOKEN_REVOKED,
    ],
)
def test_own_page_shows_my_factor_password_and_token_events(own, account, action):
    event(action, actor=account, ip="192.0.2.77")

    body = own.get(OWN_URL).content.decode()

    assert "192.0.2.77" in body
    assert str(action.label) in body


def test_own_page_hides_other_accounts_and_what_i_did_to_them(own, account):
    other = factories.UserFactory()
    event(AuditAction.SIGN_IN, actor=other, ip="203.0.113.1")
    event(AuditAction.SIGN_IN_FAILED, about=other, ip="203.0.113.2")
    event(AuditAction.PASSWORD_RESET_ISSUED, actor=account, about=other, ip="203.0.113.3")
    event(AuditAction.CASE_VIEWED, actor=account, ip="203.0.113.4")

    body = own.get(OWN_URL).content.decode()

    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"):
        assert address not in body


def test_own_page_shows_the_last_90_days(own, account):
    event(AuditAction.SIGN_IN, actor=account, ip="192.0.2.89", ago=datetime.timedelta(days=89))
    event(AuditAction.SIGN_IN, actor=account, ip="192.0.2.91", ago=datetime.timedelta(days=91))

    body = own.get(OWN_URL).content.decode()

    assert "192.0.2.89" in body
    assert "192.0.2.91" not in body


def test_own_page_query_count_is_fixed(own, account, django_assert_max_num_queries):
    for index in range(30):
        event(AuditAction.SIGN_IN, actor=account, ip=f"192.0.2.{index}")
        event(AuditAction.SIGN_IN_FAILED, about=account, ip=f"198.51.100.{index}")

    # Session, user, the user's memberships (navigation), count, page of rows, accounts of
    # the page, session save (savepoint, update, release).
    with django_assert_max_num_queries(9 + SECOND_FACTOR_QUERIES):
        response = own.get(OWN_URL)
    assert len(response.context["rows"]) == 25


def test_own_page_bad_page_numbers_do_not_fail(own, account):
    event(AuditAction.SIGN_IN, actor=account)

    for page in ("0", "-1", "999", "x", "1\x00"):
        assert own.get(OWN_URL, {"page": page}).status_code == 200


# Administrators' page


@pytest.fixture
def admin(client, central_admin):
    verified_login(client, central_admin)
    return client


def test_admin_sees_everyones_events(admin, account, caseworker_a):
    event(AuditAction.SIGN_IN, actor=account, ip="192.0.2.1")
    event(AuditAction.SIGN_IN_FAILED, about=caseworker_a, ip="192.0.2.2")
    event(AuditAction.CASE_VIEWED, actor=account, ip="192.0.2.3")

    body = admin.get(ALL_URL).content.decode()

    assert "192.0.2.1" in body
    assert "192.0.2.2" in body
    assert caseworker_a.email in body
    assert "192.0.2.3" not in body


def test_admin_filters_by_account(admin, account, caseworker_a):
    event(AuditAction.SIGN_IN, actor=account, ip="192.0.2.1")
    event(AuditAction.SIGN_IN_FAILED, about=account, ip="192.0.2.2")
    event(AuditAction.SIGN_IN, actor=caseworker_a, ip="192.0.2.3")

    body = admin.get(ALL_URL, {"user": account.pk}).content.decode()

    assert "192.0.2.1" in body
    assert "192.0.2.2" in body
    assert "192.0.2.3" not in body


def test_admin_filters_by_action(admin, account):
    event(AuditAction.SIGN_IN, actor=account, ip="192.0.2.1")
    event(AuditAction.SIGN_IN_FAILED, about=account, ip="192.0.2.2")

    body = admin.get(ALL_URL, {"action": AuditAction.SIGN_IN_FAILED}).content.decode()

    assert "192.0.2.1" not in body
    assert "192.0.2.2" in body


def test_admin_filters_by_date_range(admin, account):
    event(AuditAction.SIGN_IN, actor=account, ip="192.0.2.1", ago=datetime.timedelta(days=10))
    event(AuditAction.SIGN_IN, actor=account, ip="192.0.2.2", ago=datetime.timedelta(days=3))
    event(AuditAction.SIGN_IN, actor=account, ip="192.0.2.3")
    today = timezone.now().date()

    body = admin.get(
        ALL_URL,
        {
            "date_from": (today - datetime.timedelta(days=5)).isoformat(),
            "date_to": (today - datetime.timedelta(days=1)).isoformat(),
        },
    ).content.decode()

    assert "192.0.2.2" in body
    assert "192.0.2.1" not in body
    assert "192.0.2.3" not in body


def test_admin_reading_is_audited_with_filter_names_only(admin, account, central_admin):
    admin.get(ALL_URL, {"user": account.pk, "action": AuditAction.SIGN_IN})

    viewed = AuditEvent.objects.get(action=AuditAction.AUDIT_VIEWED)
    assert viewed.actor == central_admin
    assert viewed.detail == {"page": "sign_ins", "filters": ["action", "user"]}


@pytest.mark.parametrize(
    "params",
    [
        {"user": "not-a-number"},
        {"user": "999999999999"},
        {"action": "case_viewed"},
        {"action": "x" * 500},
        {"date_from": "2024-13-45"},
        {"date_to": "yesterday"},
        {"date_from": "2024-01-01\x00"},
        {"page": "x"},
    ],
)
def test_admin_bad_filters_show_an_error_not_a_failure(admin, params):
    response = admin.get(ALL_URL, params)

    assert response.status_code == 200
    if "page" not in params:
        assert response.context["filter_form"].errors


def test_admin_date_range_the_wrong_way_round_says_so(admin):
    response = admin.get(ALL_URL, {"date_from": "2024-05-02", "date_to": "2024-05-01"})

    assert str(DATE_RANGE_MESSAGE) in response.content.decode()


def test_admin_page_query_count_is_fixed(admin, django_assert_max_num_queries):
    users = factories.UserFactory.create_batch(10)
    for index in range(40):
        user = users[index % 10]
        event(AuditAction.SIGN_IN, actor=user, ip=f"192.0.2.{index}")
        event(AuditAction.SIGN_IN_FAILED, about=user, ip=f"198.51.100.{index}")

    # Session, user, the audit row of the reading (lock, chain head, insert), count, page,
    # accounts of the page, the user's memberships (navigation), the account filter's choices,
    # session save (savepoint, update, release).
    with django_assert_max_num_queries(13):
        response = admin.get(ALL_URL)
    assert len(response.context["rows"]) == 25
    with django_assert_max_num_queries(13):
        admin.get(ALL_URL, {"page": 3, "action": AuditAction.SIGN_IN_FAILED})


# Dashboard warning


@pytest.fixture
def warning_settings(settings):
    settings.HARBOUR_SIGN_IN_WARNING_FAILURES = 5
    settings.HARBOUR_SIGN_IN_WARNING_HOURS = 24
    settings.HARBOUR_SIGN_IN_KNOWN_ADDRESS_DAYS = 90


def failures(account, count, *, ips=("203.0.113.9",), ago=datetime.timedelta(hours=1)):
    for index in range(count):
        event(AuditAction.SIGN_IN_FAILED, about=account, ip=ips[index % len(ips)], ago=ago)


def test_many_failures_from_new_addresses_warn(account, warning_settings):
    failures(account, 5, ips=("203.0.113.1", "203.0.113.2"))

    (warning,) = sign_in_warnings()

    assert warning.user == account
    assert warning.failures == 5
    assert warning.addresses == 2


def test_fewer_failures_do_not_warn(account, warning_settings):
    failures(account, 4)

    assert sign_in_warnings() == []


def test_failures_from_an_address_the_account_signs_in_from_do_not_count(account, warning_settings):
    event(AuditAction.SIGN_IN, actor=account, ip="192.0.2.50", ago=datetime.timedelta(days=30))
    failures(account, 10, ips=("192.0.2.50",))
    failures(account, 4, ips=("203.0.113.1",))

    assert sign_in_warnings() == []


def test_another_accounts_sign_in_does_not_make_an_address_known(account, warning_settings):
    other = factories.UserFactory()
    event(AuditAction.SIGN_IN, actor=other, ip="192.0.2.50")
    failures(account, 5, ips=("192.0.2.50",))

    assert [warning.user for warning in sign_in_warnings()] == [account]


def test_an_address_last_used_more_than_90_days_ago_is_new_again(account, warning_settings):
    event(AuditAction.SIGN_IN, actor=account, ip="192.0.2.50", ago=datetime.timedelta(days=91))
    failures(account, 5, ips=("192.0.2.50",))

    assert len(sign_in_warnings()) == 1


def test_failures_older_than_24_hours_do_not_count(account, warning_settings):
    failures(account, 10, ago=datetime.timedelta(hours=25))

    assert sign_in_warnings() == []


def test_the_thresholds_follow_the_settings(account, settings):
    settings.HARBOUR_SIGN_IN_WARNING_FAILURES = 2
    settings.HARBOUR_SIGN_IN_WARNING_HOURS = 48
    failures(account, 2, ago=datetime.timedelta(hours=30))

    assert len(sign_in_warnings()) == 1


def test_failures_naming_no_account_never_warn(warning_settings):
    for _index in range(10):
        event(AuditAction.SIGN_IN_FAILED, ip="203.0.113.1")

    assert sign_in_warnings() == []


def test_warnings_cost_two_queries(warning_settings, django_assert_num_queries):
    for _index in range(5):
        failures(factories.UserFactory(), 6)

    with django_assert_num_queries(2):
        assert len(sign_in_warnings()) == 5


def test_real_failed_sign_ins_raise_the_warning(account, warning_settings, settings):
    settings.HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT = 100
    for index in range(5):
        fail(account.email, ip=f"203.0.113.{index}")

    assert [warning.user for warning in sign_in_warnings()] == [account]


def test_the_warning_is_on_the_administrators_dashboard(
    client_for, central_admin, account, warning_settings
):
    failures(account, 5)

    body = client_for(central_admin).get(DASHBOARD_URL).content.decode()

    assert account.email in body
    assert f"{ALL_URL}?user={account.pk}" in body


def test_no_warning_for_caseworkers(client_for, caseworker_a, account, warning_settings):
    failures(account, 5)

    body = client_for(caseworker_a).get(DASHBOARD_URL).content.decode()

    assert account.email not in body


def test_a_reset_link_request_is_in_the_owners_history(
    client, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        password_services.password_reset_request(email=account.email, base_url="http://testserver/")
    verified_login(client, account)

    response = client.get(OWN_URL)

    actions = [row["event"].action for row in response.context["rows"]]
    assert AuditAction.PASSWORD_RESET_ISSUED in actions
