"""Research mart rebuild at scale: seconds and rows of ``mart_rebuild`` over N approved cases.

Run by hand (not part of the test suite), against a dedicated database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/harbour_bench_mart \\
        .venv/bin/python benchmarks/bench_mart.py --cases 1000000

The database is created if missing, migrated, and topped up to ``--cases`` benchmark cases by
SQL generators inside PostgreSQL (coded answers only: identity fields stay empty, so nothing
needs encrypting), so a second run skips seeding. Then the mart is rebuilt ``--runs`` times;
from the second run on, the rebuild also prunes the snapshot it replaces.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/harbour_bench_mart"
MISSIONS = (("BMNPL", "NPL"), ("BMTHA", "THA"), ("BMUKR", "UKR"), ("BMIDN", "IDN"))
COUNTRIES = ["NPL", "THA", "UKR", "IDN", "IND", "MMR", "KHM", "PHL", "RUS", "MYS", "USA", "GBR"]
BATCH = 250_000

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The benchmark folder is not a package: its scripts import each other by path.
from benchsupport import complete, ensure_database  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=2, help="timed rebuilds")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny size for the test suite (300 cases, 2 rebuilds); still checks the row counts",
    )
    args = parser.parse_args()
    if args.smoke:
        args.cases, args.runs = 300, 2
    return args


# One batch of people, cases, screenings and route events. Codes are drawn uniformly from the
# vocabularies; about 90 % consent to research, 5 % have an older approved screening too (so
# "current" has to pick the latest), a third have no birth year on the screening (the person's
# age is the fallback), and routes have two or three steps.
SEED_SQL = """
CREATE TEMP TABLE bench_batch ON COMMIT DROP AS
SELECT n, gen_random_uuid() AS person_id, gen_random_uuid() AS case_id,
       gen_random_uuid() AS screening_id, (random() * 70)::int AS age,
       date '2016-01-01' + (random() * 3600)::int AS registered_on
FROM generate_series(%(first)s, %(last)s) AS n;

INSERT INTO cases_person (id, given_name, family_name, aliases, identity_documents, phone,
    address, blind_index, gender, birth_year, age_at_registration, citizenships, languages
    /*columns:person*/)
SELECT person_id, '', '', '', '', '', '', '',
    (%(genders)s::text[])[1 + n %% cardinality(%(genders)s::text[])],
    extract(year FROM registered_on)::int - age, age,
    ARRAY[(%(countries)s::text[])[1 + (n * 7) %% cardinality(%(countries)s::text[])]], ARRAY['en']
    /*values:person*/
FROM bench_batch;

INSERT INTO cases_case (id, reference, status, registered_on, version, created_at, updated_at,
    mission_id, person_id/*columns:case*/)
SELECT case_id, 'BM-' || extract(year FROM registered_on) || '-' || lpad(n::text, 7, '0'),
    'active', registered_on, 1, now(), now(),
    (%(missions)s::bigint[])[1 + n %% cardinality(%(missions)s::bigint[])], person_id
    /*values:case*/
FROM bench_batch;

INSERT INTO screening_screening (id, form_version, status, version, created_at, updated_at,
    reviewed_at, review_comment, interview_country, interview_locality, interview_language,
    referral_source, referring_organisation_type, incoming_referral_reason, consent_interview,
    consent_research, gender, birth_year, age_at_registration, minor_at_registration,
    citizenships, marital_status, education_level, languages, migrant_type,
    individual_vulnerabilities, household_vulnerabilities, community_vulnerabilities,
    recruitment_country, recruitment_locality, recruitment_methods, recruitment_websites,
    recruiter_relation, promised_job_sector, promised_destination_country, travel_document,
    travel_document_held_by, border_crossing, transport_means, exploitation_countries,
    exploitation_months, exploitation_types, labour_industries, sexual_exploitation_types,
    means_of_control, exit_mode, identified_by, trafficking_status, decision_organisation,
    reasoning_act, reasoning_means, reasoning_purpose, referral_made, narrative, case_id,
    created_by_id/*columns:screening*/)
SELECT screening_id, '2026.1', 'approved', 2, now(), now(), now(), '', 'NPL', '', '', '', '',
    '', true, n %% 10 <> 0, (%(genders)s::text[])[1 + n %% cardinality(%(genders)s::text[])],
    CASE WHEN n %% 3 = 0 THEN NULL ELSE extract(year FROM registered_on)::int - age END,
    CASE WHEN n %% 3 = 0 THEN NULL ELSE age END,
    CASE WHEN n %% 3 = 0 THEN NULL ELSE age < 18 END,
    ARRAY[(%(countries)s::text[])[1 + (n * 7) %% cardinality(%(countries)s::text[])]],
    '', '', ARRAY['en'], '', '{}', '{}', '{}',
    (%(countries)s::text[])[1 + (n * 5) %% cardinality(%(countries)s::text[])], '', '{}', '{}',
    (%(relations)s::text[])[1 + n %% cardinality(%(relations)s::text[])], '', '', '', '', '', '{}',
    ARRAY[(%(countries)s::text[])[1 + (n * 3) %% cardinality(%(countries)s::text[])]],
    (random() * 40)::int,
    ARRAY[(%(exploitation)s::text[])[1 + (n * 11) %% cardinality(%(exploitation)s::text[])]],
    ARRAY[(%(industries)s::text[])[1 + (n * 13) %% cardinality(%(industries)s::text[])]],
    ARRAY[(%(sex_types)s::text[])[1 + (n * 17) %% cardinality(%(sex_types)s::text[])]],
    ARRAY[(%(means)s::text[])[1 + (n * 19) %% cardinality(%(means)s::text[])],
          (%(means)s::text[])[1 + (n * 23) %% cardinality(%(means)s::text[])]],
    '', '', (%(statuses)s::text[])[1 + n %% cardinality(%(statuses)s::text[])],
    '', '', '', '', '', '', case_id, %(user)s/*values:screening*/
