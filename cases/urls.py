from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_create_view, name="create"),
    path("audit/", views.audit_trail, name="audit"),
    path("<uuid:case_id>/", views.case_detail, name="detail"),
    path("<uuid:case_id>/edit/", views.case_edit, name="edit"),
    path("<uuid:case_id>/closure/", views.closure_request_view, name="closure_request"),
    path("<uuid:case_id>/reopen/", views.case_reopen_view, name="reopen"),
    path("closure-requests/", views.closure_queue_view, name="closure_queue"),
    path(
        "closure-requests/<uuid:closure_request_id>/",
        views.closure_decide_view,
        name="closure_decide",
    ),
]
