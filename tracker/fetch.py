"""Fetch: one HTTP(S) or file:// document as raw bytes, politely and within limits.

HTTP is requests' (decision record 17): one Session per run keeps the cookies a site sets
(sent on the redirects of a fetch and to later fetches of that site, never written anywhere),
keeps connections alive, and reaches proxies, HTTPS ones over TLS. What stays ours: the
per-host gate, the limits (the size cap counted on decompressed bytes by our own reader of the
raw stream), redirects followed one at a time so that each is checked, retries, and errors
in one line.
"""

import hashlib
import ipaddress
import os
import re
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from tracker import __version__
from tracker.errors import FetchError

USER_AGENT = f"PledgeTracker/{__version__} (archives privacy policies; +https://pledge-tracker.example/bot)"
_TRANSIENT_STATUS = {429, 500, 502, 503, 504}
LOOPBACK_AT_ONCE = 4  # concurrent requests to loopback hosts (one limit for all of them)


@dataclass(frozen=True)
class Limits:
    """How long and how much a fetch may take; tests shrink them."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_seconds: float = 120.0
    max_bytes: int = 20 * 1024 * 1024
    attempts: int = 3
    backoff: float = 1.0
    max_retry_after: float = 60.0


@dataclass(frozen=True)
class Snapshot:
    """What a fetch brought back: the raw bytes and what the server said about them."""

    url: str
    final_url: str
    content: bytes
    content_type: str = ""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the raw bytes, computed once however many times a check asks."""
        return hashlib.sha256(self.content).hexdigest()


class RedirectLoop(FetchError):
    """Redirected more than MAX_REDIRECTS times: plain clients are sent round in circles."""


