"""Research reads off the primary (issue 16 §6): the router, the research alias's settings, and
extracts and mart rebuilds reading a "research" alias that mirrors default.

The test settings declare "research" with ``TEST: {"MIRROR": "default"}``: the runner creates
no database for it and points it at the test database. A mirror is a second connection, which
cannot see the uncommitted data of a TestCase transaction, so the tests that read through it
commit their data (``transaction=True``). That second connection is also what lets a test show
lag: rows the primary's connection has not committed are exactly what a replica has not
replayed yet.
"""

from __future__ import annotations

import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from config.db_router import ResearchRouter, research_alias
from config.settings.base import research_database
from research_exports import extracts, mart, replica
from research_exports.models import MartRow, MartSnapshot
from research_exports.privacy import build as dp_build
from tests import factories
from tests.research_exports.test_mart import screened_case

RESEARCH = "research"
on_replica = override_settings(RESEARCH_DATABASE_ALIAS=RESEARCH, RESEARCH_REPLICA_WAIT_SECONDS=2)
both_databases = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, RESEARCH])
POLICY = {"threshold": 11, "rounding_base": 1, "suppressed_countries": []}


def add_mart(snapshot: MartSnapshot) -> MartSnapshot:
    factories.add_mart_rows(snapshot, 12, year_of_registration=2023, gender="Woman")
    factories.add_mart_rows(snapshot, 7, year_of_registration=2024, gender="Man")
    return snapshot


def table_of(snapshot_id: int):
    return extracts.aggregate(
        dimensions=["yearOfRegistration", "gender"],
        snapshot_id=snapshot_id,
        filters={},
        policy=POLICY,
    )


def sql_of(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries]


def mart_row_reads(context: CaptureQueriesContext) -> list[str]:
    return [sql for sql in sql_of(context) if MartRow._meta.db_table in sql]


# ---------------------------------------------------------------------------- the router


def test_without_a_replica_everything_stays_on_the_primary():
    router = ResearchRouter()
    assert research_alias() == DEFAULT_DB_ALIAS
    assert router.db_for_read(MartRow) == DEFAULT_DB_ALIAS
    assert router.db_for_read(MartSnapshot) is None


@on_replica
def test_with_a_replica_only_mart_rows_are_read_there():
    router = ResearchRouter()
    assert research_alias() == RESEARCH
    assert router.db_for_read(MartRow) == RESEARCH
    # Snapshots, the ledger, extracts and every case table are read where they are written.
    assert router.db_for_read(MartSnapshot) is None
    assert router.db_for_read(factories.CaseFactory._meta.model) is None
    assert router.db_for_write(MartRow) == DEFAULT_DB_ALIAS
    assert router.db_for_write(MartSnapshot) == DEFAULT_DB_ALIAS


def test_the_research_database_is_never_migrated():
    router = ResearchRouter()
    assert router.allow_migrate(RESEARCH, "research_exports", "martrow") is False
    assert router.allow_migrate(RESEARCH, "cases", "case") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "research_exports", "martrow") is None


def test_research_database_takes_the_url_server_and_the_default_options(monkeypatch):
    monkeypatch.setenv(
        "RESEARCH_DATABASE_URL", "postgres://reader:pw@replica.internal:5433/harbour"
    )
    default = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "harbour",
        "USER": "harbour_app",
        "HOST": "primary.internal",
        "PORT": 5432,
        "OPTIONS": {"sslmode": "require"},
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
    config = research_database(default)
    assert (config["HOST"], config["PORT"], config["USER"]) == ("replica.internal", 5433, "reader")
    assert config["OPTIONS"] == {"sslmode": "require"}
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["TEST"] == {"MIRROR": "default"}
    assert default["HOST"] == "primary.internal"


# ---------------------------------------------------------------------------- extracts


@both_databases
def test_suppressed_aggregate_reads_the_replica_and_counts_the_same():
    snapshot = add_mart(factories.MartSnapshotFactory())
    expected = table_of(snapshot.pk)
    with (
        on_replica,
        CaptureQueriesContext(connections[RESEARCH]) as research,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
    ):
        table = table_of(snapshot.pk)
    assert table == expected
    assert table.cells[("2023", "Woman")] == 12
    assert table.grand_total == 19
    assert any("GROUPING" in sql for sql in mart_row_reads(research))
    assert mart_row_reads(primary) == []


@both_databases
def test_dp_cell_counts_read_the_replica():
    snapshot = add_mart(factories.MartSnapshotFactory())
    with (
        on_replica,
        CaptureQueriesContext(connections[RESEARCH]) as research,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
    ):
        result, stated = dp_build.build(
            dimensions=["yearOfRegistration"],
            snapshot_id=snapshot.pk,
            filters={"year_from": 2023, "year_to": 2024},
            policy=POLICY,
            epsilon=1.0,
            mechanism="laplace",
            delta=0,
        )
    assert result
    assert stated
    assert len(mart_row_reads(research)) == 1
    assert mart_row_reads(primary) == []
    cell_sql, _params = dp_build.cell_count_sql(
        dimensions=["yearOfRegistration"],
        snapshot_id=snapshot.pk,
        filters={"year_from": 2023, "year_to": 2024},
        policy=POLICY,
    )
    assert mart_row_reads(research)[0].startswith(cell_sql.split("%(")[0])


@both_databases
def test_orm_reads_of_mart_rows_go_to_the_replica():
    snapshot = add_mart(factories.MartSnapshotFactory())
    with on_replica, CaptureQueriesContext(connections[RESEARCH]) as research:
        count = MartRow.objects.filter(snapshot=snapshot).count()
    assert count == 19
    assert len(mart_row_reads(research)) == 1


