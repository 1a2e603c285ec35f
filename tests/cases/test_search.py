import datetime
import io
import logging
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.core.servers.basehttp import WSGIRequestHandler
from django.test import Client
from django.urls import reverse

from cases import search
from cases.housekeeping import encryption_keys_rotate
from cases.models import AuditAction, AuditEvent, Person, SearchToken
from cases.services import case_update
from tests import factories
from tests.second_factor import SECOND_FACTOR_QUERIES, verified_login

LIST_URL = reverse("cases_api:case_collection")


def _identity(**overrides) -> search.Identity:
    values = {
        "given_name": "Fatima",
        "family_name": "Al-Hassan",
        "aliases": [],
        "phone": "",
        "date_of_birth": None,
    }
    values.update(overrides)
    return search.Identity(**values)


def _matches(identity: search.Identity, query: str) -> bool:
    stored = {token for _, token in search.identity_tokens(identity)}
    terms = search.query_terms(query)
    return bool(terms) and all(stored & term for term in terms)


@pytest.mark.parametrize("spelling", ["Mohammed", "Muhammad", "Mohamed", "MOHAMED", "محمد"])
def test_spellings_of_one_name_meet_phonetically(spelling):
    assert _matches(_identity(given_name="Muhammad"), spelling)


@pytest.mark.parametrize("query", ["fatima", "FÁTIMA", "fat", "hassan", "al hassan", "Фатима"])
def test_words_match_across_case_accents_prefixes_and_scripts(query):
    assert _matches(_identity(), query)


def test_date_of_birth_year_and_full_date_match():
    identity = _identity(date_of_birth=datetime.date(1998, 3, 12))
    assert _matches(identity, "fatima 1998")
    assert _matches(identity, "1998-03-12")
    assert not _matches(identity, "1999")


def test_phone_matches_on_its_last_digits():
    identity = _identity(phone="+977 98-1234-5678")
    assert _matches(identity, "9812345678")
    assert not _matches(identity, "5550000")


def test_a_different_name_does_not_match():
    assert not _matches(_identity(), "olga")


def test_tokens_are_keyed(settings):
    first = search.identity_tokens(_identity())
    settings.BLIND_INDEX_KEY = "another-key"
    assert first.isdisjoint(search.identity_tokens(_identity()))


@pytest.mark.parametrize("query", ["", "   ", "!!! ,,, --", "'; DROP TABLE cases_case; --"])
def test_punctuation_and_empty_queries_give_no_terms_or_safe_terms(query):
    terms = search.query_terms(query)
    assert all(isinstance(t, set) for t in terms)
    assert len(terms) <= search.QUERY_MAX_TERMS


# --- through the list, scoped -----------------------------------------------------------------


@pytest.fixture
def client_a(client, caseworker_a):
    verified_login(client, caseworker_a)
    return client


@pytest.mark.django_db
def test_api_search_finds_in_scope_and_never_out_of_scope(client_a, mission_a, mission_b):
    mine = factories.CaseFactory(
        mission=mission_a,
        person__given_name="Fatima",
        person__date_of_birth=datetime.date(1998, 1, 2),
    )
    factories.CaseFactory(mission=mission_a, person__given_name="Olga")
    factories.CaseFactory(
        mission=mission_b,
        person__given_name="Fatima",
        person__date_of_birth=datetime.date(1998, 1, 2),
    )
    response = client_a.get(LIST_URL, {"q": "1998 fatima"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(mine.pk)]


@pytest.mark.django_db
def test_api_search_by_reference(client_a, case_a):
    response = client_a.get(LIST_URL, {"q": case_a.reference.lower()})
    assert [row["id"] for row in response.json()["results"]] == [str(case_a.pk)]


@pytest.mark.django_db
def test_better_match_ranks_first(client_a, mission_a):
    partial = factories.CaseFactory(mission=mission_a, person__given_name="Mohamed")
    exact = factories.CaseFactory(mission=mission_a, person__given_name="Muhammad")
    ids = [row["id"] for row in client_a.get(LIST_URL, {"q": "muhammad"}).json()["results"]]
    assert ids == [str(exact.pk), str(partial.pk)]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["!!!", "'; DROP TABLE cases_case; --", "%_%", "\\"])
