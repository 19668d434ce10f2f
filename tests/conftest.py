"""Shared fixtures: a local HTTP server whose routes each test sets, and a workspace."""

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples"


class Route:
    """A canned answer: status, headers and body, or a function that writes its own."""

    def __init__(self, body: bytes = b"", status: int = 200, headers: dict | None = None,
                 handler: Callable[[BaseHTTPRequestHandler], None] | None = None):
        self.body, self.status, self.headers, self.handler = body, status, headers or {}, handler


class LocalServer:
    """An HTTP server on 127.0.0.1 that records every request it serves."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path)
                if route is None:
                    route = Route(b"<html><body><p>Not found</p></body></html>", 404)
                if route.handler:
                    route.handler(self)
                    return
                self.send_response(route.status)
                headers = {"Content-Type": "text/html; charset=utf-8", **route.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # Clients hanging up early is what many tests do; keep server tracebacks out of the output.
        self.httpd.handle_error = lambda request, client_address: None
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def serve(self, path: str, body: bytes | str = b"", **kwargs) -> str:
        """Answer GET path with body (and status, headers or handler); returns its URL."""
        self.routes[path] = Route(body.encode() if isinstance(body, str) else body, **kwargs)
        return self.url(path)

    def hits(self, path: str) -> list[dict]:
        return [headers for p, headers in self.requests if p == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def streamer(total: int, sent: list | None = None, done: threading.Event | None = None):
    """A handler streaming `total` bytes of HTML without Content-Length (noting in `sent` how
    much got out, setting `done` at the end): a page too large, or endless."""
    sent = [] if sent is None else sent

    def handler(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
        try:
            while sum(sent) < total:
                h.wfile.write(chunk)
                sent.append(len(chunk))
        except OSError:
            pass
        finally:
            if done is not None:
                done.set()

    return handler


@pytest.fixture
def server():
    s = LocalServer()
    yield s
    s.close()


@pytest.fixture
def release():
    """An event that stalled handlers wait on; set when the test ends so no thread lingers."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch):
    """Each test its own cache folder (parsed watchlists and language files), never the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """An empty folder as the current directory: watchlist.toml and snapshots/ go there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def page(*paragraphs: str, title: str = "Policy", lang: str = "en") -> str:
    """A small policy page with the furniture real pages have around the text."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html lang={lang}><head><meta charset=utf-8><title>{title}</title>"
            f"<script>track()</script></head><body><nav><a href=/>Home</a></nav>"
            f"<main><h1>{title}</h1>{body}</main><footer>© Example</footer></body></html>")


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the whole session, started on first use, stopped and removed at the end."""
    import shutil
    import tempfile

    from pgcluster import Cluster

    # not under pytest's own temporary folder: that one is private to root, and the server is not root
    folder = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
    try:
        cluster = Cluster(folder)
        yield cluster
        cluster.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(postgres):
    """A fresh database with the archive's tables: its postgresql:// URL."""
    from tracker.pgarchive import upgrade

    url = postgres.new_database()
    upgrade(url)
    return url
