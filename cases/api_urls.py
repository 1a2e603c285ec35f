from django.urls import path

from . import apis

app_name = "cases_api"

# Case ids are matched as any string, not <uuid:>: a malformed id then gets the API's one 404
# body from the selector instead of Django's HTML 404 page.
urlpatterns = [
    path("cases/", apis.CaseCollectionApi.as_view(), name="case_collection"),
    path("cases/<str:case_id>/", apis.CaseItemApi.as_view(), name="case_item"),
]
