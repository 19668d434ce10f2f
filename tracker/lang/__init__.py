"""Language knowledge of the pledge engine, read from one TOML file per language.

Adding a language is adding `xx.toml` beside this file: the code never names a
language. A cue pattern is a phrase of words where "a|b" means either word, a
"*" at either end of a word stands for any letters, and "..." for a gap of up to
six words (French "ne ... que").
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from tracker.cache import parsed

_HERE = Path(__file__).parent
DEFAULT = "en"
_GAP = r"((?:(?:\s+|(?<='))[^\s.;:!?]+){0,6}?)"  # captured: the words in a gap are not the cue
_BETWEEN = r"(?:\s+|(?<='))"  # after an elided "n'" or "qu'" no space is needed
_STARTS = r"(?<![\w'-])"  # a cue starts at the start of a word...
_ENDS = r"(?:(?<=')|(?![\w-]))"  # ...and ends at the end of one (or after an elision)


@dataclass(frozen=True)
class Swap:
    """A one-word replacement that loosens a pledge ("and" -> "or"); the reverse tightens it."""

    old: re.Pattern[str]
    new: re.Pattern[str]
    code: str
    reverse_code: str


@dataclass(frozen=True)
class Cue:
    """A phrase of a language file, ready to be matched (case-insensitively)."""

    phrase: str
    source: str  # its regex
    rank: int  # its place in its category's union, highest first (see cue())
    letters: str | None  # the letters (lowercase ASCII) a text it matches can start with; None: any


@dataclass(frozen=True)
class Language:
    code: str
    stopwords: frozenset[str]
    abbreviations: frozenset[str]
    ordinal_dot: bool
    months: tuple[str, ...]
    coordinators: re.Pattern[str]
    cues: dict[str, tuple[Cue, ...]]  # by category, in the file's order
    swaps: tuple[Swap, ...]
    units: dict[str, tuple[str, ...]]
    numbers: dict[str, int]
    reasons: dict[str, str]  # reason code -> its sentence in this language (English where missing)

    def pattern(self, category: str) -> re.Pattern[str]:
        """All phrases of a cue category as one regex, longest phrases tried first (compiled
        once per run, by whichever thread asks first: the engine asks thousands of times)."""
        try:
            return _PATTERNS[self.code, category]
        except KeyError:
            with _LOADING:
                found = _union(self.cues.get(category, ()))
                return _PATTERNS.setdefault((self.code, category), found)


def _word(word: str) -> str:
    alternatives = []
    for alt in word.split("|"):
        body = re.escape(alt.strip("*")).replace(r"\[", "[").replace(r"\]", "]").replace(r"\?", "?")
        alternatives.append(
            (r"\w*" if alt.startswith("*") else "") + body + (r"\w*" if alt.endswith("*") else "")
        )
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


def cue(phrase: str) -> Cue:
    """A cue phrase of the language files, with its regex source.

    Sources, not compiled patterns: a run compiles only the categories it meets,
    each as one union (the language files hold about a thousand phrases). Between two
    words the source allows whitespace, or nothing right after an apostrophe (_BETWEEN,
    French "qu'il"); after a word that cannot end on an apostrophe that lookbehind can
    never hold, so plain whitespace is written: the same matches, and the unions compile
    faster (decision record 10). A union tries its longest phrases first, by the length the source
    would have with _BETWEEN in every such place (the rank): a phrase of several words
    stays before a shorter one that starts the same, whichever way its gaps are written."""
    parts: list[str] = []
    rank, last = 0, ""
    for word in phrase.lower().split():
        if word == "...":
            parts.append(_GAP)
            continue
        if parts and parts[-1] != _GAP:
            parts.append(_BETWEEN if _may_end_on_apostrophe(last) else r"\s+")
            rank += len(_BETWEEN) - len(parts[-1])
        elif parts:
            parts.append(r"\s+")
        parts.append(_word(word))
        last = word
    source = _STARTS + "".join(parts) + _ENDS
    return Cue(phrase, source, rank + len(source), _first_letters(phrase))


def _may_end_on_apostrophe(word: str) -> bool:
    """Whether a word's pattern may end on an apostrophe, or match nothing, or end in a class
    or an optional letter: only then may the next word follow with no space."""
    return any(alternative.strip("*")[-1:] in ("'", "]", "?", "") for alternative in word.split("|"))


def _first_letters(phrase: str) -> str | None:
    """The letters (lowercase ASCII) that a text matching the phrase can start with, or None
    when that is not a fixed letter: a gap, a wildcard, a class, an optional or non-ASCII letter.
    Finding which phrase a text matched then compiles only the phrases it can be."""
    letters = ""
    for alternative in (phrase.lower().split() or [""])[0].split("|"):
        first = alternative[:1]
        if not (first.isascii() and first.isalnum()) or alternative[1:2] == "?":
            return None
        letters += first
    return letters


@lru_cache(maxsize=4096)
def compile_phrase(source: str) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE)


@cache
def _union(cues: tuple[Cue, ...]) -> re.Pattern[str]:
    """One regex for many phrases, highest rank first (a stable sort: the file's order among
    equals); the word boundaries are checked once, not per phrase."""
    if not cues:
        return re.compile(r"(?!x)x")
    ordered = sorted(cues, key=lambda cue: cue.rank, reverse=True)
    bodies = [cue.source[len(_STARTS) : -len(_ENDS)] for cue in ordered]
    return re.compile(_STARTS + "(?:" + "|".join(bodies) + ")" + _ENDS, re.IGNORECASE)


@cache
def available() -> tuple[str, ...]:
    """Codes of the languages that have a data file, sorted."""
    return tuple(sorted(path.stem for path in _HERE.glob("*.toml")))


_LOADING = threading.RLock()
_PATTERNS: dict[tuple[str, str], re.Pattern[str]] = {}


def load(code: str) -> Language:
    """The language `code`, or the default one when no file exists for it (read once, even
    when many checks ask at the same moment)."""
    with _LOADING:
        return _load(code)


@cache
def _data(code: str) -> dict:
    """What the language file holds (kept parsed between runs: tracker.cache)."""
    path = _HERE / f"{code}.toml"
    if not path.exists():
        path = _HERE / f"{DEFAULT}.toml"
    return parsed("lang", path, path.read_bytes(), _toml)


def _toml(raw: bytes) -> dict:
    import tomllib  # here: a language file found in the cache needs no parser

    return tomllib.loads(raw.decode("utf-8"))


@cache
def _load(code: str) -> Language:
    data = _data(code)
    return Language(
        code=data["code"],
        stopwords=frozenset(data["stopwords"]),
        abbreviations=frozenset(a.lower() for a in data["abbreviations"]),
        ordinal_dot=data.get("ordinal_dot", False),
        months=tuple(data.get("months", ())),
        coordinators=_union(tuple(map(cue, data["coordinators"]))),
        cues={category: tuple(map(cue, phrases)) for category, phrases in data["cues"].items()},
        swaps=tuple(
            Swap(
                old=re.compile(_word(s["old"]) + "$", re.IGNORECASE),
                new=re.compile(_word(s["new"]) + "$", re.IGNORECASE),
                code=s["code"],
                reverse_code=s["reverse_code"],
            )
            for s in data.get("swap", ())
        ),
        units={unit: tuple(words) for unit, words in data.get("units", {}).items()},
        numbers=dict(data.get("numbers", {})),
        reasons={**(_data(DEFAULT).get("reasons", {}) if code != DEFAULT else {}), **data.get("reasons", {})},
    )


_WORDS = re.compile(r"[^\W\d_]+")
_DETECT_CHARS = 10_000  # about 1,500 words: far more than stopwords need to tell en, fr and de apart


def detect(text: str) -> str:
    """The language whose stopwords are most frequent in `text`; the default when none occur."""
    words = Counter(_WORDS.findall(text[:_DETECT_CHARS].lower()))
    best, best_count = DEFAULT, 0
    for code in available():
        with _LOADING:
            stopwords = _stopwords(code)
        count = sum(map(words.__getitem__, stopwords.intersection(words)))
        if count > best_count:
            best, best_count = code, count
    return best


@cache
def _stopwords(code: str) -> frozenset[str]:
    """Enough of a language to recognize it, without compiling its cues."""
    return frozenset(_data(code)["stopwords"])


def table(code: str, name: str) -> dict:
    """A table of a language file read by a module other than the pledge engine (`practice`:
    tracker.practice); {} when the language has none."""
    with _LOADING:
        return _data(code).get(name, {})
