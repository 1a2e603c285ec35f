"""Search terms (``?q=``) never reach a log line in clear: Django's handlers and gunicorn's."""

import datetime
import io
import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from config.log_redaction import REDACTED, redact_search_terms

GUNICORN_SETTINGS = Path(__file__).resolve().parent.parent / "config" / "gunicorn.py"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /cases/?q=fatima+1998 HTTP/1.1", f"GET /cases/?q={REDACTED} HTTP/1.1"),
        (
            "/cases/?status=open&q=%D0%9E%D0%BB%D1%8C%D0%B3%D0%B0&page=2",
            f"/cases/?status=open&q={REDACTED}&page=2",
        ),
        ('"http://host/cases/?Q=olga" "Mozilla"', f'"http://host/cases/?Q={REDACTED}" "Mozilla"'),
        ("/cases/?q=", f"/cases/?q={REDACTED}"),
    ],
)
def test_the_value_of_every_q_parameter_is_redacted(text, expected):
    assert redact_search_terms(text) == expected


@pytest.mark.parametrize("text", ["/cases/?faq=1&status=open", "q=1 outside a URL", "/a?qq=x"])
def test_other_parameters_and_text_are_left_alone(text):
    assert redact_search_terms(text) == text


def _gunicorn_logger():
    cfg = Config()
    for name, value in runpy.run_path(str(GUNICORN_SETTINGS)).items():
        if name in cfg.settings:
            cfg.set(name, value)
    # An operator who turns the access log on.
    cfg.set("accesslog", "-")
    return cfg.logger_class(cfg)


def test_gunicorn_lines_carry_no_search_terms():
    logger = _gunicorn_logger()
    stream = io.StringIO()
    for log in (logger.error_log, logger.access_log):
        for handler in log.handlers:
            handler.setStream(stream)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/cases/?q=fatima+1998",
        "PATH_INFO": "/cases/",
        "QUERY_STRING": "q=fatima+1998",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "http://harbour.example/api/v1/cases/?page=1&q=fatima",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, datetime.timedelta(0))
    logger.exception("Error handling request %s", environ["RAW_URI"])
    written = stream.getvalue()
    assert f'"GET /cases/?q={REDACTED} HTTP/1.1" 200' in written
    assert f"Error handling request /cases/?q={REDACTED}" in written
    assert "fatima" not in written
    for log in (logger.error_log, logger.access_log):
        log.handlers.clear()
        log.filters.clear()


def test_django_console_handler_redacts(settings):
    filters = settings.LOGGING["handlers"]["console"]["filters"]
    assert "redact_search_terms" in filters
    record = logging.LogRecord(
        "django.server", logging.INFO, "", 0, '"%s" %s', ("GET /?q=a", 200), None
    )
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert handler.filter(record)
    assert record.getMessage() == f'"GET /?q={REDACTED}" 200'
