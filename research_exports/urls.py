from django.urls import path

from . import views
from .privacy import views as privacy_views

app_name = "research"

urlpatterns = [
    path("", views.extract_list_view, name="extract_list"),
    path("variables/", views.catalogue, name="catalogue"),
    path("extracts/new/", views.extract_new, name="extract_new"),
    path("extracts/estimate/", views.extract_estimate_view, name="extract_estimate"),
    path("extracts/<uuid:extract_id>/", views.extract_detail, name="extract_detail"),
    path("extracts/<uuid:extract_id>/progress/", views.extract_progress, name="extract_progress"),
    path("extracts/<uuid:extract_id>/retry/", views.extract_retry_view, name="extract_retry"),
    path("extracts/<uuid:extract_id>/download/", views.extract_download, name="extract_download"),
    path("mart/", views.mart_view, name="mart"),
    path("privacy/", privacy_views.privacy_budget_view, name="privacy"),
    path("privacy/budgets/", privacy_views.privacy_admin_view, name="privacy_admin"),
    path("privacy/ledger/", privacy_views.privacy_admin_ledger_view, name="privacy_admin_ledger"),
    path("releases/", views.release_list_view, name="releases"),
]
