"""Bulk import at scale: an N-row HTCDS file and the CTDC 2021 file, validated and imported.

Run by hand (not part of the test suite), against a dedicated database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harbour_bench_import \\
        .venv/bin/python benchmarks/bench_import.py --rows 100000

A synthetic HTCDS CSV of ``--rows`` rows (names, birth dates, codes, two route steps) is
written to a temporary file, then goes through the service exactly as an upload does:
stored encrypted, validated whole, confirmed, imported in one transaction. Then the CTDC
file (``--ctdc``, gzip accepted) is imported as historical records. Each run uses a new
source name, so nothing is skipped as already imported. Targets: under 180 s for each file,
peak resident memory of this process (the worker's work) under 300 MB.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import gzip
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/harbour_bench_import"
DEFAULT_CTDC = REPO.parent / "shared" / "data" / "ctdc" / "ctdc-global-synthetic-2021.csv.gz"
# A clone without the shared data folder beside it (CI) smoke-tests on the committed sample.
SAMPLE_CTDC = REPO / "tests" / "intake" / "fixtures" / "ctdc-2021-sample.csv"
TARGET_SECONDS = 180
TARGET_RSS_MB = 300
SMOKE_ROWS = 300

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchsupport import ensure_database  # noqa: E402

HEADER = [
    "external_id",
    "cas_RegistrationDate",
    "prs_FirstName",
    "prs_SecondName",
    "prs_Birthdate",
    "prs_Gender",
    "prs_Citizenship",
    "prs_PrimaryLanguage",
    "con_Consent",
    "con_ResearchConsent",
    "vic_TraffickingStatus",
    "vic_TypeOfExploitation",
    "vic_MethodsOfControl",
    "vic_LocationOfExploitation",
    "vic_ExploitationStartDate",
    "vic_ExploitationEndDate",
    "hte_Type_1",
    "hte_Country_1",
    "hte_City_1",
    "hte_Type_2",
    "hte_Country_2",
]
GIVEN = ["Amina", "Joseph", "Lena", "Omar", "Thi", "Rosa", "Ivan", "Mei", "Kofi", "Sita"]
FAMILY = ["Rahman", "Okello", "Nguyen", "Petrova", "Silva", "Haddad", "Tamang", "Diallo"]
COUNTRIES = ["NPL", "THA", "UKR", "IDN", "IND", "MMR", "KHM", "PHL", "MYS", "BGD"]
GENDERS = ["Feminine", "Masculine", "NonConforming"]
STATUSES = ["ActualVictimOfTrafficking", "PossibleVictimOfTrafficking", ""]
EXPLOITATION = ["ForcedLabour", "SexualExploitation", "ForcedLabour;ChildLabour", "Servitude"]
MEANS = ["DebtBondage", "PhysicalThreats;WithholdsDocuments", "FalsePromises", ""]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--ctdc", type=Path, default=DEFAULT_CTDC)
    parser.add_argument("--ctdc-rows", type=int, default=0, help="0: the whole file")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"tiny size for the test suite ({SMOKE_ROWS} rows of each); no time target",
    )
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.ctdc_rows = SMOKE_ROWS, SMOKE_ROWS
        if not args.ctdc.exists():
            args.ctdc = SAMPLE_CTDC
    if not args.ctdc.exists():
        parser.error(f"no CTDC file at {args.ctdc}; pass --ctdc FILE")
    return args


def write_htcds(path: Path, rows: int) -> None:
    rng = random.Random(13)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for n in range(rows):
            registered = datetime.date(2016, 1, 1) + datetime.timedelta(days=rng.randrange(3500))
            born = registered - datetime.timedelta(days=rng.randrange(6000, 20000))
            start = registered - datetime.timedelta(days=rng.randrange(60, 700))
            end = start + datetime.timedelta(days=rng.randrange(1, 50))
            origin, destination = rng.choice(COUNTRIES), rng.choice(COUNTRIES)
            writer.writerow(
                [
                    f"B-{n}",
                    registered.isoformat(),
                    rng.choice(GIVEN),
                    rng.choice(FAMILY),
                    born.isoformat(),
                    rng.choice(GENDERS),
                    origin,
                    "en",
                    "1",
                    "1" if rng.random() < 0.9 else "0",
                    rng.choice(STATUSES),
                    rng.choice(EXPLOITATION),
                    rng.choice(MEANS),
                    destination,
                    start.isoformat(),
                    end.isoformat(),
                    "Recruitment",
                    origin,
                    "Town",
                    "Exploitation",
                    destination,
                ]
            )


def head_of_ctdc(source: Path, target: Path, rows: int) -> None:
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", newline="") as file, target.open("w", newline="") as out:
        for index, line in enumerate(file):
            if index > rows:
                break
            out.write(line)


def file_chunks(path: Path):
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            yield chunk


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_import(*, path: Path, fmt: str, source: str, mission, actor, valid_rows: bool):
    from intake import services

    started = time.perf_counter()
    job = services.import_job_create(
        actor=actor,
        mission=mission,
        format=fmt,
        source=source,
        file_name=path.name,
        file_size=path.stat().st_size,
        chunks=file_chunks(path),
        enqueue=False,
    )
    job = services.import_validate(job_id=job.pk)
    validated = time.perf_counter()
    services.import_confirm(actor=actor, job_id=job.pk, import_valid_rows=valid_rows, enqueue=False)
    job = services.import_run(job_id=job.pk)
    finished = time.perf_counter()
    return job, validated - started, finished - validated


def main() -> int:
    args = parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    sys.path.insert(0, str(REPO))

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command

    from accounts.models import Mission, User
    from cases.models import Case
    from intake.models import ImportedRecord, ImportJob

    call_command("migrate", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    settings.HARBOUR_IMPORT_DIR = workdir / "uploads"
    mission, _ = Mission.objects.get_or_create(
        code="BIMP", defaults={"name": "Import benchmark", "country": "NPL"}
    )
    actor, _ = User.objects.get_or_create(
        email="bench-import@harbour.test", defaults={"is_central_admin": True}
    )
    stamp = time.strftime("%Y%m%d%H%M%S")
    problems: list[str] = []

    htcds = workdir / "cases.csv"
    write_htcds(htcds, args.rows)
    print(f"HTCDS file: {args.rows:,} rows, {htcds.stat().st_size / 1e6:.1f} MB")
    job, validate_s, import_s = run_import(
        path=htcds,
        fmt="htcds",
        source=f"bench-{stamp}",
        mission=mission,
        actor=actor,
        valid_rows=False,
    )
    total = validate_s + import_s
    print(
        f"  validate {validate_s:.1f} s, import {import_s:.1f} s, total {total:.1f} s; "
        f"imported {job.rows_imported:,}; peak RSS {rss_mb():.0f} MB"
    )
    if job.status != ImportJob.Status.SUCCEEDED or job.rows_imported != args.rows:
        problems.append(f"HTCDS: status {job.status}, {job.rows_imported} imported")
    if ImportedRecord.objects.filter(job=job).count() != args.rows:
        problems.append("HTCDS: provenance rows missing")
    if not args.smoke and total > TARGET_SECONDS:
        problems.append(f"HTCDS: {total:.0f} s, target {TARGET_SECONDS} s")

    ctdc = args.ctdc
    if args.ctdc_rows:
        ctdc = workdir / "ctdc-head.csv"
        head_of_ctdc(args.ctdc, ctdc, args.ctdc_rows)
    job, validate_s, import_s = run_import(
        path=ctdc,
        fmt="ctdc",
        source=f"ctdc-{stamp}",
        mission=mission,
        actor=actor,
        valid_rows=False,
    )
    total = validate_s + import_s
    undated = Case.objects.filter(import_record__job=job, registration_date_unknown=True).count()
    print(
        f"CTDC file: {job.rows_total:,} rows; validate {validate_s:.1f} s, import "
        f"{import_s:.1f} s, total {total:.1f} s; imported {job.rows_imported:,} "
        f"({undated:,} without a year of registration); peak RSS {rss_mb():.0f} MB"
    )
    if job.status != ImportJob.Status.SUCCEEDED or job.rows_imported != job.rows_total:
        # Every CTDC row is a valid historical record, those without a year included.
        problems.append(
            f"CTDC: status {job.status}, {job.rows_imported} of {job.rows_total} imported, "
            f"errors {job.report.get('errors_by_column', {})}"
        )
    if not args.smoke and total > TARGET_SECONDS:
        problems.append(f"CTDC: {total:.0f} s, target {TARGET_SECONDS} s")
    if not args.smoke and rss_mb() > TARGET_RSS_MB:
        problems.append(f"peak RSS {rss_mb():.0f} MB, target {TARGET_RSS_MB} MB")

    for problem in problems:
        print(f"FAIL {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
