"""Load benchmark of the real stack: gunicorn, PostgreSQL, Redis, a Celery worker, Locust.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harbour_bench_load \\
    REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m benchmarks.load.run --cases 100000 --users 50 --run-time 60

1. migrates the database and tops it up to ``--cases`` demo cases (``seed_demo``, which also
   rebuilds the research mart and publishes the first release);
2. creates one account per virtual user (caseworkers spread over the missions, central
   administrators, researchers), each with its own authenticator-app secret, and writes the
   plan Locust reads (ids of cases and screenings; nothing personal) under ``var/load/``;
3. starts gunicorn (``--workers``, default 2 × cores + 1) with production settings (DEBUG off,
   whitenoise, audit and encryption on; only the TLS-bound cookie flags are off, see
   ``settings.py``) and one Celery worker, then Locust headless;
4. while Locust runs, samples PostgreSQL's connection count and sessions waiting on locks;
5. prints requests per second, median, p95 and p99 per request kind, errors, and checks that
   every write Locust saw succeed is in the database and in the audit trail.

The worker uses database 14 of the Redis server that ``REDIS_URL`` names (or
``HARBOUR_LOAD_REDIS_URL``), so it never takes the tasks of another process.
The exit status is 1 when a request failed or a write is missing; the time targets are
reported, not enforced (they depend on what else the machine runs).
``--with-extract`` also fills the research mart to ``--mart-rows`` rows and keeps a large
extract running beside the load, to see whether research work starves case work.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from benchsupport import ensure_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/harbour_bench_load"
VAR = ROOT / "var" / "load"
PAGE_READS = {
    "case list",
    "case list (filtered)",
    "case page",
    "dashboard",
    "screening section",
    "service form",
    "review queue",
    "review page",
    "extract list",
    "extract form",
    "extract progress",
}
WRITES = {"screening section save", "service save", "approve", "extract request"}
# Write kind counted by Locust -> (audit action, how the database counts it)
WRITE_KINDS = ("screening_section_saved", "service_recorded", "screening_approved")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=50, help="concurrent virtual users")
    parser.add_argument("--spawn-rate", type=float, default=5.0)
    parser.add_argument("--run-time", default="60s", help="Locust's --run-time (e.g. 60s, 2m)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--with-extract", action="store_true")
    parser.add_argument("--mart-rows", type=int, default=1_000_000)
    parser.add_argument("--smoke", action="store_true", help="tiny size, a few seconds of load")
    args = parser.parse_args(argv)
    if args.smoke:
        args.cases, args.users, args.spawn_rate, args.run_time = 60, 4, 4.0, "8s"
        args.workers = 2
    return args


def django_setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ.setdefault("HARBOUR_CELERY_EAGER", "false")
    import django

    django.setup()


def prepare(args: argparse.Namespace) -> dict:
    """Seed, create the virtual users' accounts, and return Locust's plan."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import AuthenticatorApp, Membership, Mission, User
    from cases.models import Case
    from cases.vocabularies import CaseStatus
    from screening.models import Screening

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", cases=args.cases, seed=16, force=True, stdout=io.StringIO())
    print(f"seed: {Case.objects.count()} cases ({time.perf_counter() - started:.1f} s)")

    missions = list(Mission.objects.order_by("code"))
    # As many accounts of each role as there are virtual users: Locust picks each user's role
    # by weight, and two virtual users on one account would replay each other's codes.
    counts = dict.fromkeys(("caseworker", "admin", "researcher"), args.users)
    accounts: dict[str, list[dict]] = {role: [] for role in counts}
    # One password hash for all: hashing is deliberately slow, and all virtual users share it.
    password = secrets.token_urlsafe(16)
    # Production's hasher (the test settings, which this process uses, hash with MD5 only).
    hasher = PBKDF2PasswordHasher()
    hashed = hasher.encode(password, hasher.salt())
    for role, n in counts.items():
        for i in range(n):
            mission = missions[i % len(missions)]
            email = f"load-{role}-{i}@bench.invalid"
            user, _ = User.objects.update_or_create(
                email=email,
                defaults={
                    "full_name": f"Load {role} {i}",
                    "is_active": True,
                    "is_central_admin": role == "admin",
                    "is_researcher": role == "researcher",
                    "password": hashed,
                },
            )
            if role == "caseworker":
                Membership.objects.get_or_create(
                    user=user, mission=mission, role=Membership.Role.CASEWORKER
                )
            AuthenticatorApp.objects.filter(user=user).delete()
            key = secrets.token_hex(20)
            AuthenticatorApp.objects.create(user=user, name="load", key=key, confirmed=True)
            accounts[role].append(
                {"email": email, "password": password, "totp_key": key, "mission": mission.code}
            )
    # The reviewers' session of a previous run may have left an axes lockout; none of it now.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM axes_accessattempt")

    cases, active, citizenship = {}, {}, {}
    for mission in missions:
        ids = list(
            Case.objects.filter(mission=mission).order_by("?").values_list("pk", flat=True)[:2000]
        )
        cases[mission.code] = [str(pk) for pk in ids]
        active[mission.code] = [
            str(pk)
            for pk in Case.objects.filter(mission=mission, status=CaseStatus.ACTIVE)
            .order_by("?")
            .values_list("pk", flat=True)[:500]
        ]
        citizenship[mission.code] = mission.country
    drafts: dict[str, list[str]] = {}
    per_mission: dict[str, list[dict]] = {}
    for account in accounts["caseworker"]:
        per_mission.setdefault(account["mission"], []).append(account)
    for code, members in per_mission.items():
        ids = [
            str(pk)
            for pk in Screening.objects.filter(
                case__mission__code=code, status=Screening.Status.DRAFT
            ).values_list("pk", flat=True)[: 40 * len(members)]
        ]
        for i, account in enumerate(members):
            drafts[account["email"]] = ids[i :: len(members)]
    pending = [
        str(pk)
        for pk in Screening.objects.filter(status=Screening.Status.SUBMITTED).values_list(
            "pk", flat=True
        )[:5000]
    ]
    return {
        "accounts": accounts,
        "cases": cases,
        "active_cases": active,
        "citizenship": citizenship,
        "draft_screenings": drafts,
        "pending_screenings": pending,
        "extract_dimensions": [
            ["yearOfRegistration", "gender"],
            ["gender", "ageBroad"],
            ["yearOfRegistration"],
        ],
    }


