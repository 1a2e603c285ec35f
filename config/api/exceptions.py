"""One error shape for every API error: {"message": str, "code": str, "errors": {field: [str]}}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from cases.audit import audit_pending_refusal
from config.errors import ApplicationError

NOT_FOUND_MESSAGE = gettext_noop("Not found.")
INVALID_INPUT_MESSAGE = gettext_noop("Invalid input.")
PARSE_ERROR_MESSAGE = gettext_noop("The request body is not valid JSON.")
UNSUPPORTED_MEDIA_TYPE_MESSAGE = gettext_noop("Send the request body as application/json.")
TOO_LARGE_MESSAGE = gettext_noop("The request body is too large.")
BAD_REQUEST_MESSAGE = gettext_noop("The request could not be understood.")

security_logger = logging.getLogger("django.security")


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub_key, sub_value in _flatten(value).items():
                    out[f"{key}.{sub_key}"] = sub_value
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub_key, sub_value in _flatten(item).items():
                        out[f"{key}.{index}.{sub_key}"] = sub_value
            elif isinstance(value, list):
                out[str(key)] = [str(v) for v in value]
            else:
                out[str(key)] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def _body(message: str, code: str, errors: dict[str, list[str]] | None = None) -> dict:
    return {"message": message, "code": code, "errors": errors or {}}


def _as_api_exception(exc: Exception) -> Exception:
    """Django's exceptions, and DRF's whose text echoes the request, as fixed API exceptions."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound(_(NOT_FOUND_MESSAGE))
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge(_(TOO_LARGE_MESSAGE))
    if isinstance(exc, SuspiciousOperation):
        # Django's own handler would log these to django.security; keep that trail.
        security_logger.warning("Refused API request: %s", type(exc).__name__)
        return exceptions.ParseError(_(BAD_REQUEST_MESSAGE))
    if isinstance(exc, exceptions.ParseError):
        # The parser's message can quote the body back.
        return exceptions.ParseError(_(PARSE_ERROR_MESSAGE))
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return exceptions.UnsupportedMediaType(
            media_type="", detail=_(UNSUPPORTED_MEDIA_TYPE_MESSAGE)
        )
    return exc


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    audit_pending_refusal(exc)
    if isinstance(exc, ApplicationError):
        return Response(_body(exc.message, exc.code, exc.errors), status=exc.status_code)
    exc = _as_api_exception(exc)

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _body(_(INVALID_INPUT_MESSAGE), "invalid", _flatten(exc.detail))
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        code = getattr(getattr(exc, "detail", None), "code", None) or getattr(
            exc, "default_code", "error"
        )
        response.data = _body(str(detail) or str(exc), str(code))
    if response.status_code == status.HTTP_404_NOT_FOUND:
        # Missing and forbidden look exactly alike.
        response.data = _body(_(NOT_FOUND_MESSAGE), "not_found")
    return response
