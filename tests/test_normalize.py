from hypothesis import given
from hypothesis import strategies as st

from tracker.normalize import normalize


def test_french_spaces_and_guillemets_become_plain():
    text = "Vos droits\u202f: «\u00a0à tout moment\u00a0» l\u2019accès\u00a0!"
    assert normalize(text) == 'Vos droits : "à tout moment" l\'accès !\n'


def test_decomposed_accents_are_composed():
    assert normalize("donne\u0301es") == normalize("données")


def test_invisible_characters_and_soft_hyphens_vanish():
    assert normalize("confi\u00addentia\u200blité\ufeff") == "confidentialité\n"


def test_line_endings_and_blank_runs_are_unified():
    assert normalize("a  b \r\n\r\n\r\n\r\nc\rd") == "a b\n\nc\nd\n"


def test_quotes_inside_a_sentence_keep_their_spaces():
    assert normalize('say \u201ca\u201d and \u201cb\u201d') == 'say "a" and "b"\n'


@given(st.text())
def test_normalizing_twice_changes_nothing(text):
    once = normalize(text)
    assert normalize(once) == once