BIG_EXTRACTS = (
    ["yearOfRegistration", "gender", "citizenship"],
    ["citizenship", "CountryOfExploitation"],
    ["yearOfRegistration", "ageBroad", "typeOfExploitation"],
)


def big_mart(rows: int):
    """Fill the mart to ``rows`` rows (bench_extract's generator) and publish it as a release."""
    from bench_extract import fill_mart

    from accounts.models import User
    from research_exports.models import ResearchRelease
    from research_exports.releases import release_publish

    snapshot = fill_mart(rows, refill=False)
    admin = User.objects.filter(email="load-admin-0@bench.invalid").get()
    existing = ResearchRelease.objects.filter(snapshot=snapshot).first()
    if existing is not None:
        return existing
    return release_publish(
        actor=admin, name=f"Load benchmark, {rows:,} rows", snapshot_id=snapshot.pk
    )


class BigExtracts(threading.Thread):
    """Keeps one large extract at a time running on the worker while the load runs."""

    def __init__(self, release) -> None:
        super().__init__(daemon=True)
        self.release, self.stop = release, threading.Event()
        self.seconds: list[float] = []
        self.statuses: list[str] = []

    def run(self) -> None:
        from django.db import connection

        from accounts.models import User
        from research_exports.extracts import extract_request
        from research_exports.models import Extract

        researcher, _ = User.objects.update_or_create(
            email="load-big-extract@bench.invalid",
            defaults={"full_name": "Load big extract", "is_researcher": True, "is_active": True},
        )
        try:
            for dimensions in BIG_EXTRACTS * 10:
                if self.stop.is_set():
                    return
                started = time.perf_counter()
                extract = extract_request(
                    actor=researcher,
                    dimensions=dimensions,
                    filters={},
                    file_format="csv",
                    release=self.release.pk,
                )
                while not self.stop.is_set():
                    extract.refresh_from_db()
                    if extract.status in {Extract.Status.SUCCEEDED, Extract.Status.FAILED}:
                        break
                    time.sleep(0.5)
                self.seconds.append(time.perf_counter() - started)
                self.statuses.append(str(extract.status))
        finally:
            connection.close()


