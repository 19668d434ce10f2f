"""Break a normalized document into pledges: sentences, list items and table rows.

A pledge keeps the path of headings above it, so a reader knows which part of
the policy it comes from, and whether it is a statement about personal data
(only those are compared; navigation and boilerplate are not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tracker.lang import Language, load

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_BOLD_HEADING = re.compile(r"^\*\*([^*]+?)\*\*:?$|^__([^_]+?)__:?$")
_LIST_ITEM = re.compile(r"^(?:[-*+•]|\d{1,3}[.)]|[A-Za-z][.)]|\(?[a-zA-Z]{1,3}\)|\(\d{1,3}\))\s+")
_SETEXT = re.compile(r"^(?:={3,}|-{3,})$")
_TABLE_SEPARATOR = re.compile(r"^\|?[\s:|-]+\|?$")
_END = tuple('.!?:;…)]"*')  # a paragraph ending otherwise goes on in the next one (PDF)
_STOP = tuple(".!?;…")
_TITLE_WORDS = 8  # a bold line this short is a heading even with a final stop
# A sentence ends at . ! ? (…) followed by a space and an upper-case letter, digit or quote.
_BOUNDARY = re.compile(r"([.!?…])([\"')\]*]*)\s+(?=[\"'(\[*]*[^\W_a-zß-ÿ]|\d)")
RECIPIENT_WORDS = 15  # a row or an item naming a recipient; longer is a clause of its own
_WRAPPED = 70  # a paragraph this long without a final stop is a line wrapped by a PDF
_WORD = re.compile(r"[\w.'-]+")  # matched on the reversed text before a dot: the word that ends there
_ALNUM = re.compile(r"[^\W_]")  # a letter or digit: str.isalnum, in one search


@dataclass(frozen=True)
class Pledge:
    text: str
    context: str
    index: int
    lang: str  # the code of the language it was read in

    @property
    def is_commitment(self) -> bool:
        """Asked only of the pledges a comparison reports: most pledges of two versions
        are the same, and the question costs a few regex searches."""
        return commits(self.text, self.lang) or names_a_recipient(self.text, self.context, self.lang)


@dataclass(frozen=True)
class _Block:
    text: str
    context: str
    kind: str  # paragraph | item | row


def segment(text: str, lang: str | Language = "en") -> list[Pledge]:
    """The pledges of a normalized text, in document order."""
    language = load(lang) if isinstance(lang, str) else lang
    units: list[tuple[str, str]] = []
    for block in _blocks(text):
        if block.kind == "row":
            units.append((block.text, block.context))
        else:
            units.extend((s, block.context) for s in split_sentences(block.text, language))
    return [Pledge(unit, context, i, language.code) for i, (unit, context) in enumerate(units)]


def _blocks(text: str) -> list[_Block]:
    """Paragraphs, list items and table rows, with PDF line breaks mended.

    This is segmenting's hot loop: a pattern is tried only on a line whose first
    character it could match."""
    headings: dict[int, str] = {}
    context = ""  # the headings above, " > "-joined
    blocks: list[_Block] = []
    current: list[str] = []
    kind = "paragraph"

    def under(level: int, title: str) -> str:
        nonlocal headings
        headings = {k: v for k, v in headings.items() if k < level}
        headings[level] = title.strip(" *_")
        return " > ".join(headings[k] for k in sorted(headings))

    def flush() -> None:
        nonlocal current
        if current:
            joined = " ".join(current)
            previous = blocks[-1] if blocks else None
            if (
                kind == "paragraph"
                and previous is not None
                and previous.kind == "paragraph"
                and not previous.text.endswith(_END)
                and (joined[:1].islower() or len(previous.text) >= _WRAPPED)
            ):
                # A sentence broken across blank lines (PDF extraction): mend it.
                blocks[-1] = _Block(previous.text + " " + joined, previous.context, "paragraph")
            else:
                blocks.append(_Block(joined, context, kind))
        current = []

    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            flush()
            continue
        first = line[0]
        heading = _HEADING.match(line) if first == "#" else None
        bold = _BOLD_HEADING.match(line) if first in "*_" else None
        if heading or (bold and _is_title((bold.group(1) or bold.group(2)).strip())):
            flush()
            level = len(heading.group(1)) if heading else 7
            context = under(level, heading.group(2) if heading else (bold.group(1) or bold.group(2)))
        elif first in "=-" and _SETEXT.match(line):
            # "Title" over "=====" or "-----" is a heading; a rule alone separates blocks.
            title = current.pop() if current and kind == "paragraph" else ""
            flush()
            if title:
                context = under(1 if first == "=" else 2, title)
        elif first == "|":
            flush()
            if not _TABLE_SEPARATOR.match(line):
                blocks.append(_Block(line, context, "row"))
        elif _LIST_ITEM.match(line):
            flush()
            kind = "item"
            current = [_LIST_ITEM.sub("", _LIST_ITEM.sub("", line, count=1), count=1)]
        else:
            if not current:
                kind = "paragraph"
            current.append(line)
    flush()
    return [b for b in blocks if _ALNUM.search(b.text)]


def _is_title(text: str) -> bool:
    return not text.endswith(_STOP) or len(text.split()) <= _TITLE_WORDS


def split_sentences(text: str, language: Language) -> list[str]:
    """Split at sentence ends, but not after abbreviations, initials or ordinals (memoized:
    two versions of a document share most of their paragraphs)."""
    return list(_split_sentences(text, language.code))


@lru_cache(maxsize=1 << 14)
def _split_sentences(text: str, code: str) -> tuple[str, ...]:
    language = load(code)
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        # the word before the dot, looked for in the last characters only (not the whole sentence)
        if match.group(1) == "." and _is_abbreviation(text[max(start, match.start() - 40) : match.start()], language):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return tuple(s for s in sentences if _ALNUM.search(s))


def _is_abbreviation(before: str, language: Language) -> bool:
    found = _WORD.match(before.removesuffix("\n")[::-1])
    if not found:
        return False
    word = found.group()[::-1].rsplit("'", 1)[-1].strip("(-").lower()  # "l'art." -> "art"
    last = word.rsplit(".", 1)[-1] if "." in word else word
    if word in language.abbreviations or last in language.abbreviations:
        return True
    if len(last) == 1 and last.isalpha():
        return True  # initials and "z. B.", "p. ex.", "S. 1"
    return language.ordinal_dot and last.isdigit()


def table_cells(row: str) -> list[str] | None:
    """The cells of a Markdown table row ("| Account data | e-mail |"), stripped; None for a
    unit that is not a row."""
    if not row.startswith("|"):
        return None
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


@lru_cache(maxsize=1 << 16)
def names_a_recipient(text: str, context: str, code: str) -> bool:
    """A short row or list item under a heading about recipients ("Sub-processors", "Les
    destinataires de vos données") names someone who gets the data, verb or not."""
    return (len(text.split()) <= RECIPIENT_WORDS and not text.endswith(_STOP)
            and bool(load(code).pattern("recipients").search(context)))


@lru_cache(maxsize=1 << 16)
def commits(text: str, code: str) -> bool:
    """Whether a unit speaks about personal data or what is done with it (memoized: two
    versions of a document share most of their sentences).

    A sentence that opens by pointing elsewhere ("Learn more about how we use…"), by advising
    the reader ("Do not post personal data you want to keep private") or by telling the
    document's own history ("This policy has been updated…") is not a pledge.
    """
    language = load(code)
    opening = text.lstrip("*_[(# ")
    if any(language.pattern(c).match(opening) for c in ("pointer", "advice", "history_note")):
        return False
    text = language.pattern("document_names").sub(" ", text)  # "this privacy policy"
    if language.pattern("first_person").search(text) and language.pattern("second_person").search(
        text
    ):
        return True  # "we will include you in…": the company commits to something about you
    return any(
        language.pattern(category).search(text)
        for category in ("exposing", "protective", "data_nouns", "absolute")
    )
