"""The word-level difference as the change page shows it."""

from hypothesis import given
from hypothesis import strategies as st

from tracker.report import diff_page
from tracker.worddiff import word_diff

OLD = ("# Charte de confidentialité\n\nChez Santélia, nous savons que vos données comptent.\n\n"
       "Vos données servent uniquement à deux finalités.")
NEW = ("# Charte de confidentialité\n\nMise à jour le 6 décembre 2021\n\n"
       "Chez Santélia, nous savons que vos données comptent.\n\nVos données servent à deux finalités.")


def _sides(pieces):
    return "".join(t for op, t in pieces if op <= 0), "".join(t for op, t in pieces if op >= 0)


def test_a_line_inserted_before_a_paragraph_ends_its_mark_before_the_paragraph_break():
    pieces = word_diff(OLD, NEW)
    assert (1, "Mise à jour le 6 décembre 2021") in pieces
    html = diff_page("v2", "v3", OLD, NEW, [], "fr")
    assert '<p class="text" lang="fr"><ins>Mise à jour le 6 décembre 2021</ins></p>' in html
    assert "\n</ins>" not in html and "\n</del>" not in html


def test_a_dropped_word_is_marked_without_the_space_after_it():
    html = diff_page("v2", "v3", OLD, NEW, [], "fr")
    assert "<del>uniquement</del>" in html


words = st.lists(st.sampled_from(["only", "never", "data", "we", " ", "\n\n", ".", "use"]), max_size=30)


@given(words, words)
def test_the_pieces_give_back_both_texts_and_no_mark_starts_or_ends_with_whitespace(old, new):
    old, new = "".join(old), "".join(new)
    pieces = word_diff(old, new)
    assert _sides(pieces) == (old, new)
    for op, text in pieces:
        if op and text.strip():
            assert text == text.strip()
