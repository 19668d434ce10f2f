"""What the fetches of a run share through their requests Session: the cookies a site sets
(across redirects and to its later documents; never to another site, never archived), kept-alive
connections, and a proxy spoken to over TLS."""

import http.server
import select
import socket
import ssl
import threading

import pytest
import trustme
from conftest import page
from test_fetch import FAST, respond

from tracker.archive import Archive
from tracker.check import NEW, check_all
from tracker.errors import FetchError
from tracker.fetch import LOOPBACK_AT_ONCE, fetch, new_client
from tracker.watchlist import NEVER, Source

POLICY = page("We will never sell your personal data.", "We keep your data for 30 days.")
TERMS = page("You may close your account at any time.", "We answer within 30 days.")
VISITOR = "visitor=4f1c2e9a"


def source(url: str, service: str) -> Source:
    """A source fetched plainly: a refusal must not be papered over by the browser."""
    return Source(service, "privacy-policy", url, browser=NEVER)


def test_a_cookie_set_with_a_redirect_to_the_same_url_is_sent_when_following_it(server):
    """What consent walls and CDN bot checks do on a first visit: plain clients used to loop."""

    def consent(h):
        if "seen=1" in h.headers.get("Cookie", ""):
            respond(h, 200, POLICY.encode())
        else:
            respond(h, 302, b"", {"Location": h.path, "Set-Cookie": "seen=1; Path=/"})

    url = server.serve("/privacy", handler=consent)
    assert fetch(url, limits=FAST).content == POLICY.encode()
    assert [hit.get("Cookie") for hit in server.hits("/privacy")] == [None, "seen=1"]


def test_a_cookie_one_document_sets_reaches_the_next_of_its_site_and_no_other_site_nor_the_archive(
        server, tmp_path):
    def welcome(h):
        respond(h, 200, POLICY.encode(), {"Set-Cookie": f"{VISITOR}; Path=/"})

    def members_only(h):
        if VISITOR in h.headers.get("Cookie", ""):
            respond(h, 200, TERMS.encode())
        else:
            respond(h, 403, b"<p>Forbidden</p>")

    first = server.serve("/privacy", handler=welcome)
    second = server.serve("/terms", handler=members_only)
    elsewhere = server.serve("/other", POLICY).replace("127.0.0.1", "localhost")  # another site
    archive = Archive(tmp_path / "snapshots")
    sources = [source(first, "first"), source(second, "second"), source(elsewhere, "third")]
    outcomes = check_all(sources, archive, workers=1, limits=FAST)  # one thread: in this order
    assert [o.status for o in outcomes] == [NEW, NEW, NEW], [o.error for o in outcomes]
    assert "Cookie" not in server.hits("/other")[0]
    stored = [path.read_bytes() for path in (tmp_path / "snapshots").rglob("*") if path.is_file()]
    assert stored and not any(VISITOR.encode() in content for content in stored)


def test_a_new_run_starts_without_the_cookies_of_the_last(server):
    url = server.serve("/privacy", POLICY, headers={"Set-Cookie": f"{VISITOR}; Path=/"})
    new_client(FAST).fetch(url)
    new_client(FAST).fetch(url)
    assert [hit.get("Cookie") for hit in server.hits("/privacy")] == [None, None]


def test_twenty_documents_of_a_host_take_far_fewer_than_twenty_connections(server, tmp_path):
    connections = set()

    def counted(h):
        connections.add(h.client_address)  # one client port per connection
        respond(h, 200, page(f"We keep the records of case {h.path} for 30 days.").encode())

    urls = [server.serve(f"/policy/{n}", handler=counted) for n in range(20)]
    outcomes = check_all([source(url, f"svc-{n}") for n, url in enumerate(urls)], Archive(tmp_path / "a"),
                         workers=8, limits=FAST)
    assert all(o.status == NEW for o in outcomes), [o.error for o in outcomes]
    assert len(connections) <= LOOPBACK_AT_ONCE  # at most that many at once, then kept alive


