from django.urls import path

from . import apis

app_name = "reintegration_api"

# Ids are matched as any string, not <uuid:>: a malformed id then gets the API's one 404 body
# from the selector instead of Django's HTML 404 page (as in assistance.api_urls).
urlpatterns = [
    path(
        "cases/<str:case_id>/reintegration-plan/",
        apis.PlanApi.as_view(),
        name="case_plan",
    ),
    path(
        "cases/<str:case_id>/reintegration-assistance/",
        apis.CaseItemCollectionApi.as_view(),
        name="case_assistance",
    ),
    path(
        "reintegration-assistance/<str:reintegration_item_id>/",
        apis.ItemStatusChangeApi.as_view(),
        name="assistance_item",
    ),
    path(
        "cases/<str:case_id>/monitoring-visits/",
        apis.CaseVisitCollectionApi.as_view(),
        name="case_visits",
    ),
    path(
        "monitoring-visits/<str:visit_id>/record/",
        apis.VisitRecordApi.as_view(),
        name="visit_record",
    ),
]
