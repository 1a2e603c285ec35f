"""Search tokens over encrypted identity.

A person's names, aliases, phone and date of birth become keyed tokens (HMAC-SHA256 with the
blind-index key, truncated): the database can match them without ever holding the identity in
clear, and without the key a token says nothing (a plain hash of a name could be reversed by
hashing a list of names).

Words are normalised the same way on both sides: transliterated to Latin (``anyascii``, which
covers Arabic and Cyrillic), case-folded, split on anything that is not a letter or a digit.
Each word gives its own token, prefix tokens of a few lengths (partial input) and a phonetic
key (Metaphone from ``jellyfish``), so "Mohammed", "Muhammad" and "Mohamed" meet.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import jellyfish
from anyascii import anyascii
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TOKEN_BYTES = 16
PREFIX_LENGTHS = (3, 4, 5)
# A phone number is matched on its whole digits and on its last digits (the local number,
# typed without the country code).
PHONE_SUFFIX_LENGTH = 7
QUERY_MAX_LENGTH = 200
QUERY_MAX_TERMS = 8

_NOT_WORD = re.compile(r"[^0-9a-z]+")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class Kind:
    WORD = "w"
    PREFIX = "p"
    PHONETIC = "f"
    PHONE = "t"
    BIRTH_DATE = "d"
    BIRTH_YEAR = "y"
    QUERY = "q"


def words(text: str) -> list[str]:
    """Latin, case-folded words of ``text``, in order."""
    latin = anyascii(text).casefold()
    return [w for w in _NOT_WORD.split(latin) if w]


def _key() -> bytes:
    key = settings.BLIND_INDEX_KEY
    if not key:
        raise ImproperlyConfigured("BLIND_INDEX_KEY is empty.")
    return key.encode()


def digest(kind: str, value: str) -> bytes:
    return hmac.new(_key(), f"{kind}\x1f{value}".encode(), hashlib.sha256).digest()[:TOKEN_BYTES]


def _phonetic(word: str) -> str:
    return jellyfish.metaphone(word) if word.isalpha() else ""


def _word_items(word: str) -> set[tuple[str, str]]:
    items = {(Kind.WORD, word)}
    items.update((Kind.PREFIX, word[:n]) for n in PREFIX_LENGTHS if len(word) > n)
    phonetic = _phonetic(word)
    if phonetic:
        items.add((Kind.PHONETIC, phonetic))
    return items


@dataclass(frozen=True)
class Identity:
    given_name: str
    family_name: str
    aliases: list[str]
    phone: str
    date_of_birth: date | None


def identity_tokens(identity: Identity) -> set[tuple[str, bytes]]:
    """The (kind, token) pairs stored for one person."""
    items: set[tuple[str, str]] = set()
    for text in [identity.given_name, identity.family_name, *identity.aliases]:
        for word in words(text or ""):
            items |= _word_items(word)
    digits = "".join(ch for ch in identity.phone or "" if ch.isdigit())
    if digits:
        items.add((Kind.PHONE, digits))
        items.add((Kind.PHONE, digits[-PHONE_SUFFIX_LENGTH:]))
    if identity.date_of_birth is not None:
        items.add((Kind.BIRTH_DATE, identity.date_of_birth.isoformat()))
        items.add((Kind.BIRTH_YEAR, str(identity.date_of_birth.year)))
    return {(kind, digest(kind, value)) for kind, value in items}


def query_terms(query: str) -> list[set[bytes]]:
    """One set of acceptable tokens per term of ``query``; a person matches a term when one of
    its tokens is in the set. Dates written as YYYY-MM-DD stay one term."""
    terms: list[set[bytes]] = []
    for raw in query.split()[:QUERY_MAX_TERMS]:
        matched = _DATE.match(raw)
        if matched:
            terms.append({digest(Kind.BIRTH_DATE, raw)})
            continue
        for word in words(raw):
            terms.append(_term_tokens(word))
    return terms[:QUERY_MAX_TERMS]


def _term_tokens(word: str) -> set[bytes]:
    accepted = {digest(Kind.WORD, word)}
    if word.isdigit():
        if len(word) == 4:
            accepted.add(digest(Kind.BIRTH_YEAR, word))
        accepted.add(digest(Kind.PHONE, word))
        accepted.add(digest(Kind.PHONE, word[-PHONE_SUFFIX_LENGTH:]))
        return accepted
    if len(word) in PREFIX_LENGTHS:
        accepted.add(digest(Kind.PREFIX, word))
    # Three letters are too few for a sound; from four on, a word may be a whole name written
    # another way (Arabic transliterates without its short vowels: "mhmd").
    if len(word) > min(PREFIX_LENGTHS):
        phonetic = _phonetic(word)
        if phonetic:
            accepted.add(digest(Kind.PHONETIC, phonetic))
    return accepted


def query_digest(query: str) -> str:
    """A keyed digest of the normalised query, for the audit trail: the same words in any
    order, case or script give the same digest, and without the key it says nothing."""
    normalised = " ".join(sorted({w for raw in query.split() for w in _query_words(raw)}))
    return digest(Kind.QUERY, normalised).hex()


def _query_words(raw: str) -> list[str]:
    return [raw] if _DATE.match(raw) else words(raw)


def person_identity(person) -> Identity:
    return Identity(
        given_name=person.given_name,
        family_name=person.family_name,
        aliases=list(person.aliases or []),
        phone=person.phone,
        date_of_birth=person.date_of_birth,
    )


def tokens_rebuild(persons: Iterable) -> int:
    """Replace the stored tokens of ``persons`` (inside the caller's transaction)."""
    from .models import SearchToken

    persons = list(persons)
    SearchToken.objects.filter(person__in=[p.pk for p in persons]).delete()
    rows = [
        SearchToken(person_id=person.pk, kind=kind, token=token)
        for person in persons
        if person.identity_removed_at is None
        for kind, token in identity_tokens(person_identity(person))
    ]
    SearchToken.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def tokens_rebuild_all(*, batch_size: int = 1000) -> int:
    """Rebuild every person's tokens, one transaction per batch: after a change of the
    blind-index key, and to backfill persons registered before search existed."""
    from django.db import transaction

    from .models import Person

    after = None
    total = 0
    while True:
        with transaction.atomic():
            batch = Person.objects.order_by("pk")
            if after is not None:
                batch = batch.filter(pk__gt=after)
            persons = list(batch[:batch_size])
            total += tokens_rebuild(persons)
        if len(persons) < batch_size:
            return total
        after = persons[-1].pk
