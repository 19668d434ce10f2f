"""Score the pledge engine through `tracker diff --format json` on the evaluation corpus.

Usage: python bench/engine_score.py [--corpus DIR] [--tracker PATH] [--show-misses]

How a reported change is matched to a labelled one (labels-*.jsonl):
  * texts on both sides are normalized (tracker.normalize) and cut into lower-case words;
  * the overlap of two texts is the Dice coefficient of their word multisets,
    2·|A∩B| / (|A|+|B|), so a quote and a pledge of very different lengths do not match;
  * a reported change matches a label when, on every side that both have (old, new),
    the mean overlap is at least 0.5; a tuple (merged / split) is joined into one text,
    and may match several labels (it stands for several pledges);
  * per type, a match also needs the same type; for "removed + weakened", any of the two
    types on both sides (a weakened pledge reported as removed still warns the reader).
  Precision = matched reported / reported; recall = matched labels / labels.
Clause pairs (pairs-*.jsonl) are written to two temporary .txt files each and diffed with
--lang set; a pair counts as weakened (strengthened) when a weakened (strengthened) change
is reported, neutral otherwise. Cosmetic-only transitions count every change reported.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.normalize import normalize  # noqa: E402

TYPES = ("removed", "added", "weakened", "strengthened", "reworded", "merged", "split")
LOSSES = {"removed", "weakened"}
THRESHOLD = 0.5
_WORD = re.compile(r"\w+")


def words(text) -> Counter:
    if isinstance(text, list | tuple):
        text = " ".join(text)
    return Counter(_WORD.findall(normalize(text or "").lower()))


def overlap(a: Counter, b: Counter) -> float:
    total = sum(a.values()) + sum(b.values())
    return 2 * sum((a & b).values()) / total if total else 0.0


def matches(reported: dict, label: dict) -> bool:
    scores = []
    for side in ("old", "new"):
        quote = label[f"{side}_quote"]
        if quote and reported.get(side):
            scores.append(overlap(words(reported[side]), words(quote)))
    return bool(scores) and sum(scores) / len(scores) >= THRESHOLD


def run_diff(tracker: str, old: Path, new: Path, lang: str | None = None) -> list[dict]:
    command = [tracker, "diff", str(old), str(new), "--format", "json"]
    if lang:
        command += ["--lang", lang]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["changes"]


def prf(tp_reported: int, reported: int, tp_labels: int, labels: int) -> tuple[float, ...]:
    p = tp_reported / reported if reported else 1.0
    r = tp_labels / labels if labels else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


class Tally:
    """Counts for precision (reported side) and recall (label side) of one group."""

    def __init__(self) -> None:
        self.reported = self.reported_ok = self.labels = self.labels_ok = 0

    def row(self, name: str) -> str:
        p, r, f = prf(self.reported_ok, self.reported, self.labels_ok, self.labels)
        return (
            f"  {name:<22} {p:6.2f} {r:6.2f} {f:6.2f}   "
            f"reported {self.reported_ok}/{self.reported}, labels {self.labels_ok}/{self.labels}"
        )


def _false_positive(row: dict, change: dict) -> None:
    print(f"FP {row['id']} {change['type']}: {str(change['old'])[:100]!r} -> {str(change['new'])[:100]!r}")


def _false_negative(row: dict, label: dict, reported: list[dict]) -> None:
    found = [c["type"] for c in reported if matches(c, label)]
    print(f"FN {row['id']} {label['type']} (reported as {found}): "
          f"{label['old_quote'][:100]!r} -> {label['new_quote'][:100]!r}")


def score_transitions(corpus: Path, tracker: str, show: bool) -> None:
    """Each label file alone, then all of them together."""
    files = sorted(corpus.glob("labels-*.jsonl"))
    runs = {}
    for path in files:
        rows = [json.loads(line) for line in path.open()]
        with ThreadPoolExecutor(8) as pool:
            outputs = list(
                pool.map(lambda r: run_diff(tracker, corpus / r["old"], corpus / r["new"]), rows)
            )
        runs[path.name] = (rows, outputs)
        _score(path.name, rows, outputs, show)
    if len(runs) > 1:
        _score(" + ".join(runs), [r for rows, _ in runs.values() for r in rows],
               [o for _, outputs in runs.values() for o in outputs], False)


def _score(name: str, rows: list[dict], outputs: list[list[dict]], show: bool) -> None:
    by_type: dict[str, Tally] = defaultdict(Tally)
    by_lang: dict[str, Tally] = defaultdict(Tally)
    losses, losses_by_lang, about_data = Tally(), defaultdict(Tally), Tally()
    cosmetic = 0
    for row, reported in zip(rows, outputs, strict=True):
        labels = row["changes"]
        for change in reported:  # what the site counts as a loss: about personal data only
            if change["type"] in LOSSES and change.get("about", "personal-data") == "personal-data":
                about_data.reported += 1
                about_data.reported_ok += any(lab["type"] in LOSSES and matches(change, lab) for lab in labels)
        for lab in labels:
            if lab["type"] in LOSSES:
                about_data.labels += 1
                about_data.labels_ok += any(c["type"] in LOSSES and c.get("about", "personal-data") == "personal-data"
                                            and matches(c, lab) for c in reported)
        if row["cosmetic_only"]:
            cosmetic += len(reported)
        for change in reported:
            ok = any(change["type"] == lab["type"] and matches(change, lab) for lab in labels)
            if show and not ok and change["type"] not in LOSSES:
                _false_positive(row, change)
            for tally in (by_type[change["type"]], by_lang[row["lang"]]):
                tally.reported += 1
                tally.reported_ok += ok
            if change["type"] in LOSSES:
                hit = any(lab["type"] in LOSSES and matches(change, lab) for lab in labels)
                for tally in (losses, losses_by_lang[row["lang"]]):
                    tally.reported += 1
                    tally.reported_ok += hit
                if show and not hit:
                    _false_positive(row, change)
        for lab in labels:
            ok = any(change["type"] == lab["type"] and matches(change, lab) for change in reported)
            if show and not ok and lab["type"] not in LOSSES:
                _false_negative(row, lab, reported)
            for tally in (by_type[lab["type"]], by_lang[row["lang"]]):
                tally.labels += 1
                tally.labels_ok += ok
            if lab["type"] in LOSSES:
                hit = any(c["type"] in LOSSES and matches(c, lab) for c in reported)
                for tally in (losses, losses_by_lang[row["lang"]]):
                    tally.labels += 1
                    tally.labels_ok += hit
                if show and not hit:
                    _false_negative(row, lab, reported)
    print(f"\nTransitions ({len(rows)}, {name})      P      R     F1")
    for kind in TYPES:
        if kind in by_type:
            print(by_type[kind].row(kind))
    print("  -- per language (all types, type must match)")
    for lang in sorted(by_lang):
        print(by_lang[lang].row(lang))
    print("  -- removed + weakened combined")
    print(losses.row("all"))
    print(about_data.row("about data"))
    for lang in sorted(losses_by_lang):
        print(losses_by_lang[lang].row(lang))
    print(f"  changes reported on cosmetic-only transitions: {cosmetic}")


def score_pairs(corpus: Path, tracker: str, show: bool) -> None:
    rows = [json.loads(line) for line in (corpus / "pairs-dev.jsonl").open()]

    def verdict(row: dict) -> str:
        with tempfile.TemporaryDirectory() as tmp:
            old, new = Path(tmp, "old.txt"), Path(tmp, "new.txt")
            old.write_text(row["old"] + "\n", encoding="utf-8")
            new.write_text(row["new"] + "\n", encoding="utf-8")
            types = {c["type"] for c in run_diff(tracker, old, new, row["lang"])}
        for kind in ("weakened", "strengthened"):
            if kind in types:
                return kind
        return "neutral"

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(verdict, rows))
    print(f"\nClause pairs ({len(rows)}, pairs-dev.jsonl)      P      R     F1")
    for label in ("weakened", "strengthened", "neutral"):
        tp = sum(1 for r, g in zip(rows, got, strict=True) if g == label == r["label"])
        reported = sum(1 for g in got if g == label)
        labelled = sum(1 for r in rows if r["label"] == label)
        p, r, f = prf(tp, reported, tp, labelled)
        print(
            f"  {label:<22} {p:6.2f} {r:6.2f} {f:6.2f}   ({tp} of {reported} reported, "
            f"{labelled} labelled)"
        )
    if show:
        for row, g in zip(rows, got, strict=True):
            if g != row["label"]:
                print(f"  miss {row['id']} {row['label']} -> {g}: {row['old']} | {row['new']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--tracker", default=str(ROOT / ".venv" / "bin" / "tracker"))
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    score_pairs(args.corpus, args.tracker, args.show_misses)
    score_transitions(args.corpus, args.tracker, args.show_misses)


if __name__ == "__main__":
    main()
