from django.urls import path

from . import apis

app_name = "cases_api"

# Case ids are matched as any string, not <uuid:>: a malformed id then gets the API's one 404
# body from the selector instead of Django's HTML 404 page.
urlpatterns = [
    path("cases/", apis.CaseCollectionApi.as_view(), name="case_collection"),
    path("cases/<str:case_id>/", apis.CaseItemApi.as_view(), name="case_item"),
    path(
        "cases/<str:case_id>/closure-request/",
        apis.ClosureRequestApi.as_view(),
        name="closure_request",
    ),
    path("cases/<str:case_id>/reopen/", apis.CaseReopenApi.as_view(), name="reopen"),
    path("closure-requests/", apis.ClosureQueueApi.as_view(), name="closure_queue"),
    path(
        "closure-requests/<str:closure_request_id>/approve/",
        apis.ClosureApproveApi.as_view(),
        name="closure_approve",
    ),
    path(
        "closure-requests/<str:closure_request_id>/return/",
        apis.ClosureReturnApi.as_view(),
        name="closure_return",
    ),
]
