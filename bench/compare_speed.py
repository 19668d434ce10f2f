"""Time the pledge engine (tracker.compare) on the evaluation corpus's labelled transitions.

Usage: python bench/compare_speed.py [--against REV] [--repeat R] [--corpus DIR]

Every transition of labels-*.jsonl is compared in-process, R times; the best round is
reported. With --against, REV's code is checked out beside (a git worktree) and timed in
the same run, the two alternating, so that their ratio is read from one run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def transitions(corpus: Path) -> list[tuple[str, str, str]]:
    found = []
    for labels in sorted(corpus.glob("labels-*.jsonl")):
        for line in labels.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found.append(((corpus / row["old"]).read_text(encoding="utf-8"),
                          (corpus / row["new"]).read_text(encoding="utf-8"), row["lang"]))
    return found


def best_round(code: Path, corpus: Path, repeat: int) -> float:
    """The best of `repeat` rounds over every transition, with `code`'s tracker package, in a
    process of its own (the two codes never share an import)."""
    program = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2]);"
        "from compare_speed import transitions; from tracker.compare import compare;"
        "from pathlib import Path; pairs = transitions(Path(sys.argv[3])); compare(*pairs[0]); best = []\n"
        "for _ in range(int(sys.argv[4])):\n"
        "    t = time.perf_counter()\n"
        "    for old, new, lang in pairs: compare(old, new, lang)\n"
        "    best.append(time.perf_counter() - t)\n"
        "print(min(best))"
    )
    done = subprocess.run([sys.executable, "-c", program, str(code), str(ROOT / "bench"), str(corpus), str(repeat)],
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="a commit to time beside the working tree, in the same run")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    pairs = transitions(args.corpus)
    size = sum(len(old) + len(new) for old, new, _ in pairs) / 2 / len(pairs)
    print(f"{len(pairs)} transitions, {size / 1000:.0f} KB a version on average, best of {args.repeat} rounds")
    if not args.against:
        print(f"this code: {best_round(ROOT, args.corpus, args.repeat):.3f} s")
        return
    with tempfile.TemporaryDirectory() as folder:
        other = Path(folder) / "code"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(other), args.against],
                       check=True)
        try:
            for _ in range(3):  # alternating: a busier moment slows both, not one
                theirs, ours = best_round(other, args.corpus, args.repeat), best_round(ROOT, args.corpus, args.repeat)
                print(f"{args.against}: {theirs:.3f} s   this code: {ours:.3f} s   ratio {ours / theirs:.2f}")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)], check=True)


if __name__ == "__main__":
    main()