def test_api_bad_queries_answer_without_error(client_a, case_a, query):
    response = client_a.get(LIST_URL, {"q": query})
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.django_db
def test_api_too_long_query_is_a_field_error(client_a, case_a):
    response = client_a.get(LIST_URL, {"q": "a" * (search.QUERY_MAX_LENGTH + 1)})
    assert response.status_code == 400
    assert "q" in response.json()["errors"]


@pytest.mark.django_db
def test_html_list_search(client_a, mission_a):
    case = factories.CaseFactory(mission=mission_a, person__family_name="Petrov")
    response = client_a.get(reverse("cases:list"), {"q": "Петров"})
    assert response.status_code == 200
    assert case.reference in response.content.decode()


@pytest.mark.django_db
def test_search_query_count_is_pinned(client_a, mission_a, django_assert_max_num_queries):
    factories.CaseFactory.create_batch(3, mission=mission_a, person__given_name="Amina")
    # One reads the matching persons; two write the search's audit row (the chain's head under
    # its lock, the insert).
    with django_assert_max_num_queries(11 + SECOND_FACTOR_QUERIES):
        few = client_a.get(LIST_URL, {"q": "amina"})
    factories.CaseFactory.create_batch(15, mission=mission_a, person__given_name="Amina")
    with django_assert_max_num_queries(11 + SECOND_FACTOR_QUERIES):
        many = client_a.get(LIST_URL, {"q": "amina"})
    assert len(few.json()["results"]) == 3
    assert len(many.json()["results"]) == 18


@pytest.mark.django_db
def test_html_search_query_count_is_pinned(client_a, mission_a, django_assert_max_num_queries):
    # The list's own (tests/cases/test_views.py), the matching persons, the audit row (two).
    factories.CaseFactory.create_batch(3, mission=mission_a, person__given_name="Amina")
    with django_assert_max_num_queries(13 + SECOND_FACTOR_QUERIES):
        few = client_a.get(reverse("cases:list"), {"q": "amina"})
    factories.CaseFactory.create_batch(30, mission=mission_a, person__given_name="Amina")
    with django_assert_max_num_queries(13 + SECOND_FACTOR_QUERIES):
        many = client_a.get(reverse("cases:list"), {"q": "amina"})
    assert few.content.decode().count('data-label="') < many.content.decode().count('data-label="')


@pytest.mark.django_db
def test_identity_edit_rebuilds_tokens_in_its_transaction(caseworker_a, case_a):
    case_update(
        actor=caseworker_a, case_id=case_a.pk, version=case_a.version, data={"given_name": "Zara"}
    )
    stored = {
        bytes(t)
        for t in SearchToken.objects.filter(person=case_a.person).values_list("token", flat=True)
    }
    assert stored & search.query_terms("zara")[0]


@pytest.mark.django_db
def test_rebuild_all_backfills(case_a):
    SearchToken.objects.all().delete()
    assert search.tokens_rebuild_all(batch_size=1) > 0
    assert SearchToken.objects.filter(person=case_a.person).exists()


@pytest.mark.django_db
def test_top_bar_search_box_on_staff_pages_only(client, caseworker_a, researcher):
    verified_login(client, caseworker_a)
    assert 'class="top-search"' in client.get(reverse("dashboard")).content.decode()
    other = Client()
    verified_login(other, researcher)
    assert 'class="top-search"' not in other.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_key_rotation_rebuilds_tokens(settings, case_a):
    settings.BLIND_INDEX_KEY = "a-new-blind-index-key"
    encryption_keys_rotate(batch_size=1)
    stored = {
        bytes(t)
        for t in SearchToken.objects.filter(person=case_a.person).values_list("token", flat=True)
    }
    assert stored & search.query_terms(case_a.person.given_name)[0]


@pytest.mark.django_db
def test_seeded_persons_are_findable():
    call_command("seed_demo", cases=5, seed=7, force=True, stdout=io.StringIO())
    persons_with_tokens = SearchToken.objects.values("person_id").distinct().count()
    assert persons_with_tokens == Person.objects.count() == 5


