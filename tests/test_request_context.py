"""Request ids generated on the server, client addresses through trusted proxies, and the id in
every log line and Celery task (issue 12 §4, "audit metadata a client can forge or lose")."""

import logging
import re

import pytest
from celery import shared_task
from celery.app.task import Context
from django.urls import reverse

from cases.models import AuditAction, AuditEvent
from config import request_context
from config.request_context import (
    CLIENT_REQUEST_ID_MAX_LENGTH,
    NO_REQUEST,
    TASK_HEADER,
    RequestIdLogFilter,
    sanitise_client_request_id,
)

SERVER_ID = re.compile(r"^[0-9a-f]{32}$")


def _viewed_rows(case):
    return AuditEvent.objects.filter(action=AuditAction.CASE_VIEWED, case=case).order_by("seq")


@pytest.mark.django_db
def test_the_request_id_is_generated_on_the_server_not_taken_from_the_client(
    case_a, caseworker_a, client_for
):
    client = client_for(caseworker_a)
    forged = "0123456789abcdef0123456789abcdef"

    response = client.get(reverse("cases:detail", args=[case_a.pk]), HTTP_X_REQUEST_ID=forged)

    assert response.status_code == 200
    row = _viewed_rows(case_a).get()
    assert SERVER_ID.match(row.request_id)
    assert row.request_id != forged
    assert response["X-Request-ID"] == row.request_id


@pytest.mark.django_db
def test_replaying_an_earlier_request_id_gives_a_new_id(case_a, caseworker_a, client_for):
    client = client_for(caseworker_a)
    url = reverse("cases:detail", args=[case_a.pk])
    first = client.get(url)

    client.get(url, HTTP_X_REQUEST_ID=first["X-Request-ID"])

    ids = list(_viewed_rows(case_a).values_list("request_id", flat=True))
    assert len(ids) == 2
    assert len(set(ids)) == 2


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("", ""),
        (None, ""),
        ("abc-123_x.y:z", "abc-123_x.y:z"),
        ("a b\r\nInjected: 1", "abInjected:1"),
        ("<script>alert(1)</script>", "scriptalert1script"),
        ("x" * 500, "x" * CLIENT_REQUEST_ID_MAX_LENGTH),
    ],
)
def test_a_clients_request_id_is_sanitised_and_cut(given, kept):
    assert sanitise_client_request_id(given) == kept


@pytest.mark.django_db
def test_the_clients_request_id_is_kept_apart_and_never_in_the_audit_trail(
    case_a, caseworker_a, client_for
):
    client = client_for(caseworker_a)

    response = client.get(
        reverse("cases:detail", args=[case_a.pk]), HTTP_X_REQUEST_ID="proxy-id 42\n" + "z" * 100
    )

    assert response.wsgi_request.client_request_id == "proxy-id42" + "z" * 54
    row = _viewed_rows(case_a).get()
    assert "proxy" not in row.request_id
    assert "proxy" not in str(row.detail)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "192.0.2.10"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (1, "not-an-address", "192.0.2.10"),
    ],
)
def test_audit_rows_take_the_client_address_from_the_trusted_proxies(
    case_a, caseworker_a, client_for, settings, proxies, forwarded, expected
):
    settings.HARBOUR_TRUSTED_PROXY_COUNT = proxies
    client = client_for(caseworker_a)

    client.get(
        reverse("cases:detail", args=[case_a.pk]),
        REMOTE_ADDR="192.0.2.10",
        HTTP_X_FORWARDED_FOR=forwarded,
    )

    assert _viewed_rows(case_a).get().ip_address == expected


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addFilter(RequestIdLogFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def django_request_log():
    handler = _Collect()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


@pytest.mark.django_db
def test_djangos_own_log_line_after_the_middleware_carries_the_request_id(
    caseworker_a, client_for, django_request_log
):
    client = client_for(caseworker_a)

    # A 404: django.request logs "Not Found" after the middleware chain has returned.
    response = client.get("/cases/00000000-0000-0000-0000-000000000000/", HTTP_X_REQUEST_ID="c-1")

    assert response.status_code == 404
    assert [r.request_id for r in django_request_log] == [response["X-Request-ID"]]
    assert [r.client_request_id for r in django_request_log] == ["c-1"]
    # The id ends with the response.
    assert request_context.current_request_id() == NO_REQUEST


def test_outside_a_request_the_log_line_says_so():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)

    RequestIdLogFilter().filter(record)

    assert (record.request_id, record.client_request_id) == (NO_REQUEST, NO_REQUEST)


