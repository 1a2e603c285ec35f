import io
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from assistance.models import Movement, MovementType
from cases.models import Case
from reintegration import services
from reintegration.models import (
    DIMENSION_REASONS,
    OPTION_DIMENSION,
    Dimension,
    MonitoringVisit,
    ReintegrationAssistance,
    ReintegrationPlan,
)
from reintegration.synthetic import REINTEGRATED_STATUSES

pytestmark = pytest.mark.django_db

MODELS = (ReintegrationPlan, ReintegrationAssistance, MonitoringVisit)


def _seed(cases: int = 300) -> None:
    call_command("seed_demo", cases=cases, seed=11, force=True, stdout=io.StringIO())


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One seed for the read-only checks of this module, removed afterwards."""
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            started = time.perf_counter()
            _seed(400)
            elapsed = time.perf_counter() - started
            yield elapsed
            transaction.set_rollback(True)


def test_plans_are_made_only_after_an_arrival_or_for_local_integration(seeded):
    plans = list(ReintegrationPlan.objects.select_related("case"))

    assert plans
    for plan in plans:
        assert plan.case.status in REINTEGRATED_STATUSES
        anchor, source = services.monitoring_anchor(case=plan.case, start_date=plan.start_date)
        assert (plan.anchor_date, plan.anchor_source) == (anchor, source)
        movements = Movement.objects.filter(case=plan.case).exclude(
            status=Movement.Status.CANCELLED
        )
        if source == ReintegrationPlan.AnchorSource.PLAN_START:
            assert movements.filter(movement_type=MovementType.LOCAL_INTEGRATION).exists()
    assert {p.anchor_source for p in plans} == set(ReintegrationPlan.AnchorSource.values)


def test_plans_pass_the_model_checks_and_their_schedule_rules(seeded):
    for plan in ReintegrationPlan.objects.all():
        plan.full_clean()
        errors: dict[str, list[str]] = {}
        assert services.parse_schedule(plan.monitoring_months, errors) == plan.monitoring_months
        assert errors == {}


def test_scheduled_visits_fall_on_the_dates_of_the_schedule(seeded):
    visits = list(MonitoringVisit.objects.select_related("plan"))

    assert visits
    for visit in visits:
        visit.full_clean()
        assert visit.schedule_month in visit.plan.monitoring_months
        assert visit.planned_date == services.add_months(
            visit.plan.anchor_date, visit.schedule_month
        )


def test_done_visits_have_three_scores_with_reasons_of_their_dimension(seeded):
    done = list(MonitoringVisit.objects.filter(status=MonitoringVisit.Status.DONE))
    today = timezone.localdate()

    assert done
    for visit in done:
        assert visit.planned_date <= visit.done_date <= today
        for dimension in Dimension.values:
            assert 1 <= getattr(visit, f"{dimension}_score") <= 5
            assert getattr(visit, f"{dimension}_reason") in DIMENSION_REASONS[dimension].values


def test_scores_mostly_drift_up(seeded):
    ups = downs = 0
    for plan in ReintegrationPlan.objects.prefetch_related("visits"):
        done = sorted(
            (v for v in plan.visits.all() if v.status == MonitoringVisit.Status.DONE),
            key=lambda v: v.done_date,
        )
        if len(done) > 1:
            first, last = sum(done[0].scores().values()), sum(done[-1].scores().values())
            ups += last > first
            downs += last < first

    assert ups > 2 * downs


def test_re_trafficking_found_at_a_visit_flags_exactly_those_cases(seeded):
    found = set(MonitoringVisit.objects.filter(retrafficked=True).values_list("case_id", flat=True))
    flagged = set(
        Case.objects.filter(retrafficked=True, reintegration_plan__isnull=False).values_list(
            "pk", flat=True
        )
    )

    assert found
    assert found == flagged


def test_overdue_visits_belong_to_open_cases_and_are_past_the_grace(seeded, settings):
    overdue = list(
        MonitoringVisit.objects.filter(status=MonitoringVisit.Status.OVERDUE).select_related("case")
    )
    today = timezone.localdate()

    assert overdue
    for visit in overdue:
        assert visit.case.status in ("active", "follow_up")
        assert (today - visit.planned_date).days > settings.HARBOUR_MONITORING_GRACE_DAYS
    assert services.monitoring_mark_overdue() >= 0


def test_assistance_items_pass_the_item_checks_with_exact_amounts(seeded):
    items = list(ReintegrationAssistance.objects.select_related("organisation"))

    assert items
    assert len({item.currency for item in items if item.currency}) >= 3
    assert {item.dimension for item in items} == set(Dimension.values)
    for item in items:
        item.full_clean()
        errors: dict[str, list[str]] = {}
        services._item_checks(item, errors)
        amount, currency = services.parse_amount(item.amount, item.currency, errors)
        assert errors == {}
        assert (amount, currency) == (item.amount, item.currency)
        assert item.dimension == OPTION_DIMENSION[item.option]


def test_seeding_is_fast(seeded):
    # 400 cases with screenings, assistance and reintegration, in a test database.
    assert seeded < 60


def test_a_second_run_creates_no_reintegration():
    target = Case.objects.count() + 200
    start = _counts()
    _seed(target)
    before = _counts()

    _seed(target)

    assert _counts() == before
    assert before["ReintegrationPlan"] > start["ReintegrationPlan"]
