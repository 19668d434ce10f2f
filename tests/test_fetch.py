"""fetch: one document over HTTP(S) or file://, politely, within limits, failing in one line."""

import base64
import socket
import threading
import time

import pytest
from conftest import streamer

from tracker.errors import FetchError
from tracker.fetch import Limits, fetch

FAST = Limits(connect_timeout=1.0, read_timeout=0.5, attempts=2, backoff=0.01, max_bytes=100_000)


def respond(handler, status: int = 200, body: bytes = b"", headers: dict | None = None) -> None:
    """Write a whole response from inside a route handler."""
    handler.send_response(status)
    for key, value in {"Content-Type": "text/html; charset=utf-8", **(headers or {})}.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def failing_first(times: int, status: int, headers: dict | None = None):
    """A route handler answering `status` the first `times` calls, then a page; counts calls."""
    calls = []

    def handler(h):
        calls.append(h.path)
        if len(calls) <= times:
            respond(h, status, b"busy", headers)
        else:
            respond(h, 200, b"<p>finally</p>")

    return handler, calls


def test_user_agent_names_the_project(server):
    url = server.serve("/policy", "<p>hello</p>")
    fetch(url, limits=FAST)
    assert "PledgeTracker" in server.hits("/policy")[0]["User-Agent"]


def test_content_and_headers_are_kept(server):
    validators = {"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
    url = server.serve("/policy", "<p>hello</p>", headers=validators)
    snapshot = fetch(url, limits=FAST)
    assert snapshot.content == b"<p>hello</p>"
    assert snapshot.content_type.startswith("text/html")
    assert snapshot.etag == '"v1"'
    assert snapshot.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert not snapshot.not_modified


def test_conditional_request_sends_validators_and_304_is_not_modified(server):
    url = server.serve("/policy", b"", status=304, headers={"ETag": '"v1"'})
    snapshot = fetch(url, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT", limits=FAST)
    sent = server.hits("/policy")[0]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert snapshot.not_modified
    assert snapshot.content == b""


def test_no_validators_are_sent_on_a_first_fetch(server):
    url = server.serve("/policy", "<p>hello</p>")
    fetch(url, limits=FAST)
    sent = server.hits("/policy")[0]
    assert "If-None-Match" not in sent and "If-Modified-Since" not in sent


def test_redirects_are_followed_and_the_final_url_recorded(server):
    new = server.serve("/new", "<p>moved here</p>")
    server.serve("/old", status=301, headers={"Location": "/middle"})
    server.serve("/middle", status=302, headers={"Location": new})
    snapshot = fetch(server.url("/old"), limits=FAST)
    assert snapshot.url == server.url("/old")
    assert snapshot.final_url == new
    assert snapshot.content == b"<p>moved here</p>"


def test_a_relative_redirect_is_recorded_as_a_whole_url(server):
    server.serve("/here", status=302, headers={"Location": "/there"})
    server.serve("/there", "<p>moved</p>")
    assert fetch(server.url("/here"), limits=FAST).final_url == server.url("/there")


def test_credentials_in_the_url_are_sent_as_basic_authorization_not_as_part_of_the_url(server):
    url = server.serve("/private", "<p>members</p>").replace("http://", "http://alice:s%40cret@")
    snapshot = fetch(url, limits=FAST)
    sent = server.hits("/private")[0]
    assert sent["Authorization"] == "Basic " + base64.b64encode(b"alice:s@cret").decode()
    assert "alice" not in snapshot.final_url


def test_credentials_are_not_sent_on_to_another_host_after_a_redirect(server):
    elsewhere = server.serve("/elsewhere", "<p>public</p>").replace("127.0.0.1", "localhost")
    server.serve("/private", status=302, headers={"Location": elsewhere})
    fetch(server.url("/private").replace("http://", "http://alice:secret@"), limits=FAST)
    assert "Authorization" in server.hits("/private")[0]
    assert "Authorization" not in server.hits("/elsewhere")[0]


def test_a_gzipped_page_is_unpacked(server):
    import gzip

    page = b"<p>We keep your data for 30 days.</p>" * 50
    url = server.serve("/packed", gzip.compress(page), headers={"Content-Encoding": "gzip"})
    assert fetch(url, limits=FAST).content == page
    assert "gzip" in server.hits("/packed")[0]["Accept-Encoding"]


def test_spaces_and_accents_in_a_path_are_percent_encoded(server):
    url = server.serve("/politique%20de%20confidentialit%C3%A9", "<p>charte</p>")
    assert fetch(server.url("/politique de confidentialité"), limits=FAST).content == b"<p>charte</p>"
    assert url.endswith("%C3%A9")


def test_redirect_loop_is_a_fetch_error_mentioning_redirects(server):
    server.serve("/a", status=302, headers={"Location": "/b"})
    server.serve("/b", status=302, headers={"Location": "/a"})
    with pytest.raises(FetchError, match="redirect") as caught:
        fetch(server.url("/a"), limits=FAST)
    assert "\n" not in str(caught.value)


def test_404_is_a_permanent_error_and_not_retried(server):
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/missing"), limits=FAST)
    assert str(caught.value).startswith("HTTP 404")
    assert not caught.value.transient
    assert len(server.hits("/missing")) == 1


def test_503_is_retried_and_then_succeeds(server):
    handler, calls = failing_first(1, 503)
    url = server.serve("/flaky", handler=handler)
    snapshot = fetch(url, limits=FAST)
    assert snapshot.content == b"<p>finally</p>"
    assert len(calls) == 2


def test_503_every_time_is_a_transient_error_after_the_allowed_attempts(server):
    handler, calls = failing_first(99, 503)
    url = server.serve("/down", handler=handler)
    with pytest.raises(FetchError, match="HTTP 503") as caught:
        fetch(url, limits=FAST)
    assert caught.value.transient
    assert len(calls) == FAST.attempts


def test_429_with_retry_after_zero_is_retried_and_succeeds(server):
    handler, calls = failing_first(1, 429, {"Retry-After": "0"})
    url = server.serve("/busy", handler=handler)
    started = time.monotonic()
    snapshot = fetch(url, limits=FAST)
    assert snapshot.content == b"<p>finally</p>"
    assert len(calls) == 2
    assert time.monotonic() - started < 2


def test_a_retry_after_longer_than_we_will_wait_fails_at_once_without_retrying(server):
    """Retrying sooner than the server asked would be impolite; the check fails until next time."""
    handler, calls = failing_first(99, 429, {"Retry-After": "3600"})
    url = server.serve("/later", handler=handler)
    with pytest.raises(FetchError, match="HTTP 429"):
        fetch(url, limits=FAST)
    assert len(calls) == 1


def test_read_timeout_is_a_transient_error(server, release):
    def slow(h):
        h.close_connection = True
        if not release.wait(5):
            respond(h, 200, b"<p>too late</p>")

    url = server.serve("/slow", handler=slow)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(url, limits=FAST)
    assert caught.value.transient
    assert "time" in str(caught.value)
    assert time.monotonic() - started < 3


def test_a_body_that_stalls_half_way_is_a_transient_error(server, release):
    def stalls(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        h.wfile.write(b"<p>half")
        h.wfile.flush()
        h.close_connection = True
        release.wait(5)

    url = server.serve("/stall", handler=stalls)
    with pytest.raises(FetchError) as caught:
        fetch(url, limits=FAST)
    assert caught.value.transient


def test_connection_refused_is_a_fetch_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match="connect") as caught:
        fetch(f"http://127.0.0.1:{port}/policy", limits=FAST)
    assert "\n" not in str(caught.value)


def test_a_streamed_body_over_the_cap_is_refused_without_reading_it_all(server):
    sent, done = [], threading.Event()
    total = 200 * 1024 * 1024
    url = server.serve("/huge", handler=streamer(total, sent, done))
    with pytest.raises(FetchError, match="too large") as caught:
        fetch(url, limits=FAST)
    assert not caught.value.transient
    assert done.wait(5), "the server kept streaming after the client gave up"
    assert sum(sent) < total


def test_a_declared_content_length_over_the_cap_is_refused_before_reading(server, release):
    def declares_a_gigabyte(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(1024**3))
        h.end_headers()
        h.wfile.write(b"<p>" + b"x" * 1000)
        h.wfile.flush()
        h.close_connection = True
        release.wait(5)  # never sends the rest: reading it would time out instead

    url = server.serve("/declared", handler=declares_a_gigabyte)
    with pytest.raises(FetchError, match="too large") as caught:
        fetch(url, limits=FAST)
    assert not caught.value.transient
    assert len(server.hits("/declared")) == 1


def test_a_body_just_under_the_cap_is_accepted(server):
    body = b"x" * (FAST.max_bytes - 1)
    url = server.serve("/big", body, headers={"Content-Type": "text/plain"})
    assert fetch(url, limits=FAST).content == body


def test_charset_of_the_content_type_is_captured(server):
    url = server.serve("/latin", "<p>caf\xe9</p>".encode("latin-1"),
                       headers={"Content-Type": 'text/html; charset="ISO-8859-1"'})
    assert fetch(url, limits=FAST).charset == "ISO-8859-1"


def test_no_charset_is_invented_when_none_is_declared(server):
    url = server.serve("/plain", "<p>hello</p>", headers={"Content-Type": "text/html"})
    assert fetch(url, limits=FAST).charset is None


def test_file_url_is_read(tmp_path):
    path = tmp_path / "my policy.html"
    path.write_bytes(b"<p>local copy</p>")
    snapshot = fetch(path.as_uri(), limits=FAST, allow_file=True)
    assert snapshot.content == b"<p>local copy</p>"
    assert snapshot.final_url == path.as_uri()


def test_missing_file_is_a_fetch_error(tmp_path):
    with pytest.raises(FetchError, match="cannot read"):
        fetch((tmp_path / "nowhere.html").as_uri(), limits=FAST, allow_file=True)


def test_file_over_the_cap_is_refused(tmp_path):
    path = tmp_path / "big.html"
    path.write_bytes(b"x" * (FAST.max_bytes + 1))
    with pytest.raises(FetchError, match="too large"):
        fetch(path.as_uri(), limits=FAST, allow_file=True)


@pytest.mark.parametrize("url", ["ftp://example.org/policy.html", "gopher://example.org/"])
def test_unsupported_scheme_is_refused_without_connecting(url):
    with pytest.raises(FetchError, match="scheme") as caught:
        fetch(url, limits=FAST)
    assert not caught.value.transient


@pytest.fixture
def https_server(tmp_path):
    """A page over HTTPS on loopback, with a certificate no authority signed."""
    import http.server
    import shutil
    import ssl
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            respond(self, 200, b"<p>over TLS</p>")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.handle_error = lambda request, address: None  # the refused handshake of the first test
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{httpd.server_port}/policy", cert
    httpd.shutdown()
    httpd.server_close()


def test_an_unknown_certificate_is_refused_in_one_line(https_server, monkeypatch):
    for variable in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(variable, raising=False)
    url, _ = https_server
    with pytest.raises(FetchError) as caught:
        fetch(url, limits=FAST)
    message = str(caught.value)  # OpenSSL words the reason its own way ("self-signed certificate")
    assert message.startswith("secure connection refused: certificate verify failed") and "_ssl.c" not in message


def test_the_certificate_authority_named_by_ssl_cert_file_is_trusted(https_server, monkeypatch):
    url, cert = https_server
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    assert fetch(url, limits=FAST).content == b"<p>over TLS</p>"


def test_certificate_authorities_that_cannot_be_loaded_are_said_once_not_retried(https_server, monkeypatch):
    url, _ = https_server
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", "/nowhere/ca.pem")
    with pytest.raises(FetchError) as caught:
        fetch(url, limits=FAST)
    assert str(caught.value) == "cannot load the certificate authorities of /nowhere/ca.pem: no such file or folder"
    assert not caught.value.transient


def test_the_proxy_named_in_the_environment_is_used(server, monkeypatch):
    """A company network reaches the web through its proxy (HTTP_PROXY), as requests did."""
    proxied = "http://policies.example.invalid/privacy"  # a proxy is asked for the whole URL
    server.serve(proxied, "<p>through the proxy</p>")
    monkeypatch.setenv("HTTP_PROXY", server.url(""))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert fetch(proxied, limits=FAST).content == b"<p>through the proxy</p>"
    assert server.hits(proxied), "the request did not go through the proxy"


@pytest.fixture
def tunnel():
    """A proxy that opens CONNECT tunnels, as company proxies do for HTTPS; yields its URL
    and the CONNECT lines it received."""
    import select

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    asked = []

    def serve():
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with client:
                head = b""
                while b"\r\n\r\n" not in head:
                    head += client.recv(4096)
                asked.append(head.split(b"\r\n")[0].decode())
                host, port = asked[-1].split()[1].rsplit(":", 1)
                with socket.create_connection((host, int(port))) as upstream:
                    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    while True:
                        ready, _, _ = select.select([client, upstream], [], [], 5)
                        data = ready and ready[0].recv(65536)
                        if not data:
                            break
                        (upstream if ready[0] is client else client).sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", asked
    listener.close()


def test_https_goes_through_a_tunnel_of_the_proxy(https_server, tunnel, monkeypatch):
    url, cert = https_server
    proxy, asked = tunnel
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    for variable in ("REQUESTS_CA_BUNDLE", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(variable, raising=False)
    assert fetch(url, limits=FAST).content == b"<p>over TLS</p>"
    assert len(asked) == 1 and asked[0].startswith(f"CONNECT {url.split('/')[2]} HTTP/")


def test_the_proxy_credentials_are_sent_to_the_proxy(server, monkeypatch):
    proxied = "http://policies.example.invalid/terms"
    server.serve(proxied, "<p>through the proxy</p>")
    monkeypatch.setenv("HTTP_PROXY", server.url("").replace("http://", "http://bob:pa%3Ass@"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    fetch(proxied, limits=FAST)
    assert server.hits(proxied)[0]["Proxy-Authorization"] == "Basic " + base64.b64encode(b"bob:pa:ss").decode()


def test_hosts_in_no_proxy_are_reached_directly(server, monkeypatch):
    with socket.socket() as probe:  # a proxy that is not there
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert fetch(server.serve("/direct", "<p>direct</p>"), limits=FAST).content == b"<p>direct</p>"


@pytest.mark.parametrize("url", ["http://a..b/policy", "http://exa mple.example/", "http://[::1/policy",
                                 "http://" + "x" * 64 + ".example/"])
def test_a_host_that_no_name_can_be_is_an_invalid_url_not_retried(url):
    with pytest.raises(FetchError, match="^invalid URL") as caught:
        fetch(url, limits=FAST)
    assert not caught.value.transient


def test_a_host_in_other_letters_is_asked_for_as_browsers_encode_it(server, monkeypatch):
    """Through a proxy, which sees the host name as sent ("faß" is not "fass")."""
    for proxied in ("http://xn--fa-hia.de/datenschutz", "http://xn--bcher-kva.example/a"):
        server.serve(proxied, "<p>ok</p>")
    monkeypatch.setenv("HTTP_PROXY", server.url(""))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert fetch("http://faß.de/datenschutz", limits=FAST).content == b"<p>ok</p>"
    assert fetch("http://Bücher.example/a", limits=FAST).content == b"<p>ok</p>"


@pytest.mark.parametrize("proxy", ["http://127.0.0.1:abc", "http://[::1:3128", "http://:3128"])
def test_a_proxy_setting_that_is_not_a_url_is_one_line(monkeypatch, proxy):
    monkeypatch.setenv("HTTP_PROXY", proxy)
    with pytest.raises(FetchError, match="^invalid proxy"):
        fetch("http://policies.example.invalid/privacy", limits=FAST)


def test_a_percent_sign_that_escapes_nothing_is_sent_escaped(server):
    server.serve("/100%25", "<p>all of it</p>")
    assert fetch(server.url("/100%"), limits=FAST).content == b"<p>all of it</p>"


def test_a_url_that_cannot_be_parsed_is_one_line_and_not_retried():
    with pytest.raises(FetchError, match="^invalid URL: .*not a valid host or port") as caught:
        fetch("http://127.0.0.1:99999999/policy", limits=FAST)
    assert not caught.value.transient and "\n" not in str(caught.value)
