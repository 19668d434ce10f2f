"""Time `tracker check` on N generated policies served on loopback, with peak memory.

    .venv/bin/python bench/check_speed.py [--n 200 1000]

Generates N policy pages (about 25 KB each), writes them into a watchlist, then
times a first `tracker check` (everything new), a second one where every tenth
page changed, and a third where nothing changed. Prints one line per run: seconds,
peak RSS of the tracker process, and its summary line; with several N, the time of
each run relative to the first N (the cost should grow linearly: 5x sources, <= 5.5x time).
"""

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TRACKER = Path(sys.executable).with_name("tracker")
LABELS = ("first", "second", "third")
WORDS = ("collect", "keep", "share", "encrypt", "delete", "transfer", "use", "store")
TOPICS = ("email address", "location", "payment details", "contacts", "device identifiers", "health data")


def policy(i: int, generation: int) -> bytes:
    rnd = random.Random(i)
    paragraphs = []
    for section in range(20):
        paragraphs.append(f"<h2>{section + 1}. Your {rnd.choice(TOPICS)}</h2>")
        for _ in range(4):
            paragraphs.append(
                f"<p>We {rnd.choice(WORDS)} your {rnd.choice(TOPICS)} only to run service {i} and we keep it "
                f"for {rnd.choice((30, 90, 365))} days. You can ask us at any time to access or delete it, "
                "and we answer within one month of your request to our data protection officer.</p>")
    if generation and i % 10 == 0:
        paragraphs[1] = paragraphs[1].replace(" only to run", " to run", 1)
        paragraphs.insert(2, "<p>We may also share your email address with advertising partners.</p>")
    return (f"<html><head><title>Policy {i}</title><script>track()</script></head><body>"
            f"<nav>Home</nav><main>{''.join(paragraphs)}</main><footer>(c)</footer></body></html>").encode()


class Handler(BaseHTTPRequestHandler):
    generation = 0

    def do_GET(self):
        body = policy(int(self.path.strip("/").split(".")[0]), Handler.generation)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def timed_check(workdir: Path) -> tuple[float, float, str]:
    start = time.perf_counter()
    result = subprocess.run([str(TRACKER), "check"], cwd=workdir, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest run so far
    summary = (result.stdout.strip().splitlines() or ["?"])[-1]
    return seconds, peak, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[200])
    sizes = parser.parse_args().n
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    times: dict[int, list[float]] = {}
    for n in sizes:
        times[n] = run(n, server.server_port)
    for n in sizes[1:]:
        pairs = zip(LABELS, times[n], times[sizes[0]], strict=True)
        ratios = ", ".join(f"{label} {t / base:.2f}x" for label, t, base in pairs)
        print(f"n={n} vs n={sizes[0]} ({n / sizes[0]:.1f}x sources): {ratios}")
    server.shutdown()


def run(n: int, port: int) -> list[float]:
    """The three checks of n sources; their seconds."""
    seconds_each = []
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        workdir = Path(tmp)
        with open(workdir / "watchlist.toml", "w") as watchlist:  # written at once: `add` ×N is not timed
            for i in range(n):
                watchlist.write(f'[svc-{i:04d}.privacy-policy]\nurl = "http://127.0.0.1:{port}/{i}.html"\n'
                                f'select = ["main"]\nlang = "en"\n\n')
        for label, generation in (("first", 0), ("second (n/10 changed)", 1), ("third (unchanged)", 1)):
            Handler.generation = generation
            seconds, peak, summary = timed_check(workdir)
            seconds_each.append(seconds)
            print(f"n={n} {label}: {seconds:.2f} s, peak RSS {peak:.0f} MB, {summary}")
    return seconds_each


if __name__ == "__main__":
    main()
