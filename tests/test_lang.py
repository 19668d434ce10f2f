"""Cue phrases as regexes: what a phrase matches, and which phrase a match is named after."""

import re

import pytest

from tracker.classify import _which, read
from tracker.lang import _union, available, compile_phrase, cue, load


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


@pytest.mark.parametrize("code", available())
def test_ordinary_phrases_holding_cue_words_are_read_as_no_cue(code):
    """Each language file lists phrases whose cue words mean nothing here ("la personne
    concernée" is the data subject, not "nobody"); in a sentence they are set aside."""
    language = load(code)
    for phrase in language.cues["ignore"]:
        words = phrase.phrase.replace("*", "")
        reading = read(f"{words} {words}", language)
        found = {c: reading.found[c] for c in ("exclusivity", "absolute", "negation") if reading.found[c]}
        assert not found, f"{code}: {phrase.phrase!r} reads as {found}"


@pytest.mark.parametrize(
    "lang, old, new",
    [
        ("fr", "La personne concernée peut obtenir une copie de ses données.",
         "Vous pouvez obtenir une copie de vos données."),
        ("fr", "Nous pouvons vous demander d'autoriser une fouille de vos bagages.",
         "Nous pouvons vous demander d'autoriser un contrôle sur votre personne et de vos bagages."),
        ("fr", "Adressez vos questions sur vos données à notre point de contact.",
         "Adressez vos questions sur vos données à notre délégué à la protection des données."),
        ("en", "Whether or not you have an account, we log the pages you visit.", "We log the pages you visit."),
        ("de", "Ob Sie ein Konto haben oder nicht, wir speichern die besuchten Seiten.",
         "Wir speichern die besuchten Seiten."),
        ("fr", "Notre partenaire publicitaire exploite un service de consentement pour les opérateurs.",
         "Notre partenaire publicitaire collabore avec les opérateurs."),
        ("en", "Our consent management platform stores your cookie choices.", "We store your cookie choices."),
        ("fr", "Nous stockons des données non personnelles sur votre appareil.",
         "Nous stockons des données non personnelles et des identifiants sur votre appareil."),
        ("de", "Wir verarbeiten nicht personenbezogene Daten für Statistiken.",
         "Wir verarbeiten nicht personenbezogene Daten und Kennungen für Statistiken."),
    ],
)
def test_a_rewording_around_an_ordinary_phrase_is_no_lost_promise(lang, old, new):
    from tracker.classify import classify

    result = classify(old, new, load(lang))
    cues = ("absolute", "negation", "exclusivity", "consent")
    assert not any(r.code.startswith(cues) for r in result.reasons), result


@pytest.mark.parametrize(
    "lang, old, new",
    [
        ("en", "Under Regulation (EU) No 2016/679 we process your account data.",
         "Under Regulation (EU) 2016/679 we process your account data."),
        ("en", "We process your data under Art. 6 para. 1 lit. b GDPR.",
         "We process your data under Art. 6(1)(b) GDPR."),
        ("de", "Wir verarbeiten Ihre Daten gemäß Art. 6 Abs. 1 lit. f DSGVO.",
         "Wir verarbeiten Ihre Daten gemäß Art. 6 (1) (f) DSGVO."),
    ],
)
def test_a_legal_reference_written_another_way_is_no_change_of_meaning(lang, old, new):
    """"No 2016/679" is a number sign, and "para.", "lit.", "Abs." are parts of a citation."""
    from tracker.classify import classify

    assert classify(old, new, load(lang)).type == "reworded"
