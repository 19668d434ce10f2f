"""Word-level diff of two texts, with diff-match-patch's semantic clean-up.

Diffing words rather than characters keeps "only" → "" from showing as a
scatter of single letters; the semantic clean-up merges tiny equalities.
"""

import os
import re
from dataclasses import dataclass

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
_EDGES = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)
_QUOTED = re.compile(r"(?<!\w)['‘«\"]\s*(.+?)\s*['’»\"](?!\w)")  # 'only', « jamais », "ne … que"
_WORDS = re.compile(r"\w+")
_RUNS = re.compile(r"(\w+)")
BREAK = "\n\n"  # between paragraphs, and between the quotes of a merge or a split

Mark = tuple[str, str]  # (how, text): how is "" (unchanged), "named" (words a reason names) or "minor"


def word_diff(old: str, new: str) -> list[tuple[int, str]]:
    """(op, text) pieces in order, covering both texts: op is 0 (in both), -1 (deleted) or 1 (inserted).

    A deleted or inserted piece holds either words or only whitespace, never both (see _apart).
    The paragraphs both texts open and close with are set aside first: only the rest is cut
    into words (two versions of a policy share most of their text)."""
    head = _common_paragraphs(old, new)
    tail = _common_paragraphs(old[head:][::-1], new[head:][::-1])
    middle = _words_diff(old[head : len(old) - tail], new[head : len(new) - tail])
    return _apart([(0, old[:head]), *middle, (0, old[len(old) - tail :])])


def _common_paragraphs(a: str, b: str) -> int:
    """The length of the paragraphs (each with its break) that a and b both start with."""
    low, high = 0, min(len(a), len(b))
    while low < high:  # the longest common start, by halves: each comparison runs in C
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    if low == len(a) == len(b):
        return low
    if low < len(BREAK):
        return 0
    cut = a.rfind(BREAK, 0, low - len(BREAK) + 1)
    return cut + len(BREAK) if cut >= 0 else 0


def _words_diff(old: str, new: str) -> list[tuple[int, str]]:
    from diff_match_patch import diff_match_patch

    vocabulary: dict[str, str] = {}
    words: list[str] = []

    def encode(text: str) -> str:
        tokens = _TOKENS.findall(text)
        for token in dict.fromkeys(tokens):  # each new token once, in order of appearance
            if token not in vocabulary:
                vocabulary[token] = _code(len(words))
                words.append(token)
        return "".join(map(vocabulary.__getitem__, tokens))

    dmp = diff_match_patch()
    dmp.Diff_Timeout = 2.0
    diffs = dmp.diff_main(encode(old), encode(new), False)
    dmp.diff_cleanupSemantic(diffs)  # on tokens, so that no edit ends inside a word
    index = {code: word for word, code in vocabulary.items()}
    return [(op, "".join(map(index.__getitem__, codes))) for op, codes in diffs if codes]


