import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from conftest import page

from tracker.archive import Archive
from tracker.schedule import _first_run, run_forever
from tracker.watchlist import Source, add


def _wait_for(condition, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@contextmanager
def running(server, tmp_path, every):
    """`tracker run` in a thread on one source served on loopback; stopped (and joined) at the end."""
    url = server.serve("/p", page("We never sell your personal data."))
    watchlist, archive, out = tmp_path / "watchlist.toml", Archive(tmp_path / "snapshots"), tmp_path / "site"
    add(watchlist, Source("acme", "privacy", url, every=every, lang="en"))
    stop = threading.Event()
    runner = threading.Thread(target=run_forever, args=(watchlist, archive, out), daemon=True,
                              kwargs={"stop": stop, "log": lambda _: None})
    runner.start()
    try:
        yield archive, out
    finally:
        stop.set()
        runner.join(timeout=60)  # running checks finish first; a loaded CI machine is slow
    assert not runner.is_alive()


def test_run_checks_at_the_interval_rebuilds_the_site_and_stops_cleanly(server, tmp_path):
    with running(server, tmp_path, every="1s") as (archive, out):
        assert _wait_for(lambda: (out / "index.html").exists())
        server.serve("/p", page("We may sell your personal data to partners."))
        assert _wait_for(lambda: len(archive.versions("acme", "privacy")) == 2)
        assert _wait_for(lambda: "partners" in (out / "index.html").read_text())
    assert not list(tmp_path.rglob("*.tmp"))
    assert Archive(tmp_path / "snapshots").state("acme", "privacy")["status"] in ("changed", "unchanged")


def test_a_long_run_writes_its_checks_states_while_it_runs(server, tmp_path):
    with running(server, tmp_path, every="1h"):
        # another process (tracker list, the site) reads the file, not this run's memory
        assert _wait_for(lambda: Archive(tmp_path / "snapshots").state("acme", "privacy").get("status") == "new")


def test_a_recently_checked_source_is_not_checked_again_at_start(tmp_path):
    archive = Archive(tmp_path)
    source = Source("acme", "privacy", "http://127.0.0.1/p", every="12h")
    assert _first_run(archive.state("acme", "privacy"), source) <= datetime.now(UTC)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    archive.save_state("acme", "privacy", {"checked_at": an_hour_ago.isoformat()})
    next_run = _first_run(archive.state("acme", "privacy"), source)
    assert timedelta(hours=10, minutes=59) < next_run - datetime.now(UTC) <= timedelta(hours=11)


def test_watchlist_edits_are_picked_up_without_a_restart(server, tmp_path):
    first = server.serve("/a", page("We never sell your personal data."))
    second = server.serve("/b", page("We never share your location."))
    watchlist, archive, out = tmp_path / "watchlist.toml", Archive(tmp_path / "snapshots"), tmp_path / "site"
    add(watchlist, Source("acme", "privacy", first, every="1h", lang="en"))
    stop = threading.Event()
    runner = threading.Thread(target=run_forever, args=(watchlist, archive, out), daemon=True,
                              kwargs={"stop": stop, "log": lambda _: None, "reload_seconds": 0.2})
    runner.start()
    try:
        assert _wait_for(lambda: len(archive.versions("acme", "privacy")) == 1)
        add(watchlist, Source("beta", "privacy", second, every="1h", lang="en"))
        assert _wait_for(lambda: len(archive.versions("beta", "privacy")) == 1)
        # the health summary names both, each next checked about an hour after its first check
        assert _wait_for(lambda: _next_runs(archive).keys() == {"acme/privacy", "beta/privacy"})
        later = datetime.now(UTC) + timedelta(minutes=50)
        assert _wait_for(lambda: all(t > later for t in _next_runs(archive).values()))
    finally:
        stop.set()
        runner.join(timeout=10)


def _next_runs(archive):
    return {k: datetime.fromisoformat(v) for k, v in archive.health().get("next_runs", {}).items()}


def test_sigterm_stops_tracker_run_cleanly(server, workspace):
    import signal
    import subprocess
    import sys
    from pathlib import Path

    url = server.serve("/p", page("We never sell your personal data."))
    add(workspace / "watchlist.toml", Source("acme", "privacy", url, every="1h", lang="en"))
    tracker = Path(sys.executable).with_name("tracker")
    process = subprocess.Popen([str(tracker), "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    archive = Archive(workspace / "snapshots")
    try:
        assert _wait_for(lambda: (workspace / "site" / "index.html").exists(), seconds=30)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert "stopping" in output and "Traceback" not in output
    assert len(archive.versions("acme", "privacy")) == 1
    assert not list(workspace.rglob("*.tmp"))
