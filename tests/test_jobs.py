"""Checks as jobs in a PostgreSQL archive: `tracker worker` processes run them, nothing lost, nothing twice."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import page

from tracker.archive import open_archive
from tracker.cli import cli
from tracker.jobs import DatabaseGate
from tracker.verify import verify

TRACKER = str(Path(sys.executable).parent / "tracker")


def tracker(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def watch(workspace: Path, server, n: int, every: str = "12h") -> list[str]:
    """A watchlist of n loopback sources, each its own page; returns their paths."""
    paths = [f"/p{k}" for k in range(n)]
    entries = []
    for k, path in enumerate(paths):
        server.serve(path, page(f"We will never sell the data of reader number {k}."))
        entries.append(f'[svc-{k}.privacy]\nurl = "{server.url(path)}"\nevery = "{every}"\nbrowser = "never"\n')
    (workspace / "watchlist.toml").write_text("\n".join(entries))
    return paths


class Processes:
    """`tracker` commands running beside the test, stopped at its end."""

    def __init__(self, workspace: Path):
        self.workspace, self.running = workspace, []

    def start(self, *args: str) -> subprocess.Popen:
        log = open(self.workspace / f"process-{len(self.running)}.log", "w+")
        process = subprocess.Popen([TRACKER, *args], cwd=self.workspace, stdout=log, stderr=subprocess.STDOUT)
        process.log = log
        self.running.append(process)
        return process

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.log.close()


def output(process) -> str:
    process.log.flush()
    return Path(process.log.name).read_text()


def wait_for(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def processes(workspace):
    started = Processes(workspace)
    yield started
    started.stop()


def test_two_workers_check_300_sources_once_each_per_round(server, workspace, pg_url, processes):
    paths = watch(workspace, server, 300)
    for _ in range(2):
        processes.start("--archive", pg_url, "worker", "--concurrency", "4")
    first = tracker("--archive", pg_url, "check")
    assert first.exit_code == 0, first.output
    assert "300 new, 0 changed, 0 unchanged, 0 failed" in first.output
    assert all(len(server.hits(path)) == 1 for path in paths)
    again = tracker("--archive", pg_url, "check")
    assert "0 new, 0 changed, 300 unchanged, 0 failed" in again.output
    assert all(len(server.hits(path)) == 2 for path in paths)
    archive = open_archive(pg_url)
    assert archive.counts() == {(f"svc-{k}", "privacy"): 1 for k in range(300)}


def test_a_worker_killed_mid_round_loses_no_check_and_records_no_version_twice(
        server, workspace, pg_url, processes):
    paths = watch(workspace, server, 100)
    slow = {path: server.routes[path].body for path in paths}

    def answer_slowly(h):
        time.sleep(0.05)
        body = slow[h.path]
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    for path in paths:
        server.serve(path, handler=answer_slowly)
    doomed = processes.start("--archive", pg_url, "worker", "--concurrency", "4", "--stalled-after", "2")
    processes.start("--archive", pg_url, "worker", "--concurrency", "4", "--stalled-after", "2")
    result = {}
    waiting = threading.Thread(target=lambda: result.update(out=tracker("--archive", pg_url, "check")))
    waiting.start()
    assert wait_for(lambda: len(server.requests) >= 20)
    doomed.send_signal(signal.SIGKILL)
    waiting.join(60)
    assert not waiting.is_alive(), "the round never ended: the killed worker's jobs were not run again"
    summary = result["out"].output.splitlines()[-1]
    assert result["out"].exit_code == 0 and "0 failed" in summary, result["out"].output
    archive = open_archive(pg_url)
    assert archive.counts() == {(f"svc-{k}", "privacy"): 1 for k in range(100)}
    assert all(archive.states()[f"svc-{k}/privacy"]["status"] in ("new", "unchanged") for k in range(100))
    assert verify(archive).problems == ()
    assert any(len(server.hits(path)) == 2 for path in paths), "no job was in flight when the worker died"


def test_check_local_runs_in_this_process_without_workers(server, workspace, pg_url):
    watch(workspace, server, 3)
    result = tracker("--archive", pg_url, "check", "--local")
    assert result.exit_code == 0 and "3 new" in result.output
    assert "no tracker worker is running" not in result.output


def test_a_check_with_no_worker_running_says_so_and_waits(server, workspace, pg_url, processes):
    watch(workspace, server, 2)
    waiting = processes.start("--archive", pg_url, "check")
    assert wait_for(lambda: "no tracker worker is running" in output(waiting), 10)
    assert waiting.poll() is None, "the checks wait in the queue"
    processes.start("--archive", pg_url, "worker")
    assert waiting.wait(20) == 0
    assert "2 new, 0 changed, 0 unchanged, 0 failed" in output(waiting)


def test_two_schedulers_one_works_the_other_waits_and_takes_over(server, workspace, pg_url, processes):
    [path] = watch(workspace, server, 1)
    processes.start("--archive", pg_url, "worker", "--stalled-after", "2")
    active = processes.start("--archive", pg_url, "run", "--out", "site")
    assert wait_for(lambda: "watching 1 source(s)" in output(active))
    standby = processes.start("--archive", pg_url, "run", "--out", "site")
    assert wait_for(lambda: "hot standby" in output(standby))
    assert wait_for(lambda: (workspace / "site" / "index.html").exists())
    assert len(server.hits(path)) == 1
    assert "watching" not in output(standby)
    active.send_signal(signal.SIGTERM)
    assert wait_for(lambda: "watching 1 source(s)" in output(standby))
    time.sleep(0.5)
    assert len(server.hits(path)) == 1, "the new scheduler follows the last check, it does not check again"


def test_workers_take_turns_at_a_host_through_the_database(pg_url):
    """Two gates, as in two workers on two machines: one request at a time per host, a pause between two."""
    gates = [DatabaseGate(pg_url, delay=0.3), DatabaseGate(pg_url, delay=0.3)]
    turns = []

    def take(gate):
        for _ in range(2):
            with gate.turn("https://policies.example.org/privacy"):
                start = time.monotonic()
                time.sleep(0.05)
                turns.append((start, time.monotonic()))

    threads = [threading.Thread(target=take, args=(gate,)) for gate in gates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    turns.sort()
    assert len(turns) == 4
    assert all(later[0] - earlier[1] >= 0.29 for earlier, later in zip(turns, turns[1:], strict=False))


def test_a_worker_needs_a_postgresql_archive(workspace):
    result = tracker("worker")
    assert result.exit_code != 0 and "needs a PostgreSQL archive" in result.output
    assert os.path.exists(TRACKER)
