"""Country and language names come from pycountry's own catalogs, in the active language."""

import pytest
from django.utils import translation

from cases.vocabularies import (
    country_choices,
    country_codes,
    country_names,
    language_choices,
    language_codes,
)
from screening.forms import TraffickingEventForm


@pytest.mark.parametrize(
    ("language", "germany", "french"),
    [
        ("en", "Germany", "French"),
        ("fr", "Allemagne", "Français"),
        ("es", "Alemania", "Francés"),
        ("ar", "ألمانيا", "الفرنسية"),
        ("ru", "Германия", "французский"),
        ("pt", "Alemanha", "Francês"),
    ],
)
def test_names_follow_the_active_language(language, germany, french):
    with translation.override(language):
        assert country_names()["DEU"] == germany
        assert dict(language_choices())["fr"] == french


@pytest.mark.parametrize("language", ["en", "fr", "es", "ar", "ru", "pt"])
def test_codes_are_the_same_in_every_language(language):
    with translation.override(language):
        assert {code for code, _name in country_choices()} == country_codes()
        assert {code for code, _name in language_choices()} == language_codes()


def test_names_are_sorted_in_each_language_accents_aside():
    with translation.override("fr"):
        names = [name for _code, name in country_choices()]
    # "Égypte" sorts as "Egypte", before "Espagne", not after every unaccented name.
    assert names.index("Égypte") < names.index("Espagne") < names.index("Fidji")
    with translation.override("es"):
        names = [name for _code, name in country_choices()]
    assert (
        names.index("Alemania")
        < names.index("Bélgica")
        < names.index("Bolivia, Estado plurinacional de")
    )


def test_a_form_built_once_names_countries_in_each_requests_language():
    # The form class is created at import; its choices must still follow the language.
    with translation.override("fr"):
        french = dict(TraffickingEventForm().fields["country"].choices)
    with translation.override("ru"):
        russian = dict(TraffickingEventForm().fields["country"].choices)
    assert (french["DEU"], russian["DEU"]) == ("Allemagne", "Германия")
    assert french[""] == russian[""]
