"""Request id: one opaque id per request, on the response, in logs and in audit rows."""

import contextvars
import logging
import re
import uuid

from django.utils.cache import add_never_cache_headers

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)
_VALID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


def current_client_ip() -> str | None:
    return _client_ip.get()


class RequestIdMiddleware:
    header = "HTTP_X_REQUEST_ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(self.header, "")
        # Accept a proxy's id only if it is an opaque token, so nothing else reaches the logs.
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        # REMOTE_ADDR is the proxy's address behind one; gunicorn's --forwarded-allow-ips
        # decides whether X-Forwarded-For is trusted, not this middleware.
        ip_token = _client_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
            _client_ip.reset(ip_token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class PendingRefusalAuditMiddleware:
    """Writes access refusals that a rolled-back transaction could not keep (see cases.audit)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from cases.audit import audit_pending_refusal

        audit_pending_refusal(exception)


class NoStoreMiddleware:
    """`Cache-Control: no-store` (and private, no-cache) on every response a browser or proxy
    must not keep: everything answered to a signed-in user, and every API response whoever asks
    (a token client is only known inside the API view, and a refusal need not be kept either).

    Anonymous pages (the sign-in page, health check) and static files are left alone; static
    files never reach this middleware (WhiteNoise answers them first).
    """

    api_prefix = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(self.api_prefix) or _signed_in(request):
            # Overrides whatever a view set: patch_cache_control drops `public` when `private`
            # is set and keeps the smaller max-age; a view's Expires would be kept, so drop it.
            if response.has_header("Expires"):
                del response.headers["Expires"]
            add_never_cache_headers(response)
        return response


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)
