"""Research extract at scale: a 3-dimension extract against the bare GROUP BY, and peak memory.

Run by hand (not part of the test suite), against a dedicated database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harbour_bench_extract \\
        .venv/bin/python benchmarks/bench_extract.py --rows 1000000

The database is created if missing and migrated; a mart snapshot of ``--rows`` generated rows
is filled with one ``INSERT ... SELECT generate_series`` (a second run finds it and skips).
Each extract is built by ``extract_build`` in a fresh child process, so its time is job start
to file written and its peak resident memory is the worker's alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
# The benchmark folder is not a package: its scripts import each other by path.
from benchsupport import complete, ensure_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/harbour_bench_extract"
DIMENSIONS = ("yearOfRegistration", "gender", "citizenship")

# Skewed like real data: a few countries hold most people, so some cells are small.
FILL_SQL = """
INSERT INTO research_exports_martrow (
    snapshot_id, year_of_registration, mission_country, gender, age_broad,
    minor_at_registration, citizenship, country_of_exploitation, route_origin,
    route_destination, traffick_months, exploitation_types, labour_industries,
    sexual_exploitation_types, means_of_control, recruiter_relation, trafficking_status,
    is_retrafficked, economic_score, social_score, psychosocial_score/*columns:mart*/
)
SELECT
    %(snapshot)s,
    2010 + floor(15 * random())::int,
    (ARRAY['NPL','THA','IDN','PHL','UKR'])[1 + floor(5 * random())::int],
    -- Rare enough that many of its cells fall under the threshold.
    CASE WHEN random() < 0.02 THEN 'Trans/Transgender/NonConforming'
         WHEN random() < 0.6 THEN 'Woman' ELSE 'Man' END,
    (ARRAY['0--8','9--17','18--20','21--23','24--26','27--29','30--38','39--47','48+'])
        [1 + floor(9 * random())::int],
    random() < 0.2,
    c.code, e.code, c.code, e.code,
    (ARRAY['0--12','13--24','25+',''])[1 + floor(4 * random())::int],
    CASE WHEN random() < 0.5 THEN ARRAY['ForcedLabour']
         WHEN random() < 0.7 THEN ARRAY['SexualExploitation']
         ELSE ARRAY['ForcedLabour','SexualExploitation'] END,
    '{}', '{}', ARRAY['meansThreats'],
    (ARRAY['Friend','Family','IntimatePartner','Other','Unknown'])[1 + floor(5 * random())::int],
    'ActualVictimOfTrafficking',
    random() < 0.05,
    -- Scores 1-5 for the third of people with a monitoring visit done, none for the rest.
    CASE WHEN i %% 3 = 0 THEN 1 + floor(5 * random())::int END,
    CASE WHEN i %% 3 = 0 THEN 1 + floor(5 * random())::int END,
    CASE WHEN i %% 3 = 0 THEN 1 + floor(5 * random())::int END
    /*values:mart*/
FROM generate_series(1, %(rows)s) AS i,
LATERAL (SELECT (%(countries)s::text[])[1 + floor(power(random() + i * 0, 3) * %(n)s)::int]
         AS code) AS c,
LATERAL (SELECT (%(countries)s::text[])[1 + floor(power(random() + i * 0, 2) * %(n)s)::int]
         AS code) AS e
"""
COUNTRIES = [
    *("NPL", "IND", "BGD", "MMR", "THA", "KHM", "LAO", "VNM", "IDN", "PHL"),
    *("MYS", "CHN", "UKR", "MDA", "ROU", "BGR", "NGA", "GHA", "ETH", "KEN"),
    *("UGA", "SDN", "ERI", "SOM", "HTI", "HND", "GTM", "SLV", "MEX", "VEN"),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side")
    parser.add_argument("--format", default="xlsx", choices=("csv", "xlsx", "json"))
    parser.add_argument("--dimensions", default=",".join(DIMENSIONS))
    parser.add_argument("--refill", action="store_true", help="fill a new snapshot anyway")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny size for the test suite (3,000 rows, one run, no ratio or memory target); "
        "still fails unless the extract succeeds with cells and a file",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.repeat = 3_000, 1
    return args


def setup_django() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("RESEARCH_EXTRACT_DIR", str(REPO / "var" / "bench-extracts"))
    import django

    django.setup()
    from django.conf import settings

    # The test settings pin their own directory; the benchmark keeps its files apart.
    settings.RESEARCH_EXTRACT_DIR = Path(os.environ["RESEARCH_EXTRACT_DIR"])


def child(extract_id: str) -> None:
    """Build one extract and report its time and this process's peak memory."""
    setup_django()
    from research_exports.extracts import extract_build

    started = time.perf_counter()
    extract_build(extract_id=extract_id)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024}))


