"""Project-wide middleware: the request's id and client address, and Cache-Control."""

from django.core.signals import request_finished
from django.utils.cache import add_never_cache_headers

from . import request_context
from .client_address import client_ip_address

# The id outlives the middleware (Django's own 4xx/5xx log line comes after it) and is
# cleared when the response is closed.
request_finished.connect(request_context.clear, dispatch_uid="harbour_request_context_clear")


class RequestIdMiddleware:
    """Gives every request an id generated here (never the client's) and its client address.

    First in MIDDLEWARE, so every log line of a request, static files and refusals by the
    security middleware included, carries the id. The client's ``X-Request-ID`` is kept only
    as the untrusted, sanitised ``request.client_request_id``.
    """

    header = "HTTP_X_REQUEST_ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_context.new_request_id()
        client_request_id = request_context.sanitise_client_request_id(
            request.META.get(self.header, "")
        )
        request.request_id = request_id
        request.client_request_id = client_request_id
        request_context.bind(
            request_id=request_id,
            client_ip=client_ip_address(request),
            client_request_id=client_request_id,
        )
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


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
