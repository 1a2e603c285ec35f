"""Research releases: publishing (central administrators), reading (researchers), and
suppressed extracts reading releases only, never the nightly mart."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import AuditAction, AuditEvent
from config.errors import ApplicationError
from research_exports import mart, releases
from research_exports.extracts import extract_request
from research_exports.models import Extract, MartSnapshot, ResearchRelease
from research_exports.views import RELEASE_PUBLISHED_MESSAGE
from tests import factories

pytestmark = pytest.mark.django_db

API = reverse("research_api:releases")
PAGE = reverse("research:releases")


@pytest.fixture(autouse=True)
def research_settings(settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    cache.clear()


@pytest.fixture
def built():
    """A built, current snapshot that nobody has published."""
    return factories.MartSnapshotFactory(release=False, row_count=120)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# ---------------------------------------------------------------------------- service


def test_publish_freezes_the_current_snapshot_and_audits(central_admin, built):
    release = releases.release_publish(actor=central_admin, name="  2026 Q1 ")

    assert (release.name, release.snapshot, release.published_by) == (
        "2026 Q1",
        built,
        central_admin,
    )
    event = AuditEvent.objects.get(action=AuditAction.RESEARCH_RELEASE_PUBLISHED)
    assert event.actor == central_admin
    assert event.detail == {"release": release.pk, "snapshot": built.pk, "rows": 120}


def test_publish_a_chosen_older_snapshot(central_admin, built):
    older = factories.MartSnapshotFactory(release=False, is_current=False)

    release = releases.release_publish(actor=central_admin, name="Old", snapshot_id=older.pk)

    assert release.snapshot == older


@pytest.mark.parametrize(
    ("name", "field"),
    [("", "name"), ("   ", "name"), (None, "name"), (["x"], "name"), ("x" * 101, "name")],
)
def test_publish_refuses_a_bad_name_and_writes_nothing(central_admin, built, name, field):
    with pytest.raises(ApplicationError) as caught:
        releases.release_publish(actor=central_admin, name=name)

    assert field in caught.value.errors
    assert not ResearchRelease.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.RESEARCH_RELEASE_PUBLISHED).exists()


def test_publish_refuses_a_taken_name_or_a_released_snapshot(central_admin, built):
    releases.release_publish(actor=central_admin, name="2026 Q1")
    other = factories.MartSnapshotFactory(release=False, is_current=False)

    with pytest.raises(ApplicationError) as taken:
        releases.release_publish(actor=central_admin, name="2026 Q1", snapshot_id=other.pk)
    with pytest.raises(ApplicationError) as twice:
        releases.release_publish(actor=central_admin, name="2026 Q2")

    assert "name" in taken.value.errors
    assert "snapshot" in twice.value.errors
    assert ResearchRelease.objects.count() == 1


@pytest.mark.parametrize("snapshot_id", ["abc", 0, 999999, "1.5"])
def test_publish_refuses_an_unknown_snapshot(central_admin, built, snapshot_id):
    with pytest.raises(ApplicationError) as caught:
        releases.release_publish(actor=central_admin, name="R", snapshot_id=snapshot_id)

    assert "snapshot" in caught.value.errors
    assert not ResearchRelease.objects.exists()


def test_publish_refuses_a_snapshot_still_building(central_admin):
    building = factories.MartSnapshotFactory(
        release=False, status=MartSnapshot.Status.BUILDING, is_current=False
    )

    with pytest.raises(ApplicationError):
        releases.release_publish(actor=central_admin, name="R", snapshot_id=building.pk)
    with pytest.raises(ApplicationError) as none:
        releases.release_publish(actor=central_admin, name="R")

    assert none.value.code == "no_data"
    assert not ResearchRelease.objects.exists()


@pytest.mark.parametrize("role", ["researcher", "caseworker"])
def test_only_central_administrators_publish(built, role):
    actor = factories.ResearcherFactory() if role == "researcher" else factories.UserFactory()

    with pytest.raises(ApplicationError) as caught:
        releases.release_publish(actor=actor, name="R")

    assert caught.value.code == "not_administrator"
    assert not ResearchRelease.objects.exists()


def test_a_released_snapshot_is_never_pruned(central_admin, built):
    release = releases.release_publish(actor=central_admin, name="R")
    factories.MartSnapshotFactory(release=False, is_current=False)
    MartSnapshot.objects.filter(pk=built.pk).update(is_current=False)

    mart.mart_prune()

    assert MartSnapshot.objects.filter(pk=release.snapshot_id).exists()
    assert MartSnapshot.objects.count() == 1


# ---------------------------------------------------------------------------- extracts


def test_suppressed_extracts_read_the_latest_release_not_the_nightly_mart(
    researcher, central_admin, built
):
    first = releases.release_publish(actor=central_admin, name="Q1")
    latest = releases.release_publish(
        actor=central_admin,
        name="Q2",
        snapshot_id=factories.MartSnapshotFactory(release=False, is_current=False).pk,
    )
    # A nightly rebuild after the releases is current, and is not read.
    MartSnapshot.objects.update(is_current=False)
    factories.MartSnapshotFactory(release=False)

    extract = extract_request(
        actor=researcher, dimensions=["gender"], filters={}, file_format="csv"
    )
    chosen = extract_request(
        actor=researcher, dimensions=["gender"], filters={}, file_format="csv", release=first.pk
    )

    assert (extract.release, extract.snapshot) == (latest, latest.snapshot)
    assert (chosen.release, chosen.snapshot) == (first, first.snapshot)
    requested = AuditEvent.objects.filter(action=AuditAction.EXTRACT_REQUESTED)
    assert {e.detail["release"] for e in requested} == {first.pk, latest.pk}


@pytest.mark.parametrize("release_id", ["abc", 999999, -1, [1]])
def test_an_unknown_release_is_refused_next_to_the_field(researcher, built, release_id):
    factories.ResearchReleaseFactory()

    with pytest.raises(ApplicationError) as caught:
        extract_request(
            actor=researcher,
            dimensions=["gender"],
            filters={},
            file_format="csv",
            release=release_id,
        )

    assert "release" in caught.value.errors
    assert not Extract.objects.exists()


def test_the_report_names_the_release(researcher, django_capture_on_commit_callbacks):
    release = factories.ResearchReleaseFactory(name="2026 Q1")
    factories.add_mart_rows(release.snapshot, 30, gender="Woman")

    with django_capture_on_commit_callbacks(execute=True):
        extract = extract_request(
            actor=researcher, dimensions=["gender"], filters={}, file_format="json"
        )
    extract.refresh_from_db()

    assert extract.status == Extract.Status.SUCCEEDED
    assert (extract.report["release"], extract.report["release_name"]) == (release.pk, "2026 Q1")


# ---------------------------------------------------------------------------- page


def test_page_lists_releases_for_researchers_without_the_publish_form(client_for, researcher):
    factories.ResearchReleaseFactory(name="2026 Q1")

    response = client_for(researcher).get(PAGE)

    assert response.status_code == 200
    assert "2026 Q1" in response.content.decode()
    assert response.context["form"] is None


def test_page_without_release_shows_the_empty_state(client_for, researcher):
    response = client_for(researcher).get(PAGE)

    assert response.status_code == 200
    assert "No release has been published yet" in response.content.decode()


def test_researcher_cannot_publish_from_the_page(client_for, researcher, built):
    response = client_for(researcher).post(PAGE, {"name": "R"})

    assert response.status_code == 404
    assert not ResearchRelease.objects.exists()


def test_admin_publishes_from_the_page(client_for, central_admin, built):
    response = client_for(central_admin).post(PAGE, {"name": "2026 Q1"}, follow=True)

    assert response.redirect_chain[-1][0] == PAGE
    assert str(RELEASE_PUBLISHED_MESSAGE) in response.content.decode()
    assert ResearchRelease.objects.get().snapshot == built


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "R", "snapshot": "9"}, "snapshot"),
    ],
)
def test_admin_bad_input_on_the_page_is_shown_next_to_the_field(
    client_for, central_admin, built, data, field
):
    response = client_for(central_admin).post(PAGE, data)

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not ResearchRelease.objects.exists()


def test_admin_page_when_the_mart_is_not_built_says_so(client_for, central_admin):
    response = client_for(central_admin).post(PAGE, {"name": "R"})

    assert response.status_code == 200
    assert str(releases.SNAPSHOT_NOT_READY_MESSAGE) in response.content.decode()


def test_page_query_count_does_not_grow(client_for, researcher, django_assert_max_num_queries):
    for _ in range(3):
        factories.ResearchReleaseFactory()
    client = client_for(researcher)
    client.get(PAGE)
    with django_assert_max_num_queries(10) as few:
        client.get(PAGE)
    for _ in range(20):
        factories.ResearchReleaseFactory()

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(PAGE)

    assert response.status_code == 200


def test_extract_form_without_release_shows_the_message_not_a_500(client_for, researcher):
    response = client_for(researcher).get(reverse("research:extract_new"))

    assert response.status_code == 200
    assert str(releases.NO_RELEASE_MESSAGE) in response.content.decode()


# ---------------------------------------------------------------------------- API


def test_api_lists_releases_newest_first(researcher):
    older = factories.ResearchReleaseFactory(name="Q1")
    newer = factories.ResearchReleaseFactory(name="Q2")

    response = api(researcher).get(API)

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [newer.pk, older.pk]


def test_api_list_query_count_does_not_grow(researcher, django_assert_max_num_queries):
    factories.ResearchReleaseFactory.create_batch(25)
    client = api(researcher)

    with django_assert_max_num_queries(2):
        response = client.get(API)

    assert response.json()["count"] == 25


def test_api_admin_publishes(central_admin, built):
    response = api(central_admin).post(API, {"name": "2026 Q1"}, format="json")

    assert response.status_code == 201
    assert response.json()["snapshot"] == built.pk
    assert AuditEvent.objects.filter(action=AuditAction.RESEARCH_RELEASE_PUBLISHED).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x" * 101},
        {"name": "R", "snapshot": "abc"},
        {"name": "R", "x": 1},
    ],
)
def test_api_bad_input_is_a_400_and_writes_nothing(central_admin, built, body):
    response = api(central_admin).post(API, body, format="json")

    assert response.status_code == 400
    assert not ResearchRelease.objects.exists()


def test_api_researcher_cannot_publish(researcher, built):
    response = api(researcher).post(API, {"name": "R"}, format="json")

    assert response.status_code == 404
    assert not ResearchRelease.objects.exists()


def test_api_extract_request_without_release_says_why(researcher, built):
    response = api(researcher).post(
        reverse("research_api:extract_collection"),
        {"dimensions": ["gender"], "file_format": "csv"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "no_release"
