"""The client address the fair lockout counts by, and its budget across accounts."""

import ipaddress

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.lockout import client_failure_count
from accounts.views import LOCKOUT_STATUS
from config.client_address import client_ip_address
from tests import factories

LOGIN_URL = reverse("accounts:login")


def _request(remote="192.0.2.1", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post(LOGIN_URL, **meta)


def test_without_trusted_proxies_the_client_is_remote_addr(settings):
    settings.HARBOUR_TRUSTED_PROXY_COUNT = 0

    assert client_ip_address(_request(forwarded="203.0.113.5")) == "192.0.2.1"


def test_behind_one_proxy_the_client_is_the_last_forwarded_entry(settings):
    settings.HARBOUR_TRUSTED_PROXY_COUNT = 1

    # The left entry is whatever the client claimed; only the proxy's own entry counts.
    assert client_ip_address(_request(forwarded="10.6.6.6, 203.0.113.5")) == "203.0.113.5"


def test_behind_two_proxies_the_client_is_second_from_the_right(settings):
    settings.HARBOUR_TRUSTED_PROXY_COUNT = 2

    assert client_ip_address(_request(forwarded="10.6.6.6, 203.0.113.5, 10.1.0.2")) == (
        "203.0.113.5"
    )


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address", " , ", "1.2.3.4.5"])
def test_missing_or_malformed_forwarded_falls_back_to_remote_addr(settings, forwarded):
    settings.HARBOUR_TRUSTED_PROXY_COUNT = 1

    assert client_ip_address(_request(forwarded=forwarded)) == "192.0.2.1"


@given(st.text(max_size=200))
def test_any_forwarded_header_gives_an_address_or_remote_addr(header):
    from django.conf import settings

    previous = settings.HARBOUR_TRUSTED_PROXY_COUNT
    settings.HARBOUR_TRUSTED_PROXY_COUNT = 1
    try:
        result = client_ip_address(_request(forwarded=header.replace("\n", " ")))
    finally:
        settings.HARBOUR_TRUSTED_PROXY_COUNT = previous

    well_formed = set()
    for part in header.replace("\n", " ").split(","):
        try:
            well_formed.add(str(ipaddress.ip_address(part.strip())))
        except ValueError:
            continue
    # Either the fallback, or a well-formed address taken from the header, never anything else.
    assert result == "192.0.2.1" or result in well_formed


def test_no_address_counts_no_failures():
    assert client_failure_count(ip_address=None) == 0


@pytest.mark.django_db
def test_behind_a_proxy_clients_are_counted_apart(settings):
    settings.HARBOUR_TRUSTED_PROXY_COUNT = 1
    settings.HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT = 6
    account = factories.UserFactory(email="office@harbour.test")
    attacker = Client()
    for attempt in range(6):
        attacker.post(
            LOGIN_URL,
            {"username": f"guess{attempt}@harbour.test", "password": "wrong-password-here"},
            REMOTE_ADDR="10.1.0.2",
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )
    owner = Client()

    blocked = attacker.post(
        LOGIN_URL,
        {"username": account.email, "password": factories.DEFAULT_PASSWORD},
        REMOTE_ADDR="10.1.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.66",
    )
    allowed = owner.post(
        LOGIN_URL,
        {"username": account.email, "password": factories.DEFAULT_PASSWORD},
        REMOTE_ADDR="10.1.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )

    assert blocked.status_code == LOCKOUT_STATUS
    assert allowed.status_code == 302
