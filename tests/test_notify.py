"""Notifications: each weakened or removed pledge reaches each target once, by a signed
webhook POST or by e-mail, across checks, restarts and failing receivers.

Receivers are real and local: an http.server in a thread, and aiosmtpd's SMTP server.
"""

import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from conftest import page

from tracker.archive import Archive
from tracker.cli import cli
from tracker.notify import after_check
from tracker.senders import SIGNATURE

ONLY = "We only use your email address to send receipts."
NOT_ONLY = "We use your email address to send receipts."
DELETE = "We delete your personal data within 30 days after you close your account."
KEEP = "We never sell your personal data."
# on every page: a version losing a pledge stays long enough not to be held as an error page
CONTACT = ("You may write to our data protection officer at any time about anything in this policy, "
           "and you may complain to the data protection authority of your country.")


class Receiver:
    """A webhook receiver on 127.0.0.1: records each POST, answers `status`."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict, bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((self.path, dict(self.headers), body))
                if receiver.status is None:  # hang until the client gives up or is killed
                    self.rfile.read()
                    return
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str = "/hook", credentials: str = "") -> str:
        return f"http://{credentials}127.0.0.1:{self.httpd.server_port}{path}"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.httpd.shutdown()
    r.httpd.server_close()


class Mailbox:
    """What aiosmtpd's server received, as parsed messages."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # a free port: the controller checks the one it is given
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox.server = f"smtp://127.0.0.1:{port}"
    yield mailbox
    controller.stop()


