"""The XLSForm download for central administrators (the screening review page links to it)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts.decorators import central_admin_required

from .xlsform import screening_xlsform, xlsform_filename

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@central_admin_required
@require_GET
def screening_xlsform_download(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(screening_xlsform(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{xlsform_filename()}"'
    return response