@both_databases
def test_a_snapshot_the_replica_has_not_replayed_is_read_from_the_primary(settings):
    # Rows the primary's connection has not committed are what a lagging replica lacks.
    with transaction.atomic():
        snapshot = add_mart(factories.MartSnapshotFactory())
        with (
            override_settings(RESEARCH_DATABASE_ALIAS=RESEARCH, RESEARCH_REPLICA_WAIT_SECONDS=0.3),
            CaptureQueriesContext(connections[RESEARCH]) as research,
            CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        ):
            table = table_of(snapshot.pk)
    assert table.cells[("2023", "Woman")] == 12
    assert table.grand_total == 19
    # The replica was asked (more than once: it waited) whether the snapshot is there, and
    # never read a row of it; the whole table came from the primary.
    assert len(research.captured_queries) >= 2
    assert mart_row_reads(research) == []
    assert len(mart_row_reads(primary)) == 1


@both_databases
def test_a_snapshot_that_reaches_the_replica_while_waiting_is_read_there(monkeypatch):
    snapshot = add_mart(factories.MartSnapshotFactory(status=MartSnapshot.Status.BUILDING))
    waits = []

    def replayed(seconds):
        # The rebuild commits its switch to ready: the replica shows it on the next look.
        waits.append(seconds)
        MartSnapshot.objects.filter(pk=snapshot.pk).update(status=MartSnapshot.Status.READY)

    monkeypatch.setattr(replica, "_sleep", replayed)
    with on_replica, CaptureQueriesContext(connections[RESEARCH]) as research:
        table = table_of(snapshot.pk)
    assert waits == [replica.POLL_SECONDS]
    assert table.grand_total == 19
    assert len(mart_row_reads(research)) == 1


@both_databases
def test_an_unreachable_replica_falls_back_to_the_primary(monkeypatch):
    snapshot = add_mart(factories.MartSnapshotFactory())

    def down(alias, snapshot_id):
        raise OperationalError("connection refused")

    monkeypatch.setattr(replica, "_ready_on", down)
    with on_replica, CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
        table = table_of(snapshot.pk)
    assert table.grand_total == 19
    assert len(mart_row_reads(primary)) == 1


# ---------------------------------------------------------------------------- mart rebuild


def mart_content(snapshot: MartSnapshot) -> list[tuple]:
    columns = [c for c in mart.MART_COLUMNS if c != "snapshot_id"]
    return sorted(
        MartRow.objects.using(DEFAULT_DB_ALIAS).filter(snapshot=snapshot).values_list(*columns)
    )


@both_databases
def test_rebuild_reads_the_cases_on_the_replica_and_writes_the_same_rows(monkeypatch):
    mission = factories.MissionFactory()
    for age in (12, 19, 30, 45, 70):
        screened_case(mission, age_at_registration=age, exploitation_types=["ForcedLabour"])
    primary_built = mart.mart_rebuild(source=MartSnapshot.Source.SCHEDULE)
    expected = mart_content(primary_built)
    # Batches smaller than the mart: the rows are streamed in several fetches.
    monkeypatch.setattr(mart, "MART_COPY_BATCH", 2)
    with (
        on_replica,
        CaptureQueriesContext(connections[RESEARCH]) as research,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
    ):
        replica_built = mart.mart_rebuild(source=MartSnapshot.Source.SCHEDULE)
    assert replica_built.status == MartSnapshot.Status.READY
    assert replica_built.is_current
    assert replica_built.row_count == 5
    assert mart_content(replica_built) == expected
    assert len(expected) == 5
    assert any("FROM screening_screening" in sql for sql in sql_of(research))
    assert not any("FROM screening_screening" in sql for sql in sql_of(primary))
    # The snapshot, its lock and its switch are the primary's.
    assert not any("pg_try_advisory_xact_lock" in sql for sql in sql_of(research))
    assert any("pg_try_advisory_xact_lock" in sql for sql in sql_of(primary))
    assert not any("INSERT" in sql or "UPDATE" in sql for sql in sql_of(research))


@both_databases
def test_a_failed_streamed_rebuild_keeps_the_current_snapshot(monkeypatch):
    mission = factories.MissionFactory()
    screened_case(mission, age_at_registration=30)
    current = mart.mart_rebuild(source=MartSnapshot.Source.SCHEDULE)
    monkeypatch.setattr(mart, "mart_select_sql", lambda *, snapshot_id: ("SELECT 1 / 0", []))
    with on_replica, pytest.raises(DatabaseError, match="division by zero"):
        mart.mart_rebuild(source=MartSnapshot.Source.SCHEDULE)
    assert mart.mart_current() == current
    assert MartRow.objects.using(DEFAULT_DB_ALIAS).count() == 1
    assert MartSnapshot.objects.filter(status=MartSnapshot.Status.FAILED).count() == 1


@both_databases
def test_a_rebuild_reads_the_primary_when_the_replica_is_unreachable(monkeypatch):
    mission = factories.MissionFactory()
    screened_case(mission, age_at_registration=30)
    screened_case(mission, age_at_registration=40)

    def refused():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections[RESEARCH], "ensure_connection", refused)
    with on_replica, CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
        snapshot = mart.mart_rebuild(source=MartSnapshot.Source.SCHEDULE)
    assert snapshot.status == MartSnapshot.Status.READY
    assert snapshot.row_count == 2
    assert any("INSERT INTO research_exports_martrow" in sql for sql in sql_of(primary))
