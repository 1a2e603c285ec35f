"""Extract requests, the build job, its reliability, housekeeping and downloads."""

from __future__ import annotations

import datetime
import hashlib
import os
import time
import zipfile

import pytest
from celery.exceptions import Retry
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone, translation

from cases.audit import audit_pending_refusal
from cases.models import AuditAction, AuditEvent
from config.errors import ApplicationError
from research_exports import extracts, releases, writers
from research_exports.extracts import (
    BUILD_FAILED_MESSAGE,
    TOO_MANY_CELLS_MESSAGE,
    ExtractAttemptFailed,
    extract_build,
    extract_expire,
    extract_file_for_download,
    extract_get,
    extract_list,
    extract_path,
    extract_request,
    extract_retry,
    extract_sweep,
)
from research_exports.models import Extract
from research_exports.tasks import extract_build_task
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def extract_dir(settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    settings.RESEARCH_THRESHOLD_K = 11
    settings.RESEARCH_ROUNDING_BASE = 1
    return tmp_path


@pytest.fixture
def snapshot():
    return factories.MartSnapshotFactory()


@pytest.fixture
def mart(snapshot):
    """150 people: 2023 and 2024, women and men."""
    factories.add_mart_rows(snapshot, 60, year_of_registration=2023, gender="Woman")
    factories.add_mart_rows(snapshot, 40, year_of_registration=2023, gender="Man")
    factories.add_mart_rows(snapshot, 30, year_of_registration=2024, gender="Woman")
    factories.add_mart_rows(snapshot, 20, year_of_registration=2024, gender="Man")
    return snapshot


def ask(user, dimensions=("yearOfRegistration",), filters=None, file_format="csv"):
    return extract_request(
        actor=user, dimensions=list(dimensions), filters=filters or {}, file_format=file_format
    )


def built(user, django_capture_on_commit_callbacks, **kwargs) -> Extract:
    with django_capture_on_commit_callbacks(execute=True):
        extract = ask(user, **kwargs)
    extract.refresh_from_db()
    return extract


def cells(extract: Extract) -> dict[tuple[str, ...], int | None]:
    return {tuple(row["values"]): row["count"] for row in extract.result["rows"]}


def queued(snapshot, researcher, **kwargs) -> Extract:
    return factories.ExtractFactory(
        requested_by=researcher,
        snapshot=snapshot,
        policy={
            "threshold": 11,
            "rounding_base": 1,
            "suppressed_countries": [],
        },
        **kwargs,
    )


# ---------------------------------------------------------------------------- requests


@pytest.mark.parametrize(
    ("dimensions", "filters", "file_format", "field"),
    [
        (["noSuchVariable"], {}, "csv", "dimensions"),
        (
            ["gender", "ageBroad", "citizenship", "route", "yearOfRegistration"],
            {},
            "csv",
            "dimensions",
        ),
        ([], {}, "csv", "dimensions"),
        (["gender", "gender"], {}, "csv", "dimensions"),
        (["gender"], {"year_from": "abc"}, "csv", "year_from"),
        (["gender"], {"year_to": 1500}, "csv", "year_to"),
        (["gender"], {"year_from": True}, "csv", "year_from"),
        (["gender"], {"year_from": 2024, "year_to": 2020}, "csv", "year_to"),
        (["gender"], {"citizenship": ["XXX"]}, "csv", "citizenship"),
        (["gender"], {"citizenship": "NPL"}, "csv", "citizenship"),
        (["gender"], {"country_of_exploitation": ["npl"]}, "csv", "country_of_exploitation"),
        (["gender"], {"exploitation_type": "Juggling"}, "csv", "exploitation_type"),
        (["gender"], {"region": "Asia"}, "csv", "region"),
        (["gender"], {}, "pdf", "file_format"),
    ],
)
def test_request_refuses_bad_input_with_a_field_error(
    researcher, snapshot, dimensions, filters, file_format, field
):
    with pytest.raises(ValidationError) as caught:
        ask(researcher, dimensions=dimensions, filters=filters, file_format=file_format)
    assert field in caught.value.message_dict
    assert not Extract.objects.exists()


def test_request_refuses_a_suppressed_country_as_filter(researcher, snapshot, settings):
    settings.RESEARCH_SUPPRESSED_COUNTRIES = ["BGD"]
    with pytest.raises(ValidationError) as caught:
        ask(researcher, filters={"citizenship": ["BGD"]})
    assert "citizenship" in caught.value.message_dict


@pytest.mark.parametrize("user_fixture", ["caseworker_a", "central_admin", "superuser"])
def test_request_is_for_researchers_only(request, user_fixture, snapshot):
    user = request.getfixturevalue(user_fixture)
    with pytest.raises(ApplicationError) as caught:
        extract_request(actor=user, dimensions=["gender"], filters={}, file_format="csv")
    assert caught.value.code == "not_researcher"


@pytest.mark.parametrize("nightly_mart", [False, True])
def test_request_without_a_release_says_there_is_none(researcher, nightly_mart):
    if nightly_mart:
        factories.MartSnapshotFactory(release=False)
    with pytest.raises(ApplicationError) as caught:
        ask(researcher)
    assert caught.value.code == "no_release"
    assert caught.value.message == str(releases.NO_RELEASE_MESSAGE)
    assert not Extract.objects.exists()


def test_request_stores_policy_audits_and_enqueues(
    researcher, snapshot, settings, django_capture_on_commit_callbacks
):
    settings.RESEARCH_SUPPRESSED_COUNTRIES = ["MMR", "BGD"]
    settings.RESEARCH_ROUNDING_BASE = 5
    with django_capture_on_commit_callbacks() as callbacks:
        extract = ask(
            researcher,
            dimensions=["gender", "citizenship"],
            filters={"year_from": 2020, "citizenship": ["NPL", "IND", "NPL"]},
        )
    assert len(callbacks) == 1
    assert extract.status == Extract.Status.QUEUED
    assert extract.snapshot == snapshot
    assert extract.filters == {"year_from": 2020, "citizenship": ["IND", "NPL"]}
    assert extract.policy == {
        "threshold": 11,
        "rounding_base": 5,
        "suppressed_countries": ["BGD", "MMR"],
    }
    event = AuditEvent.objects.get(action=AuditAction.EXTRACT_REQUESTED)
    assert (event.actor_id, event.object_id) == (researcher.pk, str(extract.pk))


# ---------------------------------------------------------------------------- the build


def test_eager_build_end_to_end(researcher, mart, django_capture_on_commit_callbacks):
    extract = built(researcher, django_capture_on_commit_callbacks, dimensions=["gender"])
    assert (extract.status, extract.progress, extract.attempts) == ("succeeded", 100, 1)
    assert cells(extract) == {("Man",): 60, ("Woman",): 90}
    assert extract.result["grand_total"] == 150
    path = extract_path(extract=extract)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == extract.file_sha256
    assert path.stat().st_size == extract.file_size
    with zipfile.ZipFile(path) as package:
        assert set(package.namelist()) == {
            "extract.csv",
            "data_dictionary.csv",
            "data_dictionary.json",
            "disclosure_report.json",
            "disclosure_report.txt",
        }
    assert extract.expires_at > timezone.now() + datetime.timedelta(days=29)
    completed = AuditEvent.objects.get(action=AuditAction.EXTRACT_COMPLETED)
    assert (completed.actor_id, completed.object_id) == (researcher.pk, str(extract.pk))


def test_build_counts_cells_and_totals_in_two_dimensions(
    researcher, mart, django_capture_on_commit_callbacks
):
    extract = built(
        researcher, django_capture_on_commit_callbacks, dimensions=["yearOfRegistration", "gender"]
    )
    assert cells(extract) == {
        ("2023", "Man"): 40,
        ("2023", "Woman"): 60,
        ("2024", "Man"): 20,
        ("2024", "Woman"): 30,
    }
    totals = {tuple(r["values"]): r["count"] for r in extract.result["row_totals"]}
    columns = {tuple(r["values"]): r["count"] for r in extract.result["column_totals"]}
    assert totals == {("2023",): 100, ("2024",): 50}
    assert columns == {("Man",): 60, ("Woman",): 90}


def test_build_applies_filters(researcher, mart, django_capture_on_commit_callbacks):
    factories.add_mart_rows(mart, 120, year_of_registration=2025, citizenship="IND")
    extract = built(
        researcher,
        django_capture_on_commit_callbacks,
        dimensions=["yearOfRegistration"],
        filters={"year_from": 2025, "citizenship": ["IND"]},
    )
    # A filtered table is a slice of the table with the filter's variable as a dimension.
    assert extract.result["dimensions"] == ["yearOfRegistration", "citizenship"]
    assert cells(extract) == {("2025", "IND"): 120}
    assert extract.result["grand_total"] is None
    assert extract.result["grand_total_published"] is False


def test_build_suppresses_small_cells_and_reports_it(
    researcher, mart, django_capture_on_commit_callbacks
):
    factories.add_mart_rows(mart, 3, gender="Trans/Transgender/NonConforming")
    extract = built(researcher, django_capture_on_commit_callbacks, dimensions=["gender"])
    assert cells(extract)[("Trans/Transgender/NonConforming",)] is None
    # With one suppressed cell the grand total would give it away: something else goes too.
    assert extract.report["cells_hidden"] + extract.report["totals_hidden"] >= 2
    # The report does not tell how many hidden counts hold people.
    assert not any("threshold" in key for key in extract.report if key.startswith("cells"))
    assert extract.report["snapshot"] == mart.pk


def test_a_small_population_is_protected_not_refused(
    researcher, snapshot, django_capture_on_commit_callbacks
):
    # Refusing a small group would tell the researcher that the group is small: an oracle.
    factories.add_mart_rows(snapshot, 7, gender="Woman")
    factories.add_mart_rows(snapshot, 20, gender="Man")
    extract = built(researcher, django_capture_on_commit_callbacks, dimensions=["gender"])
    assert extract.status == Extract.Status.SUCCEEDED
    assert cells(extract)[("Woman",)] is None
    # The grand total would give the suppressed cell away: the man cell or the total goes.
    assert cells(extract)[("Man",)] is None or extract.result["grand_total"] is None


@pytest.mark.parametrize("dimensions", [["gender"], ["yearOfRegistration", "gender"]])
def test_an_empty_release_builds_an_empty_table(
    researcher, snapshot, dimensions, django_capture_on_commit_callbacks
):
    # A release of a mart with no one in it (a new installation): zero people, not a failure.
    extract = built(researcher, django_capture_on_commit_callbacks, dimensions=dimensions)
    assert (extract.status, extract.attempts) == (Extract.Status.SUCCEEDED, 1)
    assert extract.result["rows"] == []
    assert extract.result["grand_total"] == 0


def test_build_refuses_a_table_with_too_many_cells(
    researcher, mart, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(extracts, "MAX_CELLS", 3)
    extract = built(
        researcher, django_capture_on_commit_callbacks, dimensions=["yearOfRegistration", "gender"]
    )
    assert extract.status == Extract.Status.FAILED
    assert extract.message == str(TOO_MANY_CELLS_MESSAGE) % {"maximum": 3}


def test_build_merges_suppressed_countries_into_other(
    researcher, snapshot, settings, django_capture_on_commit_callbacks
):
    settings.RESEARCH_SUPPRESSED_COUNTRIES = ["BGD", "MMR"]
    factories.add_mart_rows(snapshot, 80, citizenship="NPL", route_origin="NPL")
    factories.add_mart_rows(snapshot, 20, citizenship="BGD", route_origin="BGD")
    factories.add_mart_rows(snapshot, 15, citizenship="MMR", route_origin="MMR")
    extract = built(researcher, django_capture_on_commit_callbacks, dimensions=["citizenship"])
    assert cells(extract) == {("NPL",): 80, ("OTHER",): 35}
    route = built(researcher, django_capture_on_commit_callbacks, dimensions=["route"])
    assert cells(route) == {("NPL>IND",): 80, ("OTHER>IND",): 35}


def test_multi_valued_variable_counts_a_person_once_per_cell(
    researcher, snapshot, django_capture_on_commit_callbacks
):
    factories.add_mart_rows(snapshot, 20, exploitation_types=["ForcedLabour", "SexualExploitation"])
    factories.add_mart_rows(snapshot, 15, exploitation_types=["ForcedLabour", "ForcedLabour"])
    factories.add_mart_rows(snapshot, 100, exploitation_types=[])
    extract = built(
        researcher, django_capture_on_commit_callbacks, dimensions=["typeOfExploitation"]
    )
    assert cells(extract) == {("",): 100, ("ForcedLabour",): 35, ("SexualExploitation",): 20}
    assert extract.result["grand_total"] == 135


def test_totals_over_a_multi_valued_variable_count_people_not_values(
    researcher, snapshot, django_capture_on_commit_callbacks
):
    factories.add_mart_rows(
        snapshot, 70, gender="Woman", exploitation_types=["ForcedLabour", "Servitude"]
    )
    factories.add_mart_rows(snapshot, 50, gender="Man", exploitation_types=["ForcedLabour"])
    extract = built(
        researcher,
        django_capture_on_commit_callbacks,
        dimensions=["gender", "typeOfExploitation"],
    )
    totals = {tuple(r["values"]): r["count"] for r in extract.result["row_totals"]}
    assert totals == {("Man",): 50, ("Woman",): 70}
    assert extract.result["grand_total"] == 120


# ---------------------------------------------------------------------------- reliability


def test_build_delivered_twice_makes_one_file(researcher, mart, extract_dir):
    extract = queued(mart, researcher, dimensions=["gender"])
    extract_build(extract_id=extract.pk)
    extract_build(extract_id=extract.pk)
    extract.refresh_from_db()
    assert (extract.status, extract.attempts) == (Extract.Status.SUCCEEDED, 1)
    assert [p.name for p in extract_dir.iterdir()] == [f"{extract.pk}.zip"]
    assert AuditEvent.objects.filter(action=AuditAction.EXTRACT_COMPLETED).count() == 1


def test_build_leaves_a_job_held_by_a_live_worker_alone(researcher, mart):
    extract = queued(
        mart,
        researcher,
        status=Extract.Status.RUNNING,
        attempts=1,
        lease_expires_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    extract_build(extract_id=extract.pk)
    extract.refresh_from_db()
    assert (extract.status, extract.attempts) == (Extract.Status.RUNNING, 1)


def test_killed_worker_is_requeued_by_the_sweeper_and_completes(
    researcher, mart, extract_dir, django_capture_on_commit_callbacks
):
    extract = queued(
        mart,
        researcher,
        dimensions=["gender"],
        status=Extract.Status.RUNNING,
        attempts=1,
        progress=50,
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    # What the dead worker left: half a package under its temporary name.
    partial = extract_dir / f".{extract.pk}.dead.part"
    partial.write_bytes(b"PK\x03\x04 half a zip")
    with django_capture_on_commit_callbacks(execute=True):
        assert extract_sweep() == 1
    extract.refresh_from_db()
    assert (extract.status, extract.attempts) == (Extract.Status.SUCCEEDED, 2)
    package = extract_path(extract=extract)
    with zipfile.ZipFile(package) as archive:
        assert archive.testzip() is None
    assert hashlib.sha256(package.read_bytes()).hexdigest() == extract.file_sha256
    # The leftover never becomes the package, and the daily job clears it once stale.
    old = time.time() - 3600
    os.utime(partial, (old, old))
    extract_expire()
    assert not partial.exists()
    assert package.exists()


def test_sweeper_fails_a_dead_job_out_of_attempts(researcher, mart, settings):
    extract = queued(
        mart,
        researcher,
        status=Extract.Status.RUNNING,
        attempts=settings.RESEARCH_EXTRACT_MAX_ATTEMPTS,
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    extract_sweep()
    extract.refresh_from_db()
    assert extract.status == Extract.Status.FAILED
    assert extract.message == str(BUILD_FAILED_MESSAGE) % {"attempts": extract.attempts}


def test_failing_attempt_is_queued_again(researcher, mart, monkeypatch):
    monkeypatch.setattr(extracts, "aggregate", _broken)
    extract = queued(mart, researcher)
    with pytest.raises(ExtractAttemptFailed):
        extract_build(extract_id=extract.pk)
    extract.refresh_from_db()
    assert (extract.status, extract.attempts, extract.lease_expires_at) == ("queued", 1, None)


def _broken(**kwargs):
    raise RuntimeError("database went away")


def test_build_fails_the_job_after_max_attempts_with_a_message(
    researcher, mart, monkeypatch, settings, extract_dir
):
    monkeypatch.setattr(extracts, "aggregate", _broken)
    extract = queued(mart, researcher)
    for _attempt in range(settings.RESEARCH_EXTRACT_MAX_ATTEMPTS - 1):
        with pytest.raises(ExtractAttemptFailed):
            extract_build(extract_id=extract.pk)
    extract_build(extract_id=extract.pk)
    extract.refresh_from_db()
    assert extract.status == Extract.Status.FAILED
    assert extract.attempts == settings.RESEARCH_EXTRACT_MAX_ATTEMPTS
    assert extract.message == str(BUILD_FAILED_MESSAGE) % {"attempts": extract.attempts}
    assert "database went away" not in extract.message
    assert list(extract_dir.iterdir()) == []
    failed = AuditEvent.objects.get(action=AuditAction.EXTRACT_FAILED)
    assert failed.actor_id == researcher.pk


def test_task_asks_celery_to_retry_a_failed_attempt(researcher, mart, monkeypatch):
    monkeypatch.setattr(extracts, "aggregate", _broken)
    extract = queued(mart, researcher)
    with pytest.raises(Retry):
        extract_build_task.delay(str(extract.pk))
    extract.refresh_from_db()
    assert extract.status == Extract.Status.QUEUED


# ---------------------------------------------------------------------------- retry


def test_retry_requeues_a_failed_extract(researcher, mart, django_capture_on_commit_callbacks):
    extract = queued(mart, researcher, status=Extract.Status.FAILED, attempts=3, message="x")
    with django_capture_on_commit_callbacks(execute=True):
        extract_retry(actor=researcher, extract_id=extract.pk)
    extract.refresh_from_db()
    assert (extract.status, extract.attempts) == (Extract.Status.SUCCEEDED, 1)
    retried = AuditEvent.objects.get(action=AuditAction.EXTRACT_RETRIED)
    assert retried.actor_id == researcher.pk


def test_retry_refuses_an_extract_that_has_not_failed(researcher, mart):
    extract = queued(mart, researcher, status=Extract.Status.SUCCEEDED)
    with pytest.raises(ApplicationError) as caught:
        extract_retry(actor=researcher, extract_id=extract.pk)
    assert caught.value.code == "not_failed"


def test_retry_of_someone_elses_extract_is_not_found(researcher, mart):
    extract = queued(mart, factories.ResearcherFactory(), status=Extract.Status.FAILED)
    with pytest.raises(Http404):
        extract_retry(actor=researcher, extract_id=extract.pk)
    extract.refresh_from_db()
    assert extract.status == Extract.Status.FAILED


# ---------------------------------------------------------------------------- reads


def test_list_shows_own_extracts_newest_first(researcher, mart, django_assert_max_num_queries):
    older = queued(mart, researcher)
    newer = queued(mart, researcher)
    queued(mart, factories.ResearcherFactory())
    with django_assert_max_num_queries(1):
        listed = list(extract_list(user=researcher))
        assert [e.snapshot_id for e in listed] == [mart.pk, mart.pk]
    assert listed == [newer, older]


def test_list_is_empty_for_non_researchers(caseworker_a, researcher, mart):
    queued(mart, researcher)
    assert list(extract_list(user=caseworker_a)) == []


@pytest.mark.parametrize("extract_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_get_of_a_missing_extract_is_not_found(researcher, extract_id):
    with pytest.raises(Http404):
        extract_get(user=researcher, extract_id=extract_id)


def test_get_of_someone_elses_extract_is_not_found_and_audited(researcher, mart):
    extract = queued(mart, factories.ResearcherFactory())
    with pytest.raises(Http404) as caught:
        extract_get(user=researcher, extract_id=extract.pk)
    # Inside the test's transaction the refusal rides on the 404 for the handlers to write.
    audit_pending_refusal(caught.value)
    refused = AuditEvent.objects.get(action=AuditAction.ACCESS_REFUSED)
    assert (refused.actor_id, refused.detail["object_id"]) == (researcher.pk, str(extract.pk))


# ---------------------------------------------------------------------------- downloads


def test_download_gives_the_file_and_is_audited(
    researcher, mart, django_capture_on_commit_callbacks
):
    extract = built(researcher, django_capture_on_commit_callbacks, dimensions=["gender"])
    path, name = extract_file_for_download(user=researcher, extract_id=extract.pk)
    assert path == extract_path(extract=extract)
    assert name.endswith(".zip")
    downloaded = AuditEvent.objects.get(action=AuditAction.EXTRACT_DOWNLOADED)
    assert (downloaded.actor_id, downloaded.object_id) == (researcher.pk, str(extract.pk))


def test_download_of_someone_elses_extract_is_not_found(
    researcher, mart, django_capture_on_commit_callbacks
):
    extract = built(researcher, django_capture_on_commit_callbacks, dimensions=["gender"])
    with pytest.raises(Http404):
        extract_file_for_download(user=factories.ResearcherFactory(), extract_id=extract.pk)
    assert not AuditEvent.objects.filter(action=AuditAction.EXTRACT_DOWNLOADED).exists()


def test_download_of_an_unfinished_extract_is_refused(researcher, mart):
    extract = queued(mart, researcher)
    with pytest.raises(ApplicationError) as caught:
        extract_file_for_download(user=researcher, extract_id=extract.pk)
    assert caught.value.code == "not_ready"


# ---------------------------------------------------------------------------- expiry


def test_expiry_deletes_files_past_retention(researcher, mart, django_capture_on_commit_callbacks):
    old = built(researcher, django_capture_on_commit_callbacks, dimensions=["gender"])
    fresh = built(researcher, django_capture_on_commit_callbacks, dimensions=["ageBroad"])
    Extract.objects.filter(pk=old.pk).update(expires_at=timezone.now())
    assert extract_expire() == 1
    old.refresh_from_db()
    assert old.status == Extract.Status.EXPIRED
    assert not extract_path(extract=old).exists()
    assert extract_path(extract=fresh).exists()
    with pytest.raises(ApplicationError) as caught:
        extract_file_for_download(user=researcher, extract_id=old.pk)
    assert caught.value.code == "expired"


def test_build_counts_people_by_re_trafficking(
    researcher, mart, django_capture_on_commit_callbacks
):
    factories.add_mart_rows(mart, 20, is_retrafficked=True)
    extract = built(researcher, django_capture_on_commit_callbacks, dimensions=["isRetrafficked"])
    assert cells(extract) == {("false",): 150, ("true",): 20}


def test_build_suppresses_a_small_re_trafficking_cell(
    researcher, mart, django_capture_on_commit_callbacks
):
    factories.add_mart_rows(mart, 3, is_retrafficked=True)
    extract = built(researcher, django_capture_on_commit_callbacks, dimensions=["isRetrafficked"])
    assert cells(extract)[("true",)] is None
    assert extract.report["cells_hidden"] >= 1


def test_build_counts_reintegration_scores_with_no_visit_as_missing(
    researcher, mart, django_capture_on_commit_callbacks
):
    factories.add_mart_rows(mart, 30, economic_score=4)
    extract = built(
        researcher, django_capture_on_commit_callbacks, dimensions=["economicReintegrationScore"]
    )
    assert cells(extract) == {("",): 150, ("4",): 30}


def test_request_refuses_an_unknown_language(researcher, mart):
    with pytest.raises(ValidationError) as caught:
        extract_request(
            actor=researcher, dimensions=["gender"], filters={}, file_format="csv", language="xx"
        )
    assert list(caught.value.message_dict) == ["language"]
    assert not Extract.objects.exists()


def test_the_package_is_written_in_the_chosen_language_with_the_same_codes(
    researcher, mart, django_capture_on_commit_callbacks, monkeypatch
):
    seen = []
    write = writers.write_package

    def spy(**kwargs):
        seen.append(translation.get_language())
        return write(**kwargs)

    monkeypatch.setattr(writers, "write_package", spy)
    tables = {}
    for language in ("fr", "ar"):
        with django_capture_on_commit_callbacks(execute=True):
            extract = extract_request(
                actor=researcher,
                dimensions=["gender"],
                filters={},
                file_format="csv",
                language=language,
            )
        extract.refresh_from_db()
        assert (extract.status, extract.language) == ("succeeded", language)
        with zipfile.ZipFile(extract_path(extract=extract)) as package:
            tables[language] = package.read("extract.csv")
    assert seen == ["fr", "ar"]
    assert tables["fr"] == tables["ar"]
