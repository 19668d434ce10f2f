"""Notifications from a PostgreSQL archive: each loss reaches each target once, whether the
checks run in workers, in the checking process (--local) or under the scheduler, across
restarts, a run killed while sending, and two runs delivering at once."""

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from conftest import page
from test_jobs import Processes, output, wait_for
from test_notify import CONTACT, DELETE, NOT_ONLY, ONLY, receiver, tracker  # noqa: F401 -- receiver: a fixture

from tracker.notify import after_check
from tracker.pgarchive import PgArchive
from tracker.watchlist import load


@pytest.fixture
def processes(workspace):
    started = Processes(workspace)
    yield started
    started.stop()


def watch(server, every: str = "12h") -> None:
    url = server.serve("/privacy", page(ONLY, DELETE, CONTACT))
    added = tracker("add", url, "--service", "Acme", "--document", "Privacy", "--select", "main",
                    "--every", every, "--no-browser")
    assert added.exit_code == 0, added.output


def check(server, pg_url: str, *paragraphs: str, local: bool = False):
    server.serve("/privacy", page(*paragraphs, CONTACT))
    result = tracker("--archive", pg_url, "check", *(["--local"] if local else []))
    assert result.exit_code == 0, result.output  # a notification never fails the check
    return result


def types(post) -> list[str]:
    return [c["type"] for c in json.loads(post[2])["changes"]]


def test_each_loss_is_posted_once_from_workers_a_local_check_a_restart_and_the_scheduler(
        server, workspace, pg_url, receiver, processes):  # noqa: F811 -- the fixture
    watch(server, every="1s")
    tracker("notify", "add", receiver.url())
    processes.start("--archive", pg_url, "worker")
    check(server, pg_url, ONLY, DELETE)
    assert receiver.posts == []  # a first version changes no pledge
    result = check(server, pg_url, NOT_ONLY, DELETE)  # "only" dropped: weakened, checked in a worker
    assert "not sent" not in result.output
    check(server, pg_url, NOT_ONLY, DELETE, local=True)  # unchanged, checked here
    check(server, pg_url, NOT_ONLY, DELETE)  # a restart: a new run reads what was sent from the database
    assert [types(post) for post in receiver.posts] == [["weakened"]]

    server.serve("/privacy", page(NOT_ONLY, CONTACT))  # the deletion pledge removed, found by the scheduler
    scheduler = processes.start("--archive", pg_url, "run", "--out", "site")
    assert wait_for(lambda: len(receiver.posts) == 2), output(scheduler)
    time.sleep(2)  # two more checks or so: nothing more to send
    assert [types(post) for post in receiver.posts] == [["weakened"], ["removed"]]
    assert "notified webhook" in output(scheduler)


def test_a_run_killed_while_sending_sends_again_once(server, workspace, pg_url, receiver):  # noqa: F811 -- the fixture
    """The "sending" mark is committed before the POST goes out: the next run, with nothing new
    to record, still sends the change again (once, with the same delivery id)."""
    from tracker.senders import DELIVERY

    watch(server)
    tracker("notify", "add", receiver.url())
    check(server, pg_url, ONLY, DELETE, local=True)
    server.serve("/privacy", page(NOT_ONLY, DELETE, CONTACT))
    receiver.status = None  # the receiver takes the POST and never answers
    run = subprocess.Popen([sys.executable, "-c", "from tracker.cli import main; main()", "--archive", pg_url,
                            "check", "--local"], cwd=workspace, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: receiver.posts or run.poll() is not None, 60)
        assert receiver.posts, "the killed run should have sent its POST"
    finally:
        run.kill()
        run.wait()
    receiver.status = 200
    check(server, pg_url, NOT_ONLY, DELETE, local=True)
    check(server, pg_url, NOT_ONLY, DELETE, local=True)
    assert len(receiver.posts) == 2
    assert receiver.posts[0][1][DELIVERY] == receiver.posts[1][1][DELIVERY]


def test_two_runs_delivering_at_once_send_a_change_once_and_the_status_page_shows_failures(
        server, workspace, pg_url, receiver):  # noqa: F811 -- the fixture
    watch(server)
    tracker("notify", "add", receiver.url())
    check(server, pg_url, ONLY, DELETE, local=True)
    receiver.status = 500
    assert "HTTP 500" in check(server, pg_url, NOT_ONLY, DELETE, local=True).output
    assert tracker("--archive", pg_url, "build").exit_code == 0
    assert "HTTP 500" in (workspace / "site/status.html").read_text()

    class Slow(receiver.httpd.RequestHandlerClass):  # the second run asks while the first is sending
        def do_POST(self) -> None:
            time.sleep(0.5)
            super().do_POST()

    receiver.httpd.RequestHandlerClass, receiver.status = Slow, 200
    watchlist = workspace / "watchlist.toml"
    sources = load(watchlist).sources
    later = datetime.now(UTC) + timedelta(minutes=2)  # the failed send's retry is due
    runs = [threading.Thread(target=after_check, args=(PgArchive(pg_url), watchlist, sources),
                             kwargs={"changed": False, "now": later, "log": lambda _: None}) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(30)
    assert [types(post) for post in receiver.posts] == [["weakened"], ["weakened"]]  # the failed one, then one
    assert tracker("--archive", pg_url, "build").exit_code == 0
    assert "HTTP 500" not in (workspace / "site/status.html").read_text()
