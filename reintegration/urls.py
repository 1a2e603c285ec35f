from django.urls import path

from . import views

app_name = "reintegration"

urlpatterns = [
    path("cases/<uuid:case_id>/plan/", views.plan_create, name="plan_create"),
    path("plans/<uuid:reintegration_plan_id>/", views.plan_edit, name="plan_edit"),
    path("cases/<uuid:case_id>/assistance/", views.assistance_create, name="assistance_create"),
    path(
        "assistance/<uuid:reintegration_item_id>/status/",
        views.assistance_status,
        name="assistance_status",
    ),
    path("cases/<uuid:case_id>/visits/", views.visit_add, name="visit_add"),
    path("visits/<uuid:visit_id>/record/", views.visit_record, name="visit_record"),
    path("visits/overdue/", views.overdue_visits, name="overdue_visits"),
]
