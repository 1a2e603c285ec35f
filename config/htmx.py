from django.http import HttpRequest


def is_partial_request(request: HttpRequest) -> bool:
    """An htmx request for a fragment (not a history restore, which wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