def fill_mart(rows: int, refill: bool):
    from django.db import connection, transaction
    from django.utils import timezone

    from research_exports.models import MartSnapshot

    snapshot = MartSnapshot.objects.filter(
        is_current=True, row_count=rows, source=MartSnapshot.Source.SCHEDULE, build_seconds=-1
    ).first()
    if snapshot is not None and not refill:
        print(f"mart: snapshot {snapshot.pk} with {rows:,} rows found, not refilled")
        return snapshot
    started = time.perf_counter()
    with transaction.atomic():
        MartSnapshot.objects.filter(is_current=True).update(is_current=False)
        snapshot = MartSnapshot.objects.create(
            source=MartSnapshot.Source.SCHEDULE, status=MartSnapshot.Status.BUILDING
        )
        # Columns added to the mart later get their default (or NULL) rather than a refusal.
        sql, params = complete(
            FILL_SQL,
            {"snapshot": snapshot.pk, "rows": rows, "countries": COUNTRIES, "n": len(COUNTRIES)},
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        snapshot.status = MartSnapshot.Status.READY
        snapshot.is_current = True
        snapshot.row_count = rows
        # Marks a benchmark fill, so a changed generator is not mistaken for an old one.
        snapshot.build_seconds = -1
        snapshot.completed_at = timezone.now()
        snapshot.save()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE research_exports_martrow")
    print(f"mart: filled {rows:,} rows in {time.perf_counter() - started:.1f}s")
    return snapshot


def bare_query_seconds(snapshot_id: int, dimensions: list[str]) -> float:
    from django.db import connection

    from research_exports.models import MartRow
    from research_exports.variables import VARIABLES

    columns = ", ".join(VARIABLES[name].column for name in dimensions)
    groups = ", ".join(str(i + 1) for i in range(len(dimensions)))
    sql = (
        f"SELECT {columns}, COUNT(*) FROM {MartRow._meta.db_table} "  # noqa: S608
        f"WHERE snapshot_id = %s GROUP BY {groups}"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [snapshot_id])
        cursor.fetchall()
    return time.perf_counter() - started


def extract_run(snapshot, dimensions: list[str], file_format: str) -> dict:
    from django.conf import settings

    from accounts.models import User
    from research_exports.models import Extract

    researcher, _created = User.objects.get_or_create(
        email="bench.researcher@harbour.test",
        defaults={"full_name": "Bench researcher", "is_researcher": True},
    )
    extract = Extract.objects.create(
        requested_by=researcher,
        snapshot=snapshot,
        dimensions=dimensions,
        format=file_format,
        policy={
            "threshold": settings.RESEARCH_THRESHOLD_K,
            "rounding_base": settings.RESEARCH_ROUNDING_BASE,
            "suppressed_countries": ["ERI"],
        },
    )
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(extract.pk)],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    ).stdout
    measured = json.loads(output.strip().splitlines()[-1])
    extract.refresh_from_db()
    measured["status"] = extract.status
    measured["cells"] = len((extract.result or {}).get("rows", []))
    measured["suppressed"] = (extract.report or {}).get("cells_hidden", 0)
    measured["file_kb"] = (extract.file_size or 0) / 1024
    return measured


def main() -> None:
    args = parse_args()
    if args.child:
        child(args.child)
        return
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    ensure_database(url)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    snapshot = fill_mart(args.rows, args.refill)
    dimensions = args.dimensions.split(",")

    bare_query_seconds(snapshot.pk, dimensions)  # warm the cache
    bare = [bare_query_seconds(snapshot.pk, dimensions) for _ in range(args.repeat)]
    runs = [extract_run(snapshot, dimensions, args.format) for _ in range(args.repeat)]
    if any(run["status"] != "succeeded" for run in runs):
        sys.exit(f"An extract did not succeed: {runs}")

    bare_median = statistics.median(bare)
    extract_median = statistics.median(run["seconds"] for run in runs)
    peak = max(run["peak_mb"] for run in runs)
    ratio = extract_median / bare_median
    print(f"dimensions: {', '.join(dimensions)}; format {args.format}; rows {args.rows:,}")
    print(
        f"cells: {runs[0]['cells']:,}, suppressed {runs[0]['suppressed']:,}; "
        f"file {runs[0]['file_kb']:.0f} KiB"
    )
    print(f"bare GROUP BY: median {bare_median:.3f}s  ({', '.join(f'{s:.3f}' for s in bare)})")
    each = ", ".join(f"{run['seconds']:.3f}" for run in runs)
    print(f"extract job:   median {extract_median:.3f}s  ({each})")
    targets = (" (no target in smoke mode)", "") if args.smoke else (" (target <= 2.0)", " (< 300)")
    print(f"ratio: {ratio:.2f}x{targets[0]}")
    print(f"worker peak memory: {peak:.0f} MB{targets[1]}")
    sane = runs[0]["cells"] > 0 and all(run["file_kb"] > 0 for run in runs)
    if not sane:
        print("FAIL: the extract has no cells or no file")
    # At smoke size the ratio compares milliseconds with a child's start-up: no target.
    ok = sane and (args.smoke or (ratio <= 2.0 and peak < 300))
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
