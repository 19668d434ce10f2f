"""Running for months: politeness, error pages, credentials and file:// sources."""

import threading
import time
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from conftest import page

from tracker.archive import Archive
from tracker.check import check_all
from tracker.cli import cli
from tracker.fetch import LOOPBACK_AT_ONCE, HostGate
from tracker.watchlist import Source

LONG = page(*[f"We keep your order number {n} for one year and never sell it." for n in range(40)])
SHORT = page("Oops, this page is being updated. We never sell your data.")


def _check(archive, url, day):
    [outcome] = check_all([Source("acme", "privacy", url, lang="en")], archive,
                          now=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day))
    return outcome


def test_a_suddenly_short_page_is_held_until_seen_again(server, tmp_path):
    archive = Archive(tmp_path)
    url = server.serve("/p", LONG)
    assert _check(archive, url, 0).status == "new"
    server.serve("/p", SHORT)
    held = _check(archive, url, 1)
    assert held.status == "held" and "shorter" in held.error
    assert len(archive.versions("acme", "privacy")) == 1
    again = _check(archive, url, 2)
    assert again.status == "changed"
    assert len(archive.versions("acme", "privacy")) == 2


def test_an_error_page_seen_once_never_shows_as_every_pledge_removed(server, tmp_path):
    archive = Archive(tmp_path)
    url = server.serve("/p", LONG)
    _check(archive, url, 0)
    server.serve("/p", SHORT)
    assert _check(archive, url, 1).status == "held"
    server.serve("/p", LONG)
    assert _check(archive, url, 2).status == "unchanged"
    server.serve("/p", SHORT)
    assert _check(archive, url, 3).status == "held"  # held afresh: the earlier sighting was cleared
    assert [v.previous for v in archive.versions("acme", "privacy")] == [None]


def test_credentials_in_a_url_never_reach_the_archive_or_the_site(server, workspace):
    url = server.serve("/p", page("We never sell your personal data.")).replace("http://", "http://alice:s3cret@")
    runner = CliRunner()
    assert runner.invoke(cli, ["add", url, "--service", "acme", "--document", "privacy"]).exit_code == 0
    assert runner.invoke(cli, ["check"]).exit_code == 0
    server.serve("/p", page("We may sell your personal data."))
    runner.invoke(cli, ["check"])
    assert runner.invoke(cli, ["build", "--out", "site"]).exit_code == 0
    for folder in ("snapshots", "site"):
        for path in (workspace / folder).rglob("*"):
            if path.is_file():
                assert b"s3cret" not in path.read_bytes(), path


def test_file_sources_are_refused_unless_allowed(tmp_path, workspace):
    secret = tmp_path / "secret.html"
    secret.write_text(page("We never sell your personal data."))
    runner = CliRunner()
    runner.invoke(cli, ["add", secret.as_uri(), "--service", "local", "--document", "privacy"])
    refused = runner.invoke(cli, ["check"])
    assert refused.exit_code == 1 and "file:// URLs are not allowed" in refused.output
    assert not (workspace / "snapshots" / "local").exists()
    allowed = runner.invoke(cli, ["check", "--allow-file"])
    assert allowed.exit_code == 0 and "1 new" in allowed.output


def test_one_host_gets_one_request_at_a_time_with_a_pause_between():
    gate, spans, lock = HostGate(delay=0.2), [], threading.Lock()

    def visit(url):
        with gate.turn(url):
            start = time.monotonic()
            time.sleep(0.05)
            with lock:
                spans.append((url, start, time.monotonic()))

    threads = [threading.Thread(target=visit, args=(u,)) for u in
               ["https://a.example/1", "https://a.example/2", "https://a.example/3", "https://b.example/1"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    on_a = sorted((s, e) for u, s, e in spans if "a.example" in u)
    assert all(later - end >= 0.19 for (_, end), (later, _) in zip(on_a, on_a[1:], strict=False))
    b_start = next(s for u, s, _ in spans if "b.example" in u)
    assert b_start < on_a[1][0]  # another host does not wait for a.example


def test_a_server_on_this_machine_gets_a_few_requests_at_once_without_pauses():
    """A local server (tests, a mirror) is often small: a few connections at a time, no pause."""
    gate, lock, busy, most = HostGate(delay=1.0), threading.Lock(), [0], [0]

    def visit(n):
        with gate.turn(f"http://127.0.0.1:8000/{n}"):
            with lock:
                busy[0] += 1
                most[0] = max(most[0], busy[0])
            time.sleep(0.05)
            with lock:
                busy[0] -= 1

    started = time.monotonic()
    threads = [threading.Thread(target=visit, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == LOOPBACK_AT_ONCE
    assert time.monotonic() - started < 1.0  # no politeness pause on loopback


def test_a_host_asking_to_wait_is_left_alone_for_that_long():
    gate = HostGate(delay=0.0)
    gate.hold("https://a.example/x", 0.3)
    start = time.monotonic()
    with gate.turn("https://a.example/y"):
        waited = time.monotonic() - start
    assert waited >= 0.28
