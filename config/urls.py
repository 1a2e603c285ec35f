from django.contrib import admin
from django.urls import include, path

from . import health, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("accounts/passkeys/", include("accounts.second_factor.passkey_urls")),
    path("cases/", include("cases.urls")),
    path("screenings/", include("screening.urls")),
    path("assistance/", include("assistance.urls")),
    path("reintegration/", include("reintegration.urls")),
    path("research/", include("research_exports.urls")),
    path("intake/xlsform/", include("intake.urls_xlsform")),
    path("imports/", include("intake.urls")),
    path("api/", include("config.api.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "config.error_views.not_found"
handler500 = "config.error_views.server_error"
