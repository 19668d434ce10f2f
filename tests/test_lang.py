"""Cue phrases as regexes: what a phrase matches, and which phrase a match is named after."""

import re

from tracker.classify import _which
from tracker.lang import _union, compile_phrase, cue, load


def _matches(phrases: tuple[str, ...], text: str) -> list[str]:
    return [m.group(0) for m in _union(tuple(map(cue, phrases))).finditer(text)]


def test_a_phrase_of_several_words_is_tried_before_a_shorter_one_that_starts_the_same():
    assert _matches(("no*|nobody", "no one"), "No one may see it.") == ["No one"]
    assert _matches(("no one", "no*|nobody"), "Nobody may see it.") == ["Nobody"]


def test_words_after_an_elision_match_with_or_without_a_space():
    que = compile_phrase(cue("jusqu'à ce que|qu' vous").source)
    assert que.fullmatch("jusqu'à ce qu'vous") and que.fullmatch("jusqu'à ce qu' vous")
    assert not compile_phrase(cue("ce que").source).fullmatch("ceque")
    assert compile_phrase(cue("we may").source).fullmatch("We  may")


def test_a_match_is_named_after_the_first_phrase_of_the_file_it_fits_whatever_its_first_letter():
    english = load("en")
    category = next(c for c, cues in english.cues.items() if any(k.phrase == "shar*" for k in cues))

    def first_fitting(words: str) -> str:
        return next((k.phrase for k in english.cues[category] if re.fullmatch(k.source, words, re.I)), words.lower())

    for words in ("shared", "SHARES", "ſhared", "\u212aept", "collected", "sold", "disclosing", "zzz"):
        assert _which(english, category, words) == first_fitting(words)
    assert _which(english, category, "ſhared") == "shar*"  # a long s is an s to the regex
    assert _which(english, category, "\u212aept") == "keep*|kept"  # and the Kelvin sign a k