FROM bench_batch;

INSERT INTO screening_screening (id, form_version, status, version, created_at, updated_at,
    reviewed_at, review_comment, interview_country, interview_locality, interview_language,
    referral_source, referring_organisation_type, incoming_referral_reason, consent_interview,
    consent_research, gender, citizenships, marital_status, education_level, languages,
    migrant_type, individual_vulnerabilities, household_vulnerabilities,
    community_vulnerabilities, recruitment_country, recruitment_locality, recruitment_methods,
    recruitment_websites, recruiter_relation, promised_job_sector,
    promised_destination_country, travel_document, travel_document_held_by, border_crossing,
    transport_means, exploitation_countries, exploitation_types, labour_industries,
    sexual_exploitation_types, means_of_control, exit_mode, identified_by, trafficking_status,
    decision_organisation, reasoning_act, reasoning_means, reasoning_purpose, referral_made,
    narrative, case_id, created_by_id/*columns:older_screening*/)
SELECT gen_random_uuid(), '2026.1', 'approved', 2, now(), now(), now() - interval '1 year', '',
    'NPL', '', '', '', '', '', true, true, 'Masculine', '{}', '', '', '{}', '', '{}', '{}',
    '{}', '', '', '{}', '{}', '', '', '', '', '', '', '{}', '{}', '{}', '{}', '{}', '{}', '',
    '', '', '', '', '', '', '', '', case_id, %(user)s/*values:older_screening*/
FROM bench_batch WHERE n %% 20 = 0;

INSERT INTO screening_traffickingevent (position, event_type, country, locality, screening_id
    /*columns:route*/)
SELECT step.position, step.event_type,
    (%(countries)s::text[])[
        1 + (n * (5 + step.position)) %% cardinality(%(countries)s::text[])
    ],
    '', screening_id/*values:route*/
FROM bench_batch
CROSS JOIN (VALUES (0, 'Recruitment'), (1, 'Transit'), (2, 'Exploitation')) AS
    step(position, event_type)
WHERE step.position <> 1 OR n %% 2 = 0;
"""


def seed(*, cases: int) -> float:
    """Top the database up to ``cases`` benchmark cases; return the seconds it took."""
    from django.db import connection, transaction

    from accounts.models import Mission, User
    from cases.models import Case
    from cases.vocabularies import (
        ExploitationType,
        Gender,
        LabourIndustry,
        MeansOfControl,
        SexualExploitationType,
        TraffickingStatus,
    )
    from screening.models import RecruiterRelation

    existing = Case.objects.filter(reference__startswith="BM-").count()
    if existing >= cases:
        return 0.0
    started = time.perf_counter()
    user, _created = User.objects.get_or_create(
        email="bench-mart@harbour.test", defaults={"full_name": "Bench"}
    )
    missions = [
        Mission.objects.get_or_create(code=code, defaults={"name": code, "country": country})[0]
        for code, country in MISSIONS
    ]
    params = {
        "genders": Gender.values,
        "countries": COUNTRIES,
        "missions": [m.pk for m in missions],
        "relations": RecruiterRelation.values,
        "exploitation": ExploitationType.values,
        "industries": LabourIndustry.values,
        "sex_types": SexualExploitationType.values,
        "means": MeansOfControl.values,
        "statuses": TraffickingStatus.values,
        "user": user.pk,
    }
    for first in range(existing + 1, cases + 1, BATCH):
        last = min(first + BATCH - 1, cases)
        sql, batch_params = complete(SEED_SQL, {**params, "first": first, "last": last})
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, batch_params)
        print(f"  seeded cases {first:,} to {last:,}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def main() -> int:
    args = parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    sys.path.insert(0, str(REPO))

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection

    from cases.models import Case
    from research_exports.mart import mart_rebuild
    from research_exports.models import MartRow, MartSnapshot

    call_command("migrate", verbosity=0)
    seed_seconds = seed(cases=args.cases)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM screening_screening WHERE status = 'approved'")
        screenings = cursor.fetchone()[0]
    print(
        f"cases: {Case.objects.count():,}; approved screenings: {screenings:,}; "
        f"seeding this run: {seed_seconds:.1f} s\n"
    )
    problems = []
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        snapshot = mart_rebuild(source=MartSnapshot.Source.SCHEDULE)
        seconds = time.perf_counter() - started
        print(
            f"rebuild {run}: {seconds:.1f} s end to end "
            f"(build {snapshot.build_seconds:.1f} s, then prune); rows: {snapshot.row_count:,}"
        )
        stored = MartRow.objects.filter(snapshot=snapshot).count()
        if snapshot.row_count == 0 or stored != snapshot.row_count:
            problems.append(
                f"rebuild {run}: snapshot says {snapshot.row_count} rows, {stored} stored"
            )
    print(f"snapshots kept: {MartSnapshot.objects.count()}; mart rows: {MartRow.objects.count():,}")
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
