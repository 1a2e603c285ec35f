"""Finding a person at scale: server time and query counts of searches over encrypted identity.

Run by hand (not part of the test suite), against a dedicated database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harbour_bench \\
        .venv/bin/python benchmarks/bench_search.py --cases 100000

Seeds like ``bench_case_list.py`` (the same database can serve both): ``seed_demo`` tops the
database up to ``--cases`` demo cases, each person with its keyed search tokens. The searches
are those a caseworker types: a partial given name and the year of birth of one Nepal person,
a whole name, a given name alone (many people share it), three letters (the widest prefix) and
a reference, through the HTML list and the API, as the Nepal caseworker and as the central
administrator, beside the same lists without a search. Every timed search writes its audit row,
as in production.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from bench_case_list import WARM_UP, measure
from benchsupport import ensure_database

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/harbour_bench"
SMOKE_HELP = (
    "tiny size for the test suite: few cases and requests, no time target; "
    "still fails on any non-200 page, a person not found or a case found out of scope"
)


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
        args.cases = 60
        # The same synthetic cases every run: the checks must not depend on chance.
        args.seed = 16 if args.seed is None else args.seed
        args.requests = 2
        args.target_ms = float("inf")
    return args


def target_case(user):
    """The Nepal case the searches look for: the oldest one whose person has a date of
    birth and a given name of at least four letters (a fixed choice, not a lucky one)."""
    from cases.models import Case

    cases = (
        Case.objects.filter(mission__code="NPL", person__date_of_birth__isnull=False)
        .select_related("person")
        .order_by("registered_on", "reference")
    )
    for case in cases.iterator(chunk_size=200):
        if len(case.person.given_name) >= 4 and case.person.family_name:
            return case
    return None


def searches(case) -> dict[str, str]:
    person = case.person
    return {
        # The same lists without a search: what the page costs before the search adds to it.
        "(no search)": "",
        "partial name + year": f"{person.given_name[:4].lower()} {person.date_of_birth.year}",
        "whole name": f"{person.given_name} {person.family_name}",
        "given name alone": person.given_name,
        "three letters": person.given_name[:3],
        "reference": case.reference,
    }


def check_results(client, user, case, queries: dict[str, str]) -> list[str]:
    """Every search as ``user`` must find the case where it should, and nothing out of scope:
    a benchmark that times a search which finds nothing, or too much, measures nothing."""
    from cases.models import Case

    problems = []
    visible = Case.objects.visible_to(user)
    for label, query in queries.items():
        if not query:
            continue
        response = client.get("/api/v1/cases/", {"q": query, "page_size": 100})
        if response.status_code != 200:
            problems.append(f"{label}: HTTP {response.status_code}")
            continue
        ids = [row["id"] for row in response.json()["results"]]
        if Case.objects.filter(pk__in=ids).exclude(pk__in=visible.values("pk")).exists():
            problems.append(f"{label}: a case out of scope was found")
        if label in ("partial name + year", "whole name", "reference") and str(case.pk) not in ids:
            problems.append(f"{label}: the case searched for is not on the first page")
    return problems


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
    from cases.models import Case, SearchToken

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

    users = {
        "caseworker (NPL)": User.objects.get(email=seed_demo.caseworker_email("NPL")),
        "central admin": User.objects.get(email=seed_demo.ADMIN_EMAIL),
    }
    total = Case.objects.count()
    tokens = SearchToken.objects.count()
    print(f"cases: {total}; search tokens: {tokens}; seeding this run: {seed_seconds:.1f} s")
    case = target_case(users["caseworker (NPL)"])
    problems = [] if case is not None else ["no Nepal case with a name and a date of birth"]
    if total < args.cases:
        problems.append(f"only {total} cases after seeding {args.cases}")
    clients = {label: signed_in_client(user) for label, user in users.items()}
    if case is not None:
        queries = searches(case)
        for label, user in users.items():
            problems += [
                f"{label}, {p}" for p in check_results(clients[label], user, case, queries)
            ]
    for problem in problems:
        print(f"FAIL: {problem}")
    if problems:
        return 1
    print(f"{args.requests} timed requests per row after {WARM_UP} warm-up requests\n")
    header = (
        f"{'user':<18} {'search':<20} {'list':<5} {'median':>8} {'p95':>8} "
        f"{'queries':>7} {'sql':>8}"
    )
    print(header)
    print("-" * len(header))
    failed = False
    for label in users:
        for search_label, query in queries.items():
            for kind, base in (("html", "/cases/"), ("api", "/api/v1/cases/")):
                path = f"{base}?{urlencode({'q': query})}" if query else base
                result = measure(clients[label], path, args.requests)
                if result["status"] != 200:
                    print(f"{label:<18} {search_label:<20} {kind:<5} HTTP {result['status']}")
                    failed = True
                    continue
                failed = failed or result["median"] >= args.target_ms
                print(
                    f"{label:<18} {search_label:<20} {kind:<5} {result['median']:>6.1f}ms "
                    f"{result['p95']:>6.1f}ms {result['queries']:>7} {result['sql_ms']:>6.1f}ms"
                )
                if args.show_sql:
                    for captured in result["sql"]:
                        print(
                            f"    {float(captured['time']) * 1000:7.1f}ms  {captured['sql'][:300]}"
                        )
    verdict = "FAIL" if failed else "PASS"
    target = "no time target (smoke)" if args.smoke else f"target median < {args.target_ms:.0f} ms"
    print(f"\n{verdict}: {target} on every row")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
