"""The bundled example, end to end: three versions of a charter served on loopback.

Serves each version of examples/ in turn at one URL, checks after each (dated
as the charter's versions were), then builds the site and prints its home page.
"""

import shutil
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tracker.archive import Archive
from tracker.check import check_all
from tracker.site import build_site
from tracker.watchlist import Source, add, load

EXAMPLES = Path(__file__).resolve().parent
VERSIONS = [
    ("charte-v1.html", "text/html; charset=utf-8", datetime(2020, 6, 15, 9, tzinfo=UTC)),
    ("charte-v2.html", "text/html; charset=utf-8", datetime(2021, 3, 2, 9, tzinfo=UTC)),
    ("charte-v3.pdf", "application/pdf", datetime(2021, 12, 6, 9, tzinfo=UTC)),
]


class _Charter(BaseHTTPRequestHandler):
    """Serves whichever version is current at /charte."""

    current: tuple[bytes, str] = (b"", "text/plain")

    def do_GET(self) -> None:
        body, content_type = self.current
        self.send_response(200 if self.path == "/charte" else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def main(out: Path) -> None:
    if out.exists():
        if any(out.iterdir()) and not (out / "watchlist.toml").exists():
            sys.exit(f"error: {out} is not empty and holds no earlier demo: give the demo a folder of its own")
        shutil.rmtree(out)  # the demo replays its history from scratch each time
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Charter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out.mkdir(parents=True, exist_ok=True)
    watchlist = out / "watchlist.toml"
    add(watchlist, Source("santelia", "charte-de-confidentialite",
                          f"http://127.0.0.1:{server.server_port}/charte",
                          select=("main",), lang="fr", name="Santélia",
                          title="Charte de confidentialité"))
    archive = Archive(out / "snapshots")
    sources = load(watchlist).sources
    try:
        for name, content_type, date in VERSIONS:
            _Charter.current = ((EXAMPLES / name).read_bytes(), content_type)
            for outcome in check_all(sources, archive, now=date):
                changes = outcome.version.changes if outcome.version else ()
                kinds = ", ".join(sorted({c["type"] for c in changes}))
                print(f"{date:%Y-%m-%d} {name}: {outcome.status}{' (' + kinds + ')' if kinds else ''}"
                      f"{': ' + outcome.error if outcome.error else ''}")
    finally:
        server.shutdown()
    print(build_site(archive, sources, out / "site").resolve())


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "demo"))
