import datetime

import pytest
from django.utils import timezone

from assistance.models import MovementType, TransportMeans, TravelDocumentStatus
from cases.vocabularies import CaseStatus
from tests import factories


@pytest.fixture
def active_case_a(case_a):
    case_a.status = CaseStatus.ACTIVE
    case_a.save(update_fields=["status"])
    return case_a


@pytest.fixture
def organisation():
    return factories.OrganisationFactory(name="Shelter partner", country="NPL")


def leg(**overrides):
    row = {
        "from_country": "NPL",
        "from_place": "Kathmandu",
        "to_country": "THA",
        "to_place": "Bangkok",
        "planned_date": timezone.localdate() + datetime.timedelta(days=10),
        "transport_means": TransportMeans.AIR,
        "escorted": True,
    }
    row.update(overrides)
    return row


def return_plan(**overrides):
    """Keyword arguments of a valid voluntary return from the mission country (NPL) to THA."""
    kwargs = {
        "movement_type": MovementType.VOLUNTARY_RETURN,
        "origin_country": "NPL",
        "destination_country": "THA",
        "travel_document_status": TravelDocumentStatus.VALID_DOCUMENT,
        "legs": [leg()],
    }
    kwargs.update(overrides)
    return kwargs
