"""Suppression against differential privacy on CTDC-shaped data: what is published, how far
from the truth, and how long the build takes.

Run by hand (not part of the test suite), against a dedicated database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harbour_bench_privacy \\
        .venv/bin/python benchmarks/bench_privacy.py --rows 1000000

The mart is CTDC-shaped: each row's year of registration, gender, citizenship and country of
exploitation is one record of the CTDC Global Synthetic Dataset 2021 (``--ctdc``: its 153,740
records that have a year), drawn with replacement and a fixed seed, so the joint distribution
of those four variables (skew, sparse corners, missing values) is CTDC's at any size. Without
the file, skewed generated records stand in (and the script says so). The other mart columns
get fixed values; the tables measured do not read them.

For each table (year × gender, citizenship × country of exploitation, year × citizenship ×
gender) the script builds the extract through ``extract_build``, as the worker does, once in
suppressed mode and once differentially private (discrete Laplace) at each ε, and prints side
by side:

- published: the share of the true non-empty cells whose count is published (suppression
  hides some; DP publishes every cell of the declared domain, so all but values outside it);
- MAE: the mean absolute error of the published counts against the true counts, over the
  published true non-empty cells (0 for suppression without rounding), and for DP also over
  every cell of the cube (zeros included);
- seconds: the whole job (SQL, protection or noise, the file), median of ``--repeat`` runs,
  and the DP/suppression ratio (the issue's target: DP within 2× of suppression).

It also prints, per table, whether the request form would suggest DP (``privacy/estimate``,
from the cube size and the coarse snapshot size only) next to the share suppression hid.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
# The benchmark folder is not a package: its scripts import each other by path.
from benchsupport import complete, ensure_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/harbour_bench_privacy"
CTDC_FILE = Path("data/ctdc/ctdc-global-synthetic-2021.csv.gz")
# shared/ sits beside the repository (CI's clone) or at /work/shared (the developers').
CTDC_PLACES = (REPO.parent / "shared" / CTDC_FILE, Path("/work/shared") / CTDC_FILE)
YEARS = {"year_from": 2000, "year_to": 2024}
TABLES = (
    (("yearOfRegistration", "gender"), YEARS),
    (("citizenship", "CountryOfExploitation"), {}),
    (("yearOfRegistration", "citizenship", "gender"), YEARS),
)
EPSILONS = ("1", "4")
GENDER = {
    "Female": "Woman",
    "Male": "Man",
    "Transgender/NonConforming": ("Trans/Transgender/NonConforming"),
}
# Marks a fill of this benchmark (bench_extract uses -1), so each finds its own snapshot.
FILL_MARK = -2
SEED = 20211

FILL_SQL = """
INSERT INTO research_exports_martrow (
    snapshot_id, year_of_registration, gender, citizenship, country_of_exploitation,
    mission_country, age_broad, minor_at_registration, route_origin, route_destination,
    traffick_months, exploitation_types, labour_industries, sexual_exploitation_types,
    means_of_control, recruiter_relation, trafficking_status, is_retrafficked/*columns:mart*/
)
SELECT
    %(snapshot)s, p.year, p.gender, p.citizenship, p.coe,
    'NPL', '18--20', false, p.citizenship, p.coe,
    '0--12', ARRAY['ForcedLabour'], '{}', '{}', '{}', 'Unknown',
    'ActualVictimOfTrafficking', false/*values:mart*/
FROM bench_privacy_profile p
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each build")
    parser.add_argument(
        "--ctdc",
        type=Path,
        default=next((place for place in CTDC_PLACES if place.is_file()), None),
        help="the CTDC 2021 file (found beside the repository or in /work/shared by default)",
    )
    parser.add_argument("--refill", action="store_true", help="fill a new snapshot anyway")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny size for the test suite (3,000 rows, one run, no runtime target); still "
        "fails unless every build succeeds with cells",
    )
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

    settings.RESEARCH_EXTRACT_DIR = Path(os.environ["RESEARCH_EXTRACT_DIR"])
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []


