"""Fetch: one HTTP(S) or file:// document as raw bytes, politely and within limits.

Written on the standard library's http.client (decision record 4): less CPU per
request than requests or urllib3, and quicker to import. What http.client leaves to its
callers is here: redirects, proxies from the environment, CA certificates, decompression
within the size cap, and retries that end in one clear line. No keep-alive (`Connection:
close`): two requests to one host are a second apart anyway.
"""

import base64
import email.utils
import hashlib
import http.client
import ipaddress
import os
import re
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit, urlunsplit

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
    """How requests leave this machine: through the proxy the environment names, if any,
    trusting the certificate authorities it names; with the headers every request carries."""

    def __init__(self):
        self.headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "gzip, deflate",
                        "Connection": "close"}
        self._proxies = _proxies_from_environment()
        self._tls: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def proxy(self, parts: SplitResult) -> SplitResult | None:
        """The proxy a request for this URL goes through, or None to go directly."""
        proxy = self._proxies.get(parts.scheme)
        if not proxy:
            return None
        import urllib.request  # loaded by _proxies_from_environment already

        if urllib.request.proxy_bypass(parts.hostname or ""):
            return None
        return _parse(proxy if "://" in proxy else f"http://{proxy}", "proxy")

    def tls(self) -> ssl.SSLContext:
        """One SSLContext per run: loading the CA bundle costs more than a fetch."""
        with self._lock:
            if self._tls is None:
                self._tls = trusted_certificates()
            return self._tls


def _proxies_from_environment() -> dict[str, str]:
    """http_proxy, https_proxy and no_proxy as urllib reads them (urllib.request is slow to
    import: imported only when a *_proxy variable is set)."""
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return {}
    import urllib.request

    return urllib.request.getproxies()


def trusted_certificates() -> ssl.SSLContext:
    """The certificate authorities the environment names (a corporate CA, say), else certifi's:
    SSL_CERT_FILE and SSL_CERT_DIR as OpenSSL reads them, REQUESTS_CA_BUNDLE as requests did."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
    if bundle:
        named = {"cafile": bundle}
    elif os.environ.get("SSL_CERT_DIR"):
        named = {"capath": os.environ["SSL_CERT_DIR"]}
    else:
        import certifi

        named = {"cafile": certifi.where()}
    try:
        return ssl.create_default_context(**named)
    except OSError as error:
        where = next(iter(named.values()))
        raise FetchError(f"cannot load the certificate authorities of {where}: {_reason(error)}") from None


@dataclass(frozen=True)
class Client:
    """What the fetches of one run share: network settings (proxy, TLS context), per-host rate
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
    network = network or Network()
    headers = dict(network.headers)
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


def _get(url: str, network: Network, headers: dict, limits: Limits) -> Snapshot:
    """One GET, following redirects; the body is read within the limits."""
    started = time.monotonic()
    target, credentials = _without_credentials(url)
    headers = {**headers, **credentials}
    for _ in range(MAX_REDIRECTS + 1):
        parts = _parse(target)
        proxy = network.proxy(parts)
        connection = _connect(parts, proxy, network, limits)
        response = None
        try:
            response = _request(connection, parts, proxy, headers)
            if response.status in _REDIRECT_STATUS:
                following = _redirect(target, response.getheader("Location", "").strip(), response.status)
                if _parse(following)[:2] != parts[:2]:
                    headers.pop("Authorization", None)  # no Authorization header on a cross-origin redirect
                target = following
                continue
            return _snapshot(url, target, response, limits, started)
        finally:  # also when the body was not read to its end
            if response is not None:
                response.close()  # the response holds the socket once the server said it will close
            connection.close()
    raise FetchError("too many redirects (a redirect loop?)")


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
    return following


def _parse(url: str, what: str = "URL") -> SplitResult:
    """The parts of an http(s) URL, with its host as the network writes it (a non-ASCII host
    name encoded with IDNA 2008); a FetchError if it has no valid host or port."""
    parts = None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port  # .port checks the number
        ascii_host = _ascii_host(host) if host else None
    except ValueError:  # also UnicodeError: an empty or overlong label, a code point IDNA disallows
        ascii_host = None
    if not ascii_host:
        where = f"{parts.netloc.rpartition('@')[2]!r} is not a valid host or port" if parts else "not a URL"
        raise FetchError(f"invalid {what}: {where}")
    if ascii_host == host:
        return parts
    user = parts.netloc.rpartition("@")[0]
    netloc = (f"{user}@" if user else "") + ascii_host + (f":{port}" if port else "")
    return parts._replace(netloc=netloc)


def _ascii_host(host: str) -> str:
    if host.isascii():
        host.encode("idna")  # what the resolver does: raises on an empty or overlong label
        return host
    # IDNA 2008 with UTS #46 mapping, as browsers do; Python's built-in codec is IDNA 2003,
    # which maps "faß.de" to "fass.de"
    import idna

    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise ValueError(str(error)) from None


