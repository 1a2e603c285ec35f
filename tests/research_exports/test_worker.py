"""One extract built end to end by a real Celery worker process, through Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from config.celery_app import app
from research_exports import tasks
from research_exports.extracts import extract_file_for_download, extract_request
from research_exports.models import Extract, MartRow
from tests import factories

WORKER_TIMEOUT_SECONDS = 60


def _not_in_this_process(**kwargs):
    raise AssertionError("The extract was built in the test process.")


def _database_url() -> str:
    """The test database (test_<name>), which the worker must use too."""
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    name = connection.settings_dict["NAME"]
    if host.startswith("/"):
        # The embedded server listens on a Unix socket only.
        return f"postgres://{auth}@{quote(host, safe='')}/{name}"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{name}"


@pytest.fixture
def worker():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "HARBOUR_CELERY_EAGER": "0",
    }
    celery = Path(sys.executable).with_name("celery")
    process = subprocess.Popen(  # noqa: S603 - our own command line
        [
            str(celery),
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield process
    finally:
        app.conf.task_always_eager = eager
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_builds_the_extract_and_it_downloads(worker, monkeypatch):
    # Proof that the worker process, not this one, builds it.
    monkeypatch.setattr(tasks, "extract_build", _not_in_this_process)
    researcher = factories.ResearcherFactory()
    snapshot = factories.MartSnapshotFactory()
    MartRow.objects.bulk_create(
        [factories.MartRowFactory.build(snapshot=snapshot) for _ in range(120)]
    )
    extract = extract_request(
        actor=researcher, dimensions=["gender"], filters={}, file_format="xlsx"
    )
    deadline = time.monotonic() + WORKER_TIMEOUT_SECONDS
    while time.monotonic() < deadline and worker.poll() is None:
        extract.refresh_from_db()
        if extract.status not in (Extract.Status.QUEUED, Extract.Status.RUNNING):
            break
        time.sleep(0.25)
    assert extract.status == Extract.Status.SUCCEEDED
    path, _name = extract_file_for_download(user=researcher, extract_id=extract.pk)
    try:
        assert path.stat().st_size == extract.file_size
    finally:
        path.unlink(missing_ok=True)
