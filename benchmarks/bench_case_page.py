"""Case page and case-work pages at scale: server time and query counts.

Run by hand (not part of the test suite), against a dedicated database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harbour_bench \\
        .venv/bin/python benchmarks/bench_case_page.py --cases 100000

Seeds like ``bench_case_list`` (topping up to ``--cases`` demo cases), then picks the case of
the NPL mission with the most assistance services and monitoring visits, and times its case
page (screening, assistance, trafficking profile, sharing, reintegration with its chart,
closure), its services timeline, the dashboards and the overdue-visit overview. The query count
of a page must not depend on how much the case holds; the time target is the case list's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The benchmark folder is not a package: its scripts import each other by path.
from bench_case_list import (
    DEFAULT_DATABASE_URL,
    REPO,
    SMOKE_HELP,
    WARM_UP,
    apply_smoke,
    check_scope,
    measure,
)
from benchsupport import ensure_database


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per row")
    parser.add_argument("--target-ms", type=float, default=150.0, help="median target")
    parser.add_argument("--show-sql", action="store_true", help="print each row's queries")
    parser.add_argument(
        "--max-case-page-queries",
        type=int,
        default=12,
        help="most queries the case page may run, BEGIN and COMMIT not counted (also in smoke)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed_demo's random seed")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    args = parser.parse_args()
    if args.smoke:
        # Enough cases that the NPL mission holds one with a reintegration plan.
        apply_smoke(args, cases=120)
    return args


def richest_case(mission_code: str):
    from django.db.models import Count

    from cases.models import Case

    return (
        Case.objects.filter(mission__code=mission_code, reintegration_plan__isnull=False)
        .annotate(
            services=Count("assistance_services", distinct=True),
            visits=Count("monitoring_visits", distinct=True),
        )
        .order_by("-services", "-visits")
        .first()
    )


def main() -> int:
    args = parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    sys.path.insert(0, str(REPO))

    import django

    django.setup()

    from benchsupport import signed_in_client
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse

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
        cursor.execute("VACUUM ANALYZE")

    case = richest_case("NPL")
    if case is None:
        sys.exit("No NPL case with a reintegration plan: seed more cases.")
    if case.services == 0:
        sys.exit(f"Case {case.reference} has no assistance service: nothing to time.")
    case_page = reverse("cases:detail", kwargs={"case_id": case.pk})
    timeline = reverse("assistance:services", kwargs={"case_id": case.pk})
    rows = {
        "caseworker (NPL)": (
            User.objects.get(email=seed_demo.caseworker_email("NPL")),
            (case_page, timeline, timeline + "?status=provided", "/"),
        ),
        "central admin": (
            User.objects.get(email=seed_demo.ADMIN_EMAIL),
            (case_page, "/", reverse("reintegration:overdue_visits")),
        ),
    }
    print(f"cases in database: {Case.objects.count()}; seeding this run: {seed_seconds:.1f} s")
    problems = check_scope({label: user for label, (user, _paths) in rows.items()})
    for problem in problems:
        print(f"FAIL: {problem}")
    if problems:
        return 1
    print(
        f"case {case.reference}: {case.services} services, {case.visits} monitoring visits; "
        f"{args.requests} timed requests per row after {WARM_UP} warm-up requests\n"
    )
    header = f"{'user':<18} {'path':<62} {'median':>8} {'p95':>8} {'queries':>7} {'sql':>8}"
    print(header)
    print("-" * len(header))
    failed = False
    for label, (user, paths) in rows.items():
        client = signed_in_client(user, raise_request_exception=False)
        for path in paths:
            result = measure(client, path, args.requests)
            if result["status"] != 200:
                print(f"{label:<18} {path:<62} HTTP {result['status']}")
                failed = True
                continue
            failed = failed or result["median"] >= args.target_ms
            if path == case_page:
                # As the issue counts them: transaction control is no query.
                queries = [q for q in result["sql"] if q["sql"] not in ("BEGIN", "COMMIT")]
                if len(queries) > args.max_case_page_queries:
                    print(f"FAIL: the case page ran {len(queries)} queries")
                    failed = True
            print(
                f"{label:<18} {path:<62} {result['median']:>6.1f}ms {result['p95']:>6.1f}ms "
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
