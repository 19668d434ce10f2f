"""The PostgreSQL archive and its workers at scale: loopback checks, and a simulated large archive.

    .venv/bin/python bench/pg_scale.py [--policies 300] [--workers 1 2 4] [--documents 10000]
                                       [--versions 10] [--round 100000] [--drain 10000]
                                       [--build-documents 200] [--database postgresql://…]

1. `tracker check` on N generated policies served on loopback (bench/check_speed.py's
   pages): a first check (all new) and a second (every tenth page changed), with the
   plain-file archive, then with a PostgreSQL archive and 1, 2, 4 `tracker worker`s
   (--concurrency 4 each), in the same run.
2. A simulated archive of D documents x V versions, generated in SQL (not fetched):
   database size per version; the time to enqueue a round of R checks; the rate at
   which workers drain checks that have nothing to do (every page answers 304); the
   time of `tracker history` on one document; and, on a smaller archive of B
   documents, the time of `tracker build` and of the rebuild after one new version.

Without --database, a throwaway cluster of Debian's PostgreSQL is started (as the
tests do) and removed at the end. Prints one line per figure.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from check_speed import Handler  # noqa: E402  (the generated policies)

TRACKER = str(Path(sys.executable).with_name("tracker"))


def tracker(workdir: Path, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([TRACKER, *args], cwd=workdir, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"tracker {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return time.perf_counter() - start, (done.stdout.strip().splitlines() or ["?"])[-1]


def new_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name}")
        db.execute(f"CREATE DATABASE {name}")
    url = admin_url.replace("/postgres", f"/{name}", 1)
    subprocess.run([TRACKER, "--archive", url, "db", "upgrade"], check=True, capture_output=True)
    return url


def start_workers(url: str, n: int, workdir: Path) -> list[subprocess.Popen]:
    """n `tracker worker`s, returned once each has sent its first heartbeat (their start is not timed)."""
    from tracker.jobs import workers_alive

    before = workers_alive(url)
    processes = [subprocess.Popen([TRACKER, "--archive", url, "worker", "--concurrency", "4"], cwd=workdir,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(n)]
    while workers_alive(url) < before + n:
        time.sleep(0.1)
    return processes


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait()


def loopback_rounds(admin_url: str, policies: int, workers: list[int]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.request_queue_size = 128
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "watchlist.toml").write_text("".join(
            f'[svc-{i}.privacy]\nurl = "http://127.0.0.1:{server.server_port}/{i}.html"\nbrowser = "never"\n\n'
            for i in range(policies)))
        runs = [("files", None, 0)] + [(f"postgresql, {n} worker(s)", n, n) for n in workers]
        for label, database, n in runs:
            archive = ["--archive", str(workdir / f"snapshots-{n}")]
            processes = []
            if database is not None:
                archive = ["--archive", new_database(admin_url, f"bench_loopback_{n}")]
                processes = start_workers(archive[1], n, workdir)
            try:
                for generation, round_name in enumerate(("first", "second")):
                    Handler.generation = generation
                    seconds, summary = tracker(workdir, *archive, "check")
                    print(f"{policies} policies, {label}: {round_name} check {seconds:.2f} s ({summary})", flush=True)
            finally:
                stop(processes)
    server.shutdown()


GENERATE = """
INSERT INTO tracker_raw
    SELECT md5(d || '/' || v) || md5(v || '/' || d), 'html',
           convert_to((SELECT string_agg(md5(d || '-' || v || '-' || k), ' ')
                       FROM generate_series(1, %(raw_blocks)s) k), 'UTF8')
    FROM generate_series(1, %(documents)s) d, generate_series(1, %(versions)s) v;
INSERT INTO tracker_documents (service, document, latest, state)
    SELECT 'svc-' || d, 'privacy', to_char(timestamp '2020-01-01' + (%(versions)s || ' days')::interval,
           'YYYY-MM-DD"T"HH24-MI-SS"Z"'),
           json_build_object('url', 'http://127.0.0.1:' || %(port)s || '/' || d, 'raw', 'x', 'etag', '"v"',
                             'status', 'unchanged', 'checked_at', '2020-01-11T00:00:00+00:00')
    FROM generate_series(1, %(documents)s) d;
