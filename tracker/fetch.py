"""Fetch: one HTTP(S) or file:// document as raw bytes, politely and within limits.

urllib3 is used directly, not through requests: a check of 200 unchanged pages spent
more time in requests' per-request machinery than in fetching (decision record 4).
Retries are written here rather than left to urllib3's Retry because a read
timeout in the middle of a body, and a Retry-After longer than we will wait,
must both end as a clear one-line error; urllib3 follows redirects only.
"""

import email.utils
import hashlib
import ipaddress
import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import certifi
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationValueError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)

from tracker import __version__
from tracker.errors import FetchError

USER_AGENT = f"PledgeTracker/{__version__} (archives privacy policies; +https://pledge-tracker.example/bot)"
_TRANSIENT_STATUS = {429, 500, 502, 503, 504}
LOOPBACK_AT_ONCE = 4  # requests at once to a server on this machine


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
    """Politeness: one request at a time per host, a pause between two, and the wait a
    host asked for with Retry-After. Loopback hosts (tests, demos, benchmarks) need no
    pause, nobody else's site is behind them, but get a few requests at a time only: a
    local server is often a small one (Python's http.server queues 5 connections), and a
    connection it drops costs a one-second retry of the handshake."""

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


class Pool:
    """Connections kept open for the fetches of a run (through the environment's proxy, if
    one is set), with the headers every request carries."""

    def __init__(self, size: int = 10):
        self.headers = {"User-Agent": USER_AGENT, **urllib3.util.make_headers(accept_encoding=True)}
        self._options = {"num_pools": max(10, size), "maxsize": size, **_trusted_certificates()}
        self._direct = urllib3.PoolManager(**self._options)
        self._proxies = urllib.request.getproxies()
        self._via: dict[str, urllib3.ProxyManager] = {}
        self._lock = threading.Lock()

    def manager(self, url: str) -> urllib3.PoolManager:
        parts = urlsplit(url)
        proxy = self._proxies.get(parts.scheme)
        if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
            return self._direct
        with self._lock:
            if proxy not in self._via:
                self._via[proxy] = urllib3.ProxyManager(proxy, **self._options)
            return self._via[proxy]


def _trusted_certificates() -> dict:
    """The certificate authorities the environment names (a company's own, say), else certifi's:
    SSL_CERT_FILE and SSL_CERT_DIR as OpenSSL reads them, REQUESTS_CA_BUNDLE as requests did."""
    for variable in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        if os.environ.get(variable):
            return {"ca_certs": os.environ[variable]}
    if os.environ.get("SSL_CERT_DIR"):
        return {"ca_cert_dir": os.environ["SSL_CERT_DIR"]}
    return {"ca_certs": certifi.where()}


@dataclass(frozen=True)
class Client:
    """What the fetches of one run share: connections, politeness, limits and permissions."""

    pool: Pool = field(default_factory=Pool)
    gate: HostGate = field(default_factory=HostGate)
    limits: Limits = Limits()
    allow_file: bool = False

    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Snapshot:
        return fetch(url, self.pool, etag, last_modified, self.limits, self.gate, self.allow_file)


def new_client(workers: int = 8, limits: Limits = Limits(), allow_file: bool = False, delay: float = 1.0) -> Client:
    """A client for a run of `workers` concurrent fetches, `delay` seconds apart on one host."""
    return Client(Pool(size=workers), HostGate(delay), limits, allow_file)


def fetch(
    url: str,
    pool: Pool | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: Limits = Limits(),
    gate: HostGate | None = None,
    allow_file: bool = False,
) -> Snapshot:
    """The document at url; a FetchError (marked transient or not) when it cannot be had.

    file:// URLs are read only when allowed: a watchlist from elsewhere (an import)
    must not publish the files of the machine that runs the tracker."""
    scheme = urlsplit(url).scheme
    if scheme == "file":
        if not allow_file:
            raise FetchError("file:// URLs are not allowed here (tracker check --allow-file allows them)")
        return _read_file(url, limits)
    if scheme not in ("http", "https"):
        raise FetchError(f"unsupported URL scheme {scheme!r}: only http, https and file are fetched")
    pool = pool or Pool(size=1)
    headers = dict(pool.headers)
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    gate = gate or HostGate(delay=0.0)
    for attempt in range(1, limits.attempts + 1):
        try:
            with gate.turn(url):
                return _get(url, pool, headers, limits)
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


