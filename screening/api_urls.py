from django.urls import path

from . import apis

app_name = "screening_api"

# Ids are matched as any string, not <uuid:>: a malformed id then gets the API's one 404 body
# from the selector instead of Django's HTML 404 page (as in cases.api_urls).
urlpatterns = [
    path(
        "cases/<str:case_id>/screenings/",
        apis.CaseScreeningCollectionApi.as_view(),
        name="case_screenings",
    ),
    path(
        "screenings/review-queue/",
        apis.ScreeningReviewQueueApi.as_view(),
        name="review_queue",
    ),
    path("screenings/<str:screening_id>/", apis.ScreeningDetailApi.as_view(), name="detail"),
    path(
        "screenings/<str:screening_id>/sections/<str:section>/",
        apis.ScreeningSectionSaveApi.as_view(),
        name="section_save",
    ),
    path(
        "screenings/<str:screening_id>/submit/",
        apis.ScreeningSubmitApi.as_view(),
        name="submit",
    ),
    path(
        "screenings/<str:screening_id>/review/",
        apis.ScreeningReviewApi.as_view(),
        name="review",
    ),
]
