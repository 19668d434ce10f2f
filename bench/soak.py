"""Soak `tracker run`: N unchanging policies on loopback, checked every INTERVAL; RSS over time.

    .venv/bin/python bench/soak.py [--n 100] [--interval 10s] [--duration 60m] [--warmup 5m] [--sample 5s]
                                   [--report 1m] [--validators] [--tracker PATH]

Serves N generated policy pages (about 25 KB each) from 127.0.0.1, writes a watchlist of
them with `every = INTERVAL` in a temporary folder, and starts `tracker run` on it. The
pages never change, so the first check of each source archives it and every later one
finds nothing new. Every SAMPLE seconds the run's resident memory is read from /proc: the
tracker's, its anonymous part (the heap: what a leak grows; the rest is mapped files, such
as libraries paged in on first use) and its child processes' (a process pool, if any;
their RSS counts pages shared with the tracker again). A row is printed every REPORT.
After DURATION the run is stopped with SIGTERM, as a service manager would, and the
script prints the checks done (the requests the pages' server answered, and the
archive's last-check states), and the least-squares slope of RSS after WARMUP, in MB per
hour and per thousand checks, with the slope of the second half of that window beside
it: a leak keeps its slope; a warm-up or an allocator settling flattens out.

By default the pages are answered with 200 and the whole page every time, without ETag or
Last-Modified: a policy is mostly a page that a CMS or an application renders, and such
pages seldom carry a validator (or carry one that changes at every request), so most real
checks read and hash the whole body. --validators answers with an ETag and a Last-Modified
instead, and with 304 to a request that sends them back.

It stops by itself; on Ctrl-C (or SIGTERM, SIGHUP) it stops the tracker and removes its
temporary folder all the same. The tracker runs in a session of its own and gets SIGTERM
if this script dies without tidying up (Linux). No network but loopback is used.
"""

import argparse
import ctypes
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from check_speed import policy  # the same generated policies as bench/check_speed.py

TRACKER = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "tracker"
STOP_SECONDS = 120  # how long the tracker may take to finish its running checks after SIGTERM
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600}


def seconds(text: str) -> float:
    """'90', '10s', '5m', '1h' as seconds."""
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 10s, 5m or 1h")
    return float(match.group(1)) * _UNIT[match.group(2)]


