"""Work in worker processes: same results, same one-line errors, no worker left behind."""

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

from tracker.archive import Archive
from tracker.check import CHANGED, FAILED, NEW, UNCHANGED, check_all
from tracker.cli import cli
from tracker.errors import ExtractError
from tracker.processes import MIN_SOURCES, ProcessPool, pool_size
from tracker.reading import changes_between, read
from tracker.watchlist import Source

TRACKER = Path(sys.executable).with_name("tracker")
OLD = "We share your email address only with your consent."
NEW_TEXT = "We share your email address with our partners."


def _parents() -> dict[int, int]:
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            found[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except OSError:  # gone meanwhile
            continue
    return found


def _workers() -> set[int]:
    """The worker processes this one started, not yet reaped. The forkserver and the resource
    tracker that multiprocessing starts once, for the life of the process, are not workers."""
    parents, ours = _parents(), os.getpid()
    servers = {pid for pid, parent in parents.items() if parent == ours}
    return {pid for pid, parent in parents.items() if parent in servers}


def test_a_pool_reads_and_compares_as_the_calling_thread_does():
    html = page(OLD, "You can delete your account at any time.").encode()
    args = (html, "html", "utf-8", ("main",), (), None)
    before = _workers()
    with ProcessPool(2) as pool:
        assert pool.run(read, *args) == read(*args)
        assert pool.run(os.getpid) != os.getpid()
        changes = pool.run(changes_between, OLD + "\n", NEW_TEXT + "\n", "en")
        assert [c["type"] for c in changes] == ["weakened"]
        assert changes == changes_between(OLD + "\n", NEW_TEXT + "\n", "en")
        with pytest.raises(ExtractError, match="binary data, not text"):
            pool.run(read, bytes(range(256)) * 40, "html", None, (), (), None)
    assert _workers() == before


def test_a_large_run_finds_every_change_and_failure_and_leaves_no_process(server, workspace):
    n = MIN_SOURCES + 4
    sources = []
    for i in range(n):
        url = server.serve(f"/{i}", page(OLD, f"Service {i} keeps your data for 30 days."))
        sources.append(Source(f"svc-{i}", "privacy", url))
    server.serve("/0", bytes(range(256)) * 40)  # binary junk
    archive = Archive(workspace / "snapshots")
    before = _workers()
    first = check_all(sources, archive)
    assert [o.status for o in first].count(NEW) == n - 1
    assert first[0].status == FAILED and first[0].error == "the document is binary data, not text"
    server.serve("/5", page(NEW_TEXT, "Service 5 keeps your data for 30 days."))
    second = {o.source.service: o for o in check_all(sources, archive)}
    assert second["svc-5"].status == CHANGED
    assert [c["type"] for c in second["svc-5"].version.changes] == ["weakened"]
    assert sum(o.status == UNCHANGED for o in second.values()) == n - 2
    assert _workers() == before


def test_tracker_check_compares_in_the_pool_it_starts_before_loading_the_run(server, workspace):
    runner, before = CliRunner(), _workers()
    for i in range(MIN_SOURCES):
        url = server.serve(f"/{i}", page(OLD, f"Service {i} keeps your data for 30 days."))
        runner.invoke(cli, ["add", url, "--service", f"svc-{i}", "--document", "privacy"])
    assert runner.invoke(cli, ["check"]).exit_code == 0
    server.serve("/3", page(NEW_TEXT, "Service 3 keeps your data for 30 days."))
    second = runner.invoke(cli, ["check"])
    assert second.exit_code == 0, second.output
    assert "changed    svc-3/privacy (1 weakened)" in second.output
    assert f"0 new, 1 changed, {MIN_SOURCES - 1} unchanged" in second.output
    assert _workers() == before


@pytest.mark.skipif(pool_size(MIN_SOURCES) == 0, reason="no process pool on this machine (one core, or not Linux)")
def test_killing_a_run_takes_its_pool_processes_with_it(server, workspace, release):
    def stalls(handler):
        release.wait(20)

    runner = CliRunner()
    for i in range(MIN_SOURCES):
        server.serve(f"/{i}", handler=stalls)
        runner.invoke(cli, ["add", server.url(f"/{i}"), "--service", f"svc-{i}", "--document", "privacy"])
    run = subprocess.Popen([str(TRACKER), "check"], start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not server.requests and time.monotonic() < deadline:  # fetching: the pool is starting
        time.sleep(0.05)
    assert server.requests, "the run never started fetching"
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(run.pid, 0)  # anyone left in the run's process group?
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail("pool processes outlived the run that forked them")


@pytest.mark.skipif(pool_size(MIN_SOURCES) == 0, reason="no process pool on this machine (one core, or not Linux)")
def test_ctrl_c_stops_a_run_with_one_line_and_no_traceback_from_its_pool(server, workspace, release):
    for i in range(MIN_SOURCES):
        server.serve(f"/{i}", handler=lambda h: release.wait(20))
        CliRunner().invoke(cli, ["add", server.url(f"/{i}"), "--service", f"svc-{i}", "--document", "privacy"])
    for delay in (0.0, 0.15):  # while the pool loads the engine, and once fetching
        server.requests.clear()
        run = subprocess.Popen([str(TRACKER), "check"], start_new_session=True, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
        os.killpg(run.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends: the whole group
        release.set()
        _, errors = run.communicate(timeout=30)
        release.clear()
        assert run.returncode == 130 and errors.strip() == "interrupted", errors


def test_a_pool_whose_process_was_killed_goes_on_in_the_calling_thread():
    before = _workers()
    with ProcessPool(1) as pool:
        assert pool.run(os.getpid) != os.getpid()  # run in the pool's process
        (process,) = _workers() - before
        os.kill(process, signal.SIGKILL)  # out of memory, say
        changes = pool.run(changes_between, OLD + "\n", NEW_TEXT + "\n", "en")
        assert [c["type"] for c in changes] == ["weakened"]
        assert pool.run(os.getpid) == os.getpid()  # from now on, in the calling thread
    assert _workers() == before


class _Unrebuildable(Exception):
    def __init__(self, what, why):
        super().__init__(f"{what}: {why}")


def _fails_oddly():
    raise _Unrebuildable("page 3", "no text")


def test_an_error_the_run_cannot_rebuild_arrives_in_words_and_the_process_goes_on():
    with ProcessPool(1) as pool:
        with pytest.raises(RuntimeError, match="_Unrebuildable: page 3: no text"):
            pool.run(_fails_oddly)
        assert pool.run(os.getpid) != os.getpid()  # still answered by the pool's process


def test_a_site_build_from_a_thread_of_a_running_tracker_never_forks_that_process(tmp_path, monkeypatch):
    """tracker run builds the site from its scheduler's threads: forking a process that has
    threads can copy a lock another thread holds. The pool starts its workers from a server
    process instead; this process is never forked, however many change pages there are."""
    from datetime import UTC, datetime, timedelta

    from tracker.site import build_site

    archive = Archive(tmp_path / "snapshots")
    texts = [f"We keep your data for {days} days after you leave.\n" for days in range(30, 30 + 45)]
    for day, (before, text) in enumerate(zip([None, *texts], texts, strict=False)):
        archive.record("acme", "privacy", text, fetched_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day),
                       url="https://acme.example/privacy", raw_sha256=None, kind="text", lang="en",
                       changes=changes_between(before, text, "en") if before else [])

    def no_fork():
        raise AssertionError("a threaded process was forked")

    monkeypatch.setattr(os, "fork", no_fork)
    built: list[Path] = []
    builder = threading.Thread(target=lambda: built.append(build_site(archive, (), tmp_path / "site")))
    builder.start()
    builder.join(120)
    assert built, "the build failed or hung"
    assert len(list((tmp_path / "site" / "acme" / "privacy").glob("2024-*.html"))) == 44