@pytest.mark.django_db
def test_backfill_command(case_a):
    SearchToken.objects.all().delete()
    out = io.StringIO()
    call_command("rebuild_search_tokens", stdout=out)
    assert SearchToken.objects.filter(person=case_a.person).exists()


def test_backfill_command_refuses_a_bad_batch_size():
    with pytest.raises(CommandError):
        call_command("rebuild_search_tokens", batch_size=0)


# --- every search is audited, its terms in no audit row and no log line -----------------------


def test_query_digest_ignores_order_case_and_script_and_is_keyed(settings):
    digest = search.query_digest("Fatima 1998")
    assert search.query_digest("1998  FÁTIMA") == digest
    assert search.query_digest("Фатима 1998") == search.query_digest("fatima 1998")
    assert search.query_digest("olga 1998") != digest
    settings.BLIND_INDEX_KEY = "another-key"
    assert search.query_digest("fatima 1998") != digest


def _search_events():
    return list(AuditEvent.objects.filter(action=AuditAction.CASE_SEARCHED).order_by("seq"))


def _mine_and_theirs(mission_a, mission_b):
    mine = factories.CaseFactory(
        mission=mission_a,
        person__given_name="Fatima",
        person__date_of_birth=datetime.date(1998, 1, 2),
    )
    factories.CaseFactory(mission=mission_b, person__given_name="Fatima")
    return mine


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIST_URL, reverse("cases:list")], ids=["api", "html"])
def test_a_search_is_audited_with_a_digest_and_the_result_count(
    client_a, caseworker_a, mission_a, mission_b, url
):
    _mine_and_theirs(mission_a, mission_b)
    client_a.get(url, {"q": "fatima 1998"})
    client_a.get(url, {"q": "nobody"})
    found, missed = _search_events()
    assert found.actor == caseworker_a
    assert found.detail == {"query_digest": search.query_digest("fatima 1998"), "results": 1}
    assert missed.detail == {"query_digest": search.query_digest("nobody"), "results": 0}


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIST_URL, reverse("cases:list")], ids=["api", "html"])
def test_a_list_without_search_or_with_a_refused_query_is_not_audited_as_a_search(
    client_a, case_a, url
):
    client_a.get(url)
    client_a.get(url, {"q": "   "})
    client_a.get(url, {"q": "a" * (search.QUERY_MAX_LENGTH + 1)})
    assert _search_events() == []


def _console_handler() -> logging.Handler:
    return next(h for h in logging.getLogger().handlers if h.get_name() == "console")


@pytest.fixture
def console_output():
    """What the configured console handler (the only one) writes during the test."""
    handler = _console_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def _runserver_access_line(requestline: str, status: int) -> None:
    """The line runserver writes for a request, through its own code."""
    server = WSGIRequestHandler.__new__(WSGIRequestHandler)
    server.requestline, server.request = requestline, None
    server.log_request(status, 512)


@pytest.mark.django_db
def test_a_search_leaves_its_terms_in_no_log_line_and_no_audit_row(
    client_a, mission_a, mission_b, console_output
):
    _mine_and_theirs(mission_a, mission_b)
    terms = "Fatima 1998"
    for url in (LIST_URL, reverse("cases:list")):
        assert client_a.get(url, {"q": terms}).status_code == 200
        # A refused page and a refused query: Django's 4xx lines.
        client_a.get(url, {"q": terms, "page": "999"})
        client_a.get(url, {"q": terms + " " + "x" * search.QUERY_MAX_LENGTH})
        _runserver_access_line(f"GET {url}?{urlencode({'q': terms})} HTTP/1.1", 200)
        _runserver_access_line(f"GET {url}?page=2&q=fatima%201998 HTTP/1.1", 404)
    written = console_output.getvalue()
    assert "GET /cases/?q=[redacted] HTTP/1.1" in written
    assert "page=2&q=[redacted]" in written
    rows = " ".join(
        f"{e.object_type} {e.object_id} {e.case_reference} {e.detail}"
        for e in AuditEvent.objects.all()
    ).casefold()
    # The HTML list shows its last page for a page past the end: that search is audited too.
    assert len(_search_events()) == 3
    for word in ("fatima", "1998"):
        assert word not in written.casefold()
        assert word not in rows
