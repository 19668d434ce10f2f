"""Line up the pledges of two versions of a document.

Identical pledges are paired first, wherever they moved (a move is not a
change); the rest are paired by a similarity that ignores word order, so a
reordered or lightly edited pledge still finds its counterpart. What is left
may have been merged into, or split out of, a pledge that was paired.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\([^)]*\)")  # link text may hold escaped brackets: [\[Email\]](mailto:…)
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+")
# What a CDN's e-mail obfuscation shows instead of an address (Cloudflare's "[email protected]",
# often as a Markdown link with escaped brackets): an address, like the ones _URL drops.
_HIDDEN_EMAIL = re.compile(r"\[?\\?\[email\s+protected\\?\]\]?(?:\([^)\s]*\))?")
_TOKEN = re.compile(r"[^\W_]+")  # "_not_" (Markdown emphasis) is "not"

SIMILAR = 60  # similarity (0-100) above which two pledges are the same pledge edited
SIMILAR_IN_PLACE = 45  # lower bar for a pledge that stayed between the same neighbours
STAYED = 5  # the bonus of a pledge that stayed between the same anchors
SAME_SECTION = 10  # and of one that stayed under the same heading
CANDIDATE = 40  # below this, two pledges are not even considered
BEST = 5  # candidates kept per pledge: enough for pairing and merges, bounded work
COVERED = 0.7  # share of a pledge's words found in a longer one for a merge or split
WHOLE = 0.6  # share of the merged (split) pledge's words found in its parts
CONFIDENT = 70  # similarity from which two pledges are paired whatever their words' weight
ABOUT = 0.3  # below CONFIDENT, share of the rarer words (by weight) two pledges must have in common
_MAX_COPY_PAIRS = 50_000  # beyond this many candidate pairs of copies, copies are paired in order


@dataclass(frozen=True)
class Alignment:
    pairs: tuple[tuple[int, int], ...]  # (old index, new index), identical or edited
    merged: tuple[tuple[tuple[int, ...], int], ...]  # several old -> one new
    split: tuple[tuple[int, tuple[int, ...]], ...]  # one old -> several new
    removed: tuple[int, ...]
    added: tuple[int, ...]


def plain(text: str) -> str:
    """The text a reader sees: link targets, bare URLs and e-mail addresses dropped."""
    if "protected" in text:
        text = _HIDDEN_EMAIL.sub(" ", text)
    if "](" in text:
        text = _LINK.sub(r"\1", text)
    if "@" in text or "//" in text or "www." in text:  # the URL pattern is slow on plain prose
        text = _URL.sub(" ", text)
    return text


@lru_cache(maxsize=1 << 16)
def key(text: str) -> str:
    """What must differ for a change to count: words, not link targets, case or punctuation.
    Memoized: two versions of a document share most of their pledges."""
    return " ".join(_TOKEN.findall(plain(text).lower()))


def align(
    old: Sequence[str], new: Sequence[str], sections: tuple[Sequence[str], Sequence[str]] | None = None
) -> Alignment:
    """Pair the pledges of two versions; see the module docstring for the order of passes.
    `sections`: the heading each pledge stands under, old and new; a pledge that kept its
    section is preferred among pledges about as alike."""
    old_keys = [key(t) for t in old]
    new_keys = [key(t) for t in new]
    pairs = _identical(old_keys, new_keys)
    _same_first_cell(old, new, pairs)
    paired_new = set(pairs.values())
    old_left = [i for i in range(len(old)) if i not in pairs]
    new_left = [j for j in range(len(new)) if j not in paired_new]
    scores = _similarities(old_keys, new_keys, old_left, new_left)
    _about_the_same(scores, old_keys, new_keys)
    _pair_similar(pairs, scores, old_left, new_left, sections)
    # A duplicate that disappears (or appears) while one copy remains is not a change.
    old_set, new_set = set(old_keys), set(new_keys)
    old_left[:] = [i for i in old_left if old_keys[i] not in new_set]
    new_left[:] = [j for j in new_left if new_keys[j] not in old_set]
    return _regroup(pairs, scores, old_keys, new_keys, old_left, new_left)


def _identical(old_keys: list[str], new_keys: list[str]) -> dict[int, int]:
    """Pair equal pledges; among copies, those at the closest relative places."""
    where_old: dict[str, list[int]] = defaultdict(list)
    where_new: dict[str, list[int]] = defaultdict(list)
    for i, k in enumerate(old_keys):
        where_old[k].append(i)
    for j, k in enumerate(new_keys):
        where_new[k].append(j)
    scale_old, scale_new = 1 / max(1, len(old_keys)), 1 / max(1, len(new_keys))
    pairs = {}
    for k, olds in where_old.items():
        news = where_new.get(k, [])
        extra = abs(len(olds) - len(news))
        if extra == 0 or not news or len(olds) * (2 * extra + 1) > _MAX_COPY_PAIRS:
            pairs.update(zip(olds, news, strict=False))  # as many copies as before: in order
            continue
        # Copies keep their order, so the r-th old copy pairs with one of the new copies
        # r - extra … r + extra: only those are weighed, not every old copy with every new one.
        candidates = sorted(
            (abs(i * scale_old - news[s] * scale_new), i, news[s])
            for r, i in enumerate(olds)
            for s in range(max(0, r - extra), min(len(news), r + extra + 1))
        )
        taken: set[int] = set()
        for _, i, j in candidates:
            if i not in pairs and j not in taken:
                pairs[i] = j
                taken.add(j)
    return pairs


def _same_first_cell(old: Sequence[str], new: Sequence[str], pairs: dict[int, int]) -> None:
    """Pair the table rows left that start with the same first cell ("| Account data | …"),
    when no other row left on either side does: what a row is about is its first cell."""
    def first_cells(texts: Sequence[str], taken) -> dict[str, list[int]]:
        found: dict[str, list[int]] = defaultdict(list)
        for index, text in enumerate(texts):
            if index not in taken and text.startswith("|") and (cell := key(text.split("|", 2)[1])):
                found[cell].append(index)
        return found

    old_rows = first_cells(old, pairs)
    new_rows = first_cells(new, set(pairs.values()))
    for cell, olds in old_rows.items():
        news = new_rows.get(cell, [])
        if len(olds) == len(news) == 1:
            pairs[olds[0]] = news[0]


def _sorted_words(text_key: str) -> str:
    return " ".join(sorted(text_key.split()))


def _similarities(
    old_keys: list[str], new_keys: list[str], old_left: list[int], new_left: list[int]
) -> dict[tuple[int, int], float]:
    """Word-order-free similarity of every leftover old pledge with every leftover new one."""
    choices = {j: _sorted_words(new_keys[j]) for j in new_left}
    scores = {}
    for i in old_left:
        query = _sorted_words(old_keys[i])
        for _, score, j in process.extract(
            query, choices, scorer=fuzz.ratio, score_cutoff=CANDIDATE, limit=BEST
        ):
            scores[(i, j)] = score
    return scores


def _about_the_same(scores: dict[tuple[int, int], float], old_keys: list[str], new_keys: list[str]) -> None:
    """Drop the candidate pairs that are alike only in the words every pledge uses.

    Two pledges of one policy share "your", "data", "we"; what a statement is about (its
    object, its practice) is in its rarer words. Each word weighs its inverse document
    frequency over both versions' pledges; a pair that is not close enough to be sure must
    share ABOUT of the lighter pledge's weight, or it is a removal and an addition."""
    if not scores:
        return
    counts: dict[str, int] = defaultdict(int)
    for text_key in (*old_keys, *new_keys):
        for word in set(text_key.split()):
            counts[word] += 1
    total = len(old_keys) + len(new_keys)

    def weights(text_key: str) -> dict[str, float]:
        return {w: math.log(1 + total / counts[w]) for w in set(text_key.split())}  # smoothed: > 0

    for (i, j), score in list(scores.items()):
        if score >= CONFIDENT:
            continue
        a, b = weights(old_keys[i]), weights(new_keys[j])
        lighter = min(sum(a.values()), sum(b.values()))
        shared = sum(a[w] for w in a.keys() & b.keys())
        if lighter <= 0 or shared / lighter < ABOUT:
            del scores[(i, j)]


