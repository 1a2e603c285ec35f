from django.urls import path

from . import apis
from .privacy import apis as privacy_apis

app_name = "research_api"

# Ids are matched as any string, not <uuid:>: a malformed id then gets the API's one 404 body
# instead of Django's HTML 404 page (as in cases.api_urls).
urlpatterns = [
    path("research/variables/", apis.VariableListApi.as_view(), name="variables"),
    path("research/extracts/", apis.ExtractCollectionApi.as_view(), name="extract_collection"),
    path("research/extracts/<str:extract_id>/", apis.ExtractDetailApi.as_view(), name="extract"),
    path(
        "research/extracts/<str:extract_id>/retry/",
        apis.ExtractRetryApi.as_view(),
        name="extract_retry",
    ),
    path(
        "research/extracts/<str:extract_id>/download/",
        apis.ExtractDownloadApi.as_view(),
        name="extract_download",
    ),
    path("research/mart/", apis.MartApi.as_view(), name="mart"),
    path("research/releases/", apis.ReleaseCollectionApi.as_view(), name="releases"),
    # The privacy budget of differentially private extracts.
    path("research/privacy/budget/", privacy_apis.OwnBudgetApi.as_view(), name="privacy_budget"),
    path("research/privacy/ledger/", privacy_apis.LedgerListApi.as_view(), name="privacy_ledger"),
    path("research/privacy/estimate/", privacy_apis.EstimateApi.as_view(), name="privacy_estimate"),
    path(
        "research/privacy/budgets/",
        privacy_apis.BudgetCollectionApi.as_view(),
        name="privacy_budgets",
    ),
]
