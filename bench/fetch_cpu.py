"""CPU that fetching costs, and where it goes: N loopback policies fetched in one thread.

    .venv/bin/python bench/fetch_cpu.py [--n 200] [--rounds 3] [--profile]

The server runs in another process, so only the client's CPU is counted. Prints the CPU
of one fetch (the median of the rounds, each fetching the N policies once with one Client,
as a check does), and the CPU of `tracker check` run twice on the N policies (the second
finds every tenth changed): user + system time of the process and its workers. With
--profile, where one round's CPU goes, by package (requests, urllib3, http.client…).
Run it with another checkout's Python to compare two fetch layers.
"""

import argparse
import cProfile
import multiprocessing
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from http.server import ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from check_speed import Handler  # noqa: E402 -- the same generated policies

from tracker.fetch import new_client  # noqa: E402

TRACKER = Path(sys.executable).with_name("tracker")
PACKAGES = ("requests", "urllib3", "http/client", "http/cookiejar", "socket", "ssl", "email", "tracker")


def serve(port: multiprocessing.Value, generation: multiprocessing.Value) -> None:
    class Generation(Handler):
        def do_GET(self):
            Handler.generation = generation.value
            super().do_GET()

    Generation.protocol_version = "HTTP/1.1"  # keeps connections alive for a client that can
    server = ThreadingHTTPServer(("127.0.0.1", 0), Generation)
    port.value = server.server_port
    server.serve_forever()


def fetch_round(urls: list[str], profiler: cProfile.Profile | None = None) -> float:
    """CPU seconds of one client fetching every URL once."""
    client = new_client(delay=0.0)
    started = time.process_time()
    if profiler:
        profiler.enable()
    for url in urls:
        client.fetch(url)
    if profiler:
        profiler.disable()
    return time.process_time() - started


def by_package(profiler: cProfile.Profile) -> dict[str, float]:
    """Own CPU time (tottime) of the functions of each package."""
    totals: dict[str, float] = defaultdict(float)
    for (path, _, _), (_, _, tottime, _, _) in pstats.Stats(profiler).stats.items():
        package = next((p for p in PACKAGES if f"/{p}" in path or f"{p}.py" in path), "other")
        totals[package] += tottime
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def check_cpu(port: int, n: int, generation: multiprocessing.Value) -> list[float]:
    """CPU seconds (user + system, the process and its workers) of a first and a second check."""
    seconds = []
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        with open(Path(tmp) / "watchlist.toml", "w") as watchlist:
            for i in range(n):
                watchlist.write(f'[svc-{i:04d}.privacy-policy]\nurl = "http://127.0.0.1:{port}/{i}.html"\n'
                                f'select = ["main"]\nlang = "en"\n\n')
        for value in (0, 1):
            generation.value = value
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([str(TRACKER), "check"], cwd=tmp, capture_output=True, check=False)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            seconds.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    port, generation = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=serve, args=(port, generation), daemon=True)
    server.start()
    while not port.value:
        time.sleep(0.01)
    urls = [f"http://127.0.0.1:{port.value}/{i}.html" for i in range(args.n)]
    fetch_round(urls)  # imports and first connections
    rounds = [fetch_round(urls) for _ in range(args.rounds)]
    print(f"one fetch: {1000 * statistics.median(rounds) / args.n:.2f} ms of CPU "
          f"(rounds: {', '.join(f'{r:.3f}' for r in rounds)} s for {args.n})")
    checks = [check_cpu(port.value, args.n, generation) for _ in range(args.rounds)]
    print("tracker check CPU: first " + ", ".join(f"{c[0]:.2f}" for c in checks)
          + " s; second " + ", ".join(f"{c[1]:.2f}" for c in checks) + " s")
    if args.profile:
        profiler = cProfile.Profile(time.process_time)  # CPU, not time spent waiting for the server
        total = fetch_round(urls, profiler)
        shares = ", ".join(f"{p} {s / total:.0%}" for p, s in by_package(profiler).items())
        print(f"profiled round: {total:.3f} s of CPU; own time by package: {shares}")
    server.terminate()


if __name__ == "__main__":
    main()