def tracker(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def watch(server, *paragraphs: str) -> str:
    url = server.serve("/privacy", page(*paragraphs, CONTACT))
    assert tracker("add", url, "--service", "Acme", "--document", "Privacy", "--select", "main").exit_code == 0
    return url


def check(server, *paragraphs: str):
    server.serve("/privacy", page(*paragraphs, CONTACT))
    result = tracker("check")
    assert result.exit_code == 0, result.output  # a notification never fails the check
    return result


def test_a_webhook_gets_one_signed_post_per_weakened_pledge_across_checks_and_a_restart(server, workspace, receiver):
    watch(server, ONLY, DELETE)
    assert tracker("notify", "add", receiver.url(), "--secret", "k3y").exit_code == 0
    check(server, ONLY, DELETE)
    assert receiver.posts == []  # a first version changes no pledge
    check(server, NOT_ONLY, DELETE)  # "only" dropped: weakened
    check(server, NOT_ONLY, DELETE)  # unchanged
    tracker("check")  # a restart: a new run reads what was sent from the archive's state
    [(path, headers, body)] = receiver.posts
    assert (workspace / "watchlist.toml").stat().st_mode & 0o077 == 0  # it holds a key now
    assert headers[SIGNATURE] == "sha256=" + hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
    tracker("build")
    [change] = json.loads((workspace / "site/data/changes.json").read_text())
    assert json.loads(body) == change and [c["type"] for c in change["changes"]] == ["weakened"]

    check(server, NOT_ONLY)  # the deletion pledge removed: a second loss, a second POST
    assert len(receiver.posts) == 2
    assert [c["type"] for c in json.loads(receiver.posts[1][2])["changes"]] == ["removed"]
    check(server, NOT_ONLY, KEEP)  # an added pledge is no loss
    assert len(receiver.posts) == 2


def test_a_receiver_that_fails_gets_the_change_on_a_later_run_and_the_status_page_says_so(
        server, workspace, receiver):
    watch(server, ONLY)
    tracker("notify", "add", receiver.url("/hook/t0ken-s3cret", "bob:pw-s3cret@"), "--only", "all")
    check(server, ONLY)
    receiver.status = 500
    result = check(server, NOT_ONLY)
    assert len(receiver.posts) == 1 and "HTTP 500" in result.output and "s3cret" not in result.output
    assert receiver.posts[0][1]["Authorization"].startswith("Basic ")
    tracker("build")
    status = (workspace / "site/status.html").read_text()
    assert "Notifications not delivered yet" in status and "HTTP 500" in status
    tracker("build", "--lang", "fr", "--out", "site-fr")  # the site's words, the failure as the receiver said it
    status = (workspace / "site-fr/status.html").read_text()
    assert "Notifications pas encore remises" in status and "Prochain essai" in status and "HTTP 500" in status
    assert "not delivered" not in status

    receiver.status = 200
    archive, watchlist = Archive(workspace / "snapshots"), workspace / "watchlist.toml"
    from tracker.watchlist import load

    sources = load(watchlist).sources
    after_check(archive, watchlist, sources, changed=False, log=print)  # before its retry is due
    assert len(receiver.posts) == 1
    later = datetime.now(UTC) + timedelta(minutes=2)
    after_check(archive, watchlist, sources, changed=False, log=print, now=later)
    after_check(archive, watchlist, sources, changed=False, log=print, now=later + timedelta(hours=1))
    assert len(receiver.posts) == 2 and receiver.posts[0][2] == receiver.posts[1][2]
    tracker("build")
    assert "Notifications not delivered yet" not in (workspace / "site/status.html").read_text()
    published = [p.read_text() for p in (workspace / "site").rglob("*") if p.is_file()]
    assert not any("s3cret" in text for text in published)
    assert "s3cret" not in (workspace / "snapshots/_state/notify.json").read_text()


def test_an_email_goes_out_for_each_loss_with_text_and_html_parts(server, workspace, smtp):
    watch(server, ONLY, DELETE)
    tracker("notify", "add", "mailto:alice@example.org")
    with open(workspace / "watchlist.toml", "a") as file:
        file.write(f'smtp = "{smtp.server}"\nfrom = "tracker@example.org"\n')  # inside [[notify.target]]
    assert "unknown key" in tracker("check").output  # a misplaced key is said, and the check still runs
    server_lines = f'smtp = "{smtp.server}"\nfrom = "tracker@example.org"\n'
    text = (workspace / "watchlist.toml").read_text().replace(server_lines, "")
    (workspace / "watchlist.toml").write_text(f"[notify]\n{server_lines}\n{text}")

    check(server, NOT_ONLY, DELETE)
    check(server, NOT_ONLY)
    check(server, NOT_ONLY, KEEP)  # no loss: no mail
    assert [m["Subject"] for m in smtp.messages] == ["Pledge Tracker: Acme · Privacy: 1 weakened",
                                                     "Pledge Tracker: Acme · Privacy: 1 removed"]
    first = smtp.messages[0]
    assert first["To"] == "alice@example.org"
    assert first["List-Unsubscribe"].strip().startswith("<mailto:tracker@example.org")
    plain, html = first.get_body(("plain",)), first.get_body(("html",))
    assert "WEAKENED" in plain.get_content() and NOT_ONLY in plain.get_content()
    assert "<blockquote" in html.get_content() and "only" in html.get_content()


def test_a_digest_gathers_the_losses_of_a_day_in_one_email(server, workspace, smtp):
    watch(server, ONLY, DELETE)
    port = smtp.server.rsplit(":", 1)[1]
    tracker("notify", "add", f"smtp://127.0.0.1:{port}?to=alice@example.org&from=t@example.org", "--every", "1d")
    check(server, ONLY, DELETE)
    check(server, NOT_ONLY, DELETE)
    assert [m["Subject"] for m in smtp.messages] == ["Pledge Tracker digest: 1 change"]
    check(server, NOT_ONLY)  # a second loss the same day waits for the next digest
    assert len(smtp.messages) == 1
    archive, watchlist = Archive(workspace / "snapshots"), workspace / "watchlist.toml"
    from tracker.watchlist import load

    tomorrow = datetime.now(UTC) + timedelta(days=1, minutes=1)
    after_check(archive, watchlist, load(watchlist).sources, log=print, now=tomorrow)
    assert [m["Subject"] for m in smtp.messages][1:] == ["Pledge Tracker digest: 1 change"]
    assert "REMOVED" in smtp.messages[1].get_body(("plain",)).get_content()


def test_a_run_killed_while_sending_sends_again_once(server, workspace, receiver):
    """Killed between "sending" and "sent": the next run sends it again (one duplicate, with
    the same delivery id), and the one after that sends nothing."""
    import subprocess
    import sys
    import time

    from tracker.senders import DELIVERY

    watch(server, ONLY, DELETE)
    tracker("notify", "add", receiver.url())
    check(server, ONLY, DELETE)
    server.serve("/privacy", page(NOT_ONLY, DELETE, CONTACT))
    receiver.status = None  # the receiver takes the POST and never answers
    run = subprocess.Popen([sys.executable, "-c", "from tracker.cli import main; main()", "check"],
                           cwd=workspace, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not receiver.posts and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
        assert receiver.posts, "the killed run should have sent its POST"
    finally:
        run.kill()
        run.wait()
    receiver.status = 200
    tracker("check")
    tracker("check")
    assert len(receiver.posts) == 2
    assert receiver.posts[0][1][DELIVERY] == receiver.posts[1][1][DELIVERY]
    assert receiver.posts[0][2] == receiver.posts[1][2]


def test_tracker_run_notifies_the_changes_it_records(server, workspace, receiver):
    import time

    from tracker.schedule import run_forever

    url = server.serve("/privacy", page(ONLY, CONTACT))
    tracker("add", url, "--service", "Acme", "--document", "Privacy", "--select", "main", "--every", "1s")
    tracker("notify", "add", receiver.url())
    stop = threading.Event()
    runner = threading.Thread(target=run_forever, daemon=True, args=(
        workspace / "watchlist.toml", Archive(workspace / "snapshots"), workspace / "site"),
        kwargs={"stop": stop, "log": lambda _: None})
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while not (workspace / "site/index.html").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        server.serve("/privacy", page(NOT_ONLY, CONTACT))
        while not receiver.posts and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)  # another check or two: nothing more to send
    finally:
        stop.set()
        runner.join(timeout=60)
    [(_, _, body)] = receiver.posts
    assert [c["type"] for c in json.loads(body)["changes"]] == ["weakened"]


def test_an_apprise_url_gets_one_notification_per_loss(server, workspace, receiver):
    """Apprise's json:// service POSTs to our local receiver: what any Apprise service would get."""
    watch(server, ONLY, DELETE)
    url = receiver.url().replace("http://", "json://")
    added = tracker("notify", "add", url)
    assert added.exit_code == 0 and "Apprise json://…" in added.output
    check(server, ONLY, DELETE)
    check(server, NOT_ONLY, DELETE)
    check(server, NOT_ONLY, DELETE)
    [(_, _, body)] = receiver.posts
    sent = json.loads(body)
    assert sent["title"] == "Pledge Tracker: Acme · Privacy: 1 weakened" and "WEAKENED" in sent["message"]


def test_a_password_goes_to_the_mail_server_only_after_starttls(server, workspace, monkeypatch):
    """A real TLS handshake: the server's certificate comes from a test authority (trustme)
    that the environment names, as a company's own authority would be named."""
    import ssl

    import trustme
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    authority = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(tls)
    authority.cert_pem.write_to_path(str(workspace / "authority.pem"))
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)  # it would come first
    monkeypatch.setenv("SSL_CERT_FILE", str(workspace / "authority.pem"))
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password, session.ssl is not None))
        return AuthResult(success=auth_data.password == b"pw-s3cret")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True,
                            authenticator=authenticator, auth_required=True)
    controller.start()
    try:
        watch(server, ONLY)
        tracker("notify", "add", f"smtp://bot:pw-s3cret@127.0.0.1:{port}?to=alice@example.org&from=bot@example.org")
        check(server, ONLY)
        result = check(server, NOT_ONLY)
    finally:
        controller.stop()
    assert logins == [(b"bot", b"pw-s3cret", True)]
    assert [m["Subject"] for m in mailbox.messages] == ["Pledge Tracker: Acme · Privacy: 1 weakened"]
    assert "s3cret" not in result.output


def test_a_password_is_never_sent_to_a_mail_server_without_starttls(server, workspace, smtp):
    port = smtp.server.rsplit(":", 1)[1]
    watch(server, ONLY)
    tracker("notify", "add", f"smtp://bot:pw-s3cret@127.0.0.1:{port}?to=alice@example.org")
    check(server, ONLY)
    result = check(server, NOT_ONLY)
    assert smtp.messages == [] and "offers no STARTTLS: the password is not sent in clear" in result.output
    assert "s3cret" not in result.output