def test_the_body_of_a_redirect_is_not_read(server):
    """requests' Session reads a redirect's body whole, unpacked and without limit: an endless
    one (or a gzip bomb) would never let the fetch go on."""
    total, sent, done = 200 * 1024 * 1024, [], threading.Event()

    def endless_redirect(h):
        h.send_response(302)
        h.send_header("Location", "/privacy")
        h.end_headers()
        h.close_connection = True
        try:
            while sum(sent) < total:
                h.wfile.write(b"x" * 65536)
                sent.append(65536)
        except OSError:
            pass
        finally:
            done.set()

    server.serve("/privacy", POLICY)
    assert fetch(server.serve("/moved", handler=endless_redirect), limits=FAST).content == POLICY.encode()
    assert done.wait(5) and sum(sent) < total


@pytest.fixture
def authority(tmp_path, monkeypatch):
    """A certificate authority made for the test, the only one HTTPS trusts (SSL_CERT_FILE)."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    for variable in ("REQUESTS_CA_BUNDLE", "SSL_CERT_DIR", "NO_PROXY", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return ca


def serve_tls(ca, handler: type) -> tuple[str, http.server.ThreadingHTTPServer]:
    """handler on 127.0.0.1 behind TLS, with a certificate of `ca`; its https URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    httpd.handle_error = lambda request, address: None
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return f"https://127.0.0.1:{httpd.server_port}", httpd


class Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass


@pytest.fixture
def tls_proxy(authority):
    """A proxy spoken to over TLS (https://…), as some company networks have: it answers
    plain-http URLs itself and opens CONNECT tunnels for https ones. Yields its URL and the
    request lines it read (inside TLS: a proxy spoken to in plain text reads none)."""
    seen = []

    class Proxy(Quiet):
        def do_GET(self):
            seen.append(self.requestline)
            respond(self, 200, b"<p>through the proxy</p>")

        def do_CONNECT(self):
            seen.append(self.requestline)
            host, port = self.path.rsplit(":", 1)
            with socket.create_connection((host, int(port))) as upstream:
                self.send_response(200, "Connection established")
                self.end_headers()
                self.close_connection = True
                while True:
                    ready, _, _ = select.select([self.connection, upstream], [], [], 5)
                    data = ready and ready[0].recv(65536)
                    if not data:
                        return
                    (upstream if ready[0] is self.connection else self.connection).sendall(data)

    url, httpd = serve_tls(authority, Proxy)
    yield url, seen
    httpd.shutdown()
    httpd.server_close()


def test_an_https_proxy_is_spoken_to_over_tls(tls_proxy, monkeypatch):
    proxy, seen = tls_proxy
    monkeypatch.setenv("HTTP_PROXY", proxy)
    assert fetch("http://policies.example.invalid/privacy", limits=FAST).content == b"<p>through the proxy</p>"
    assert seen == ["GET http://policies.example.invalid/privacy HTTP/1.1"]


def test_an_https_page_is_reached_through_a_tunnel_of_an_https_proxy(tls_proxy, authority, monkeypatch):
    class Policy(Quiet):
        def do_GET(self):
            respond(self, 200, b"<p>over TLS, twice</p>")

    site, httpd = serve_tls(authority, Policy)
    try:
        proxy, seen = tls_proxy
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        assert fetch(f"{site}/privacy", limits=FAST).content == b"<p>over TLS, twice</p>"
        assert len(seen) == 1 and seen[0].startswith(f"CONNECT {site.removeprefix('https://')} HTTP/")
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_https_proxy_with_a_certificate_nobody_vouches_for_is_refused_in_one_line(tls_proxy, monkeypatch,
                                                                                        tmp_path):
    proxy, seen = tls_proxy
    monkeypatch.setenv("HTTP_PROXY", proxy)
    other = trustme.CA()
    other.cert_pem.write_to_path(str(tmp_path / "other.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "other.pem"))
    with pytest.raises(FetchError) as caught:
        fetch("http://policies.example.invalid/privacy", limits=FAST)
    assert "certificate verify failed" in str(caught.value) and "\n" not in str(caught.value)
    assert seen == []

