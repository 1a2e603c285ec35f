"""Message catalogs (``locale/<lang>/LC_MESSAGES/django.po``): compiling them and checking them.

The ``.po`` files are the source translators edit; the ``.mo`` files Django reads are built from
them (``compile_catalogs``) at install, run and test time and never committed. The checks say
what a catalog still lacks before it may ship: untranslated or fuzzy entries, placeholders lost
or altered in a translation, and msgids that ``makemessages`` would add.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from contextlib import chdir
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

DOMAIN = "django"
# The options the committed catalogs were made with (README, "Languages"): the tests and the
# benchmarks hold no user-facing strings, and .venv and var/ are not Harbour's source.
MAKEMESSAGES_IGNORE = (".venv", "var", "tests", "benchmarks")
# What the source copy for a dry makemessages leaves out besides the ignored folders.
_NOT_SOURCE = {".git", "locale", ".venv-own", "node_modules", *MAKEMESSAGES_IGNORE}

# printf-style placeholders (python-format) and str.format ones (python-brace-format).
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
_BRACE = re.compile(r"\{[^{}]*\}")


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


@dataclass
class Catalog:
    path: Path
    header_fuzzy: bool
    entries: list[Entry]


def _unquote(text: str) -> str:
    # A .po string is a C string literal; Python's literal syntax reads the same escapes.
    return ast.literal_eval(text)


def read_catalog(path: Path) -> Catalog:
    """The live entries of a .po file (obsolete ``#~`` entries are not part of the catalog)."""
    entries: list[Entry] = []
    header_fuzzy = False
    flags: set[str] = set()
    current: dict[str, list[str]] = {}
    last: str | None = None

    def finish() -> None:
        nonlocal header_fuzzy
        if "msgid" not in current:
            return
        msgid = "".join(current["msgid"])
        plurals = sorted(k for k in current if k.startswith("msgstr["))
        msgstrs = (
            ["".join(current[k]) for k in plurals] if plurals else ["".join(current["msgstr"])]
        )
        if msgid == "" and "msgctxt" not in current:
            header_fuzzy = "fuzzy" in flags
            return
        entries.append(
            Entry(
                msgid=msgid,
                msgctxt="".join(current["msgctxt"]) if "msgctxt" in current else None,
                msgid_plural="".join(current["msgid_plural"])
                if "msgid_plural" in current
                else None,
                msgstrs=msgstrs,
                flags=set(flags),
            )
        )

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if current:
                finish()
                current, flags, last = {}, set(), None
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith('"'):
            if last is None:
                raise ValueError(f"{path}: a continuation line without a keyword: {raw!r}")
            current[last].append(_unquote(line))
            continue
        keyword, _, value = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and "msgid" in current and last != "msgctxt":
            finish()
            current, flags = {}, set()
        current[keyword] = [_unquote(value)]
        last = keyword
    finish()
    return Catalog(path=path, header_fuzzy=header_fuzzy, entries=entries)


def _placeholders(text: str, flags: set[str]) -> list[str]:
    found: list[str] = []
    if "python-format" in flags:
        found += [p for p in _PERCENT.findall(text) if p != "%%"]
    if "python-brace-format" in flags:
        found += _BRACE.findall(text)
    return sorted(found)


def entry_problems(entry: Entry) -> list[str]:
    """What keeps one entry from shipping, in words a translator can act on."""
    label = repr(entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}|{entry.msgid}")
    if "fuzzy" in entry.flags:
        return [f"fuzzy: {label}"]
    if any(msgstr == "" for msgstr in entry.msgstrs):
        return [f"untranslated: {label}"]
    problems = []
    if entry.msgid_plural is None:
        if _placeholders(entry.msgstrs[0], entry.flags) != _placeholders(entry.msgid, entry.flags):
            problems.append(f"placeholders differ: {label}")
    else:
        # A plural form may leave the number out ("one case"), but never brings its own.
        english = set(_placeholders(entry.msgid, entry.flags)) | set(
            _placeholders(entry.msgid_plural, entry.flags)
        )
        for msgstr in entry.msgstrs:
            if not set(_placeholders(msgstr, entry.flags)) <= english:
                problems.append(f"placeholders differ: {label}")
                break
    return problems


def catalog_problems(catalog: Catalog) -> list[str]:
    problems = []
    if catalog.header_fuzzy:
        # msgfmt drops a fuzzy header, and with it the charset and the plural rule.
        problems.append("the header is marked fuzzy")
    for entry in catalog.entries:
        problems.extend(entry_problems(entry))
    return problems


def catalog_paths(locale_dir: Path | None = None) -> list[Path]:
    root = Path(locale_dir or settings.LOCALE_PATHS[0])
    return sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def extracted_keys(source_root: Path | None = None) -> set[tuple[str | None, str]]:
    """The msgids ``makemessages`` (with the catalogs' options) finds in the source today.

    It runs on a copy of the source so the committed catalogs are never touched.
    """
    source_root = Path(source_root or settings.BASE_DIR)
    with tempfile.TemporaryDirectory(prefix="harbour-makemessages-") as tmp:
        copy = Path(tmp) / "src"
        copy.mkdir()
        for child in source_root.iterdir():
            if child.name in _NOT_SOURCE or child.is_symlink():
                continue
            if child.is_dir():
                shutil.copytree(child, copy / child.name, ignore=shutil.ignore_patterns("*.pyc"))
            else:
                shutil.copy2(child, copy / child.name)
        locale = copy / "locale"
        locale.mkdir()
        with chdir(copy), override_settings(LOCALE_PATHS=[str(locale)]):
            call_command(
                "makemessages",
                locale=["en"],
                domain=DOMAIN,
                no_location=True,
                ignore_patterns=list(MAKEMESSAGES_IGNORE),
                verbosity=0,
            )
        return {entry.key for entry in read_catalog(locale / "en/LC_MESSAGES/django.po").entries}


def missing_keys(
    catalog: Catalog, extracted: Iterable[tuple[str | None, str]]
) -> list[tuple[str | None, str]]:
    present = {entry.key for entry in catalog.entries}
    return sorted(set(extracted) - present, key=lambda key: (key[0] or "", key[1]))


def compile_catalogs(locale_dir: Path | None = None) -> None:
    """Build the .mo files next to their .po files (msgfmt skips those already up to date)."""
    root = Path(locale_dir or settings.LOCALE_PATHS[0])
    with chdir(root.parent):
        call_command(
            "compilemessages",
            locale=[],
            ignore_patterns=[p for p in os.listdir(root.parent) if p != root.name],
            verbosity=0,
        )
