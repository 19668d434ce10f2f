"""Word-level diff of two texts, with diff-match-patch's semantic clean-up.

Diffing words rather than characters keeps "only" → "" from showing as a
scatter of single letters; the semantic clean-up merges tiny equalities.
"""

import re

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
_EDGES = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)


def word_diff(old: str, new: str) -> list[tuple[int, str]]:
    """(op, text) pieces in order, covering both texts: op is 0 (in both), -1 (deleted) or 1 (inserted).

    A deleted or inserted piece holds either words or only whitespace, never both (see _apart)."""
    from diff_match_patch import diff_match_patch

    vocabulary: dict[str, str] = {}
    words: list[str] = []

    def encode(text: str) -> str:
        codes = []
        for token in _TOKENS.findall(text):
            if token not in vocabulary:
                vocabulary[token] = _code(len(words))
                words.append(token)
            codes.append(vocabulary[token])
        return "".join(codes)

    dmp = diff_match_patch()
    dmp.Diff_Timeout = 2.0
    diffs = dmp.diff_main(encode(old), encode(new), False)
    dmp.diff_cleanupSemantic(diffs)  # on tokens, so that no edit ends inside a word
    index = {code: word for word, code in vocabulary.items()}
    return _apart([(op, "".join(index[c] for c in codes)) for op, codes in diffs if codes])


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
        lead = _common(d_lead, i_lead)
        trail = _common(d_trail[::-1], i_trail[::-1])[::-1]
        d_lead, i_lead = d_lead[len(lead):], i_lead[len(lead):]
        d_trail, i_trail = d_trail[: len(d_trail) - len(trail)], i_trail[: len(i_trail) - len(trail)]
    return [(0, lead), (-1, d_lead), (-1, d_core), (-1, d_trail), (1, i_lead), (1, i_core), (1, i_trail),
            (0, trail)]


def _edges(text: str) -> tuple[str, str, str]:
    if not text.strip():
        return text, "", ""
    return _EDGES.match(text).groups()


def _common(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _code(n: int) -> str:
    """A distinct character per token, skipping controls and the surrogate range."""
    n += 0x100
    return chr(n if n < 0xD800 else n + 0x800)
