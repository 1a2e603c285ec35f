"""Demo data: missions, one user of every role, and synthetic cases shaped by CTDC data,
with the screenings and assistance their statuses imply (screening.synthetic,
assistance.synthetic).

Idempotent. Missions are found by code, users by email, memberships by (user, mission, role).
``--cases N`` is the number of cases the demo missions should hold: a run creates only the
cases that are missing (none when N are already there), and screenings and assistance only
for the cases it creates, so running it twice creates nothing twice. Demo users get their demo
password back on every run, so the printed passwords work.

A development command: the passwords are public. It refuses to run when DEBUG is off (as in
production) unless ``--force`` is given.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from accounts.models import Membership, Mission, User
from assistance import synthetic as assistance_synthetic
from assistance.models import (
    AssistanceInterview,
    AssistanceService,
    Movement,
    MovementLeg,
    Referral,
    SupportPlan,
)
from cases import search, synthetic
from cases.bulk import copy_into, encrypt_columns
from cases.fields import EncryptedTextField
from cases.models import Case, Person
from cases.services import case_reference_format, case_reference_reserve
from reintegration import synthetic as reintegration_synthetic
from reintegration.models import MonitoringVisit, ReintegrationAssistance, ReintegrationPlan
from research_exports.extracts import extract_build, extract_request
from research_exports.mart import mart_current, mart_rebuild
from research_exports.models import Extract, MartSnapshot, ResearchRelease
from research_exports.releases import release_publish
from screening import synthetic as screening_synthetic
from screening.models import Perpetrator, Screening, TraffickingEvent

LOGIN_URL = "http://127.0.0.1:8000/accounts/login/"
# Public on purpose: these accounts exist only in development databases.
CASEWORKER_PASSWORD = "harbour-demo-caseworker"  # noqa: S105
ADMIN_PASSWORD = "harbour-demo-admin"  # noqa: S105
RESEARCHER_PASSWORD = "harbour-demo-researcher"  # noqa: S105
ADMIN_EMAIL = "admin@example.org"
# The researcher's first extract: a table the demo's few hundred cases fill well enough that
# suppression publishes all of it (a single person in a category, such as the one trans
# person of the demo, makes suppression hide most of any table crossed with gender).
DEMO_EXTRACT_DIMENSIONS = ["missionCountry", "yearOfRegistration"]
RESEARCHER_EMAIL = "researcher@example.org"
REFUSED_MESSAGE = (
    "seed_demo creates accounts with public passwords and refuses to run with DEBUG off. "
    "Use --force if this really is a development database."
)


# Tables the seed fills in bulk.
SEEDED_MODELS: tuple[type[models.Model], ...] = (
    Person,
    Case,
    Screening,
    TraffickingEvent,
    Perpetrator,
    AssistanceInterview,
    SupportPlan,
    AssistanceService,
    Referral,
    Movement,
    MovementLeg,
    ReintegrationPlan,
    ReintegrationAssistance,
    MonitoringVisit,
)


def caseworker_email(mission_code: str) -> str:
    return f"caseworker.{mission_code.lower()}@example.org"


def _analyze(seeded: tuple[type[models.Model], ...]) -> None:
    """Refresh the planner's statistics of the bulk-loaded tables.

    COPY leaves none, and autovacuum comes too late for the mart rebuild that follows: planned
    for nearly empty tables, its joins ran for minutes instead of seconds.
    """
    db = connections[DEFAULT_DB_ALIAS]
    tables = ", ".join(db.ops.quote_name(model._meta.db_table) for model in seeded)
    with db.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _copy_rows(model: type[models.Model], objects: list[models.Model]) -> None:
    """Insert new rows with COPY. Values go through each field's ``get_db_prep_save``, and
    encrypted fields through their own batch encryption (the tokens ``save()`` writes).

    With bulk_create, building and parsing 100,000-row INSERT statements cost more time than
    encrypting the values; COPY halves the run.
    """
    db = connections[DEFAULT_DB_ALIAS]
    fields = model._meta.concrete_fields
    rows = [
        [
            field.pre_save(obj, add=True)
            if isinstance(field, EncryptedTextField)
            else field.get_db_prep_save(field.pre_save(obj, add=True), db)
            for field in fields
        ]
        for obj in objects
    ]
    encrypt_columns(list(fields), rows)
    copy_into(model, list(fields), rows)


class Command(BaseCommand):
    help = "Create demo missions, users and synthetic cases (idempotent; development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases",
            type=int,
            default=300,
            help="Number of cases the demo missions should hold; missing ones are created.",
        )
        parser.add_argument("--seed", type=int, default=None, help="Random seed.")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(REFUSED_MESSAGE)
        if options["cases"] < 0:
            raise CommandError("--cases must not be negative.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        started = time.perf_counter()
        rng = random.Random(options["seed"])
        # A stream of its own, so a given --seed still gives the same cases as before
        # screenings were seeded.
        screening_rng = random.Random(
            None if options["seed"] is None else f"screenings-{options['seed']}"
        )
        assistance_rng = random.Random(
            None if options["seed"] is None else f"assistance-{options['seed']}"
        )
        with transaction.atomic():
            missions = self._missions()
            caseworkers, admin = self._users(missions)
            created, screenings, assisted = self._cases(
                rng=rng,
                screening_rng=screening_rng,
                assistance_rng=assistance_rng,
                missions=missions,
                caseworkers=caseworkers,
                reviewer=admin,
                target=options["cases"],
                batch_size=options["batch_size"],
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Created {created} synthetic cases ({screenings} screenings, {assisted} assisted) "
            f"in {elapsed:.1f} s."
        )
        if created:
            # Synthetic records: nobody read or changed them, so the trail gets no rows.
            self.stdout.write("No audit rows written for the synthetic records.")
        if created:
            _analyze(SEEDED_MODELS)
        if created or mart_current() is None:
            # Researchers should find data at once, not after tonight's scheduled rebuild.
            snapshot = mart_rebuild(source=MartSnapshot.Source.SCHEDULE)
            if snapshot is not None:
                self.stdout.write(f"Research mart rebuilt: {snapshot.row_count} rows.")
        self._release()
        self._demo_extract()
        self._print_accounts(missions)

    def _release(self) -> None:
        """A first research release, so researchers can request suppressed counts at once."""
        admin = User.objects.filter(is_central_admin=True, is_active=True).order_by("pk").first()
        if admin is None or ResearchRelease.objects.exists() or mart_current() is None:
            return
        release = release_publish(actor=admin, name="Demo release")
        self.stdout.write(f"Research release published: {release.name}.")

    def _demo_extract(self) -> None:
        """A first extract in the researcher's list, built at once, so the result page and its
        chart have something to show before anyone has requested a table.

        Requested through the service like any other (audited, counted against the quota,
        linked with what the researcher asks next); built here rather than by the worker,
        which finds it done.
        """
        researcher = User.objects.filter(email=RESEARCHER_EMAIL).first()
        if researcher is None or not ResearchRelease.objects.exists():
            return
        if Extract.objects.filter(requested_by=researcher).exists():
            return
        extract = extract_request(
            actor=researcher,
            dimensions=DEMO_EXTRACT_DIMENSIONS,
            filters={},
            file_format=Extract.Format.CSV,
        )
        extract_build(extract_id=extract.id)
        self.stdout.write(
            "Demo extract built for the researcher: mission country × year of registration."
        )

    def _missions(self) -> dict[str, Mission]:
        missions = {}
        for profile in synthetic.MISSION_PROFILES:
            missions[profile.code], _created = Mission.objects.get_or_create(
                code=profile.code, defaults={"name": profile.name, "country": profile.country}
            )
        return missions

    def _user(self, *, email: str, password: str, **flags) -> User:
        user = User.objects.filter(email=email).first() or User(email=email)
        for name, value in flags.items():
            setattr(user, name, value)
        user.is_active = True
        user.set_password(password)
        user.save()
        return user

    def _users(self, missions: dict[str, Mission]) -> tuple[dict[str, User], User]:
        """The caseworker of each mission, and the central administrator."""
        caseworkers = {}
        for code, mission in missions.items():
            user = self._user(
                email=caseworker_email(code),
                password=CASEWORKER_PASSWORD,
                full_name=f"{mission.name} caseworker",
                is_central_admin=False,
                is_researcher=False,
            )
            Membership.objects.get_or_create(
                user=user, mission=mission, role=Membership.Role.CASEWORKER
            )
            caseworkers[code] = user
        admin = self._user(
            email=ADMIN_EMAIL,
            password=ADMIN_PASSWORD,
            full_name="Central administrator",
            is_central_admin=True,
            is_researcher=False,
        )
        self._user(
            email=RESEARCHER_EMAIL,
            password=RESEARCHER_PASSWORD,
            full_name="Researcher",
            is_researcher=True,
            is_central_admin=False,
        )
        return caseworkers, admin

    def _cases(
        self,
        *,
        rng: random.Random,
        screening_rng: random.Random,
        assistance_rng: random.Random,
        missions: dict[str, Mission],
        caseworkers: dict[str, User],
        reviewer: User,
        target: int,
        batch_size: int,
    ) -> tuple[int, int, int]:
        """Create the missing cases with their screenings and assistance; return how many
        cases, screenings and assisted cases.

        Screenings and assistance are seeded only with the cases a run creates, so a second
        run adds none.
        """
        missing = target - Case.objects.filter(mission__in=missions.values()).count()
        if missing <= 0:
            return 0, 0, 0
        now = timezone.now()
        today = timezone.localdate(now)
        screenings = 0
        assisted = 0
        directory = assistance_synthetic.organisations_ensure(missions.values())
        profiles = {p.code: p for p in synthetic.MISSION_PROFILES}
        codes = list(profiles)
        shares = [profiles[code].share for code in codes]
        # Dates first, sorted, so that reference numbers follow registration order.
        planned = sorted(
            (rng.choices(codes, weights=shares)[0], synthetic.registration_date(rng, today=today))
            for _ in range(missing)
        )
        references = self._reserve_references(planned, missions)
        # A stream of its own, so a given --seed still gives the same cases as before.
        closure_rng = random.Random(references[0] if references else None)
        reintegration_rng = random.Random(f"reintegration-{references[0]}" if references else None)

        for start in range(0, len(planned), batch_size):
            persons = []
            cases = []
            for index in range(start, min(start + batch_size, len(planned))):
                code, registered_on = planned[index]
                person = Person(
                    **synthetic.person_fields(
                        rng, profile=profiles[code], registered_on=registered_on
                    )
                )
                persons.append(person)
                caseworker = caseworkers[code]
                cases.append(
                    Case(
                        reference=references[index],
                        mission=missions[code],
                        person=person,
                        assigned_to=(
                            None if rng.random() < synthetic.UNASSIGNED_SHARE else caseworker
                        ),
                        status=synthetic.case_status(rng, registered_on=registered_on, today=today),
                        registered_on=registered_on,
                        created_by=caseworker,
                    )
                )
            closures = synthetic.closures_prepare(
                closure_rng, cases=cases, reviewer=reviewer, today=today, now=now
            )
            _copy_rows(Person, persons)
            search.tokens_rebuild(persons)
            _copy_rows(Case, cases)
            synthetic.closures_save(closures)
            screenings += screening_synthetic.screenings_seed(
                screening_rng, cases=cases, reviewer=reviewer, today=today, now=now
            )
            assisted += assistance_synthetic.assistance_seed(
                assistance_rng, cases=cases, directory=directory, today=today, now=now
            )
            reintegration_synthetic.reintegration_seed(
                reintegration_rng, cases=cases, directory=directory, today=today, now=now
            )
        return len(planned), screenings, assisted

    def _reserve_references(
        self,
        planned: list[tuple[str, datetime.date]],
        missions: dict[str, Mission],
    ) -> list[str]:
        """References for ``planned`` (sorted by mission and date), one block per mission-year.

        The block is reserved on the same counter row ``case_create`` uses, in this
        transaction, so seeded and registered cases share one gap-free sequence.
        """
        counts = Counter((code, day.year) for code, day in planned)
        references: list[str] = []
        for (code, year), count in sorted(counts.items()):
            last = case_reference_reserve(mission=missions[code], year=year, count=count)
            references.extend(
                case_reference_format(mission_code=code, year=year, number=number)
                for number in range(last - count + 1, last + 1)
            )
        return references

    def _print_accounts(self, missions: dict[str, Mission]) -> None:
        self.stdout.write("")
        self.stdout.write("Demo accounts (development only):")
        for code in missions:
            self.stdout.write(
                f"  caseworker ({code}):     {caseworker_email(code)}  {CASEWORKER_PASSWORD}"
            )
        self.stdout.write(f"  central administrator: {ADMIN_EMAIL}  {ADMIN_PASSWORD}")
        self.stdout.write(f"  researcher:            {RESEARCHER_EMAIL}  {RESEARCHER_PASSWORD}")
        self.stdout.write(f"Sign in at {LOGIN_URL}")
