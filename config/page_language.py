"""English left in a translated page: the check behind tests/test_translated_pages.py.

A page rendered in another language is compared with its English render. A piece of its text
is English left behind when it is the English of a catalog entry whose translation differs from
it (an entry translated as itself, like "OK", is allowed), or when it is a sentence of plain
words that the English render has word for word and no catalog knows (a string that never went
through gettext). Codes, names, numbers, dates and addresses are neither, so they are allowed;
text inside <code>, <kbd> and <samp> is never read (identifiers such as a variable's name).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Attributes a reader hears or sees as text.
_TEXT_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
_PLACEHOLDER = re.compile(r"%\([^)]*\)[sd]|%[sd]|\{[^{}]*\}")
# Text in these is a code or an identifier a user types (a variable name, a field name), the
# same in every language.
_CODE_TAGS = ("code", "kbd", "samp")
_SENTENCE = re.compile(r"^(?:[A-Za-z][a-z']*[\s,.;:!?]+){2,}[a-z']*[.!?]?$")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.segments: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("script", "style", "svg") or tag in _CODE_TAGS:
            self._skip += 1
        for name, value in attrs:
            if name in _TEXT_ATTRIBUTES and value:
                self._add(value)

    def handle_endtag(self, tag) -> None:
        if (tag in ("script", "style", "svg") or tag in _CODE_TAGS) and self._skip:
            self._skip -= 1

    def handle_data(self, data) -> None:
        if not self._skip:
            self._add(data)

    def _add(self, text: str) -> None:
        text = " ".join(text.split())
        if text:
            self.segments.append(text)


def text_segments(html: str) -> list[str]:
    collector = _TextCollector()
    collector.feed(html)
    return collector.segments


def _pattern(msgid: str) -> re.Pattern:
    parts = _PLACEHOLDER.split(" ".join(msgid.split()))
    return re.compile(r"^" + r".+?".join(re.escape(part) for part in parts) + r"$")


def _has_words(text: str) -> bool:
    return re.search("[A-Za-z]{2}", _PLACEHOLDER.sub("", text)) is not None


class LeakFinder:
    """Built once per language from its catalog: msgid -> translation ("" when untranslated)."""

    def __init__(self, catalog: dict[str, str]) -> None:
        self.untranslated = [
            _pattern(msgid)
            for msgid, msgstr in catalog.items()
            if _has_words(msgid) and msgstr != msgid
        ]
        self.known = [_pattern(msgid) for msgid in catalog if _has_words(msgid)]

    def leaks(self, english_html: str, translated_html: str) -> list[str]:
        """The pieces of ``translated_html`` still in English."""
        english = set(text_segments(english_html))
        found = []
        for segment in dict.fromkeys(text_segments(translated_html)):
            if not _has_words(segment):
                continue
            if any(pattern.match(segment) for pattern in self.untranslated) or (
                segment in english
                and _SENTENCE.match(segment)
                and not any(pattern.match(segment) for pattern in self.known)
            ):
                found.append(segment)
        return found
