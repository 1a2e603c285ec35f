import pytest
from django.http import Http404

from cases.models import Case
from cases.selectors import access_case_by_id

pytestmark = pytest.mark.django_db


def test_caseworker_sees_only_own_mission(case_a, case_b, caseworker_a):
    assert list(Case.objects.visible_to(caseworker_a)) == [case_a]


def test_out_of_scope_and_missing_raise_the_same_404(case_b, caseworker_a):
    with pytest.raises(Http404):
        access_case_by_id(user=caseworker_a, case_id=case_b.pk)
    with pytest.raises(Http404):
        access_case_by_id(user=caseworker_a, case_id="00000000-0000-0000-0000-000000000000")