INSERT INTO tracker_versions
    SELECT doc.id, v, vid, md5(vid || doc.id), md5(d || '/' || v) || md5(v || '/' || d),
           'Privacy policy of service ' || d || E', version ' || v || E'.\n\n'
               || (SELECT string_agg('We keep ' || md5(d || ':' || v || ':' || k) || '.', E'\n\n')
                   FROM generate_series(1, %(text_blocks)s) k),
           json_build_object('id', vid, 'fetched_at', to_char(day, 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00',
                             'url', 'http://127.0.0.1/' || d, 'text_sha256', md5(vid || doc.id),
                             'raw_sha256', md5(d || '/' || v) || md5(v || '/' || d), 'kind', 'html',
                             'previous', CASE WHEN v > 1 THEN to_char(day - interval '1 day',
                                                             'YYYY-MM-DD"T"HH24-MI-SS"Z"') END,
                             'same_as', NULL, 'lang', 'en', 'changes', '[]'::json, 'third_parties', '[]'::json)
    FROM generate_series(1, %(documents)s) d
    JOIN tracker_documents doc ON doc.service = 'svc-' || d,
    generate_series(1, %(versions)s) v,
    LATERAL (SELECT timestamp '2020-01-01' + (v || ' days')::interval AS day) t,
    LATERAL (SELECT to_char(t.day, 'YYYY-MM-DD"T"HH24-MI-SS"Z"') AS vid) i;
"""


class NotModified(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(304)
        self.send_header("ETag", '"v"')
        self.end_headers()

    def log_message(self, *args):
        pass


def generate(url: str, documents: int, versions: int, port: int) -> float:
    """Fill the archive with generated rows: per version a text of about 4.5 KB and raw bytes of about
    8.4 KB, made of MD5 digests, which PostgreSQL's compression (pglz) cannot shrink as it shrinks real
    pages: an upper bound."""
    import psycopg

    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as db:
        with db.transaction():
            for statement in filter(str.strip, GENERATE.split(";")):
                db.execute(statement, {"documents": documents, "versions": versions, "port": port,
                                       "raw_blocks": 256, "text_blocks": 100})
        db.execute("VACUUM ANALYZE")
    return time.perf_counter() - start


def simulated(admin_url: str, documents: int, versions: int, round_size: int, drain: int, workers: int) -> None:
    import psycopg

    from tracker.jobs import Round, enqueue, wait
    from tracker.watchlist import Source

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotModified)
    server.request_queue_size = 128
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_port
    url = new_database(admin_url, "bench_simulated")
    seconds = generate(url, documents, versions, port)
    with psycopg.connect(url) as db:
        size = db.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        empty = db.execute("SELECT pg_database_size('template1')").fetchone()[0]
    total = documents * versions
    print(f"simulated {documents} documents x {versions} versions generated in {seconds:.0f} s; database "
          f"{size / 2**30:.2f} GiB, {(size - empty) / total / 1024:.1f} KiB per version "
          "(text about 4.5 KB, raw bytes about 8.4 KB, incompressible)", flush=True)
    sources = [Source(f"svc-{d}", "privacy", f"http://127.0.0.1:{port}/{d}", every="1d")
               for d in range(1, round_size + 1)]
    start = time.perf_counter()
    enqueued = enqueue(url, sources)
    enqueue_seconds = time.perf_counter() - start
    print(f"enqueue a round of {round_size} checks: {enqueue_seconds:.1f} s "
          f"({round_size / enqueue_seconds:.0f} jobs/s)", flush=True)
    with psycopg.connect(url, autocommit=True) as db:  # drain a part of the round only; drop the rest
        db.execute("DELETE FROM procrastinate_jobs WHERE id <> ALL(%s)", (list(enqueued.jobs[:drain]),))
    with tempfile.TemporaryDirectory() as tmp:
        processes = start_workers(url, workers, Path(tmp))
        start = time.perf_counter()
        outcomes = wait(url, Round(enqueued.id, enqueued.jobs[:drain], enqueued.sources[:drain]))
        drained = time.perf_counter() - start
        stop(processes)
    statuses = {o.status for o in outcomes}
    print(f"{workers} workers (--concurrency 4) drained {drain} checks with nothing to do (304) in "
          f"{drained:.1f} s: {drain / drained:.0f} checks/s (outcomes: {', '.join(sorted(statuses))})", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        runs = [tracker(Path(tmp), "--archive", url, "history", f"svc-{documents // 2}/privacy")[0]
                for _ in range(5)]
    print(f"tracker history on one document of {documents}: median {sorted(runs)[2] * 1000:.0f} ms "
          "(the whole command, start included)", flush=True)
    from tracker.archive import open_archive
    from tracker.site import model

    archive = open_archive(url)
    start = time.perf_counter()
    services = model.read(archive, (), archive.states())
    read = time.perf_counter() - start
    print(f"reading what the site shows of {sum(len(s.documents) for s in services)} documents (every version's "
          f"metadata; what any rebuild reads before rendering what changed): {read:.1f} s", flush=True)
    server.shutdown()


def build_after_one_version(admin_url: str, documents: int, versions: int) -> None:
    import psycopg

    from tracker.archive import Checked, Draft, open_archive

    url = new_database(admin_url, "bench_build")
    generate(url, documents, versions, 9)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        first, _ = tracker(workdir, "--archive", url, "build", "--out", "site")
        archive = open_archive(url)
        latest = archive.prior("svc-1", "privacy").latest
        archive.commit(Checked("svc-1", "privacy", None, Draft(
            "We now share your data.\n", b"<p>We now share your data.</p>", "html", datetime.now(UTC),
            "http://127.0.0.1/1", "en", (), latest.id)))
        again, _ = tracker(workdir, "--archive", url, "build", "--out", "site")
    with psycopg.connect(url) as db:
        pages = db.execute("SELECT count(*) FROM tracker_versions").fetchone()[0]
    print(f"tracker build on {documents} documents x {versions} versions ({pages} versions): first {first:.1f} s, "
          f"after one new version {again:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=300)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--round", type=int, default=100_000, help="checks enqueued in one round")
    parser.add_argument("--drain", type=int, default=10_000)
    parser.add_argument("--drain-workers", type=int, default=2)
    parser.add_argument("--build-documents", type=int, default=200)
    parser.add_argument("--database", help="postgresql://… URL of a server's postgres database (else one is started)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["loopback", "simulated", "build"])
    args = parser.parse_args()
    cluster = folder = None
    if args.database:
        admin_url = args.database
    else:
        from pgcluster import Cluster

        folder = Path(tempfile.mkdtemp(prefix="tracker-pg-bench-"))
        cluster = Cluster(folder)
        admin_url = cluster.url()
    print(f"machine: {os.cpu_count()} cores", flush=True)
    try:
        if "loopback" not in args.skip:
            loopback_rounds(admin_url, args.policies, args.workers)
        if "simulated" not in args.skip:
            simulated(admin_url, args.documents, args.versions, args.round, min(args.drain, args.documents),
                      args.drain_workers)
        if "build" not in args.skip:
            build_after_one_version(admin_url, args.build_documents, args.versions)
    finally:
        if cluster:
            cluster.stop()
            subprocess.run(["rm", "-rf", str(folder)])


if __name__ == "__main__":
    main()
