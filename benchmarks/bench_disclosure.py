"""Disclosure control on sparse tables: seconds taken by ``protect`` and what it suppressed.

Run by hand (not part of the test suite); no database:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_disclosure.py

Tables:

- ``rare``: 1,000,000 generated people counted by year of registration × gender × citizenship,
  skewed like ``bench_extract.py`` (a few countries hold most people) with one gender category
  held by 0.05 % of people, so most of its cells fall under the threshold (about 1,100 cells);
- the CTDC 2021 synthetic data (``--ctdc``, read only if the file is there), counted by each
  ``--ctdc-dimensions`` set;
- ``sparse``: a CTDC-shaped table of about 10,000 cells (issue 16 §3: any 3-dimension table of
  up to 10,000 cells under 5 s), year of registration × citizenship × country of exploitation
  of ``--sparse-people`` generated people, each taking year and citizenship from one CTDC
  record and the country of exploitation from another (200,000 people: 9,566 cells, 8,235 of
  them under the threshold).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from research_exports.disclosure import Policy, Table, protect  # noqa: E402

CTDC = Path("/work/shared/data/ctdc/ctdc-global-synthetic-2021.csv.gz")
CTDC_DIMENSIONS = (
    "citizenship,CountryOfExploitation",
    "yearOfRegistration,gender,ageBroad",
    "yearOfRegistration,citizenship,gender",
    "yearOfRegistration,gender,citizenship",
)
COUNTRIES = [
    *("NPL", "IND", "BGD", "MMR", "THA", "KHM", "LAO", "VNM", "IDN", "PHL"),
    *("MYS", "CHN", "UKR", "MDA", "ROU", "BGR", "NGA", "GHA", "ETH", "KEN"),
    *("UGA", "SDN", "ERI", "SOM", "HTI", "HND", "GTM", "SLV", "MEX", "VEN"),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rare", type=float, default=0.0005, help="share of the rare gender")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ctdc", type=Path, default=CTDC)
    parser.add_argument("--ctdc-dimensions", nargs="*", default=list(CTDC_DIMENSIONS))
    parser.add_argument(
        "--sparse-people", type=int, default=200_000, help="people of the sparse table (0: none)"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny size for the test suite (20,000 generated people, no CTDC or sparse tables); "
        "still checks every result for consistency",
    )
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.ctdc_dimensions, args.sparse_people = 20_000, [], 0
    return args


def make_table(dimensions: tuple[str, ...], counts: Counter) -> Table:
    rows: Counter = Counter()
    columns: Counter = Counter()
    for key, v in counts.items():
        rows[key[:-1]] += v
        columns[key[-1:]] += v
    return Table(
        dimensions=dimensions,
        cells=dict(counts),
        row_totals=dict(rows),
        column_totals=dict(columns),
        grand_total=sum(counts.values()),
    )


def rare_table(rows: int, rare: float, seed: int) -> Table:
    rng = np.random.default_rng(seed)
    years = 2010 + rng.integers(0, 15, rows)
    u = rng.random(rows)
    gender = np.where(u < rare, 2, np.where(rng.random(rows) < 0.6, 1, 0))
    country = np.floor(rng.random(rows) ** 3 * len(COUNTRIES)).astype(int)
    names = ("Man", "Woman", "Trans/Transgender/NonConforming")
    keys, counts = np.unique(np.stack([years, gender, country]), axis=1, return_counts=True)
    cells = Counter(
        {
            (str(y), names[g], COUNTRIES[c]): int(n)
            for (y, g, c), n in zip(keys.T.tolist(), counts.tolist(), strict=True)
        }
    )
    return make_table(("yearOfRegistration", "gender", "citizenship"), cells)


def ctdc_table(path: Path, dimensions: tuple[str, ...]) -> Table:
    counts: Counter = Counter()
    with gzip.open(path, "rt", newline="") as f:
        for row in csv.DictReader(f):
            counts[tuple(row[d] or "missing" for d in dimensions)] += 1
    return make_table(dimensions, counts)


def sparse_table(path: Path, people: int, seed: int) -> Table:
    dimensions = ("yearOfRegistration", "citizenship", "CountryOfExploitation")
    with gzip.open(path, "rt", newline="") as f:
        records = [
            tuple(row[d] or "missing" for d in dimensions)
            for row in csv.DictReader(f)
            if row["yearOfRegistration"]
        ]
    rng = np.random.default_rng(seed)
    first = rng.integers(0, len(records), people).tolist()
    second = rng.integers(0, len(records), people).tolist()
    counts = Counter((*records[a][:2], records[b][2]) for a, b in zip(first, second, strict=True))
    return make_table(dimensions, counts)


def run(label: str, table: Table) -> list[str]:
    """Protect one table, print what it took; return what is inconsistent in the result."""
    start = time.perf_counter()
    result = protect(table, Policy())
    seconds = time.perf_counter() - start
    published = sum(v is not None for v in result.cells.values())
    suppressed = len(result.cells) - published
    problems = []
    threshold = Policy().threshold
    small = [key for key, n in table.cells.items() if 0 < n < threshold]
    if any(result.cells.get(key) is not None for key in small):
        problems.append(f"{label}: a cell under the threshold of {threshold} is published")
    if not table.cells or set(result.cells) != set(table.cells):
        problems.append(f"{label}: the result's cells are not the table's")
    if suppressed != result.primary_cells + result.complementary_cells:
        problems.append(
            f"{label}: {suppressed} cells withheld, but {result.primary_cells} primary + "
            f"{result.complementary_cells} complementary suppressions reported"
        )
    print(
        f"{label}: {len(table.cells)} cells, {result.primary_cells} primary, "
        f"{result.complementary_cells} complementary, {published} published, "
        f"totals suppressed {result.primary_totals}+{result.complementary_totals}: "
        f"{seconds:.2f} s",
        flush=True,
    )
    return problems


def main() -> int:
    args = parse_args()
    problems = run("rare", rare_table(args.rows, args.rare, args.seed))
    if args.ctdc_dimensions and not args.ctdc.exists():
        print(f"{args.ctdc} not found: CTDC tables skipped")
    elif args.ctdc_dimensions:
        for spec in args.ctdc_dimensions:
            problems += run(spec, ctdc_table(args.ctdc, tuple(spec.split(","))))
    if args.sparse_people and args.ctdc.exists():
        problems += run("sparse", sparse_table(args.ctdc, args.sparse_people, args.seed))
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
