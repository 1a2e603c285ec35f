"""Field submissions at scale: N KoBoToolbox submissions validated and imported as drafts.

Run by hand (not part of the test suite), against a dedicated database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harbour_bench_kobo \\
        .venv/bin/python benchmarks/bench_kobo.py --rows 10000

A KoBo CSV export (``;``, XML values and headers) of ``--rows`` submissions of the XLSForm
Harbour generates is written to a temporary file, its header built from the form itself
(group paths and question names), then goes through the import service exactly as an upload
does: stored encrypted, validated whole, confirmed, imported in one transaction, every
screening a draft. Then the same CSV again, which must import nothing (idempotent by instance
id), and a KoBo JSON export with two route steps a submission (a CSV export carries no repeat
groups; at most ``JSON_ROWS_MAX`` submissions, which fit the upload limit). Targets as for
HTCDS files: 100,000 submissions under 180 s (smaller imports: their share), peak resident
memory of this process under 300 MB.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/harbour_bench_kobo"
TARGET_SECONDS = 180
TARGET_ROWS = 100_000
TARGET_RSS_MB = 300
SMOKE_ROWS = 200
# A JSON submission is about 1.3 KB: 40,000 of them stay under the 64 MB upload limit
# (HARBOUR_IMPORT_MAX_BYTES); a larger export is split on the server before it is uploaded.
JSON_ROWS_MAX = 40_000

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchsupport import ensure_database  # noqa: E402

GIVEN = ["Amina", "Joseph", "Lena", "Omar", "Thi", "Rosa", "Ivan", "Mei", "Kofi", "Sita"]
FAMILY = ["Rahman", "Okello", "Nguyen", "Petrova", "Silva", "Haddad", "Tamang", "Diallo"]
COUNTRIES = ["NPL", "THA", "UKR", "IDN", "IND", "MMR", "KHM", "PHL", "MYS", "BGD"]
GENDERS = ["Feminine", "Masculine", "NonConforming"]
EXPLOITATION = ["ForcedLabour", "SexualExploitation", "ForcedLabour ChildLabour", "Servitude"]
MEANS = ["DebtBondage", "PhysicalThreats WithholdsDocuments", "FalsePromises", ""]
STATUSES = ["ActualVictimOfTrafficking", "PossibleVictimOfTrafficking", ""]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"tiny size for the test suite ({SMOKE_ROWS} submissions); no time target",
    )
    args = parser.parse_args()
    if args.smoke:
        args.rows = SMOKE_ROWS
    return args


def form_paths() -> dict[str, str]:
    """Question name -> its KoBo column (group path), from the generated form."""
    from intake.xlsform import screening_questions

    paths: dict[str, str] = {}
    stack: list[str] = []
    for question in screening_questions().questions:
        if question.type.startswith("begin_"):
            stack.append(question.name)
        elif question.type.startswith("end_"):
            stack.pop()
        else:
            paths[question.name] = "/".join([*stack, question.name])
    return paths


def answers(rng: random.Random) -> dict[str, str]:
    registered = datetime.date(2016, 1, 1) + datetime.timedelta(days=rng.randrange(3500))
    interviewed = registered - datetime.timedelta(days=rng.randrange(0, 5))
    born = registered - datetime.timedelta(days=rng.randrange(6000, 20000))
    start = interviewed - datetime.timedelta(days=rng.randrange(60, 700))
    end = start + datetime.timedelta(days=rng.randrange(1, 50))
    origin, destination = rng.choice(COUNTRIES), rng.choice(COUNTRIES)
    return {
        "cas_RegistrationDate": registered.isoformat(),
        "prs_FirstName": rng.choice(GIVEN),
        "prs_SecondName": rng.choice(FAMILY),
        "prs_Birthdate": born.isoformat(),
        "cas_InterviewDate": interviewed.isoformat(),
        "cas_InterviewCountry": destination,
        "cas_InterviewLocality": "Town",
        "cas_InterpreterUsed": rng.choice(["TRUE", "FALSE"]),
        "con_Consent": "TRUE",
        "con_PurposeExplained": "TRUE",
        "con_ResearchConsent": "TRUE" if rng.random() < 0.9 else "FALSE",
        "prs_Gender": rng.choice(GENDERS),
        "prs_Citizenship": origin,
        "prs_PrimaryLanguage": "en",
        "vic_LocationOfExploitation": destination,
        "vic_ExploitationStartDate": start.isoformat(),
        "vic_ExploitationEndDate": end.isoformat(),
        "vic_TypeOfExploitation": rng.choice(EXPLOITATION),
        "vic_MethodsOfControl": rng.choice(MEANS),
        "vic_Narrative": "What happened, in a few words; on two\nlines.",
        "vic_TraffickingStatus": rng.choice(STATUSES),
    }


def write_kobo_csv(path: Path, rows: int, paths: dict[str, str]) -> None:
    rng = random.Random(13)
    names = list(answers(random.Random(0)))
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(
            ["start", *(paths[n] for n in names), "meta/instanceID", "_id", "_uuid", "_index"]
        )
        for n in range(rows):
            key = str(uuid.UUID(int=rng.getrandbits(128)))
            values = answers(rng)
            writer.writerow(
                [
                    "2024-01-01T09:00:00",
                    *(values[name] for name in names),
                    f"uuid:{key}",
                    n + 1,
                    key,
                    n + 1,
                ]
            )


def write_kobo_json(path: Path, rows: int, paths: dict[str, str]) -> None:
    rng = random.Random(17)
    events = "route/events"
    with path.open("w", encoding="utf-8") as file:
        file.write(f'{{"count": {rows}, "next": null, "results": [\n')
        for n in range(rows):
            key = str(uuid.UUID(int=rng.getrandbits(128)))
            values = answers(rng)
            item = {paths[name]: value for name, value in values.items() if value}
            item[events] = [
                {
                    f"{events}/hte_Type": "Recruitment",
                    f"{events}/hte_Country": values["prs_Citizenship"],
                },
                {
                    f"{events}/hte_Type": "Exploitation",
                    f"{events}/hte_Country": values["vic_LocationOfExploitation"],
                },
            ]
            item.update({"meta/instanceID": f"uuid:{key}", "_uuid": key, "_id": n + 1})
            file.write(("," if n else "") + json.dumps(item) + "\n")
        file.write("]}\n")


def file_chunks(path: Path):
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            yield chunk


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU seconds of this process: on a shared machine, what wall time alone does not tell."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_import(*, path: Path, fmt: str, source: str, mission, actor):
    from intake import services

    started = time.perf_counter()
    cpu_started = cpu_s()
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
    if job.status == job.Status.VALIDATED:
        services.import_confirm(actor=actor, job_id=job.pk, enqueue=False)
        job = services.import_run(job_id=job.pk)
    finished = time.perf_counter()
    print(f"  (process CPU {cpu_s() - cpu_started:.1f} s of {finished - started:.1f} s)")
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
    from intake.models import ImportJob
    from screening.models import Screening, TraffickingEvent

    call_command("migrate", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="bench-kobo-"))
    settings.HARBOUR_IMPORT_DIR = workdir / "uploads"
    mission, _ = Mission.objects.get_or_create(
        code="BKOB", defaults={"name": "KoBo benchmark", "country": "NPL"}
    )
    actor, _ = User.objects.get_or_create(
        email="bench-kobo@harbour.test", defaults={"is_central_admin": True}
    )
    stamp = time.strftime("%Y%m%d%H%M%S")
    paths = form_paths()
    problems: list[str] = []
    # The time target is for 100,000 submissions; smaller imports are held to its share.

    def check(label: str, job, validate_s: float, import_s: float, *, expected: int) -> None:
        total = validate_s + import_s
        budget = TARGET_SECONDS * max(expected, 1) / TARGET_ROWS
        print(
            f"  {label}: validate {validate_s:.1f} s, import {import_s:.1f} s, total "
            f"{total:.1f} s; imported {job.rows_imported:,}, already there "
            f"{job.rows_existing:,}, with errors {job.rows_invalid:,}; peak RSS {rss_mb():.0f} MB"
        )
        if job.status != ImportJob.Status.SUCCEEDED or job.rows_imported != expected:
            problems.append(f"{label}: status {job.status}, {job.rows_imported} imported")
        if not args.smoke and total > budget:
            problems.append(f"{label}: {total:.0f} s, target {budget:.0f} s")

    kobo = workdir / "submissions.csv"
    write_kobo_csv(kobo, args.rows, paths)
    print(f"KoBo CSV: {args.rows:,} submissions, {kobo.stat().st_size / 1e6:.1f} MB")
    source = f"kobo-{stamp}"
    job, validate_s, import_s = run_import(
        path=kobo, fmt="kobo-csv", source=source, mission=mission, actor=actor
    )
    check("kobo-csv", job, validate_s, import_s, expected=args.rows)
    drafts = Screening.objects.filter(
        case__import_record__job=job, status=Screening.Status.DRAFT
    ).count()
    if drafts != args.rows:
        problems.append(f"kobo-csv: {drafts} draft screenings, expected {args.rows}")

    again, validate_s, import_s = run_import(
        path=kobo, fmt="kobo-csv", source=source, mission=mission, actor=actor
    )
    print(
        f"  kobo-csv again: validate {validate_s:.1f} s, import {import_s:.1f} s; imported "
        f"{again.rows_imported:,}, already there {again.rows_existing:,}"
    )
    if again.status != ImportJob.Status.SUCCEEDED or again.rows_imported:
        problems.append(f"kobo-csv again: status {again.status}, {again.rows_imported} imported")
    if again.rows_existing != args.rows:
        problems.append(f"kobo-csv again: {again.rows_existing} recognised as imported")

    export = workdir / "submissions.json"
    json_rows = min(args.rows, JSON_ROWS_MAX)
    write_kobo_json(export, json_rows, paths)
    print(
        f"KoBo JSON: {json_rows:,} submissions, 2 route steps each, "
        f"{export.stat().st_size / 1e6:.1f} MB"
    )
    job, validate_s, import_s = run_import(
        path=export, fmt="kobo-json", source=f"kobo-json-{stamp}", mission=mission, actor=actor
    )
    check("kobo-json", job, validate_s, import_s, expected=json_rows)
    steps = TraffickingEvent.objects.filter(screening__case__import_record__job=job).count()
    if steps != 2 * json_rows:
        problems.append(f"kobo-json: {steps} route steps, expected {2 * json_rows}")
    if not args.smoke and rss_mb() > TARGET_RSS_MB:
        problems.append(f"peak RSS {rss_mb():.0f} MB, target {TARGET_RSS_MB} MB")

    for problem in problems:
        print(f"FAIL {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
