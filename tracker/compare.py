"""Pledge-level changes between two versions of a document.

segment both versions (tracker.pledges), line the pledges up (tracker.align),
and name what happened to each commitment (tracker.classify). Pledges that
are not about personal data are lined up too, so that a commitment rewritten
into boilerplate still finds its counterpart, but only commitments are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from tracker import lang as languages
from tracker.align import align, key
from tracker.classify import STRENGTHENED, WEAKENED, Reason, classify
from tracker.pledges import Pledge, commits, names_a_recipient, segment, split_sentences, table_cells

__all__ = ["Change", "Reason", "compare", "detect_language"]

Text = str | tuple[str, ...] | None
PERSONAL_DATA, OTHER = "personal-data", "other"
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BULLETS = ("*", "-", "•", "–")
_ABOUT_DATA = ("data_nouns", "protective", "consent", "opt_out", "user_right")


@dataclass(frozen=True)
class Change:
    type: str  # removed|added|weakened|strengthened|reworded|merged|split
    old: Text  # a tuple when several old pledges became one
    new: Text  # a tuple when one old pledge became several
    reasons: tuple[Reason, ...] = ()
    context: str = ""  # heading path, e.g. "Your rights > Deletion"
    about: str = PERSONAL_DATA  # or OTHER: a fee, a licence, a listing rule

    def to_dict(self) -> dict:
        def plain(text: Text) -> str | list[str] | None:
            return list(text) if isinstance(text, tuple) else text

        return {
            "type": self.type,
            "old": plain(self.old),
            "new": plain(self.new),
            "reasons": [{"code": r.code, "detail": r.detail} for r in self.reasons],
            "context": self.context,
            "about": self.about,
        }


def detect_language(text: str) -> str:
    """The code of the language file that fits `text` best ("en", "fr", "de"…), else "en"."""
    return languages.detect(text)


def compare(old_text: str, new_text: str, lang: str | None = None) -> list[Change]:
    """Pledge-level changes between two normalized texts, in document order.

    Unchanged pledges (including moved ones) are not listed.
    """
    language = languages.load(lang or detect_language(new_text or old_text))
    old, new = segment(old_text, language), segment(new_text, language)
    sections = [p.context for p in old], [p.context for p in new]
    alignment = align([p.text for p in old], [p.text for p in new], sections)
    found: list[tuple[float, Change]] = []
    for i, j in alignment.pairs:
        if key(old[i].text) == key(new[j].text):
            continue  # the same words, perhaps moved: not a change
        if _reportable([old[i], new[j]]) and not _cosmetic(old[i].text, new[j].text, language):
            if moved := _sentences_between_cells(old[i].text, new[j].text, language):
                # a sentence dropped from a table cell is a removed pledge, as from a paragraph
                dropped, gained = moved
                found += [(j, Change("removed", s, None, (), old[i].context)) for s in dropped]
                found += [(j, Change("added", None, s, (), new[j].context)) for s in gained]
                continue
            verdict = classify(old[i].text, new[j].text, language)
            change = Change(verdict.type, old[i].text, new[j].text, verdict.reasons, new[j].context)
            found.append((j, change))
    for group, j in alignment.merged:
        texts = tuple(old[i].text for i in group)
        if _reportable([old[i] for i in group] + [new[j]]) and not _cosmetic(
            " ".join(texts), new[j].text, language
        ):
            found.append((j, _regrouped("merged", texts, new[j].text, language, new[j].context)))
    for i, group in alignment.split:
        texts = tuple(new[j].text for j in group)
        if _reportable([old[i]] + [new[j] for j in group]) and not _cosmetic(
            old[i].text, " ".join(texts), language
        ):
            found.append(
                (group[0], _regrouped("split", old[i].text, texts, language, old[i].context))
            )
    place = _places_in_new(len(old), alignment.pairs)
    # A heading turned into a paragraph (or back) by a change of formatting is not a pledge.
    old_headings, new_headings = _headings(old), _headings(new)
    for i in alignment.removed:
        if old[i].is_commitment and key(old[i].text) not in new_headings:
            found.append((place[i], Change("removed", old[i].text, None, (), old[i].context)))
    for j in alignment.added:
        if new[j].is_commitment and key(new[j].text) not in old_headings:
            found.append((j, Change("added", None, new[j].text, (), new[j].context)))
    found.sort(key=lambda item: item[0])
    return [replace(change, about=_about(change, language)) for _, change in found if change.type != "unchanged"]


def _sentences_between_cells(old: str, new: str, language: languages.Language) -> tuple[list[str], list[str]] | None:
    """The whole sentences that a table row drops from its cells (or adds to them) when nothing
    else changed; None otherwise (the row is then classified as one unit)."""
    old_cells, new_cells = _cells(old, language), _cells(new, language)
    if old_cells is None or new_cells is None or len(old_cells) != len(new_cells):
        return None
    dropped: list[str] = []
    gained: list[str] = []
    for before, after in zip(old_cells, new_cells, strict=True):
        old_keys = [key(t) for t in before]
        new_keys = [key(t) for t in after]
        lost = [t for t, k in zip(before, old_keys, strict=True) if k not in new_keys]
        won = [t for t, k in zip(after, new_keys, strict=True) if k not in old_keys]
        if [k for k in old_keys if k in new_keys] != [k for k in new_keys if k in old_keys]:
            return None  # the sentences they share were reworded or reordered
        dropped += lost
        gained += won
    if bool(dropped) == bool(gained) or any(t.startswith(_BULLETS) for t in dropped + gained):
        return None  # nothing moved, sentences reworded or a list grew: the row is one changed unit
    return [t for t in dropped if commits(t, language.code)], [t for t in gained if commits(t, language.code)]


def _cells(row: str, language: languages.Language) -> list[list[str]] | None:
    """The sentences of each cell of a Markdown table row, a cell broken at <br> too."""
    cells = table_cells(row)
    if cells is None:
        return None
    return [[s for part in _BREAK.split(cell) if part.strip() for s in split_sentences(part.strip(), language)]
            for cell in cells]


def _about(change: Change, language: languages.Language) -> str:
    """Whether a change concerns personal data (its collection, use, sharing, keeping, security,
    the person's rights, consent, tracking) or another clause of the document (fees, licences,
    listings): the cue lists of the language decide, a plain "use" alone does not."""
    texts = [t for side in (change.old, change.new) for t in ((side,) if isinstance(side, str) else side or ())]
    text = " ".join(texts)
    if any(language.pattern(c).search(text) for c in _ABOUT_DATA):
        return PERSONAL_DATA
    if any(names_a_recipient(t, change.context, language.code) for t in texts):
        return PERSONAL_DATA  # a sub-processor's row, a partner in the list of recipients
    generic = language.pattern("generic_practice")
    practices = language.pattern("exposing").finditer(text)
    return PERSONAL_DATA if any(not generic.fullmatch(m.group(0)) for m in practices) else OTHER


def _headings(pledges: list[Pledge]) -> set[str]:
    return {key(title) for context in {p.context for p in pledges} for title in context.split(" > ")}


def _reportable(pledges: list[Pledge]) -> bool:
    return any(p.is_commitment for p in pledges)


def _places_in_new(count: int, pairs: tuple[tuple[int, int], ...]) -> list[float]:
    """Where each old pledge sits in new-document order: just after its paired predecessor."""
    partner = dict(pairs)
    places, last = [], -1
    for i in range(count):
        last = max(last, partner.get(i, -1))
        places.append(last + 0.5)
    return places


@cache
def _dates(months: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(months)
    return re.compile(
        rf"\b(?:\d{{1,2}}(?:er|st|nd|rd|th)?\.?\s+(?:{names})\s+\d{{4}}"
        rf"|(?:{names})\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
        rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}})(?!\d)",
        re.IGNORECASE,
    )


def _cosmetic(old: str, new: str, language: languages.Language) -> bool:
    """Same words once dates are set aside and glued words ("usergenerated") unglued."""
    dates = _dates(language.months)
    old_key, new_key = key(dates.sub(" ", old)), key(dates.sub(" ", new))
    return old_key.replace(" ", "") == new_key.replace(" ", "")


def _regrouped(
    kind: str,
    old: str | tuple[str, ...],
    new: str | tuple[str, ...],
    language: languages.Language,
    context: str,
) -> Change:
    """A merge or split that also changed the meaning is reported by its effect."""
    joined_old = " ".join(old) if isinstance(old, tuple) else old
    joined_new = " ".join(new) if isinstance(new, tuple) else new
    verdict = classify(joined_old, joined_new, language, regrouped=True)
    if verdict.type in (WEAKENED, STRENGTHENED):
        return Change(verdict.type, old, new, verdict.reasons, context)
    return Change(kind, old, new, (), context)