class HostGate:
    """Per-host rate limiting: one request at a time per host, a pause between two, and the
    wait a host asked for with Retry-After. Loopback hosts (tests, demos, benchmarks) need no
    pause, nobody else's site is behind them, but get at most LOOPBACK_AT_ONCE concurrent
    requests: a local server often has a small listen backlog (5 for Python's http.server),
    and a dropped SYN is retransmitted only after a second."""

    def __init__(self, delay: float = 1.0):
        self.delay = delay
        self._loopback = threading.BoundedSemaphore(LOOPBACK_AT_ONCE)
        self._locks: dict[str, threading.Lock] = {}
        self._not_before: dict[str, float] = {}
        self._guard = threading.Lock()

    @contextmanager
    def turn(self, url: str) -> Iterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        if _is_loopback(host):
            with self._loopback:
                yield
            return
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            wait = self._not_before.get(host, 0.0) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                yield
            finally:
                self.hold(url, self.delay)

    def hold(self, url: str, seconds: float) -> None:
        """Let no request reach the host of url for the next `seconds`."""
        host = (urlsplit(url).hostname or "").lower()
        with self._guard:
            self._not_before[host] = max(self._not_before.get(host, 0.0), time.monotonic() + seconds)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Network:
    """How the requests of a run leave this machine: through one requests Session (see
    tracker.session), in the process that fetches (check's threads: worker processes only read)."""

    def __init__(self):
        from tracker.session import new_session  # imports requests: only commands that fetch pay for it

        self.session = new_session({"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "gzip, deflate"})
        self._proxied = any(name.lower().endswith("_proxy") for name in os.environ)
        authorities = self.session.verify
        # a mistyped SSL_CERT_FILE: said plainly for each https fetch, not retried as a network fault
        self._no_authorities = None if authorities is True or os.path.exists(authorities) else (
            f"cannot load the certificate authorities of {authorities}: no such file or folder")

    def get(self, url: str, headers: dict, auth: tuple | None, limits: Limits):
        """The response to a GET of url, its body not read yet. Sent through the Session's
        adapter rather than Session.send, which reads the body of a redirect whole, unpacked
        and without limit, even when told not to follow it."""
        import requests

        from tracker.session import proxies_for

        if self._no_authorities and url.startswith("https://"):
            raise FetchError(self._no_authorities)
        proxies = proxies_for(url) if self._proxied else {}
        proxy = proxies and requests.utils.select_proxy(url, proxies)
        if proxy:
            _check_url(proxy if "://" in proxy else f"http://{proxy}", "proxy")
        session = self.session
        try:
            request = requests.PreparedRequest()
            request.prepare(method="GET", url=url, headers={**session.headers, **headers}, auth=auth,
                            cookies=session.cookies)
            response = session.get_adapter(url).send(request, stream=True, verify=session.verify, proxies=proxies,
                                                     timeout=(limits.connect_timeout, limits.read_timeout))
            requests.cookies.extract_cookies_to_jar(session.cookies, request, response.raw)
            return response
        except requests.exceptions.InvalidURL as error:
            raise FetchError(f"invalid URL: {_reason(_innermost(error))}") from None
        except requests.exceptions.ConnectTimeout:
            raise FetchError("connection timed out", transient=True) from None
        except requests.exceptions.Timeout:
            raise FetchError("the server did not answer in time", transient=True) from None
        except requests.exceptions.SSLError as error:
            raise FetchError(f"secure connection refused: {_reason(_innermost(error))}") from None
        except (requests.exceptions.RequestException, OSError) as error:
            # connection refused or reset, no such host, a proxy's refusal, a response that is not HTTP
            reason = _reason(_innermost(error))
            # 407 Proxy Authentication Required: not transient, waiting will not help
            asks_password = reason.startswith("Tunnel connection failed: 407")
            raise FetchError(f"cannot connect: {reason}", transient=not asks_password) from None


@dataclass(frozen=True)
class Client:
    """What the fetches of one run share: the network (a requests Session), per-host rate
    limiting, limits and permissions."""

    network: Network = field(default_factory=Network)
    gate: HostGate = field(default_factory=HostGate)
    limits: Limits = Limits()
    allow_file: bool = False

    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Snapshot:
        return fetch(url, self.network, etag, last_modified, self.limits, self.gate, self.allow_file)


def new_client(limits: Limits = Limits(), allow_file: bool = False, delay: float = 1.0) -> Client:
    """A client for a run whose fetches to one host are `delay` seconds apart."""
    return Client(Network(), HostGate(delay), limits, allow_file)


def fetch(
    url: str,
    network: Network | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: Limits = Limits(),
    gate: HostGate | None = None,
    allow_file: bool = False,
) -> Snapshot:
    """The document at url; a FetchError (marked transient or not) when it cannot be had.

    file:// URLs are read only when allowed: a watchlist from elsewhere (an import)
    must not publish the files of the machine that runs the tracker."""
    try:
        scheme = urlsplit(url).scheme
    except ValueError as error:  # "http://[::1/"
        raise FetchError(f"invalid URL: {_reason(error)}") from None
    if scheme == "file":
        if not allow_file:
            raise FetchError("file:// URLs are not allowed here (tracker check --allow-file allows them)")
        return _read_file(url, limits)
    if scheme not in ("http", "https"):
        raise FetchError(f"unsupported URL scheme {scheme!r}: only http, https and file are fetched")
    _check_url(url)
    network = network or Network()
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    gate = gate or HostGate(delay=0.0)
    for attempt in range(1, limits.attempts + 1):
        try:
            with gate.turn(url):
                return _get(url, network, headers, limits)
        except FetchError as error:
            if error.retry_after:
                gate.hold(url, min(error.retry_after, limits.max_retry_after))
            too_long = (error.retry_after or 0) > limits.max_retry_after
            if not error.transient or too_long or attempt == limits.attempts:
                if too_long:
                    raise FetchError(f"{error}, retry after {error.retry_after:.0f} s", transient=True) from None
                raise
            time.sleep(error.retry_after or limits.backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover


_REDIRECT_STATUS = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 10
_CHUNK = 64 * 1024
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _get(url: str, network: Network, headers: dict, limits: Limits) -> Snapshot:
    """One GET, following redirects (the Session's cookies go along); the body is read within
    the limits. Credentials written in the URL are sent as Basic authorization, and not after
    a redirect that leaves their origin (scheme, host and port)."""
    started = time.monotonic()
    target, auth = _without_credentials(url)
    origin = urlsplit(target)[:2]
    for _ in range(MAX_REDIRECTS + 1):
        # "100%" is not an escape: sent as "100%25" (requests percent-encodes the rest)
        response = network.get(_STRAY_PERCENT.sub("%25", target), headers, auth, limits)
        try:
            if response.status_code in _REDIRECT_STATUS:
                following = _redirect(target, response.headers.get("Location", "").strip(), response.status_code)
                if urlsplit(following)[:2] != origin:
                    auth = None
                target = following
                continue
            return _snapshot(url, target, response, limits, started)
        finally:  # a body left unread closes its connection; one read to its end went back to the pool
            response.close()
    raise RedirectLoop("too many redirects (a redirect loop?)")


def _redirect(url: str, location: str, status: int) -> str:
    """The whole URL a redirect points to."""
    if not location:
        raise FetchError(f"HTTP {status} without a Location to follow")
    try:
        following = urljoin(url, location)
        scheme = urlsplit(following).scheme
    except ValueError as error:
        raise FetchError(f"redirected to an invalid URL: {_reason(error)}") from None
    if scheme not in ("http", "https"):
        raise FetchError("redirected to a URL that is not http or https; not followed")
    _check_url(following)
    return following


def _check_url(url: str, what: str = "URL") -> None:
    """A FetchError unless the URL has a valid port and a host that can be a name (requests
    checks a non-ASCII one as it encodes it, with IDNA 2008 as browsers do)."""
    parts = None
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # .port checks the number
        if host and host.isascii():
            host.encode("idna")  # what the resolver does: raises on an empty or overlong label
    except ValueError:
        host = None
    if not host:
        where = f"{parts.netloc.rpartition('@')[2]!r} is not a valid host or port" if parts else "not a URL"
        raise FetchError(f"invalid {what}: {where}")


def _without_credentials(url: str) -> tuple[str, tuple[bytes, bytes] | None]:
    """The URL without user and password, and the pair for Basic authorization (UTF-8)."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url, None
    bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return bare, (unquote(parts.username or "").encode(), unquote(parts.password or "").encode())


def _snapshot(url: str, final_url: str, response, limits: Limits, started: float) -> Snapshot:
    header = response.headers.get
    if response.status_code == 304:
        return Snapshot(url, final_url, b"", not_modified=True, etag=header("ETag"),
                        last_modified=header("Last-Modified"))
    if response.status_code >= 400:
        raise FetchError(
            f"HTTP {response.status_code} {response.reason or ''}".strip(),
            transient=response.status_code in _TRANSIENT_STATUS,
            retry_after=_retry_after(header("Retry-After", "")),
            status=response.status_code,
        )
    content_type = header("Content-Type", "")
    return Snapshot(
        url=url,
        final_url=final_url,
        content=_read_body(response.raw, limits, started),
        content_type=content_type,
        charset=_declared_charset(content_type),
        etag=header("ETag"),
        last_modified=header("Last-Modified"),
    )


def _read_body(raw, limits: Limits, started: float) -> bytes:
    """The body, from urllib3's raw stream (as sent: decode_content=False), decompressed here
    per Content-Encoding and refused past the size cap (counted after decompression: a gzip
    bomb stops at the cap) or past the total time limit (checked per chunk, so a server that
    trickles bytes is stopped too). urllib3 raises if the body ends before its Content-Length."""
    from urllib3.exceptions import HTTPError

    declared = raw.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchError(f"document too large ({_size(int(declared))}, limit {_size(limits.max_bytes)})")
    arriving = iter(lambda: raw.read1(_CHUNK, decode_content=False), b"")
    chunks, size = [], 0
    try:
        for chunk in _unpacked(arriving, raw.headers.get("Content-Encoding", ""), limits.max_bytes):
            size += len(chunk)
            if size > limits.max_bytes:
                raise FetchError(f"document too large (over {_size(limits.max_bytes)})")
            if time.monotonic() - started > limits.total_seconds:
                raise FetchError(f"download took over {limits.total_seconds:.0f} s", transient=True)
            chunks.append(chunk)
    except (OSError, HTTPError, zlib.error) as error:
        raise FetchError(f"download interrupted: {_reason(_innermost(error)) or type(error).__name__}",
                         transient=True) from None
    return b"".join(chunks)


def _unpacked(raw: Iterator[bytes], encoding: str, cap: int) -> Iterator[bytes]:
    """The body as sent, or decompressed for gzip and deflate: at most cap + 1 bytes at a
    time, multi-member gzip, raw DEFLATE as well as zlib-wrapped (servers send both as
    "deflate"), trailing garbage ignored."""
    encoding = encoding.strip().lower()
    if encoding not in ("gzip", "x-gzip", "deflate"):
        yield from raw
        return
    unpack, members = None, 0
    for chunk in raw:
        while chunk:
            if unpack is None:
                raw_deflate = encoding == "deflate" and not _zlib_header(chunk)
                unpack = zlib.decompressobj(-zlib.MAX_WBITS if raw_deflate else zlib.MAX_WBITS | 32)
            try:
                yield unpack.decompress(chunk, cap + 1)
            except zlib.error:
                if members:  # trailing garbage after a complete member: ignored, as browsers do
                    return
                raise
            if unpack.unconsumed_tail:  # the piece reached the cap: the caller stops here
                chunk = unpack.unconsumed_tail
            elif unpack.eof:
                chunk, unpack, members = unpack.unused_data, None, members + 1
            else:
                chunk = b""
    if unpack is not None and not members:
        yield unpack.flush()
        if not unpack.eof:
            raise zlib.error(f"the {encoding} body ends before its end")


def _zlib_header(data: bytes) -> bool:
    """Whether data starts as a zlib stream (or a gzip one), not as raw deflate."""
    if data[:2] == b"\x1f\x8b":
        return True
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def _read_file(url: str, limits: Limits) -> Snapshot:
    path = Path(unquote(urlsplit(url).path))
    try:
        if path.stat().st_size > limits.max_bytes:
            raise FetchError(f"document too large (over {_size(limits.max_bytes)})")
        content = path.read_bytes()
    except OSError as error:
        raise FetchError(f"cannot read {path}: {error.strerror}") from None
    return Snapshot(url, url, content)


def _declared_charset(content_type: str) -> str | None:
    """The charset of a Content-Type header, without assuming one for text."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _retry_after(header: str) -> float | None:
    """Seconds the server asks us to wait before trying again (a number or an HTTP date), if it says."""
    from urllib3.exceptions import InvalidHeader
    from urllib3.util import Retry

    try:
        return Retry().parse_retry_after(header) if header.strip() else None
    except InvalidHeader:
        return None


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _innermost(error: BaseException) -> BaseException:
    """The error at the bottom of the ones that wrap it (requests wraps urllib3's, which wraps
    the socket's or OpenSSL's): it says what went wrong in the fewest words."""
    for _ in range(10):
        inner = getattr(error, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in error.args if isinstance(arg, BaseException)), error.__cause__)
        if inner is None:
            break
        error = inner
    return error


def _reason(error: BaseException) -> str:
    """What went wrong, on one line: an OSError's strerror without its errno, OpenSSL's
    message without its source location, and control characters replaced by spaces (no
    terminal escape sequence from a server)."""
    text = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    text = text.split("] ", 1)[-1].split(" (_ssl.c:", 1)[0]
    text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())[:200]