def counts_now() -> dict[str, int]:
    from assistance.models import AssistanceService
    from cases.models import AuditEvent
    from screening.models import Screening

    counts = {
        f"audit:{action}": AuditEvent.objects.filter(action=action).count()
        for action in WRITE_KINDS
    }
    counts["db:service_recorded"] = AssistanceService.objects.count()
    counts["db:screening_approved"] = Screening.objects.filter(
        status=Screening.Status.APPROVED
    ).count()
    return counts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(args: argparse.Namespace) -> dict[str, str]:
    from config.settings.committed_keys import (
        TEST_AUDIT_CHECKPOINT_KEY,
        TEST_BLIND_INDEX_KEY,
        TEST_FIELD_ENCRYPTION_KEY,
    )

    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.load.settings",
            "PYTHONPATH": str(ROOT),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # The seed encrypted its records with the test keys; the servers read them back.
            "FIELD_ENCRYPTION_KEYS": TEST_FIELD_ENCRYPTION_KEY,
            "BLIND_INDEX_KEY": TEST_BLIND_INDEX_KEY,
            "HARBOUR_AUDIT_CHECKPOINT_KEY": TEST_AUDIT_CHECKPOINT_KEY,
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    return env


class Sampler(threading.Thread):
    """Every second: connections to the database, and sessions waiting on a lock."""

    def __init__(self, dsn: str) -> None:
        super().__init__(daemon=True)
        self.dsn, self.stop = dsn, threading.Event()
        self.connections: list[int] = []
        self.lock_waits: list[int] = []

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.stop.wait(1.0):
                row = conn.execute(
                    "SELECT count(*), count(*) FILTER (WHERE wait_event_type = 'Lock') "
                    "FROM pg_stat_activity WHERE datname = current_database()"
                ).fetchone()
                self.connections.append(row[0])
                self.lock_waits.append(row[1])


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    out = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_http(port: int, timeout: float = 180) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    sys.exit("gunicorn did not answer /healthz")


