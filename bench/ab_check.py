"""Which of two trackers checks faster: paired rounds of the same second check.

    .venv/bin/python bench/ab_check.py TRACKER_A TRACKER_B [--rounds 12] [--n 200] [--unchanged]

A machine like ours drifts by a quarter in speed from one minute to the next, so one
run of each says nothing. Here both trackers check the same N pages (every tenth
changed since a first check, or none with --unchanged) from copies of one archive,
one right after the other, in alternating order; the difference within each round
cancels the drift. A tracker is any command taking `check`: the console script of
another checkout's venv, or a small wrapper script trying a variant.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

from check_speed import Handler  # the same generated policies as bench/check_speed.py


def timed(command: str, workdir: Path) -> tuple[float, float]:
    """Seconds of the check, and the CPU seconds it used (its processes, user and system):
    a steadier measure than time where the work is bound by the CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([command, "check"], cwd=workdir, capture_output=True, check=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--unchanged", action="store_true", help="time checks where no page changed")
    args = parser.parse_args()
    args.a, args.b = (os.path.abspath(shutil.which(c) or c) for c in (args.a, args.b))  # run from other folders
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="tracker-ab-") as tmp:
        base, run = Path(tmp) / "base", Path(tmp) / "run"
        base.mkdir()
        with open(base / "watchlist.toml", "w") as watchlist:
            for i in range(args.n):
                watchlist.write(f'[svc-{i:04d}.privacy-policy]\nurl = "http://127.0.0.1:{server.server_port}/{i}.html"\n'
                                'select = ["main"]\n\n')
        Handler.generation = 0
        timed(args.a, base)  # the first check: the archive both start from
        Handler.generation = 0 if args.unchanged else 1
        seconds: dict[str, list[float]] = {"A": [], "B": []}
        cpu: dict[str, list[float]] = {"A": [], "B": []}
        for round_ in range(args.rounds):
            for label in ("AB" if round_ % 2 == 0 else "BA"):
                shutil.copytree(base, run)
                os.sync()  # else the copy's writeback lands on the check's first fsync (5 ms per changed page here)
                wall, used = timed(args.a if label == "A" else args.b, run)
                seconds[label].append(wall)
                cpu[label].append(used)
                shutil.rmtree(run)
    server.shutdown()
    for name, figures in (("time", seconds), ("CPU", cpu)):
        differences = [b - a for a, b in zip(figures["A"], figures["B"], strict=True)]
        print(f"{name}: A median {statistics.median(figures['A']):.3f} s, "
              f"B median {statistics.median(figures['B']):.3f} s, B - A median {statistics.median(differences):+.3f} s "
              f"(B less in {sum(d < 0 for d in differences)} of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