def interval(text: str) -> str:
    """A watchlist interval ('10s', '1m'): a whole number and a unit."""
    if not re.fullmatch(r"[1-9]\d*[smh]", text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not an interval like 10s, 1m or 1h")
    return text.strip()


class Pages(ThreadingHTTPServer):
    """The N pages on an ephemeral port of 127.0.0.1, counting the answers it gives."""

    daemon_threads = True

    def __init__(self, n: int, validators: bool):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages = [policy(i, 0) for i in range(n)]  # generation 0: the pages never change
        self.etags = [f'"{hashlib.sha256(page).hexdigest()[:16]}"' for page in self.pages]
        self.last_modified = formatdate(time.time() - 86400, usegmt=True)
        self.validators = validators
        self.answers: Counter[int] = Counter()  # status -> count
        self.lock = threading.Lock()

    def count(self, status: int) -> None:
        with self.lock:
            self.answers[status] += 1


class _Handler(BaseHTTPRequestHandler):
    server: Pages

    def do_GET(self):
        try:
            i = int(self.path.strip("/").split(".")[0])
            body = self.server.pages[i]
        except (ValueError, IndexError):
            self.server.count(404)
            self.send_error(404)
            return
        if self.server.validators and (self.headers.get("If-None-Match") == self.server.etags[i]
                                       or self.headers.get("If-Modified-Since") == self.server.last_modified):
            self.server.count(304)
            self.send_response(304)
            self.end_headers()
            return
        self.server.count(200)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if self.server.validators:
            self.send_header("ETag", self.server.etags[i])
            self.send_header("Last-Modified", self.server.last_modified)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


# -- memory, from /proc -------------------------------------------------------------

def memory(pid: int) -> tuple[float, float] | None:
    """(RSS, its anonymous part) of a process in MB, or None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)

    def mb(name: str) -> float:
        return int(fields.get(name, "0 kB").split()[0]) / 1024

    return mb("VmRSS"), mb("RssAnon")


def descendants(pid: int) -> list[int]:
    """Every process below pid (a pool the run forked, a browser), from the parents /proc gives."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])  # after the name, which may hold spaces
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) points, in MB per hour."""
    if len(points) < 3:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if not spread:
        return None
    return sum((t - mean_t) * (m - mean_m) for t, m in points) / spread * 3600


# -- the run -------------------------------------------------------------------------

def _die_with_parent():
    """What the tracker's process calls before exec so that it gets SIGTERM when this script dies,
    however it dies (Linux's PR_SET_PDEATHSIG); looked up here, not in the forked process."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGTERM)


def start_tracker(tracker: Path, workdir: Path) -> subprocess.Popen:
    env = {**os.environ, "XDG_CACHE_HOME": str(workdir / "cache")}  # the watchlist cache stays in the soak
    log = open(workdir / "run.log", "wb")  # the tracker holds its own copy of the descriptor
    try:
        return subprocess.Popen(
            [str(tracker), "--watchlist", str(workdir / "watchlist.toml"), "--archive", str(workdir / "snapshots"),
             "run", "--out", str(workdir / "site")],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches this script only; the tracker is stopped with SIGTERM
            preexec_fn=_die_with_parent() if sys.platform == "linux" else None,
        )
    finally:
        log.close()


def stop_tracker(process: subprocess.Popen) -> str:
    """SIGTERM, as a service manager stops it; SIGKILL to its process group if it lingers.
    How it ended, in words."""
    start = time.monotonic()
    if process.poll() is not None:
        return f"the tracker had ended by itself, exit status {process.returncode}"
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        print(f"the tracker did not stop within {STOP_SECONDS} s of SIGTERM: killed", flush=True)
        try:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the tracker and what it forked
        except ProcessLookupError:
            pass
        process.wait()
    return f"stopped with SIGTERM: exit status {process.returncode} after {time.monotonic() - start:.1f} s"


def _interrupted(signum, _frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def soak(args: argparse.Namespace, workdir: Path) -> None:
    server = Pages(args.n, args.validators)
    with open(workdir / "watchlist.toml", "w") as watchlist:
        for i in range(args.n):
            watchlist.write(f'[svc-{i:04d}.privacy-policy]\nurl = "http://127.0.0.1:{server.server_port}/{i}.html"\n'
                            f'select = ["main"]\nlang = "en"\nevery = "{args.interval}"\n\n')
    # started before any thread of this script: no lock of another thread is copied into the fork
    process = start_tracker(args.tracker, workdir)
    started = time.monotonic()
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    samples: list[tuple[float, float, float, float, int]] = []  # seconds, RSS, anonymous, children's, fetches
    try:
        serving.start()
        print(f"{args.n} sources every {args.interval} for {_span(args.duration)} (warm-up {_span(args.warmup)}), "
              f"pages {'with ETag/Last-Modified' if args.validators else 'without validators'}; "
              f"tracker {args.tracker} (pid {process.pid})", flush=True)
        print(f"{'time':>8} {'RSS MB':>8} {'anon MB':>8} {'child MB':>8} {'fetches':>8}", flush=True)
        sample(args, process, server, started, samples)
    finally:
        ended = stop_tracker(process)
        if serving.is_alive():
            server.shutdown()
        server.server_close()
    print(ended, flush=True)
    summary(args, workdir, server, samples)


def sample(args: argparse.Namespace, process: subprocess.Popen, server: Pages, started: float, samples: list) -> None:
    """Read the run's memory every args.sample seconds until args.duration; a row every args.report."""
    next_report, tick = 0.0, 0
    while True:
        elapsed = time.monotonic() - started
        if process.poll() is not None:
            print(f"the tracker stopped by itself after {elapsed:.0f} s, status {process.returncode}", flush=True)
            return
        own = memory(process.pid)
        if own is not None:
            children = [m for m in map(memory, descendants(process.pid)) if m]
            with server.lock:
                fetches = sum(server.answers.values())
            samples.append((elapsed, own[0], own[1], sum(rss for rss, _ in children), fetches))
            if elapsed >= next_report or elapsed >= args.duration:
                print(f"{_clock(elapsed):>8} {own[0]:8.1f} {own[1]:8.1f} {samples[-1][3]:8.1f} {fetches:8d}",
                      flush=True)
                next_report += args.report
        if elapsed >= args.duration:
            return
        tick += 1
        time.sleep(max(0.0, started + tick * args.sample - time.monotonic()))


def summary(args, workdir: Path, server: Pages, samples) -> None:
    answers = dict(sorted(server.answers.items()))
    fetches = sum(answers.values())
    states_path = workdir / "snapshots" / "_state" / "checks.json"
    try:
        states = json.loads(states_path.read_bytes())
    except (OSError, ValueError):
        states = {}
    statuses = Counter(state.get("status") for state in states.values())
    versions = sum(1 for path in (workdir / "snapshots").glob("*/*/*.json"))
    log_lines = (workdir / "run.log").read_text(errors="replace").splitlines()
    failed = sum(line.startswith("failed") for line in log_lines)
    print(f"checks: {fetches} fetches answered ({', '.join(f'{n} x {s}' for s, n in answers.items()) or 'none'}); "
          f"last states: {dict(statuses) or 'none'}; {versions} versions archived for {args.n} sources; "
          f"{failed} failure line(s) in the run's output", flush=True)
    if failed or not states:
        print("the run's last lines:\n  " + "\n  ".join(log_lines[-10:]), flush=True)
    if not samples:
        return
    rss = [s[1] for s in samples]
    print(f"RSS: first sample {rss[0]:.1f} MB, peak {max(rss):.1f} MB, last {rss[-1]:.1f} MB "
          f"({len(samples)} samples every {args.sample:g} s)", flush=True)
    after = [s for s in samples if s[0] >= args.warmup]
    if len(after) < 3:
        print("no slope: too few samples after the warm-up (make --duration longer than --warmup)", flush=True)
        return
    total = slope([(t, m + c) for t, m, _, c, _ in after])
    anon = slope([(t, a) for t, _, a, _, _ in after])
    half = [s for s in after if s[0] >= (after[0][0] + after[-1][0]) / 2]
    late = slope([(t, m + c) for t, m, _, c, _ in half])
    hours = (after[-1][0] - after[0][0]) / 3600
    checks_per_hour = (after[-1][4] - after[0][4]) / hours if hours else 0
    print(f"after the warm-up ({_clock(after[0][0])} to {_clock(after[-1][0])}): RSS {after[0][1]:.1f} -> "
          f"{after[-1][1]:.1f} MB, mean {sum(s[1] for s in after) / len(after):.1f} MB", flush=True)
    print(f"slope after warm-up: {total:+.2f} MB/h (tracker and children; anonymous part {anon:+.2f} MB/h), "
          f"{total / checks_per_hour * 1000 if checks_per_hour else 0:+.3f} MB per 1000 checks "
          f"at {checks_per_hour:.0f} checks/h; over {hours * 60:.0f} min", flush=True)
    if late is not None:
        print(f"slope over the second half of that window: {late:+.2f} MB/h", flush=True)


def _span(duration: float) -> str:
    return f"{duration / 60:g} min" if duration % 60 == 0 else f"{duration:g} s"


def _clock(elapsed: float) -> str:
    return f"{int(elapsed // 60)}:{int(elapsed % 60):02d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="sources (default 100)")
    parser.add_argument("--interval", type=interval, default="10s", help="every = of each source (default 10s)")
    parser.add_argument("--duration", type=seconds, default=seconds("60m"), help="how long to run (default 60m)")
    parser.add_argument("--warmup", type=seconds, default=seconds("5m"), help="left out of the slope (default 5m)")
    parser.add_argument("--sample", type=seconds, default=seconds("5s"), help="RSS read every (default 5s)")
    parser.add_argument("--report", type=seconds, default=seconds("1m"), help="a row printed every (default 1m)")
    parser.add_argument("--validators", action="store_true",
                        help="answer with ETag and Last-Modified, and 304 when they come back")
    parser.add_argument("--tracker", type=Path, default=TRACKER, help=f"the tracker executable (default {TRACKER})")
    args = parser.parse_args()
    args.tracker = args.tracker.resolve()
    if not os.access(args.tracker, os.X_OK):
        parser.error(f"no tracker executable at {args.tracker}")
    args.sample = max(0.5, args.sample)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupted)
    try:
        with tempfile.TemporaryDirectory(prefix="tracker-soak-") as tmp:
            soak(args, Path(tmp))
    except KeyboardInterrupt as stop:
        why = stop.args[0] if stop.args else "Ctrl-C"
        print(f"interrupted ({why}): the tracker was stopped and the temporary folder removed",
              file=sys.stderr, flush=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
