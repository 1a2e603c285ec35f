"""Likely existing persons, shown to a caseworker before a new case is registered.

A match is found through the same keyed search tokens as the search box (``cases/search.py``),
so no identity is decrypted or compared in clear: each name word of the new person must meet
a stored word or sound (any field, so swapped given and family names meet), and a birth year
within one year of the new one, the same phone number, or the same date of birth must back it.
Only cases the caseworker may see are searched (``Case.objects.visible_to``), and what is shown
is the reference and the reasons, never the other person's identity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Case as Choose
from django.db.models import F, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from . import search
from .models import Case, SearchToken

SHOWN = 5

SAME_NAME = "same_name"
SIMILAR_NAME = "similar_name"
SAME_BIRTH_DATE = "same_birth_date"
BIRTH_WITHIN_A_YEAR = "birth_within_a_year"
SAME_PHONE = "same_phone"
SAME_CITIZENSHIP = "same_citizenship"
REASONS = {
    SAME_NAME: _("the same name"),
    SIMILAR_NAME: _("a name that sounds the same"),
    SAME_BIRTH_DATE: _("the same date of birth"),
    BIRTH_WITHIN_A_YEAR: _("born within a year"),
    SAME_PHONE: _("the same phone number"),
    SAME_CITIZENSHIP: _("the same citizenship"),
}
# Term numbers of the evidence that is not a name word.
_EXACT_BIRTH, _PHONE = 1000, 1002
_EXACT_WORD = 2000  # + the name word's number


@dataclass(frozen=True)
class LikelyDuplicate:
    case: Case
    reasons: list[str]

    @property
    def reason_labels(self) -> list:
        return [REASONS[r] for r in self.reasons]


def _terms(
    given_name: str,
    family_name: str,
    date_of_birth: date | None,
    phone: str,
) -> list[tuple[int, set[bytes]]]:
    terms: list[tuple[int, set[bytes]]] = []
    names = list(dict.fromkeys(search.words(f"{given_name} {family_name}")))
    for n, word in enumerate(names):
        # The sound and the word itself are separate terms, so a match says which it was.
        sound = search._phonetic(word)
        if sound and len(word) > 3:
            terms.append((n, {search.digest(search.Kind.PHONETIC, sound)}))
        terms.append((_EXACT_WORD + n, {search.digest(search.Kind.WORD, word)}))
    if date_of_birth is not None:
        terms.append(
            (_EXACT_BIRTH, {search.digest(search.Kind.BIRTH_DATE, date_of_birth.isoformat())})
        )
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) >= search.PHONE_SUFFIX_LENGTH:
        terms.append((_PHONE, {search.digest(search.Kind.PHONE, digits)}))
    return [(n, tokens) for n, tokens in terms if tokens]


def likely_duplicates(
    *,
    user,
    given_name: str,
    family_name: str,
    date_of_birth: date | None = None,
    birth_year: int | None = None,
    phone: str = "",
    citizenships: Iterable[str] = (),
) -> list[LikelyDuplicate]:
    """The cases ``user`` may see whose person is probably the one being registered, best
    first (at most ``SHOWN``). Two queries: the tokens, then the cases."""
    names = list(dict.fromkeys(search.words(f"{given_name} {family_name}")))
    if not names:
        return []
    terms = _terms(given_name, family_name, date_of_birth, phone)
    every = set().union(*(tokens for _n, tokens in terms))
    term_of = Choose(
        *[When(token__in=list(tokens), then=Value(n)) for n, tokens in terms],
        output_field=IntegerField(),
    )
    found = (
        SearchToken.objects.filter(
            token__in=list(every), person__case__in=Case.objects.visible_to(user)
        )
        .values("person_id", "person__birth_year")
        .annotate(terms=ArrayAgg(term_of, distinct=True))
        .values_list("person_id", "person__birth_year", "terms")
    )
    # The birth year is kept in clear (age bands are computed from it), also for a person
    # whose date of birth is unknown; the date itself is only compared through its token.
    year = date_of_birth.year if date_of_birth is not None else birth_year
    scored: dict = {}
    for person_id, their_year, matched in found:
        matched = set(matched)
        exact = {n - _EXACT_WORD for n in matched if n >= _EXACT_WORD}
        sounds = {n for n in matched if n < len(names)}
        named = exact | sounds
        # Every name word of a one- or two-word name; all but one of a longer name.
        if len(named) < max(len(names) - (len(names) > 2), 1):
            continue
        reasons = [SAME_NAME if len(exact) == len(named) else SIMILAR_NAME]
        if _EXACT_BIRTH in matched:
            reasons.append(SAME_BIRTH_DATE)
        elif year and their_year and abs(year - their_year) <= 1:
            reasons.append(BIRTH_WITHIN_A_YEAR)
        if _PHONE in matched:
            reasons.append(SAME_PHONE)
        if len(reasons) == 1:
            continue  # a name alone is too common to warn about
        scored[person_id] = (reasons, len(exact), len(reasons))
    if not scored:
        return []
    best = sorted(scored, key=lambda p: (-scored[p][2], -scored[p][1], str(p)))[:SHOWN]
    cases = (
        Case.objects.filter(person_id__in=best)
        .select_related("mission")
        .annotate(person_citizenships=F("person__citizenships"))
        .only("id", "reference", "status", "registered_on", "person_id", "mission__code")
    )
    wanted = set(citizenships)
    by_person = {case.person_id: case for case in cases}
    out = []
    for person_id in best:
        case = by_person.get(person_id)
        if case is None:
            continue
        reasons = list(scored[person_id][0])
        if wanted & set(case.person_citizenships or []):
            reasons.append(SAME_CITIZENSHIP)
        out.append(LikelyDuplicate(case=case, reasons=reasons))
    return out