# urllib3 follows redirects; every other failure comes back to fetch(), which retries.
_REDIRECTS = urllib3.Retry(total=None, connect=0, read=False, other=0, status=0, redirect=10)


def _get(url: str, pool: Pool, headers: dict, limits: Limits) -> Snapshot:
    started = time.monotonic()
    target, credentials = _without_credentials(url)
    try:
        urllib3.util.parse_url(target)
    except LocationValueError as error:
        raise FetchError(f"invalid URL: {_reason(error)}") from None
    try:
        response = pool.manager(target).urlopen(
            "GET",
            target,
            headers={**headers, **credentials},
            preload_content=False,
            retries=_REDIRECTS,
            timeout=urllib3.Timeout(connect=limits.connect_timeout, read=limits.read_timeout),
        )
    except MaxRetryError as error:
        raise _failure(error.reason or error) from None
    except HTTPError as error:
        raise _failure(error) from None
    final_url = _final_url(response, target)
    try:
        if response.status == 304:
            return Snapshot(url, final_url, b"", not_modified=True, etag=response.headers.get("ETag"),
                            last_modified=response.headers.get("Last-Modified"))
        if response.status >= 400:
            raise FetchError(
                f"HTTP {response.status} {response.reason or ''}".strip(),
                transient=response.status in _TRANSIENT_STATUS,
                retry_after=_retry_after(response.headers.get("Retry-After", "")),
                status=response.status,
            )
        return Snapshot(
            url=url,
            final_url=final_url,
            content=_read_body(response, limits, started),
            content_type=response.headers.get("Content-Type", ""),
            charset=_declared_charset(response.headers.get("Content-Type", "")),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
    finally:
        if not response.isclosed():
            response.close()  # a body not read to its end: the connection cannot be reused
        response.release_conn()


def _without_credentials(url: str) -> tuple[str, dict]:
    """The URL without user and password, and the Basic authorization header they make."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url, {}
    user = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return bare, {"Authorization": urllib3.util.make_headers(basic_auth=user)["authorization"]}


def _final_url(response: urllib3.BaseHTTPResponse, url: str) -> str:
    """Where the redirects led (their Locations may be relative), or the URL asked for."""
    for step in response.retries.history if response.retries else ():
        if step.redirect_location:
            url = urljoin(url, step.redirect_location)
    return url


def _failure(error: Exception) -> FetchError:
    """The one-line FetchError for what urllib3 raised."""
    if isinstance(error, ResponseError):
        return FetchError("too many redirects (a redirect loop?)")
    if isinstance(error, LocationValueError):  # the URL asked for was parsed before: a redirect's
        return FetchError("redirected to a URL that is not http or https; not followed")
    if isinstance(error, NameResolutionError | NewConnectionError | ProtocolError):
        return FetchError(f"cannot connect: {_reason(error)}", transient=True)
    if isinstance(error, ConnectTimeoutError):
        return FetchError("connection timed out", transient=True)
    if isinstance(error, ReadTimeoutError):
        return FetchError("the server did not answer in time", transient=True)
    if isinstance(error, SSLError):
        return FetchError(f"secure connection refused: {_reason(error)}")
    return FetchError(f"request failed: {_reason(error)}")


def _read_body(response: urllib3.BaseHTTPResponse, limits: Limits, started: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchError(f"document too large ({_size(int(declared))}, limit {_size(limits.max_bytes)})")
    chunks, size = [], 0
    try:
        for chunk in response.stream(64 * 1024, decode_content=True):
            size += len(chunk)
            if size > limits.max_bytes:
                raise FetchError(f"document too large (over {_size(limits.max_bytes)})")
            if time.monotonic() - started > limits.total_seconds:
                raise FetchError(f"download took over {limits.total_seconds:.0f} s", transient=True)
            chunks.append(chunk)
    except (HTTPError, OSError) as error:
        raise FetchError(f"download interrupted: {_reason(error)}", transient=True) from None
    return b"".join(chunks)


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
    """The innermost message of a urllib3 error, on one line."""
    inner = error
    while inner.__context__ is not None and not str(inner):
        inner = inner.__context__
    text = str(inner.args[0] if inner.args else inner)
    for marker in ("Failed to establish a new connection: ", "NameResolutionError", "] "):
        if marker in text:
            text = text.split(marker, 1)[1]
    text = text.split(" (_ssl.c:", 1)[0]  # OpenSSL's source line says nothing to a reader
    return " ".join(text.split())[:200].rstrip(")'\"")
