from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from .auth import AuthTokenObtainApi, AuthTokenRevokeApi


class SchemaApi(SpectacularAPIView):
    # The schema holds no case data, but it maps the attack surface: signed-in users only.
    permission_classes = [IsAuthenticated]


class SchemaDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the vendored sidecar files; its start-up script is a separate request
    (``?script``), so the page needs no inline script under the Content Security Policy."""

    permission_classes = [IsAuthenticated]
    template_name = "api/swagger_ui.html"


urlpatterns = [
    path("v1/auth/token/", AuthTokenObtainApi.as_view(), name="api_token_obtain"),
    path("v1/auth/token/revoke/", AuthTokenRevokeApi.as_view(), name="api_token_revoke"),
    path("v1/", include("cases.api_urls")),
    path("v1/", include("screening.api_urls")),
    path("v1/", include("assistance.api_urls")),
    path("v1/", include("reintegration.api_urls")),
    path("v1/", include("research_exports.api_urls")),
    path("schema/", SchemaApi.as_view(), name="api_schema"),
    path(
        "docs/",
        login_required(SchemaDocsView.as_view(url_name="api_schema")),
        name="api_docs",
    ),
]
