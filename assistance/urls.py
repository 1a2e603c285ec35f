from django.urls import path

from . import views
from .profile_urls import urlpatterns as profile_urlpatterns

app_name = "assistance"

urlpatterns = [
    path("cases/<uuid:case_id>/interviews/new/", views.interview_create, name="interview_create"),
    path("interviews/<uuid:interview_id>/", views.interview_detail, name="interview"),
    path("interviews/<uuid:interview_id>/edit/", views.interview_edit, name="interview_edit"),
    path("cases/<uuid:case_id>/support-plan/", views.support_plan_edit, name="support_plan"),
    path("cases/<uuid:case_id>/services/", views.service_timeline, name="services"),
    path("cases/<uuid:case_id>/services/new/", views.service_create, name="service_create"),
    path("services/<uuid:service_id>/status/", views.service_status, name="service_status"),
    path("cases/<uuid:case_id>/referrals/new/", views.referral_create, name="referral_create"),
    path("cases/<uuid:case_id>/movements/new/", views.movement_create, name="movement_create"),
    path("movements/<uuid:movement_id>/", views.movement_detail, name="movement"),
    path("movements/<uuid:movement_id>/assess/", views.movement_assess, name="movement_assess"),
    path(
        "movements/<uuid:movement_id>/transition/",
        views.movement_transition,
        name="movement_transition",
    ),
    path("movements/<uuid:movement_id>/cancel/", views.movement_cancel, name="movement_cancel"),
    *profile_urlpatterns,
]
