"""Researchers' pages: who reaches them, the request form, progress, results and downloads."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import AuditAction, AuditEvent
from research_exports import extracts, releases
from research_exports.extracts import extract_path
from research_exports.models import Extract, MartSnapshot
from research_exports.variables import MAX_DIMENSIONS, VARIABLES
from research_exports.views import EXTRACTS_PER_PAGE, REBUILD_REQUESTED_MESSAGE
from tests import factories
from tests.second_factor import SECOND_FACTOR_QUERIES, verified_login

pytestmark = pytest.mark.django_db

RESULT = {
    "dimensions": ["yearOfRegistration"],
    "rows": [
        {"values": ["2020"], "count": 40},
        {"values": ["2021"], "count": None},
        {"values": ["2022"], "count": 55},
    ],
    "row_totals": [],
    "column_totals": [],
    "grand_total": 120,
}
REPORT = {
    "snapshot": 1,
    "policy": {"threshold": 11, "rounding_base": 1, "suppressed_countries": []},
    "cells": 3,
    "cells_hidden": 1,
    "totals_listed": 1,
    "totals_hidden": 0,
    "rounding_base": 1,
}
VALID = {"dimensions": ["gender", "ageBroad"], "file_format": "csv"}


@pytest.fixture
def snapshot():
    return factories.MartSnapshotFactory()


@pytest.fixture
def ready_extract(researcher, settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    extract = factories.ExtractFactory(
        requested_by=researcher, status=Extract.Status.SUCCEEDED, result=RESULT, report=REPORT
    )
    extract_path(extract=extract).write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    return extract


def _url(name, extract=None):
    return reverse(name, kwargs={"extract_id": extract.pk} if extract else None)


PAGES = [
    ("research:catalogue", False),
    ("research:extract_list", False),
    ("research:extract_new", False),
    ("research:extract_detail", True),
    ("research:extract_progress", True),
    ("research:extract_download", True),
]


@pytest.mark.parametrize(("name", "needs_extract"), PAGES)
def test_researcher_reaches_research_pages(name, needs_extract, client_for, ready_extract):
    response = client_for(ready_extract.requested_by).get(
        _url(name, ready_extract if needs_extract else None)
    )

    assert response.status_code == 200


@pytest.mark.parametrize(("name", "needs_extract"), PAGES)
@pytest.mark.parametrize("role", ["caseworker_a", "central_admin", "superuser"])
def test_everyone_else_gets_404(name, needs_extract, role, request, client_for, ready_extract):
    user = request.getfixturevalue(role)

    response = client_for(user).get(_url(name, ready_extract if needs_extract else None))

    assert response.status_code == 404


@pytest.mark.parametrize(("name", "needs_extract"), PAGES)
def test_anonymous_is_sent_to_sign_in(name, needs_extract, client, ready_extract):
    response = client.get(_url(name, ready_extract if needs_extract else None))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_catalogue_lists_every_variable_with_its_ctdc_name(client_for, researcher):
    html = client_for(researcher).get(_url("research:catalogue")).content.decode()

    for variable in VARIABLES.values():
        assert f"<code>{variable.name}</code>" in html
        if variable.ctdc_name:
            assert f"<code>{variable.ctdc_name}</code>" in html


def test_catalogue_says_no_ctdc_variable_rather_than_none(client_for, researcher):
    assert any(not variable.ctdc_name for variable in VARIABLES.values())
    html = client_for(researcher).get(_url("research:catalogue")).content.decode()
    cells = re.findall(r"<td>(.*?)</td>", html, flags=re.S)

    assert "No CTDC variable" in html
    assert not [cell for cell in cells if re.sub(r"<[^>]+>", "", cell).strip() == "None"]


def test_request_creates_an_extract_and_shows_it(
    client_for, researcher, snapshot, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(researcher).post(_url("research:extract_new"), VALID)

    extract = Extract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("research:extract_detail", extract)
    assert (extract.requested_by, extract.dimensions, len(callbacks)) == (
        researcher,
        VALID["dimensions"],
        1,
    )


def test_request_passes_the_filters_to_the_service(
    client_for, researcher, snapshot, django_capture_on_commit_callbacks
):
    data = {
        **VALID,
        "year_from": "2020",
        "year_to": "2024",
        "citizenship": ["NPL", "THA"],
        "exploitation_type": "ForcedLabour",
    }

    with django_capture_on_commit_callbacks(execute=False):
        client_for(researcher).post(_url("research:extract_new"), data)

    assert Extract.objects.get().filters == {
        "year_from": 2020,
        "year_to": 2024,
        "citizenship": ["NPL", "THA"],
        "exploitation_type": "ForcedLabour",
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**VALID, "dimensions": ["gender", "notAVariable"]}, "dimensions"),
        ({**VALID, "dimensions": []}, "dimensions"),
        ({**VALID, "year_from": "2025", "year_to": "2019"}, "year_to"),
        ({**VALID, "year_from": "twenty"}, "year_from"),
        ({**VALID, "year_to": "1200"}, "year_to"),
        ({**VALID, "citizenship": ["ZZZ"]}, "citizenship"),
        ({**VALID, "country_of_exploitation": ["xx"]}, "country_of_exploitation"),
        ({**VALID, "exploitation_type": "Nonsense"}, "exploitation_type"),
        ({**VALID, "file_format": "pdf"}, "file_format"),
        ({**VALID, "language": "xx"}, "language"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_creates_nothing(
    data, field, client_for, researcher, snapshot
):
    response = client_for(researcher).post(_url("research:extract_new"), data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Extract.objects.exists()


def test_an_empty_post_shows_the_required_fields(client_for, researcher, snapshot):
    response = client_for(researcher).post(_url("research:extract_new"), {})

    assert sorted(response.context["form"].errors) == ["dimensions", "file_format"]
    assert not Extract.objects.exists()


def test_too_many_dimensions_get_the_service_message(client_for, researcher, snapshot):
    data = {**VALID, "dimensions": list(VARIABLES)[: MAX_DIMENSIONS + 1]}

    response = client_for(researcher).post(_url("research:extract_new"), data)

    assert response.context["form"].errors["dimensions"] == [
        str(extracts.DIMENSIONS_COUNT_MESSAGE) % {"max": MAX_DIMENSIONS}
    ]
    assert not Extract.objects.exists()


def test_request_without_a_release_says_so_and_creates_nothing(client_for, researcher):
    response = client_for(researcher).post(_url("research:extract_new"), VALID)

    assert response.context["form"].non_field_errors() == [str(releases.NO_RELEASE_MESSAGE)]
    assert not Extract.objects.exists()


def test_post_without_csrf_token_is_refused(researcher, snapshot):
    client = Client(enforce_csrf_checks=True)
    verified_login(client, researcher)

    response = client.post(_url("research:extract_new"), VALID)

    assert response.status_code == 403
    assert not Extract.objects.exists()


def test_list_shows_own_extracts_newest_first(client_for, researcher, snapshot):
    older = factories.ExtractFactory(requested_by=researcher)
    newer = factories.ExtractFactory(requested_by=researcher)
    factories.ExtractFactory()  # another researcher's

    response = client_for(researcher).get(_url("research:extract_list"))

    assert list(response.context["page_obj"]) == [newer, older]


def test_list_query_count_does_not_grow_with_extracts(
    client_for, researcher, snapshot, django_assert_max_num_queries
):
    factories.ExtractFactory.create_batch(
        EXTRACTS_PER_PAGE + 1, requested_by=researcher, status=Extract.Status.RUNNING
    )
    client = client_for(researcher)

    with django_assert_max_num_queries(7 + SECOND_FACTOR_QUERIES):
        response = client.get(_url("research:extract_list"))

    assert len(response.context["page_obj"]) == EXTRACTS_PER_PAGE


def test_list_polls_running_extracts_every_two_seconds(client_for, researcher, snapshot):
    running = factories.ExtractFactory(
        requested_by=researcher, status=Extract.Status.RUNNING, progress=40
    )
    factories.ExtractFactory(requested_by=researcher, status=Extract.Status.FAILED)

    html = client_for(researcher).get(_url("research:extract_list")).content.decode()

    polled = re.findall(r'hx-get="([^"]+)" hx-trigger="every 2s"', html)
    assert polled == [_url("research:extract_progress", running)]
    assert '<progress max="100" value="40"' in html
    # Marked as background requests, so a page left open does not defeat the idle timeout.
    assert html.count("""hx-headers='{"X-Harbour-Background": "1"}'""") == 1


def test_progress_fragment_keeps_polling_while_running(client_for, researcher, snapshot):
    extract = factories.ExtractFactory(
        requested_by=researcher, status=Extract.Status.RUNNING, progress=50
    )

    response = client_for(researcher).get(
        _url("research:extract_progress", extract), headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert "<html" not in html
    assert 'hx-trigger="every 2s"' in html
    assert 'value="50"' in html


def test_progress_fragment_stops_polling_when_done(client_for, ready_extract):
    response = client_for(ready_extract.requested_by).get(
        _url("research:extract_progress", ready_extract), headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert "hx-trigger" not in html
    assert _url("research:extract_detail", ready_extract) in html


def test_detail_of_a_queued_extract_polls_its_progress(client_for, researcher, snapshot):
    extract = factories.ExtractFactory(requested_by=researcher)

    html = client_for(researcher).get(_url("research:extract_detail", extract)).content.decode()

    polled = re.findall(r'hx-get="([^"]+)" hx-trigger="every 2s"', html)
    assert polled == [_url("research:extract_progress", extract)]
    assert f'href="{_url("research:extract_detail", extract)}"' in html  # the refresh fallback


def test_progress_without_htmx_is_a_whole_page(client_for, researcher, snapshot):
    extract = factories.ExtractFactory(requested_by=researcher)

    response = client_for(researcher).get(_url("research:extract_progress", extract))

    assert "<html" in response.content.decode()


def test_result_shows_suppressed_cells_as_suppressed_not_zero(client_for, ready_extract):
    html = (
        client_for(ready_extract.requested_by)
        .get(_url("research:extract_detail", ready_extract))
        .content.decode()
    )

    table = html[html.index('class="table research-table"') :]
    table = table[: table.index("</table>")]
    cells = re.findall(r'<tr><td>([^<]*)</td><td class="count">(.*?)</td></tr>', table)
    assert cells == [
        ("2020", "40"),
        ("2021", '<span class="suppressed">0 or hidden</span>'),
        ("2022", "55"),
    ]


def test_result_page_has_chart_report_and_download(client_for, ready_extract):
    response = client_for(ready_extract.requested_by).get(
        _url("research:extract_detail", ready_extract)
    )

    html = response.content.decode()
    assert response.context["chart"].kind == "line"
    assert '<svg class="chart"' in html
    assert f'href="{_url("research:extract_download", ready_extract)}"' in html
    assert 'class="summary disclosure-report"' in html


def test_failed_extract_shows_its_message_and_a_retry_button(client_for, researcher, snapshot):
    extract = factories.ExtractFactory(
        requested_by=researcher, status=Extract.Status.FAILED, message="Widen the filters."
    )

    html = client_for(researcher).get(_url("research:extract_detail", extract)).content.decode()

    assert "Widen the filters." in html
    assert f'action="{_url("research:extract_retry", extract)}"' in html


def test_retry_queues_a_failed_extract_again(
    client_for, researcher, snapshot, django_capture_on_commit_callbacks
):
    extract = factories.ExtractFactory(requested_by=researcher, status=Extract.Status.FAILED)

    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(researcher).post(_url("research:extract_retry", extract))

    extract.refresh_from_db()
    assert response.status_code == 302
    assert extract.status == Extract.Status.QUEUED


def test_retry_of_a_finished_extract_is_refused_with_a_message(client_for, ready_extract):
    response = client_for(ready_extract.requested_by).post(
        _url("research:extract_retry", ready_extract), follow=True
    )

    ready_extract.refresh_from_db()
    assert str(extracts.RETRY_NOT_FAILED_MESSAGE) in response.content.decode()
    assert ready_extract.status == Extract.Status.SUCCEEDED


def test_download_is_an_audited_attachment(client_for, ready_extract):
    researcher = ready_extract.requested_by

    response = client_for(researcher).get(_url("research:extract_download", ready_extract))

    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content).startswith(b"PK")
    event = AuditEvent.objects.get(action=AuditAction.EXTRACT_DOWNLOADED)
    assert (event.actor_id, event.object_id) == (researcher.pk, str(ready_extract.pk))


def test_download_of_an_unfinished_extract_explains_why(client_for, researcher, snapshot):
    extract = factories.ExtractFactory(requested_by=researcher)

    response = client_for(researcher).get(_url("research:extract_download", extract), follow=True)

    assert str(extracts.NOT_READY_MESSAGE) in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.EXTRACT_DOWNLOADED).exists()


@pytest.mark.parametrize(
    "name",
    [
        "research:extract_detail",
        "research:extract_progress",
        "research:extract_download",
        "research:extract_retry",
    ],
)
def test_another_researchers_extract_is_not_found(name, client_for, ready_extract):
    stranger = factories.ResearcherFactory()
    method = "post" if name == "research:extract_retry" else "get"

    response = getattr(client_for(stranger), method)(_url(name, ready_extract))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXTRACT_DOWNLOADED).exists()


def test_central_admin_sees_snapshots(client_for, central_admin, snapshot):
    response = client_for(central_admin).get(_url("research:mart"))

    assert list(response.context["snapshots"]) == [snapshot]


def test_rebuild_now_queues_a_rebuild(
    client_for, central_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(central_admin).post(_url("research:mart"), follow=True)

    assert len(callbacks) == 1
    assert str(REBUILD_REQUESTED_MESSAGE) in response.content.decode()


@pytest.mark.parametrize("role", ["researcher", "caseworker_a"])
def test_rebuild_is_not_there_for_anyone_else(
    role, request, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(request.getfixturevalue(role)).post(_url("research:mart"))

    assert response.status_code == 404
    assert callbacks == []
    assert not MartSnapshot.objects.exists()


def test_researcher_dashboard_links_to_research_and_shows_no_case_data(
    client_for, researcher, case_a
):
    response = client_for(researcher).get(reverse("dashboard"))

    html = response.content.decode()
    assert _url("research:extract_new") in html
    assert _url("research:catalogue") in html
    assert "status_table" not in response.context
    assert case_a.reference not in html
    assert case_a.mission.code not in html


def test_the_researcher_chooses_the_language_of_the_package(client_for, researcher, snapshot):
    client_for(researcher).post(_url("research:extract_new"), {**VALID, "language": "ru"})

    assert Extract.objects.get().language == "ru"


def test_without_a_choice_the_package_is_in_the_pages_language(client_for, researcher, snapshot):
    client_for(researcher).post(_url("research:extract_new"), VALID, HTTP_ACCEPT_LANGUAGE="es")

    assert Extract.objects.get().language == "es"
