"""Error pages. They never carry anything from the request: no path, no query, no data."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from config.api.exceptions import NOT_FOUND_MESSAGE


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        # Unknown API URLs answer in the API's one error shape, like a missing record.
        return JsonResponse(
            {"message": _(NOT_FOUND_MESSAGE), "code": "not_found", "errors": {}}, status=404
        )
    body = loader.render_to_string("404.html")
    return HttpResponse(body, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"message": _("Something went wrong on our side."), "code": "error", "errors": {}},
            status=500,
        )
    # No request context: the failure may be in whatever a context processor touches.
    return HttpResponse(loader.render_to_string("500.html"), status=500)