def _apart(pieces: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The same pieces with the whitespace at the edges of each edit set apart.

    An insertion that ended on a paragraph break put its closing mark at the start of
    the next paragraph ("]Chez Santélia"). Edge whitespace that a deletion and the
    insertion beside it share becomes common text; the rest a piece of its own, which
    the page shows unmarked."""
    result: list[tuple[int, str]] = []
    run: dict[int, str] = {}
    for op, text in [*pieces, (0, "")]:
        if op:
            run[op] = run.get(op, "") + text
            continue
        if run:
            result += _edit_run(run.get(-1, ""), run.get(1, ""))
            run = {}
        result.append((0, text))
    merged: list[tuple[int, str]] = []
    for op, text in result:
        if not text:
            continue
        if merged and merged[-1][0] == op == 0:
            merged[-1] = (0, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged


def _edit_run(deleted: str, inserted: str) -> list[tuple[int, str]]:
    (d_lead, d_core, d_trail), (i_lead, i_core, i_trail) = _edges(deleted), _edges(inserted)
    lead = trail = ""
    if deleted and inserted:
        lead = os.path.commonprefix([d_lead, i_lead])
        trail = os.path.commonprefix([d_trail[::-1], i_trail[::-1]])[::-1]
        d_lead, i_lead = d_lead[len(lead):], i_lead[len(lead):]
        d_trail, i_trail = d_trail[: len(d_trail) - len(trail)], i_trail[: len(i_trail) - len(trail)]
    return [(0, lead), (-1, d_lead), (-1, d_core), (-1, d_trail), (1, i_lead), (1, i_core), (1, i_trail),
            (0, trail)]


def _edges(text: str) -> tuple[str, str, str]:
    if not text.strip():
        return text, "", ""
    return _EDGES.match(text).groups()


def named_words(details: list[str]) -> frozenset[str]:
    """The words that reasons quote ("'uniquement' was dropped…"), lowercased."""
    return frozenset(w.lower() for detail in details for quote in _QUOTED.findall(detail)
                     for w in _WORDS.findall(quote))


def marks(old: str, new: str, named: frozenset[str]) -> tuple[list[Mark], list[Mark]]:
    """Both sides of a change as marks: its word-level difference, where the words that
    its reasons name stand out ("named") and the rest of the difference is "minor"."""
    sides: tuple[list[Mark], list[Mark]] = ([], [])
    for op, text in word_diff(old, new):
        for side, shown in ((0, op <= 0), (1, op >= 0)):
            if shown:
                sides[side].extend(_split_named(text, named) if op and text.strip() else [("", text)])
    return sides


def paragraphs(pieces: list[tuple]) -> list[list[tuple]]:
    """The pieces (op or mark, text) cut at paragraph breaks: one list per paragraph."""
    result: list[list[tuple]] = [[]]
    for how, text in pieces:
        parts = text.split(BREAK)
        for n, part in enumerate(parts):
            if n:
                result.append([])
            if part:
                result[-1].append((how, part))
    return result


@dataclass(frozen=True)
class Block:
    """A paragraph of the word-level difference, or a run of unchanged paragraphs folded away."""

    pieces: list[tuple[int, str]] | None  # the paragraph's (op, text), or None for a fold
    count: int = 0  # a fold: how many paragraphs it holds…
    headings: tuple[str, ...] = ()  # …the headings among them…
    texts: tuple[str, ...] = ()  # …and their text, when the page keeps it


def fold(pieces: list[tuple[int, str]], keep_text: bool = False) -> list[Block]:
    """The paragraphs that changed, each under the nearest heading above it (its context);
    each run of other paragraphs becomes one fold (its text kept only with `keep_text`)."""
    paras = [p for p in paragraphs(pieces) if p]
    shown = [any(op and text.strip() for op, text in p) for p in paras]
    heading = None
    for n, paragraph in enumerate(paras):
        if paragraph[0][1].startswith("#"):
            heading = n
        elif shown[n] and heading is not None:
            shown[heading] = True
    blocks: list[Block] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            headings = tuple(line.lstrip("#").strip() for text in run for line in text.splitlines()
                             if line.startswith("#"))
            blocks.append(Block(None, len(run), headings, tuple(run) if keep_text else ()))
            run.clear()

    for paragraph, show in zip(paras, shown, strict=True):
        if show:
            close_run()
            blocks.append(Block(paragraph))
        else:
            run.append("".join(text for op, text in paragraph if op <= 0))
    close_run()
    return blocks


def _split_named(text: str, named: frozenset[str]) -> list[Mark]:
    """An edit cut into runs of named words (with what lies between two of them) and the rest."""
    tokens = _RUNS.split(text)  # gap, word, gap, word, …, gap
    flags = [i % 2 == 1 and t.lower() in named for i, t in enumerate(tokens)]
    for i in range(0, len(tokens), 2):  # a gap is named when both its words are
        flags[i] = 0 < i < len(tokens) - 1 and flags[i - 1] and flags[i + 1]
    result: list[Mark] = []
    for token, flag in zip(tokens, flags, strict=True):
        how = "named" if flag else "minor"
        if result and result[-1][0] == how:
            result[-1] = (how, result[-1][1] + token)
        elif token:
            result.append((how, token))
    return [m for run in result for m in _edge_apart(run)]


def _edge_apart(mark: Mark) -> list[Mark]:
    """A run's edge whitespace, unmarked: a mark never starts or ends with a space."""
    lead, core, trail = _edges(mark[1])
    return [m for m in (("", lead), (mark[0] if core else "", core), ("", trail)) if m[1]]


def _code(n: int) -> str:
    """A distinct character per token, skipping controls and the surrogate range."""
    n += 0x100
    return chr(n if n < 0xD800 else n + 0x800)
