"""The message catalogs: complete, unfuzzy, placeholders kept, in step with the source.

``test_every_catalog_is_complete`` is the gate for the committed catalogs (it fails until the
translators' catalogs land); the tests on small synthetic catalogs prove the checker itself.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from config.catalogs import (
    catalog_paths,
    catalog_problems,
    compile_catalogs,
    extracted_keys,
    missing_keys,
    read_catalog,
)

HEADER = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

"""


def _catalog(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "fr" / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True)
    path.write_text(header + textwrap.dedent(body), encoding="utf-8")
    return path


def _problems(tmp_path: Path, body: str, header: str = HEADER) -> list[str]:
    return catalog_problems(read_catalog(_catalog(tmp_path, body, header)))


def test_a_complete_catalog_has_no_problem(tmp_path):
    body = """\
        msgid "Case"
        msgstr "Dossier"

        #, python-format
        msgid "Unknown code: %(code)s."
        msgstr "Code inconnu : %(code)s."

        msgctxt "screening section"
        msgid "Interview"
        msgstr "Entretien"

        #, python-format
        msgid "%(count)s case"
        msgid_plural "%(count)s cases"
        msgstr[0] "%(count)s dossier"
        msgstr[1] "%(count)s dossiers"

        msgid ""
        "A long message "
        "on two lines."
        msgstr ""
        "Un long message "
        "sur deux lignes."

        #~ msgid "Gone"
        #~ msgstr ""
        """
    assert _problems(tmp_path, body) == []


def test_an_untranslated_entry_is_reported(tmp_path):
    assert _problems(tmp_path, 'msgid "Case"\nmsgstr ""\n') == ["untranslated: 'Case'"]


def test_an_untranslated_plural_form_is_reported(tmp_path):
    body = """\
        #, python-format
        msgid "%(count)s case"
        msgid_plural "%(count)s cases"
        msgstr[0] "%(count)s dossier"
        msgstr[1] ""
        """
    assert _problems(tmp_path, body) == ["untranslated: '%(count)s case'"]


def test_a_fuzzy_entry_is_reported(tmp_path):
    body = '#, fuzzy, python-format\nmsgid "Case %(ref)s"\nmsgstr "Dossier %(ref)s"\n'
    assert _problems(tmp_path, body) == ["fuzzy: 'Case %(ref)s'"]


def test_a_fuzzy_header_is_reported(tmp_path):
    # msgfmt would drop it, and with it the charset: every non-ASCII translation would break.
    assert _problems(tmp_path, 'msgid "Case"\nmsgstr "Dossier"\n', "#, fuzzy\n" + HEADER) == [
        "the header is marked fuzzy"
    ]


@pytest.mark.parametrize(
    "msgstr",
    ["Code inconnu.", "Code inconnu : %(cod)s.", "Code inconnu : %(code)d.", "%(code)s %(x)s"],
)
def test_a_lost_or_altered_placeholder_is_reported(tmp_path, msgstr):
    body = f'#, python-format\nmsgid "Unknown code: %(code)s."\nmsgstr "{msgstr}"\n'
    assert _problems(tmp_path, body) == ["placeholders differ: 'Unknown code: %(code)s.'"]


def test_an_altered_brace_placeholder_is_reported(tmp_path):
    body = '#, python-brace-format\nmsgid "Row {0}"\nmsgstr "Ligne {1}"\n'
    assert _problems(tmp_path, body) == ["placeholders differ: 'Row {0}'"]


def test_a_plural_form_may_leave_the_number_out_but_not_add_one(tmp_path):
    body = """\
        #, python-format
        msgid "%(count)s case"
        msgid_plural "%(count)s cases"
        msgstr[0] "un dossier"
        msgstr[1] "%(count)s dossiers %(other)s"
        """
    assert _problems(tmp_path, body) == ["placeholders differ: '%(count)s case'"]


def test_a_percent_sign_outside_python_format_is_text(tmp_path):
    assert _problems(tmp_path, 'msgid "100% done"\nmsgstr "fini à 100 %"\n') == []


def test_a_msgid_missing_from_the_catalog_is_reported(tmp_path):
    catalog = read_catalog(_catalog(tmp_path, 'msgid "Case"\nmsgstr "Dossier"\n'))
    extracted = {(None, "Case"), (None, "New string"), ("screening section", "Interview")}
    assert missing_keys(catalog, extracted) == [
        (None, "New string"),
        ("screening section", "Interview"),
    ]


def test_extraction_finds_a_new_string_in_the_source(tmp_path):
    # A miniature project: makemessages with the catalogs' options runs on a copy of it.
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(
        "from django.utils.translation import gettext_lazy as _\n"
        'MESSAGE = _("A string no catalog has yet")\n'
    )
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(
        '{% load i18n %}{% translate "Template text" context "menu" %}'
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        'from django.utils.translation import gettext as _\n_("Test only")\n'
    )
    assert extracted_keys(tmp_path) == {
        (None, "A string no catalog has yet"),
        ("menu", "Template text"),
    }


def test_compiling_builds_a_mo_file_django_can_read(tmp_path):
    import gettext

    locale = tmp_path / "locale"
    _catalog(locale, 'msgid "Case"\nmsgstr "Dossier ñ"\n')
    compile_catalogs(locale)
    translation = gettext.translation("django", locale, languages=["fr"])
    assert translation.gettext("Case") == "Dossier ñ"


def test_every_catalog_is_complete():
    """Fails while any catalog lacks a translation (expected until the catalogs land)."""
    extracted = extracted_keys()
    problems = {}
    for path in catalog_paths():
        catalog = read_catalog(path)
        found = catalog_problems(catalog) + [
            f"missing msgid: {msgid!r}" for _ctx, msgid in missing_keys(catalog, extracted)
        ]
        if found:
            problems[path.parent.parent.name] = (len(found), found[:5])
    assert {path.parent.parent.name for path in catalog_paths()} == {"fr", "es", "ar", "ru", "pt"}
    assert problems == {}