def _connect(parts: SplitResult, proxy: SplitResult | None, network: Network,
             limits: Limits) -> http.client.HTTPConnection:
    """A connection to the URL's host, or to its proxy (through an HTTP CONNECT tunnel for https)."""
    via = proxy or parts
    try:
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                via.hostname, via.port, timeout=limits.connect_timeout, context=network.tls())
            if proxy:
                connection.set_tunnel(parts.hostname, parts.port, headers=_proxy_authorization(proxy))
        else:
            connection = http.client.HTTPConnection(via.hostname, via.port, timeout=limits.connect_timeout)
        try:
            connection.connect()
            connection.sock.settimeout(limits.read_timeout)
        except BaseException:
            connection.close()
            raise
    except http.client.InvalidURL as error:
        raise FetchError(f"invalid URL: {_reason(error)}") from None
    except TimeoutError:
        raise FetchError("connection timed out", transient=True) from None
    except ssl.SSLError as error:
        raise FetchError(f"secure connection refused: {_reason(error)}") from None
    except (OSError, http.client.HTTPException) as error:  # connection refused, DNS resolution failure, proxy error
        reason = _reason(error)
        # 407 Proxy Authentication Required: not transient, waiting will not help
        asks_password = reason.startswith("Tunnel connection failed: 407")
        raise FetchError(f"cannot connect: {reason}", transient=not asks_password) from None
    return connection


_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"  # RFC 3986 reserved characters, % and ~ kept; anything else is percent-encoded
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _request(connection: http.client.HTTPConnection, parts: SplitResult, proxy: SplitResult | None,
             headers: dict) -> http.client.HTTPResponse:
    path = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_URL_SAFE)
    path = _STRAY_PERCENT.sub("%25", path)  # "100%" is not an escape: sent as "100%25"
    if proxy and parts.scheme == "http":  # forward proxy: absolute-form target; CONNECT tunnel: origin-form path
        path = f"http://{parts.netloc.rpartition('@')[2]}{path}"
        headers = {**headers, **_proxy_authorization(proxy)}
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse()
    except http.client.InvalidURL as error:
        raise FetchError(f"invalid URL: {_reason(error)}") from None
    except TimeoutError:
        raise FetchError("the server did not answer in time", transient=True) from None
    except (OSError, http.client.HTTPException) as error:  # connection reset or closed, or a response that is not HTTP
        raise FetchError(f"cannot connect: {_reason(error) or type(error).__name__}", transient=True) from None


def _proxy_authorization(proxy: SplitResult) -> dict:
    if not (proxy.username or proxy.password):
        return {}
    return {"Proxy-Authorization": _basic(proxy.username, proxy.password)}


def _basic(user: str | None, password: str | None) -> str:
    pair = f"{unquote(user or '')}:{unquote(password or '')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def _snapshot(url: str, final_url: str, response: http.client.HTTPResponse, limits: Limits,
              started: float) -> Snapshot:
    header = response.getheader
    if response.status == 304:
        return Snapshot(url, final_url, b"", not_modified=True, etag=header("ETag"),
                        last_modified=header("Last-Modified"))
    if response.status >= 400:
        raise FetchError(
            f"HTTP {response.status} {response.reason or ''}".strip(),
            transient=response.status in _TRANSIENT_STATUS,
            retry_after=_retry_after(header("Retry-After", "")),
            status=response.status,
        )
    content_type = header("Content-Type", "")
    return Snapshot(
        url=url,
        final_url=final_url,
        content=_read_body(response, limits, started),
        content_type=content_type,
        charset=_declared_charset(content_type),
        etag=header("ETag"),
        last_modified=header("Last-Modified"),
    )


def _without_credentials(url: str) -> tuple[str, dict]:
    """The URL without user and password, and the Basic authorization header they make."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url, {}
    bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return bare, {"Authorization": _basic(parts.username, parts.password)}


def _read_body(response: http.client.HTTPResponse, limits: Limits, started: float) -> bytes:
    """The body, decompressed per Content-Encoding, refused past the size cap (counted after
    decompression: a gzip bomb stops at the cap) or past the total time limit (checked per
    chunk, so a server that trickles bytes is stopped too)."""
    declared = response.getheader("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchError(f"document too large ({_size(int(declared))}, limit {_size(limits.max_bytes)})")
    arriving = iter(lambda: response.read1(_CHUNK), b"")
    chunks, size = [], 0
    try:
        for chunk in _unpacked(arriving, response.getheader("Content-Encoding", ""), limits.max_bytes):
            size += len(chunk)
            if size > limits.max_bytes:
                raise FetchError(f"document too large (over {_size(limits.max_bytes)})")
            if time.monotonic() - started > limits.total_seconds:
                raise FetchError(f"download took over {limits.total_seconds:.0f} s", transient=True)
            chunks.append(chunk)
        if response.length:  # read1() returns b"" at an early close, without IncompleteRead
            raise FetchError(f"download interrupted: {response.length} bytes short of the length announced",
                             transient=True)
    except (OSError, http.client.HTTPException, zlib.error) as error:
        raise FetchError(f"download interrupted: {_reason(error) or type(error).__name__}", transient=True) from None
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
    """Seconds the server asks us to wait before trying again, if it says."""
    value = header.strip()
    if not value:
        return None
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds() if when.tzinfo else 0.0
    return max(0.0, seconds)


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _reason(error: Exception) -> str:
    """What went wrong, on one line: an OSError's strerror without its errno, OpenSSL's
    message without its source location, and control characters replaced by spaces (no
    terminal escape sequence from a server)."""
    text = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    text = text.split("] ", 1)[-1].split(" (_ssl.c:", 1)[0]
    text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())[:200]
