"""Every page of the access matrix, in every language, for a role that may open it: no English
left in a translated page (config/page_language.py says what counts as English left).

``test_no_english_is_left_in_a_translated_page`` fails while the catalogs are empty (expected
until the translators' catalogs land); the synthetic tests prove the detector itself.
"""

from __future__ import annotations

from functools import cache

import pytest
from django.conf import settings

from config.catalogs import catalog_paths, read_catalog
from config.page_language import LeakFinder, text_segments
from tests.matrix.roles import ROLES
from tests.test_access_matrix import MATRIX, _url, world  # noqa: F401 (the matrix's world)

TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]
NOT_PAGES = {
    "api_schema",
    "healthz",
    "api_docs",
    "research:extract_download",
    # Workbooks: the import template, and the XLSForm (its labels come in every language at
    # once; tests/intake checks them).
    "intake:template",
    "intake_xlsform:screening_form",
    # django-otp-webauthn's script catalog (JavaScript, the library's own strings).
    "otp_webauthn:js-i18n-catalog",
}
# The first role in this order that may open a page renders it.
ROLE_ORDER = ("caseworker", "central_admin", "researcher", "superuser", "anonymous")


def _html_pages() -> list[tuple[str, str]]:
    pages = []
    for name, (expected, _needs) in sorted(MATRIX.items()):
        # Not pages: JSON, the schema, the health check, a file download, and the API docs
        # (Swagger UI's own English, not Harbour's).
        if name.split(":")[0].endswith("_api") or name in NOT_PAGES:
            continue
        role = next((r for r in ROLE_ORDER if expected.get(r) == 200), None)
        if role is not None:
            pages.append((name, role))
    return pages


@cache
def _finder(language: str) -> LeakFinder:
    path = next(p for p in catalog_paths() if p.parent.parent.name == language)
    entries = read_catalog(path).entries
    return LeakFinder({e.msgid: e.msgstrs[0] for e in entries if e.msgctxt is None})


def test_the_role_order_names_matrix_roles():
    assert set(ROLE_ORDER) <= set(ROLES)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), _html_pages())
def test_no_english_is_left_in_a_translated_page(name, role, world, client_for):  # noqa: F811
    client = client_for(world["users"][role])
    url = _url(name, world)
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english["Content-Type"].startswith("text/html")
    leaks = {}
    for language in TRANSLATED:
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        found = _finder(language).leaks(english.content.decode(), page.content.decode())
        if found:
            leaks[language] = found[:5]
    assert leaks == {}


ENGLISH = """<html><body><h1>Cases</h1><p title="Open the case">Mission A</p>
<p>AAA-2026-00001</p><p>Status: Active</p><p>OK</p><p>This sentence was never marked.</p>
<script>var x = "Not text";</script></body></html>"""


def _french(heading="Dossiers", title="Ouvrir le dossier", status="Statut : Actif"):
    return f"""<html><body><h1>{heading}</h1><p title="{title}">Mission A</p>
<p>AAA-2026-00001</p><p>{status}</p><p>OK</p><p>Phrase traduite.</p>
<script>var x = "Not text";</script></body></html>"""


CATALOG = {
    "Cases": "Dossiers",
    "Open the case": "Ouvrir le dossier",
    "Status: %(status)s": "Statut : %(status)s",
    "OK": "OK",
}


def test_a_fully_translated_page_has_no_leak():
    assert LeakFinder(CATALOG).leaks(ENGLISH, _french()) == []


def test_a_deliberately_untranslated_string_is_found():
    catalog = {**CATALOG, "Cases": ""}
    assert LeakFinder(catalog).leaks(ENGLISH, _french(heading="Cases")) == ["Cases"]


def test_an_untranslated_attribute_and_placeholder_string_are_found():
    page = _french(title="Open the case", status="Status: Actif")
    catalog = {**CATALOG, "Open the case": "", "Status: %(status)s": ""}
    assert LeakFinder(catalog).leaks(ENGLISH, page) == ["Open the case", "Status: Actif"]


def test_a_sentence_that_never_went_through_gettext_is_found():
    page = _french().replace("Phrase traduite.", "This sentence was never marked.")
    assert LeakFinder(CATALOG).leaks(ENGLISH, page) == ["This sentence was never marked."]


def test_codes_names_numbers_and_scripts_are_not_text_to_translate():
    assert "Not text" not in text_segments(ENGLISH)
    assert LeakFinder(CATALOG).leaks(ENGLISH, _french()) == []


def test_an_identifier_in_code_is_not_text_but_the_same_word_outside_is():
    catalog = {**CATALOG, "gender": "genre"}
    page = _french().replace("<p>OK</p>", "<p>OK</p><td><code>gender</code></td><p>gender</p>")
    assert LeakFinder(catalog).leaks(ENGLISH, page) == ["gender"]
    assert "gender" not in text_segments("<p><code>gender</code> <kbd>q</kbd></p>")
