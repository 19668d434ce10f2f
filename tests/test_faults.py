"""Misbehaving servers: each fault ends in one clear line, and the next check still works."""

import gzip
import time
import zlib

import pytest

from tracker.errors import FetchError
from tracker.fetch import Limits, fetch

FAST = Limits(connect_timeout=1.0, read_timeout=1.0, attempts=2, backoff=0.01, max_bytes=1_000_000)


def _answer(status: int, body: bytes, headers: dict):
    def handler(h):
        h.send_response(status)
        for key, value in headers.items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(body)
        h.close_connection = True

    return handler


def test_a_gzip_bomb_is_refused_at_the_size_cap_not_unpacked_whole(server):
    bomb = gzip.compress(b"\0" * 200_000_000, compresslevel=9)  # 200 MB of zeros in about 200 KB
    url = server.serve("/bomb", handler=_answer(200, bomb, {
        "Content-Type": "text/html", "Content-Encoding": "gzip", "Content-Length": str(len(bomb))}))
    with pytest.raises(FetchError, match="too large"):
        fetch(url, limits=FAST)


def test_a_truncated_body_is_a_transient_error(server):
    url = server.serve("/short", handler=_answer(200, b"<p>We never sell", {
        "Content-Type": "text/html", "Content-Length": "5000"}))
    with pytest.raises(FetchError) as caught:
        fetch(url, limits=FAST)
    assert caught.value.transient


def test_a_redirect_to_another_scheme_is_refused(server):
    url = server.serve("/elsewhere", handler=_answer(302, b"", {"Location": "file:///etc/passwd"}))
    with pytest.raises(FetchError, match="not http or https; not followed"):
        fetch(url, limits=FAST)


def test_a_500_is_retried_then_reported_in_one_line(server):
    url = server.serve("/broken", b"oops", status=500)
    with pytest.raises(FetchError, match="HTTP 500") as caught:
        fetch(url, limits=FAST)
    assert caught.value.transient
    assert len(server.hits("/broken")) == FAST.attempts


def test_a_connect_timeout_is_a_transient_error():
    """A listener whose queue is full never answers the handshake: the connect times out."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    queued = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        queued.append(client)
    try:
        with pytest.raises(FetchError, match="connection timed out") as caught:
            fetch(f"http://127.0.0.1:{port}/", limits=Limits(connect_timeout=0.3, attempts=1))
        assert caught.value.transient
    finally:
        for client in queued:
            client.close()
        listener.close()


def test_a_name_that_does_not_resolve_is_one_line(monkeypatch):
    """The resolver is the operating system's; it is made to fail here so no query leaves the machine."""
    import socket

    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(FetchError, match="cannot connect: .*not known") as caught:
        fetch("http://policies.example.invalid/privacy", limits=Limits(attempts=1))
    assert len(str(caught.value).splitlines()) == 1


def test_raw_deflate_and_gzip_in_several_members_are_unpacked_whole(server):
    page = b"<p>We keep your messages for 30 days.</p>"
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)  # "deflate" without zlib's header, as some servers send
    raw = packer.compress(page) + packer.flush()
    url = server.serve("/raw", handler=_answer(200, raw, {"Content-Encoding": "deflate",
                                                            "Content-Length": str(len(raw))}))
    assert fetch(url, limits=FAST).content == page
    members = gzip.compress(page[:20]) + gzip.compress(page[20:])
    url = server.serve("/members", handler=_answer(200, members, {"Content-Encoding": "gzip",
                                                                    "Content-Length": str(len(members))}))
    assert fetch(url, limits=FAST).content == page


def test_a_gzip_body_cut_short_is_a_transient_error_not_half_a_page(server):
    packed = gzip.compress(b"<p>We never sell your data.</p>" * 200)
    cut = packed[: len(packed) // 2]
    url = server.serve("/cut", handler=_answer(200, cut, {"Content-Encoding": "gzip", "Content-Length": str(len(cut))}))
    with pytest.raises(FetchError, match="download interrupted") as caught:
        fetch(url, limits=FAST)
    assert caught.value.transient


def test_a_redirect_without_a_location_is_an_error_not_a_page(server):
    url = server.serve("/moved", "<p>moved somewhere</p>", status=301)
    with pytest.raises(FetchError, match="HTTP 301 without a Location") as caught:
        fetch(url, limits=FAST)
    assert not caught.value.transient


def test_what_a_server_sends_instead_of_http_reaches_no_terminal(server):
    url = server.serve("/junk", handler=lambda h: h.wfile.write(b"\x1b[2J\x1b]0;owned\x07 no status line\r\n\r\n"))
    with pytest.raises(FetchError) as caught:
        fetch(url, limits=FAST)
    assert caught.value.transient and all(c.isprintable() for c in str(caught.value))


def test_a_server_sending_a_byte_at_a_time_is_stopped_at_the_time_limit(server, release):
    def drip(h):
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(1000):
            h.wfile.write(b"x")
            h.wfile.flush()
            if release.wait(0.05):
                return

    url = server.serve("/drip", handler=drip)
    started = time.monotonic()
    with pytest.raises(FetchError, match="download took over"):
        fetch(url, limits=Limits(read_timeout=5, total_seconds=0.5, attempts=1))
    assert time.monotonic() - started < 3