def report(stats_csv: Path, sampler: Sampler, writes: dict, before: dict, after: dict) -> int:
    rows = list(csv.DictReader(stats_csv.open(encoding="utf-8")))
    failures = 0
    print(
        f"\n{'request':34} {'count':>7} {'fail':>5} {'req/s':>7} {'median':>7} "
        f"{'p95':>7} {'p99':>7} {'max':>7}"
    )
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        print(
            f"{name:34} {row['Request Count']:>7} {row['Failure Count']:>5} "
            f"{float(row['Requests/s']):7.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7} "
            f"{float(row['Max Response Time']):7.0f}"
        )
        if name == "ALL":
            failures = int(row["Failure Count"])
    reads = [r for r in rows if r["Name"] in PAGE_READS]
    writes_rows = [r for r in rows if r["Name"] in WRITES]
    worst_read = max((float(r["95%"]) for r in reads), default=0.0)
    worst_write = max((float(r["95%"]) for r in writes_rows), default=0.0)
    slowest = max(
        (float(r["Max Response Time"]) for r in rows if r["Name"] != "Aggregated"), default=0.0
    )
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    rps = float(total["Requests/s"]) if total else 0.0
    print(
        f"\noverall {rps:.1f} requests/s (target >= 200); worst p95 of a page read "
        f"{worst_read:.0f} ms (target < 200), of a write {worst_write:.0f} ms (target < 400); "
        f"slowest request {slowest:.0f} ms; {failures} errors"
    )
    if sampler.connections:
        print(
            f"database connections: max {max(sampler.connections)}, "
            f"mean {sum(sampler.connections) / len(sampler.connections):.1f}; "
            f"sessions waiting on a lock: max {max(sampler.lock_waits)}, "
            f"samples with a wait {sum(1 for w in sampler.lock_waits if w)} of "
            f"{len(sampler.lock_waits)}"
        )
    lost = 0
    print("\nwrites seen by Locust -> in the database / in the audit trail:")
    for kind in WRITE_KINDS:
        seen = int(writes.get(kind, 0))
        audit = after[f"audit:{kind}"] - before[f"audit:{kind}"]
        db_key = f"db:{kind}"
        db = after[db_key] - before[db_key] if db_key in after else audit
        ok = audit == seen and db == seen
        lost += 0 if ok else 1
        print(f"  {kind:26} {seen:6} -> {db:6} / {audit:6}  {'ok' if ok else 'MISMATCH'}")
    status = 0
    if failures:
        print("FAIL: requests failed")
        status = 1
    if lost:
        print("FAIL: a write Locust saw succeed is missing, or one it did not see is there")
        status = 1
    return status


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    os.environ["DATABASE_URL"] = url
    # The benchmark's worker takes tasks from a Redis database of its own (14 of the server
    # REDIS_URL names), never from the queue of a test run or a developer's worker beside it.
    redis = os.environ.get("HARBOUR_LOAD_REDIS_URL") or (
        (os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/14"
    )
    os.environ["REDIS_URL"] = redis
    ensure_database(url)
    django_setup()
    VAR.mkdir(parents=True, exist_ok=True)
    plan = prepare(args)
    plan_path, writes_path = VAR / "plan.json", VAR / "writes.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    writes_path.unlink(missing_ok=True)
    env = server_env(args)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    port = free_port()
    bin_dir = Path(sys.executable).parent
    gunicorn = start(
        [
            str(bin_dir / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--access-logfile",
            "-",
            "--log-level",
            "warning",
            # Import the project once in the master: workers start at once and share it.
            "--preload",
            "--timeout",
            "120",
        ],
        env,
        VAR / "gunicorn.log",
    )
    worker = start(
        [
            str(bin_dir / "celery"),
            "-A",
            "config",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
        ],
        env,
        VAR / "celery.log",
    )
    procs = [gunicorn, worker]
    try:
        wait_http(port)
        big = None
        if args.with_extract:
            big = BigExtracts(big_mart(args.mart_rows))
        before = counts_now()
        if big is not None:
            big.start()
        sampler = Sampler(url)
        sampler.start()
        locust_env = env | {
            "HARBOUR_LOAD_PLAN": str(plan_path),
            "HARBOUR_LOAD_WRITES": str(writes_path),
        }
        stats_prefix = VAR / "locust"
        started = time.perf_counter()
        locust_log = (VAR / "locust.log").open("w", encoding="utf-8")
        subprocess.run(
            [
                str(bin_dir / "locust"),
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                "--host",
                f"http://127.0.0.1:{port}",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                args.run_time,
                "--csv",
                str(stats_prefix),
                "--only-summary",
                # Figures from the moment every user is spawned, not the sign-in rush.
                "--reset-stats",
                "--loglevel",
                "WARNING",
                "--stop-timeout",
                "30",
            ],
            env=locust_env,
            cwd=ROOT,
            check=False,
            stdout=locust_log,
            stderr=subprocess.STDOUT,
        )
        print(
            f"locust ran {time.perf_counter() - started:.0f} s with {args.users} users, "
            f"{args.workers} gunicorn workers"
        )
        sampler.stop.set()
        if big is not None:
            big.stop.set()
            big.join(30)
            print(
                f"large extracts beside the load ({args.mart_rows:,}-row mart): "
                f"{len(big.seconds)} built, statuses {big.statuses}, "
                f"seconds {[round(x, 1) for x in big.seconds]}"
            )
        time.sleep(1)  # let the last transactions commit before counting
        after = counts_now()
        writes = json.loads(writes_path.read_text()) if writes_path.exists() else {}
        return report(Path(f"{stats_prefix}_stats.csv"), sampler, writes, before, after)
    finally:
        for proc in procs:
            stop(proc)


if __name__ == "__main__":
    sys.exit(main())
