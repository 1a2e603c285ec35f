from django.urls import path

from . import apis

app_name = "assistance_api"

# Ids are matched as any string, not <uuid:>: a malformed id then gets the API's one 404 body
# from the selector instead of Django's HTML 404 page (as in cases.api_urls).
urlpatterns = [
    path(
        "cases/<str:case_id>/assistance-interviews/",
        apis.CaseInterviewCollectionApi.as_view(),
        name="case_interviews",
    ),
    path(
        "assistance-interviews/<str:interview_id>/",
        apis.InterviewItemApi.as_view(),
        name="interview",
    ),
    path(
        "cases/<str:case_id>/assistance-services/",
        apis.CaseServiceCollectionApi.as_view(),
        name="case_services",
    ),
    path(
        "assistance-services/<str:service_id>/",
        apis.ServiceStatusChangeApi.as_view(),
        name="service",
    ),
    path(
        "cases/<str:case_id>/referrals/",
        apis.CaseReferralCollectionApi.as_view(),
        name="case_referrals",
    ),
    path(
        "cases/<str:case_id>/movements/",
        apis.CaseMovementCollectionApi.as_view(),
        name="case_movements",
    ),
    path("movements/<str:movement_id>/", apis.MovementDetailApi.as_view(), name="movement"),
    path(
        "movements/<str:movement_id>/assessment/",
        apis.MovementAssessApi.as_view(),
        name="movement_assess",
    ),
    path(
        "movements/<str:movement_id>/transition/",
        apis.MovementTransitionApi.as_view(),
        name="movement_transition",
    ),
    path(
        "cases/<str:case_id>/support-plan/",
        apis.SupportPlanApi.as_view(),
        name="support_plan",
    ),
    path(
        "cases/<str:case_id>/access-grants/",
        apis.CaseAccessGrantApi.as_view(),
        name="case_access_grants",
    ),
    path(
        "cases/<str:case_id>/trafficking-details/",
        apis.CaseDetailChangeCollectionApi.as_view(),
        name="case_trafficking_details",
    ),
    path(
        "trafficking-details/<str:change_id>/review/",
        apis.DetailChangeReviewApi.as_view(),
        name="trafficking_detail_review",
    ),
    path(
        "cases/<str:case_id>/trafficking-profile/",
        apis.TraffickingProfileApi.as_view(),
        name="case_trafficking_profile",
    ),
    path(
        "cases/<str:case_id>/access-proposals/",
        apis.CaseProposalCollectionApi.as_view(),
        name="case_access_proposals",
    ),
    path(
        "access-proposals/",
        apis.ProposalsAwaitingApi.as_view(),
        name="access_proposals_awaiting",
    ),
    path(
        "access-proposals/<str:proposal_id>/decision/",
        apis.ProposalDecideApi.as_view(),
        name="access_proposal_decide",
    ),
    path(
        "access-proposals/<str:proposal_id>/withdrawal/",
        apis.ProposalWithdrawApi.as_view(),
        name="access_proposal_withdraw",
    ),
    path(
        "access-grants/<str:access_id>/revocation/",
        apis.CaseAccessRevokeApi.as_view(),
        name="case_access_revoke",
    ),
]
