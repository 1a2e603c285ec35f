"""What the current request (or the Celery task it queued) is: its id and its client address.

A small module with no imports of the apps, so the middleware (which sets these) and the audit
writer (which reads them) both import it and not each other.

- ``request_id`` is generated on the server for every request (``uuid4().hex``) and is the id
  stored in audit rows, echoed in the ``X-Request-ID`` response header and written in every log
  line. A client's own ``X-Request-ID`` never becomes it: it is kept, sanitised and cut to
  ``CLIENT_REQUEST_ID_MAX_LENGTH``, only as ``client_request_id``, an untrusted hint for the
  logs, and is never stored in the audit trail.
- A Celery task runs under the id of the request that queued it (the ``harbour_request_id``
  task header, added at publish time); a task queued by beat, or by a command outside any
  request, runs under an id of its own.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from typing import Any

NO_REQUEST = "-"
CLIENT_REQUEST_ID_MAX_LENGTH = 64
TASK_HEADER = "harbour_request_id"

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NO_REQUEST)
_client_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "client_request_id", default=""
)
_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)
_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")
_SERVER_ID = re.compile(r"^[0-9a-f]{32}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def is_server_request_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_SERVER_ID.match(value))


def sanitise_client_request_id(value: str | None) -> str:
    """A client's X-Request-ID reduced to ``[A-Za-z0-9._:-]``, at most 64 characters."""
    if not value:
        return ""
    return _UNSAFE.sub("", value)[:CLIENT_REQUEST_ID_MAX_LENGTH]


def current_request_id() -> str:
    """The id of the current request or task, or ``"-"`` outside both."""
    return _request_id.get()


def current_client_request_id() -> str:
    return _client_request_id.get()


def current_client_ip() -> str | None:
    return _client_ip.get()


def bind(*, request_id: str, client_ip: str | None = None, client_request_id: str = "") -> None:
    """Make these the current request's values until ``clear()`` (or the next ``bind``).

    Not reset when the middleware returns: Django logs a 4xx/5xx response, and runserver its
    access line, after the middleware chain has returned, and those lines need the id too.
    ``request_finished`` (and the end of a task) clears it.
    """
    _request_id.set(request_id)
    _client_ip.set(client_ip)
    _client_request_id.set(client_request_id)


def clear(**_kwargs: Any) -> None:
    _request_id.set(NO_REQUEST)
    _client_ip.set(None)
    _client_request_id.set("")


class RequestIdLogFilter(logging.Filter):
    """Puts ``request_id`` (and the untrusted ``client_request_id``) on every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        record.client_request_id = current_client_request_id() or NO_REQUEST
        return True


# Celery: the id travels in a task header from the process that queues the task to the worker.


def add_request_id_header(headers: dict | None = None, **_kwargs: Any) -> None:
    """``before_task_publish``: the task carries the id of whatever queued it."""
    if headers is None:
        return
    request_id = current_request_id()
    if request_id != NO_REQUEST and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


def bind_received_request_id(headers: dict) -> None:
    """A worker's consumer, on receiving a message: Celery logs "Task … received" before any
    task signal, so the queuing request's id is taken from the headers here (a bad or missing
    header gives none) and dropped again at ``task_received``, just after that line."""
    carried = headers.get(TASK_HEADER)
    _request_id.set(carried if is_server_request_id(carried) else NO_REQUEST)


def clear_received_request_id(**_kwargs: Any) -> None:
    """``task_received``: the consumer goes back to no id until the next message."""
    _request_id.set(NO_REQUEST)


_task_tokens: dict[str, tuple[contextvars.Token, ...]] = {}


def bind_task_request_id(task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    """``task_prerun``: run under the queuing request's id, or an id of the task's own."""
    request = getattr(task, "request", None)
    carried = getattr(request, TASK_HEADER, None) if request is not None else None
    if not is_server_request_id(carried) and getattr(request, "is_eager", False):
        # An eager task (tests, CELERY_TASK_ALWAYS_EAGER) runs inside its caller: same id.
        carried = current_request_id()
    request_id = carried if is_server_request_id(carried) else new_request_id()
    tokens = (
        _request_id.set(request_id),
        _client_ip.set(None),
        _client_request_id.set(""),
    )
    if task_id is not None:
        _task_tokens[task_id] = tokens


def clear_task_request_id(task_id: str | None = None, **_kwargs: Any) -> None:
    """``task_postrun``: back to what was current before the task (nothing, in a worker), so
    one task's id is never lent to the next, and an eager task leaves its caller's id alone."""
    tokens = _task_tokens.pop(task_id, None) if task_id is not None else None
    if tokens is None:
        clear()
        return
    for token in reversed(tokens):
        token.var.reset(token)
