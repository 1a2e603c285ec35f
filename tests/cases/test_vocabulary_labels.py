"""The computed vocabulary labels are all where makemessages can find them."""

import ast
from pathlib import Path

from cases import vocabularies, vocabulary_labels


def _listed() -> set[str]:
    tree = ast.parse(Path(vocabulary_labels.__file__).read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "gettext_noop"
    }


def test_every_computed_label_is_listed_for_the_catalogue():
    listed = _listed()
    assert vocabularies.COMPUTED_LABELS, "the vocabularies compute labels"
    assert sorted(vocabularies.COMPUTED_LABELS - listed) == []
    # A label left behind after a code is removed would only cost translators work.
    assert sorted(listed - vocabularies.COMPUTED_LABELS) == []


def test_the_listed_labels_are_the_ones_the_choices_show():
    assert "Debt bondage" in _listed()
    assert ("DebtBondage", "Debt bondage") in [
        (code, str(label)) for code, label in vocabularies.MeansOfControl.choices
    ]


def test_a_one_letter_word_in_a_code_stays_a_word():
    assert vocabularies._split_camel("AtAPlaceOfBusiness") == "At a place of business"
    assert vocabularies._split_camel("NotAVictimOfTrafficking") == "Not a victim of trafficking"
    assert vocabularies._split_camel("DebtBondage") == "Debt bondage"
    assert vocabularies._split_camel("F_Construction") == "F: Construction"
    assert vocabularies._split_camel("HealthServiceOrganisation") == "Health service organisation"