def _pair_similar(
    pairs: dict[int, int],
    scores: dict[tuple[int, int], float],
    old_left: list[int],
    new_left: list[int],
    sections: tuple[Sequence[str], Sequence[str]] | None,
) -> None:
    """Greedy best-first pairing; a pledge between the same anchors gets a lower bar, and
    one that stayed between them or in its section weighs a little more."""
    anchors = sorted(pairs.items())
    anchor_old = [o for o, _ in anchors]

    def in_place(i: int, j: int) -> bool:
        at = bisect.bisect_left(anchor_old, i)
        before = anchors[at - 1][1] if at > 0 else -1
        after = anchors[at][1] if at < len(anchors) else 1 << 30
        return before < j < after

    candidates = []
    for (i, j), score in scores.items():
        placed = in_place(i, j)
        if score >= SIMILAR or (placed and score >= SIMILAR_IN_PLACE):
            same_section = sections is not None and sections[0][i] == sections[1][j]
            candidates.append((score + STAYED * placed + SAME_SECTION * same_section, -abs(i - j), i, j))
    taken_new: set[int] = set()
    for _, _, i, j in sorted(candidates, reverse=True):
        if i not in pairs and j not in taken_new:
            pairs[i] = j
            taken_new.add(j)
    old_left[:] = [i for i in old_left if i not in pairs]
    new_left[:] = [j for j in new_left if j not in taken_new]


