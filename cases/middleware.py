"""Middleware of the cases app."""

from .audit import audit_pending_refusal


class PendingRefusalAuditMiddleware:
    """Writes access refusals that a rolled-back transaction could not keep (see cases.audit)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        audit_pending_refusal(exception)
