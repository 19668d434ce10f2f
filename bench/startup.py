"""How fast `tracker --help` and `tracker list` start, the median of repeated runs.

    .venv/bin/python bench/startup.py [--n 200] [--runs 11]

`list` runs in a workspace of N sources checked once (file:// pages, so that no
server is needed). The interpreter's own start (`python -c pass`) is printed beside
them: what is left above it is the project's imports and work.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRACKER = Path(sys.executable).with_name("tracker")


def median_seconds(command: list[str], cwd: Path, runs: int) -> float:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=True)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tracker-startup-") as tmp:
        workdir = Path(tmp)
        with open(workdir / "watchlist.toml", "w") as watchlist:
            for i in range(args.n):
                page = workdir / f"{i}.html"
                page.write_text(f"<main><p>We never sell the data of service {i}.</p></main>")
                watchlist.write(f'[svc-{i:04d}.privacy]\nurl = "{page.as_uri()}"\nlang = "en"\n\n')
        subprocess.run([str(TRACKER), "check", "--allow-file"], cwd=workdir, capture_output=True, check=True)
        for label, command in (("python -c pass", [sys.executable, "-c", "pass"]),
                               ("tracker --help", [str(TRACKER), "--help"]),
                               (f"tracker list ({args.n} sources)", [str(TRACKER), "list"])):
            print(f"{label}: {median_seconds(command, workdir, args.runs) * 1000:.0f} ms (median of {args.runs})")


if __name__ == "__main__":
    main()