def _coverage(part: str, whole: str) -> float:
    """Share of the longer words of `part` that occur in `whole`."""
    words = {w for w in part.split() if len(w) > 3}
    return len(words & set(whole.split())) / len(words) if len(words) >= 3 else 0.0


def _best_container(part: str, keys: list[str], candidates: set[int]) -> int | None:
    best = max(candidates, key=lambda c: _coverage(part, keys[c]), default=None)
    return best if best is not None and _coverage(part, keys[best]) >= COVERED else None


def _regroup(
    pairs: dict[int, int],
    scores: dict[tuple[int, int], float],
    old_keys: list[str],
    new_keys: list[str],
    old_left: list[int],
    new_left: list[int],
) -> Alignment:
    """Attach each leftover to a nearby or similar pledge that contains its words."""
    partner_of_new = {j: i for i, j in pairs.items()}
    scored_new: dict[int, set[int]] = defaultdict(set)
    scored_old: dict[int, set[int]] = defaultdict(set)
    for i, j in scores:
        scored_new[i].add(j)
        scored_old[j].add(i)

    into_new: dict[int, list[int]] = defaultdict(list)
    for i in old_left:
        near = {pairs[k] for k in range(i - 2, i + 3) if k in pairs}
        if (j := _best_container(old_keys[i], new_keys, scored_new[i] | near)) is not None:
            into_new[j].append(i)
    absorbed_old = {i for olds in into_new.values() for i in olds}
    into_old: dict[int, list[int]] = defaultdict(list)
    for j in new_left:
        if j in into_new:
            continue
        near = {partner_of_new[k] for k in range(j - 2, j + 3) if k in partner_of_new}
        found = _best_container(new_keys[j], old_keys, (scored_old[j] | near) - absorbed_old)
        if found is not None:
            into_old[found].append(j)

    one_to_one = dict(pairs)
    merged, split = [], []
    for j, olds in into_new.items():
        group = sorted(olds + ([partner_of_new[j]] if j in partner_of_new else []))
        if len(group) > 1 and _coverage(new_keys[j], " ".join(old_keys[i] for i in group)) < WHOLE:
            continue
        if len(group) == 1:
            one_to_one[group[0]] = j
        else:
            merged.append((tuple(group), j))
            one_to_one.pop(partner_of_new.get(j, -1), None)
    in_merge = {i for group, _ in merged for i in group}
    for i, news in into_old.items():
        if i in in_merge:
            continue
        group = sorted(news + ([one_to_one[i]] if i in one_to_one else []))
        if len(group) > 1 and _coverage(old_keys[i], " ".join(new_keys[j] for j in group)) < WHOLE:
            continue
        if len(group) == 1:
            one_to_one[i] = group[0]
        else:
            split.append((i, tuple(group)))
            one_to_one.pop(i, None)
    used_old = set(one_to_one) | in_merge | {i for i, _ in split}
    used_new = set(one_to_one.values()) | {j for _, j in merged} | {j for _, g in split for j in g}
    return Alignment(
        pairs=tuple(sorted(one_to_one.items())),
        merged=tuple(sorted(merged)),
        split=tuple(sorted(split)),
        removed=tuple(i for i in old_left if i not in used_old),
        added=tuple(j for j in new_left if j not in used_new),
    )
