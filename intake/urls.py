from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("", views.import_list_view, name="job_list"),
    path("template.xlsx", views.import_template_view, name="template"),
    path("<uuid:job_id>/", views.import_detail_view, name="job_detail"),
    path("<uuid:job_id>/progress/", views.import_progress_view, name="job_progress"),
    path("<uuid:job_id>/confirm/", views.import_confirm_view, name="job_confirm"),
    path("<uuid:job_id>/cancel/", views.import_cancel_view, name="job_cancel"),
    path("<uuid:job_id>/rejected.csv", views.import_rejected_view, name="job_rejected"),
]
