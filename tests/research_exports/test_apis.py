"""The research API: researchers only, their own extracts only, the one error shape."""

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import AuditAction, AuditEvent
from config.api.exceptions import NOT_FOUND_MESSAGE
from config.api.serializers import UNKNOWN_FIELD_MESSAGE
from research_exports import extracts
from research_exports.extracts import extract_path
from research_exports.models import Extract
from research_exports.variables import MAX_DIMENSIONS, VARIABLES
from tests import factories
from tests.second_factor import verified_login

pytestmark = pytest.mark.django_db

RESULT = {
    "dimensions": ["gender"],
    "rows": [{"values": ["Woman"], "count": 120}, {"values": ["Man"], "count": None}],
    "row_totals": [],
    "column_totals": [],
    "grand_total": None,
}
VALID = {"dimensions": ["gender", "yearOfRegistration"], "file_format": "json"}
COLLECTION = reverse("research_api:extract_collection")
VARIABLES_URL = reverse("research_api:variables")
MART_URL = reverse("research_api:mart")


def _url(name, extract_id):
    return reverse(f"research_api:{name}", kwargs={"extract_id": extract_id})


@pytest.fixture
def api():
    def _api(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return _api


@pytest.fixture
def snapshot():
    return factories.MartSnapshotFactory()


@pytest.fixture
def ready_extract(researcher, settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    extract = factories.ExtractFactory(
        requested_by=researcher,
        status=Extract.Status.SUCCEEDED,
        result=RESULT,
        report={"snapshot": 1},
    )
    extract_path(extract=extract).write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    return extract


def test_researcher_lists_the_variables(api, researcher):
    response = api(researcher).get(VARIABLES_URL)

    assert [v["name"] for v in response.json()] == list(VARIABLES)
    assert response.json()[0]["ctdc_name"] == VARIABLES["yearOfRegistration"].ctdc_name


@pytest.mark.parametrize("role", ["caseworker_a", "central_admin", "superuser"])
@pytest.mark.parametrize("name", ["variables", "extract_collection"])
def test_everyone_else_gets_the_one_404(role, name, request, api):
    response = api(request.getfixturevalue(role)).get(reverse(f"research_api:{name}"))

    assert response.status_code == 404
    assert response.json() == {"message": str(NOT_FOUND_MESSAGE), "code": "not_found", "errors": {}}


def test_anonymous_is_refused(api):
    assert api(None).get(VARIABLES_URL).status_code == 403


def test_request_creates_a_queued_extract(
    api, researcher, snapshot, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(researcher).post(
            COLLECTION, {**VALID, "year_from": 2020, "citizenship": ["NPL"]}, format="json"
        )

    extract = Extract.objects.get()
    assert response.status_code == 201
    assert response.json()["id"] == str(extract.pk)
    assert response.json()["status"] == Extract.Status.QUEUED
    assert extract.filters == {"year_from": 2020, "citizenship": ["NPL"]}
    assert extract.language == "en"
    assert len(callbacks) == 1


def test_the_researcher_chooses_the_language_of_the_package(api, researcher, snapshot):
    response = api(researcher).post(COLLECTION, {**VALID, "language": "ar"}, format="json")

    assert response.status_code == 201
    assert Extract.objects.get().language == "ar"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {**VALID, "dimensions": list(VARIABLES)[: MAX_DIMENSIONS + 1]},
            "dimensions",
            str(extracts.DIMENSIONS_COUNT_MESSAGE) % {"max": MAX_DIMENSIONS},
        ),
        (
            {**VALID, "dimensions": ["notAVariable"]},
            "dimensions",
            str(extracts.DIMENSION_UNKNOWN_MESSAGE) % {"name": "notAVariable"},
        ),
        (
            {**VALID, "year_from": 2025, "year_to": 2019},
            "year_to",
            str(extracts.YEAR_ORDER_MESSAGE),
        ),
        (
            {**VALID, "citizenship": ["ZZZ"]},
            "citizenship",
            str(extracts.COUNTRY_UNKNOWN_MESSAGE) % {"code": "ZZZ"},
        ),
        (
            {**VALID, "exploitation_type": "Nonsense"},
            "exploitation_type",
            str(extracts.EXPLOITATION_UNKNOWN_MESSAGE),
        ),
        ({**VALID, "surprise": 1}, "surprise", str(UNKNOWN_FIELD_MESSAGE)),
    ],
)
def test_bad_input_is_a_400_with_field_errors_and_creates_nothing(
    data, field, message, api, researcher, snapshot
):
    response = api(researcher).post(COLLECTION, data, format="json")

    body = response.json()
    assert response.status_code == 400
    assert (body["code"], list(body["errors"]), body["errors"][field]) == (
        "invalid",
        [field],
        [message],
    )
    assert not Extract.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**VALID, "file_format": "pdf"}, "file_format"),
        ({**VALID, "year_from": "soon"}, "year_from"),
        ({**VALID, "citizenship": "NPL"}, "citizenship"),
        ({"file_format": "csv"}, "dimensions"),
        ({**VALID, "language": "xx"}, "language"),
        ({**VALID, "language": ["fr"]}, "language"),
    ],
)
def test_malformed_input_is_a_400_on_the_field(data, field, api, researcher, snapshot):
    response = api(researcher).post(COLLECTION, data, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Extract.objects.exists()


@pytest.mark.parametrize("nightly_mart", [False, True])
def test_request_without_a_release_is_refused_with_its_code(api, researcher, nightly_mart):
    if nightly_mart:
        # Suppressed counts never read the nightly mart, built or not.
        factories.MartSnapshotFactory(release=False)

    response = api(researcher).post(COLLECTION, VALID, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "no_release"
    assert not Extract.objects.exists()


def test_session_post_without_csrf_token_is_refused(researcher, snapshot):
    client = APIClient(enforce_csrf_checks=True)
    verified_login(client, researcher)

    response = client.post(COLLECTION, VALID, format="json")

    assert response.status_code == 403
    assert not Extract.objects.exists()


def test_list_has_only_own_extracts_newest_first(api, researcher, snapshot):
    older = factories.ExtractFactory(requested_by=researcher)
    newer = factories.ExtractFactory(requested_by=researcher)
    factories.ExtractFactory()

    response = api(researcher).get(COLLECTION)

    assert [row["id"] for row in response.json()["results"]] == [str(newer.pk), str(older.pk)]


def test_list_query_count_does_not_grow(api, researcher, snapshot, django_assert_max_num_queries):
    factories.ExtractFactory.create_batch(30, requested_by=researcher)
    client = api(researcher)

    with django_assert_max_num_queries(2):
        response = client.get(COLLECTION)

    assert response.json()["count"] == 30


def test_polling_a_queued_extract_gives_status_and_no_result(api, researcher, snapshot):
    extract = factories.ExtractFactory(
        requested_by=researcher, status=Extract.Status.RUNNING, progress=30
    )

    body = api(researcher).get(_url("extract", extract.pk)).json()

    assert (body["status"], body["progress"], body["result"]) == ("running", 30, None)


def test_polling_a_finished_extract_gives_the_published_table(api, ready_extract):
    body = api(ready_extract.requested_by).get(_url("extract", ready_extract.pk)).json()

    assert body["result"] == RESULT


def test_another_researchers_extract_is_not_found(api, ready_extract):
    stranger = factories.ResearcherFactory()

    response = api(stranger).get(_url("extract", ready_extract.pk))

    assert response.status_code == 404


def test_a_malformed_id_is_the_same_404(api, researcher):
    response = api(researcher).get(_url("extract", "not-an-id"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_download_is_an_audited_attachment(api, ready_extract):
    researcher = ready_extract.requested_by

    response = api(researcher).get(_url("extract_download", ready_extract.pk))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    event = AuditEvent.objects.get(action=AuditAction.EXTRACT_DOWNLOADED)
    assert (event.actor_id, event.object_id) == (researcher.pk, str(ready_extract.pk))


def test_download_by_another_researcher_is_not_found_and_not_logged_as_download(api, ready_extract):
    response = api(factories.ResearcherFactory()).get(_url("extract_download", ready_extract.pk))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXTRACT_DOWNLOADED).exists()


def test_download_of_an_unfinished_extract_is_refused(api, researcher, snapshot):
    extract = factories.ExtractFactory(requested_by=researcher)

    response = api(researcher).get(_url("extract_download", extract.pk))

    assert response.status_code == 400
    assert response.json()["code"] == "not_ready"


def test_retry_queues_a_failed_extract(
    api, researcher, snapshot, django_capture_on_commit_callbacks
):
    extract = factories.ExtractFactory(requested_by=researcher, status=Extract.Status.FAILED)

    with django_capture_on_commit_callbacks(execute=False):
        response = api(researcher).post(_url("extract_retry", extract.pk))

    assert response.status_code == 202
    assert response.json()["status"] == Extract.Status.QUEUED


def test_retry_of_a_finished_extract_is_refused(api, ready_extract):
    response = api(ready_extract.requested_by).post(_url("extract_retry", ready_extract.pk))

    assert response.status_code == 400
    assert response.json()["code"] == "not_failed"


def test_central_admin_lists_snapshots(api, central_admin, snapshot):
    response = api(central_admin).get(MART_URL)

    assert [row["id"] for row in response.json()] == [snapshot.pk]


def test_central_admin_requests_a_rebuild(api, central_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(central_admin).post(MART_URL)

    assert response.status_code == 202
    assert len(callbacks) == 1


@pytest.mark.parametrize("role", ["researcher", "caseworker_a"])
def test_mart_is_not_there_for_others(role, request, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(request.getfixturevalue(role)).post(MART_URL)

    assert response.status_code == 404
    assert callbacks == []


def test_schema_describes_the_research_operations(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    paths = yaml.safe_load(out.read_text())["paths"]
    assert {path: set(paths[path]) for path in paths if path.startswith("/api/v1/research/")} == {
        "/api/v1/research/variables/": {"get"},
        "/api/v1/research/extracts/": {"get", "post"},
        "/api/v1/research/extracts/{extract_id}/": {"get"},
        "/api/v1/research/extracts/{extract_id}/retry/": {"post"},
        "/api/v1/research/extracts/{extract_id}/download/": {"get"},
        "/api/v1/research/mart/": {"get", "post"},
        "/api/v1/research/releases/": {"get", "post"},
        "/api/v1/research/privacy/budget/": {"get"},
        "/api/v1/research/privacy/ledger/": {"get"},
        "/api/v1/research/privacy/budgets/": {"get", "post"},
        "/api/v1/research/privacy/estimate/": {"post"},
    }
