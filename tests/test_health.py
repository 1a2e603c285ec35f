import socket
from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = reverse("healthz")


def closed_port_url() -> str:
    # Bind, read the port, release it: nothing listens there afterwards.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_healthy_when_database_and_redis_answer(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}


def test_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = closed_port_url()

    response = client.get(URL)

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "redis": "error"}


def test_503_when_the_database_is_unreachable(client):
    with mock.patch(
        "config.health.connection.cursor", side_effect=OperationalError("server closed")
    ):
        response = client.get(URL)

    assert response.status_code == 503
    assert response.json() == {"database": "error", "redis": "ok"}


def test_error_body_reveals_nothing_about_the_failure(client, settings):
    settings.REDIS_URL = closed_port_url()

    body = client.get(URL).content.decode()

    assert "127.0.0.1" not in body
    assert "refused" not in body.lower()


def test_needs_no_sign_in_and_is_not_cached(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_only_get_is_allowed(client):
    assert client.post(URL).status_code == 405
