"""Case list at scale: server time and query counts of the HTML and API lists.

Run by hand (not part of the test suite), against a dedicated database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harbour_bench \\
        .venv/bin/python benchmarks/bench_case_list.py --cases 100000

The database is created if missing, migrated, and topped up to ``--cases`` demo cases with
``seed_demo`` (so a second run skips seeding). Requests go through Django's test client in this
process, so the times are server times: middleware, view, queries, rendering; no network.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from benchsupport import ensure_database

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/harbour_bench"
PATHS = ("/cases/", "/cases/?status=active&citizenship=NPL", "/api/v1/cases/")
WARM_UP = 3


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per row")
    parser.add_argument("--target-ms", type=float, default=150.0, help="median target")
    parser.add_argument("--show-sql", action="store_true", help="print each row's queries")
    parser.add_argument("--seed", type=int, default=None, help="seed_demo's random seed")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    if args.smoke:
        apply_smoke(args)
    return args


SMOKE_HELP = (
    "tiny size for the test suite: few cases and requests, no time target; "
    "still fails on any non-200 page or an empty or unscoped list"
)


def apply_smoke(args: argparse.Namespace, *, cases: int = 60) -> None:
    """A few seconds' run that still proves the benchmark works end to end."""
    args.cases = cases
    # The same synthetic cases every run: the checks must not depend on chance.
    args.seed = 16 if args.seed is None else args.seed
    args.requests = 2
    # Times on a shared machine at this size say nothing; the sanity checks below still run.
    args.target_ms = float("inf")


def check_scope(users: dict) -> list[str]:
    """Each user must see some cases, and a caseworker fewer than the central administrator:
    a benchmark that times an empty or unscoped list measures nothing."""
    from cases.models import Case

    problems = []
    total = Case.objects.count()
    for label, user in users.items():
        visible = Case.objects.visible_to(user).count()
        if visible == 0:
            problems.append(f"{label} sees no case")
        elif label.startswith("caseworker") and visible >= total:
            problems.append(f"{label} sees all {total} cases")
    return problems


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def measure(client, path: str, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = {"HTTP_ACCEPT": "application/json"} if path.startswith("/api/") else {}
    # Queries are counted on a separate request: capturing them slows the timed ones down.
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **headers)
    # Read now: every request clears the connection's query log when it starts.
    queries = list(captured.captured_queries)
    if response.status_code != 200:
        return {"status": response.status_code}
    for _ in range(WARM_UP):
        client.get(path, **headers)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path, **headers)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "status": 200,
        "median": statistics.median(times),
        "p95": percentile(times, 0.95),
        "queries": len(queries),
        "sql_ms": sum(float(q["time"]) for q in queries) * 1000,
        "sql": queries,
    }


def main() -> int:
    args = parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    # Test settings: DEBUG off as in production, fixed test keys, nothing sent anywhere.
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    sys.path.insert(0, str(REPO))

    import django

    django.setup()

    from benchsupport import signed_in_client
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from cases.management.commands import seed_demo
    from cases.models import Case

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command(
        "seed_demo",
        cases=args.cases,
        seed=args.seed,
        force=True,
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    seed_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        # As autovacuum would, eventually: statistics for the planner, and a visibility map
        # so that index-only scans need not visit the freshly copied rows.
        cursor.execute("VACUUM ANALYZE")

    users = {
        "caseworker (NPL)": User.objects.get(email=seed_demo.caseworker_email("NPL")),
        "central admin": User.objects.get(email=seed_demo.ADMIN_EMAIL),
    }
    print(f"cases in database: {Case.objects.count()}; seeding this run: {seed_seconds:.1f} s")
    problems = check_scope(users)
    if Case.objects.count() < args.cases:
        problems.append(f"only {Case.objects.count()} cases after seeding {args.cases}")
    for problem in problems:
        print(f"FAIL: {problem}")
    if problems:
        return 1
    print(f"{args.requests} timed requests per row after {WARM_UP} warm-up requests\n")
    header = f"{'user':<18} {'path':<40} {'median':>8} {'p95':>8} {'queries':>7} {'sql':>8}"
    print(header)
    print("-" * len(header))
    failed = False
    for label, user in users.items():
        client = signed_in_client(user, raise_request_exception=False)
        for path in PATHS:
            result = measure(client, path, args.requests)
            if result["status"] != 200:
                print(f"{label:<18} {path:<40} HTTP {result['status']}")
                failed = True
                continue
            failed = failed or result["median"] >= args.target_ms
            print(
                f"{label:<18} {path:<40} {result['median']:>6.1f}ms {result['p95']:>6.1f}ms "
                f"{result['queries']:>7} {result['sql_ms']:>6.1f}ms"
            )
            if args.show_sql:
                for query in result["sql"]:
                    print(f"    {float(query['time']) * 1000:7.1f}ms  {query['sql'][:300]}")
    verdict = "FAIL" if failed else "PASS"
    target = "no time target (smoke)" if args.smoke else f"target median < {args.target_ms:.0f} ms"
    print(f"\n{verdict}: {target} on every row")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
