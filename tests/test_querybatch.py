"""config.querybatch: several querysets in one statement, rows as Django would build them."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Count

from assistance.models import AssistanceService, MovementLeg, Provider
from cases.models import Case
from config.querybatch import attach_prefetched, fetch_together
from tests import factories

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_rows_equal_what_the_querysets_return_in_one_query(
    mission_a, caseworker_a, django_assert_num_queries
):
    organisation = factories.OrganisationFactory()
    case = factories.ActiveCaseFactory(mission=mission_a, assigned_to=caseworker_a)
    for days in range(4):
        factories.AssistanceServiceFactory(
            case=case,
            provider=Provider.ORGANISATION,
            organisation=organisation,
            start_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=days),
        )
    factories.ReintegrationAssistanceFactory(case=case, amount=Decimal("12.50"), currency="NPR")
    querysets = {
        "services": AssistanceService.objects.filter(case=case)
        .select_related("organisation")
        .order_by("-start_date")[:3],
        # Identity fields are encrypted at rest: they must come back decrypted.
        "cases": Case.objects.filter(pk=case.pk).select_related("person", "mission"),
        "items": case.reintegration_assistance.all(),
        "nothing": Case.objects.none(),
    }
    expected = {name: list(qs) for name, qs in querysets.items()}

    with django_assert_num_queries(1):
        found = fetch_together(querysets)

    assert [s.pk for s in found["services"]] == [s.pk for s in expected["services"]]
    for got, want in zip(found["services"], expected["services"], strict=True):
        assert _fields(got) == _fields(want)
        assert _fields(got.organisation) == _fields(want.organisation)
    got_case, want_case = found["cases"][0], expected["cases"][0]
    assert _fields(got_case.person) == _fields(want_case.person)
    assert got_case.person.given_name == case.person.given_name
    assert got_case.mission.code == mission_a.code
    assert found["items"][0].amount == Decimal("12.50")
    assert isinstance(found["items"][0].amount, Decimal)
    assert found["nothing"] == []


def test_annotations_are_set_on_the_rows(mission_a):
    case = factories.ActiveCaseFactory(mission=mission_a)
    factories.AssistanceServiceFactory.create_batch(2, case=case)

    found = fetch_together(
        {"cases": Case.objects.filter(pk=case.pk).annotate(services=Count("assistance_services"))}
    )

    assert found["cases"][0].services == 2


def test_prefetch_and_values_querysets_are_refused():
    with pytest.raises(ValueError, match="prefetch_related"):
        fetch_together({"cases": Case.objects.prefetch_related("assistance_services")})
    with pytest.raises(ValueError, match="values"):
        fetch_together({"cases": Case.objects.values("pk")})


def test_attached_rows_are_read_without_a_query(django_assert_num_queries):
    movement = factories.MovementFactory()
    factories.MovementLegFactory.create_batch(2, movement=movement)
    other = factories.MovementFactory()
    legs = list(MovementLeg.objects.order_by("position"))

    attach_prefetched([movement, other], "legs", legs, "movement_id")

    with django_assert_num_queries(0):
        assert [leg.movement_id for leg in movement.legs.all()] == [movement.pk, movement.pk]
        assert list(other.legs.all()) == []