def ctdc_records(path: Path) -> list[tuple]:
    """(year, gender, citizenship, country of exploitation) of the CTDC records with a year.

    Every Harbour case has a year of registration (the mart column is NOT NULL), so the CTDC
    records without one are left out; a missing gender or country is the missing code "".
    """
    if path is None or not path.is_file():
        print(f"CTDC file not found ({path or 'none given'}): generated CTDC-like records")
        return generated_records()
    records = []
    with gzip.open(path, "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            year = row["yearOfRegistration"].strip()
            if not year.isdigit():
                continue
            records.append(
                (
                    int(year),
                    GENDER.get(row["gender"].strip(), ""),
                    row["citizenship"].strip(),
                    row["CountryOfExploitation"].strip(),
                )
            )
    return records


def generated_records(count: int = 50_000) -> list[tuple]:
    """CTDC-like records when the file is not there: skewed years, genders and countries."""
    rng = random.Random(SEED)
    countries = ["NPL", "IND", "BGD", "MMR", "THA", "KHM", "PHL", "IDN", "UKR", "MDA"]
    countries += ["ROU", "NGA", "GHA", "ETH", "UGA", "HTI", "MEX", "USA", "GBR", "ITA"]
    genders = ["Woman", "Man", "Trans/Transgender/NonConforming", ""]

    def country() -> str:
        return countries[min(len(countries) - 1, int(len(countries) * rng.random() ** 3))]

    return [
        (
            2002 + min(19, int(20 * rng.random() ** 0.5)),
            rng.choices(genders, weights=[69, 26, 1, 4])[0],
            country() if rng.random() < 0.9 else "",
            country(),
        )
        for _ in range(count)
    ]


def fill_mart(rows: int, refill: bool, ctdc: Path):
    from django.db import connection, transaction
    from django.utils import timezone

    from research_exports.models import MartSnapshot

    snapshot = MartSnapshot.objects.filter(
        is_current=True, row_count=rows, build_seconds=FILL_MARK
    ).first()
    if snapshot is not None and not refill:
        print(f"mart: snapshot {snapshot.pk} with {rows:,} rows found, not refilled")
        return snapshot
    started = time.perf_counter()
    records = ctdc_records(ctdc)
    drawn = random.Random(SEED).choices(records, k=rows)
    with transaction.atomic():
        MartSnapshot.objects.filter(is_current=True).update(is_current=False)
        snapshot = MartSnapshot.objects.create(
            source=MartSnapshot.Source.SCHEDULE, status=MartSnapshot.Status.BUILDING
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE bench_privacy_profile "
                "(year int, gender text, citizenship text, coe text) ON COMMIT DROP"
            )
            with cursor.copy(
                "COPY bench_privacy_profile (year, gender, citizenship, coe) FROM STDIN"
            ) as copy:
                for record in drawn:
                    copy.write_row(record)
            sql, params = complete(FILL_SQL, {"snapshot": snapshot.pk})
            cursor.execute(sql, params)
        snapshot.status = MartSnapshot.Status.READY
        snapshot.is_current = True
        snapshot.row_count = rows
        snapshot.build_seconds = FILL_MARK
        snapshot.completed_at = timezone.now()
        snapshot.save()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE research_exports_martrow")
    print(
        f"mart: {rows:,} rows drawn from {len(records):,} records "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return snapshot


def true_cells(snapshot, dimensions, filters) -> dict[tuple, int]:
    """The exact non-empty cells, in the extract's canonical order of the variables."""
    from research_exports.extracts import _policy, aggregate

    table = aggregate(
        dimensions=list(dimensions), snapshot_id=snapshot.pk, filters=filters, policy=_policy()
    )
    return dict(table.cells)


def build(snapshot, dimensions, filters, *, mode: str, epsilon: str | None) -> tuple[float, dict]:
    """One extract built by the worker's service; its seconds and its result."""
    from accounts.models import User
    from research_exports.extracts import _policy, extract_build
    from research_exports.models import Extract

    # A researcher of their own for each build: a suppressed build protects the new table
    # together with everything its researcher received before (linked protection), so one
    # researcher reused across runs would make each suppressed build slower than the last
    # and the DP/suppression ratio would flatter DP.
    researcher = User.objects.create(
        email=f"bench.privacy.{uuid.uuid4().hex}@harbour.test",
        full_name="Bench researcher",
        is_researcher=True,
    )
    extract = Extract.objects.create(
        requested_by=researcher,
        snapshot=snapshot,
        dimensions=list(dimensions),
        filters=filters,
        format="csv",
        policy=_policy(),
        mode=mode,
        # The ledger is not the subject here: the ε is set on the row, not spent.
        **({"epsilon": epsilon, "mechanism": "laplace", "delta": 0} if epsilon else {}),
    )
    started = time.perf_counter()
    extract_build(extract_id=extract.pk)
    seconds = time.perf_counter() - started
    extract.refresh_from_db()
    if extract.status != Extract.Status.SUCCEEDED:
        sys.exit(f"FAIL: {mode} {dimensions} did not succeed: {extract.message}")
    return seconds, extract.result


def published(result: dict, order: list[str], canonical: list[str]) -> dict[tuple, int]:
    """Published cells keyed in the canonical order (a DP result keeps the asked order)."""
    index = [order.index(name) for name in canonical]
    return {
        tuple(row["values"][i] for i in index): row["count"]
        for row in result["rows"]
        if row["count"] is not None
    }


def measure(snapshot, dimensions, filters, repeat: int) -> list[dict]:
    from django.conf import settings

    from research_exports.extracts import canonical_dimensions
    from research_exports.privacy import build as dp_build
    from research_exports.privacy.estimate import suppression_hides_most

    canonical = canonical_dimensions(list(dimensions))
    truth = true_cells(snapshot, dimensions, filters)
    nonzero = {key: count for key, count in truth.items() if count > 0}
    cube = 1
    for name in dimensions:
        cube *= len(dp_build.levels_for(name, filters))
    lines = []
    for mode, epsilon in (("suppressed", None), *(("dp", e) for e in EPSILONS)):
        runs = [build(snapshot, dimensions, filters, mode=mode, epsilon=epsilon)]
        runs += [
            build(snapshot, dimensions, filters, mode=mode, epsilon=epsilon)
            for _ in range(repeat - 1)
        ]
        result = runs[0][1]
        shown = published(result, list(result["dimensions"]), canonical)
        hit = [key for key in nonzero if key in shown]
        mae = statistics.fmean(abs(shown[k] - nonzero[k]) for k in hit) if hit else 0.0
        line = {
            "mode": "suppression" if mode == "suppressed" else f"DP ε={epsilon}",
            "cells": len(nonzero),
            "published": len(hit) / len(nonzero) if nonzero else 0.0,
            "mae": mae,
            "seconds": statistics.median(seconds for seconds, _result in runs),
            "cube_mae": None,
        }
        if mode == "dp":
            line["cube_mae"] = statistics.fmean(
                abs(count - truth.get(key, 0)) for key, count in shown.items()
            )
            line["cube"] = len(shown)
            line["margin"] = (result["rows"] or [{"margin": 0}])[0]["margin"]
        lines.append(line)
    hidden = 1 - lines[0]["published"]
    suggested = suppression_hides_most(
        cells=cube, row_count=snapshot.row_count, threshold=settings.RESEARCH_THRESHOLD_K
    )
    lines[0]["suggest"] = f"form suggests DP: {'yes' if suggested else 'no'} (hidden {hidden:.0%})"
    return lines


def main() -> None:
    args = parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    ensure_database(url)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    snapshot = fill_mart(args.rows, args.refill, args.ctdc)
    ok = True
    missed = compared = 0
    print(f"rows {args.rows:,}; median of {args.repeat} run(s); discrete Laplace; k = 11")
    header = (
        f"{'table':<44} {'mode':<12} {'cells':>7} {'published':>9} {'MAE':>7} "
        f"{'MAE cube':>8} {'seconds':>8} {'vs supp.':>8}"
    )
    print(header)
    print("-" * len(header))
    for dimensions, filters in TABLES:
        lines = measure(snapshot, dimensions, filters, args.repeat)
        base = lines[0]["seconds"]
        for line in lines:
            cube = f"{line['cube_mae']:.2f}" if line["cube_mae"] is not None else "—"
            ratio = line["seconds"] / base if base else 0.0
            print(
                f"{' × '.join(dimensions):<44} {line['mode']:<12} {line['cells']:>7,} "
                f"{line['published']:>9.1%} {line['mae']:>7.2f} {cube:>8} "
                f"{line['seconds']:>8.2f} {ratio:>7.2f}x"
            )
            if line["cells"] == 0:
                print("FAIL: no cells")
                ok = False
            if line["mode"] != "suppression":
                # Correctness, not speed: every non-empty cell published, and the errors of
                # the noise are within its declared 95 % margin on average.
                if line["published"] < 1.0 or line["cube_mae"] > line["margin"]:
                    print("FAIL: a DP table hides cells or errs beyond its margin")
                    ok = False
                missed += ratio > 2.0
                compared += 1
        print(f"  {lines[0]['suggest']}")
    # At smoke size the times are milliseconds: the ratio is noise, not a measurement.
    if not args.smoke:
        print(f"target DP within 2x of suppression: missed by {missed} of {compared} DP builds")
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