@shared_task(name="tests.request_id_probe")
def request_id_probe() -> str:
    return request_context.current_request_id()


def test_publishing_a_task_inside_a_request_adds_its_id_to_the_headers():
    request_context.bind(request_id="a" * 32)
    try:
        headers: dict = {}
        request_context.add_request_id_header(headers=headers)
    finally:
        request_context.clear()

    assert headers == {TASK_HEADER: "a" * 32}


def test_publishing_outside_a_request_adds_no_id():
    headers: dict = {}

    request_context.add_request_id_header(headers=headers)

    assert headers == {}


class _WorkerTask:
    """What a worker's task_prerun sees: the message headers merged into task.request."""

    def __init__(self, **headers):
        self.request = Context(is_eager=False, **headers)


def test_a_task_in_a_worker_runs_under_the_id_of_the_request_that_queued_it():
    task = _WorkerTask(**{TASK_HEADER: "b" * 32})

    request_context.bind_task_request_id(task_id="t1", task=task)
    during = request_context.current_request_id()
    request_context.clear_task_request_id(task_id="t1", task=task)

    assert during == "b" * 32
    assert request_context.current_request_id() == NO_REQUEST


@pytest.mark.parametrize("header", [None, "", "forged id", "B" * 32])
def test_a_task_queued_by_beat_or_with_a_bad_header_gets_its_own_id(header):
    task = _WorkerTask(**({TASK_HEADER: header} if header is not None else {}))

    request_context.bind_task_request_id(task_id="t2", task=task)
    during = request_context.current_request_id()
    request_context.clear_task_request_id(task_id="t2", task=task)

    assert SERVER_ID.match(during)
    assert during != header
    assert request_context.current_request_id() == NO_REQUEST


def test_an_eager_task_keeps_its_callers_id_and_leaves_it_in_place():
    request_context.bind(request_id="c" * 32)
    try:
        during = request_id_probe.apply().get()
        after = request_context.current_request_id()
    finally:
        request_context.clear()

    assert (during, after) == ("c" * 32, "c" * 32)


def test_an_eager_task_outside_a_request_gets_its_own_id_and_leaves_none_behind():
    during = request_id_probe.apply().get()

    assert SERVER_ID.match(during)
    assert request_context.current_request_id() == NO_REQUEST


def test_the_received_line_of_a_worker_carries_the_queuing_requests_id():
    from celery.contrib.testing.mocks import TaskMessage

    from config.celery_app import app

    message = TaskMessage(request_id_probe.name, **{TASK_HEADER: "d" * 32})
    log_filter = request_context.RequestIdLogFilter()

    request = request_id_probe.Request(message, app=app, task=request_id_probe)
    received = logging.LogRecord("celery.worker.strategy", logging.INFO, "", 0, "", (), None)
    log_filter.filter(received)
    request_context.clear_received_request_id()
    later = logging.LogRecord("celery.worker", logging.INFO, "", 0, "", (), None)
    log_filter.filter(later)

    assert request.id == message.headers["id"]
    assert received.request_id == "d" * 32
    assert later.request_id == NO_REQUEST


@pytest.mark.parametrize("headers", [{}, {TASK_HEADER: "forged id"}])
def test_a_received_message_without_a_server_id_logs_none(headers):
    request_context.bind_received_request_id(headers)

    assert request_context.current_request_id() == NO_REQUEST
