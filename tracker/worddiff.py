"""Word-level diff of two texts, with diff-match-patch's semantic clean-up.

Diffing words rather than characters keeps "only" → "" from showing as a
scatter of single letters; the semantic clean-up merges tiny equalities.
"""

import re

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def word_diff(old: str, new: str) -> list[tuple[int, str]]:
    """(op, text) pieces in order, covering both texts: op is 0 (in both), -1 (deleted) or 1 (inserted)."""
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
    return [(op, "".join(index[c] for c in codes)) for op, codes in diffs if codes]


def _code(n: int) -> str:
    """A distinct character per token, skipping controls and the surrogate range."""
    n += 0x100
    return chr(n if n < 0xD800 else n + 0x800)
