"""Nothing may crash or hang the engine: `tracker diff` over real, unlabelled transitions.

Usage: python bench/robustness.py [--corpus DIR] [--tracker PATH] [--timeout 60]

Runs `tracker diff OLD NEW --format json` on every pair of `robustness/pairs.jsonl`
(real consecutive versions of documents the engine was not tuned on) and prints one line
per pair that exits non-zero, prints no JSON object, or outlasts the timeout; then the
counts and the slowest pairs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(tracker: str, old: Path, new: Path, timeout: float) -> tuple[str, float]:
    """'' when the diff went through, else what went wrong; and its seconds."""
    start = time.perf_counter()
    try:
        done = subprocess.run([tracker, "diff", str(old), str(new), "--format", "json"],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"hung (over {timeout:g} s)", time.perf_counter() - start
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        return f"exit {done.returncode}: {last}", seconds
    try:
        json.loads(done.stdout)["changes"]
    except (ValueError, KeyError, TypeError):
        return "no JSON object with 'changes'", seconds
    return "", seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--tracker", default=str(ROOT / ".venv" / "bin" / "tracker"))
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    folder = args.corpus / "robustness"
    pairs = [json.loads(line) for line in (folder / "pairs.jsonl").read_text().splitlines() if line.strip()]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda p: run(args.tracker, folder / p["old"], folder / p["new"], args.timeout),
                                pairs))
    failures = 0
    for pair, (problem, _) in zip(pairs, results, strict=True):
        if problem:
            failures += 1
            print(f"FAIL {pair['old']} -> {pair['new']}: {problem}")
    slowest = sorted(((s, p["old"]) for (_, s), p in zip(results, pairs, strict=True)), reverse=True)[:3]
    print(f"{len(pairs)} transitions, {failures} failed; slowest: "
          + ", ".join(f"{name} {seconds:.2f} s" for seconds, name in slowest))


if __name__ == "__main__":
    main()
