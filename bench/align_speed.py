"""Time the alignment of 1,000 x 1,000 generated pledges.

Usage: python bench/align_speed.py [--pledges N] [--repeat R]

The new version keeps a third of the pledges, edits a third lightly (a word
swapped, a word added), replaces the rest, and shuffles the order, so every pass
of the aligner (identical, similar, merge/split) has work to do.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker.align import align  # noqa: E402

SYLLABLES = "da ta col lect sha re del ete ac cess trans fer tra ck ad ver ho st pri va cy".split()


def vocabulary(rng: random.Random, size: int = 3000) -> tuple[list[str], list[float]]:
    """Made-up words with the skewed frequencies of real prose (a few very common ones)."""
    words = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(size)]
    return words, [1 / rank for rank in range(1, size + 1)]


def pledge(rng: random.Random, words: list[str], weights: list[float]) -> str:
    return " ".join(rng.choices(words, weights, k=rng.randint(8, 30))).capitalize() + "."


def versions(count: int, seed: int = 4) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    words, weights = vocabulary(rng)
    old = [pledge(rng, words, weights) for _ in range(count)]
    new = []
    for i, text in enumerate(old):
        if i % 3 == 0:
            new.append(text)
        elif i % 3 == 1:
            edited = text.rstrip(".").split()
            edited[rng.randrange(len(edited))] = rng.choice(words)
            edited.insert(rng.randrange(len(edited)), rng.choice(words))
            new.append(" ".join(edited) + ".")
        else:
            new.append(pledge(rng, words, weights))
    rng.shuffle(new)
    return old, new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pledges", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    old, new = versions(args.pledges)
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = align(old, new)
        best = min(best, time.perf_counter() - start)
    print(
        f"aligned {len(old)} x {len(new)} pledges in {best:.3f} s (best of {args.repeat}): "
        f"{len(result.pairs)} pairs, {len(result.merged)} merged, {len(result.split)} split, "
        f"{len(result.removed)} removed, {len(result.added)} added"
    )


if __name__ == "__main__":
    main()
