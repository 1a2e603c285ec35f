"""Pages of the further trafficking details and of joint case-sharing decisions."""

from django.urls import path

from . import profile_views as views

urlpatterns = [
    path(
        "cases/<uuid:case_id>/trafficking-profile/changes/",
        views.profile_changes,
        name="profile_changes",
    ),
    path(
        "cases/<uuid:case_id>/trafficking-profile/changes/new/",
        views.profile_change_new,
        name="profile_change_new",
    ),
    path(
        "trafficking-details/review/",
        views.profile_review_queue,
        name="profile_review_queue",
    ),
    path(
        "trafficking-details/<uuid:change_id>/review/",
        views.profile_change_review,
        name="profile_change_review",
    ),
    path("cases/<uuid:case_id>/sharing/propose/", views.sharing_propose, name="sharing_propose"),
    path("cases/<uuid:case_id>/sharing/grant/", views.sharing_grant, name="sharing_grant"),
    path("sharing/proposals/", views.sharing_awaiting, name="sharing_awaiting"),
    path(
        "sharing/proposals/<int:proposal_id>/decide/",
        views.sharing_decide,
        name="sharing_decide",
    ),
    path(
        "sharing/proposals/<int:proposal_id>/withdraw/",
        views.sharing_withdraw,
        name="sharing_withdraw",
    ),
    path(
        "sharing/accesses/<int:access_id>/revoke/",
        views.sharing_revoke,
        name="sharing_revoke",
    ),
]
