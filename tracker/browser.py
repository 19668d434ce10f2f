"""Browser: fetch a page as a reader's browser shows it, for pages whose text is written
by scripts and for sites that refuse plain HTTP clients.

Playwright drives the system's Chromium (Debian's `chromium`); nothing is ever
downloaded. Playwright's sync API must stay on the thread that started it, while
checks run in a thread pool: so one thread owns Playwright and serves the pages
asked for through a queue, one at a time, each answered through a Future.
"""

import os
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from urllib.parse import urlsplit

from tracker.errors import FetchError
from tracker.fetch import Snapshot

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
]
INSTALL = "install Debian's chromium (apt-get install chromium) to fetch pages that need a browser"

# True once a select rule (or the body, without rules) shows some text.
_HAS_TEXT = """(selectors) => {
  const shown = (el) => !!el && (el.innerText || "").trim().length > 0;
  if (!selectors.length) return shown(document.body);
  return selectors.some((css) => { try { return shown(document.querySelector(css)); }
                                   catch (e) { return false; } });
}"""


@dataclass(frozen=True)
class Page:
    """A page as the browser showed it, and the other sites it contacted on the way."""

    snapshot: Snapshot
    third_parties: tuple[str, ...] = ()


def chromium_path() -> str:
    """The Chromium to drive: $TRACKER_CHROMIUM, else Debian's."""
    return os.environ.get("TRACKER_CHROMIUM") or CHROMIUM


class Browser:
    """One headless Chromium for a check run, started on first use and closed by close().

    A run where no source needs a browser never starts one."""

    def __init__(self, wait_seconds: float = 20.0, load_seconds: float = 30.0):
        self.wait_seconds = wait_seconds  # how long the select rules may take to show text
        self.load_seconds = load_seconds  # how long the page may take to answer
        self._requests: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._guard = threading.Lock()

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def started(self) -> bool:
        return self._thread is not None

    def fetch(self, url: str, select: tuple[str, ...] = ()) -> Page:
        """The page at url once a select rule shows text (or the time limit passed)."""
        with self._guard:
            if self._closed:
                raise FetchError("the browser of this run is already closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="tracker-browser", daemon=True
                )
                self._thread.start()
            future: Future = Future()
            self._requests.put((url, tuple(select), future))
        return future.result()

    def close(self) -> None:
        """Stop Chromium and its thread; pages still asked for fail."""
        with self._guard:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
            self._requests.put(None)
        if thread is not None:
            thread.join(timeout=self.load_seconds + self.wait_seconds + 10)

    # -- on the browser's own thread ---------------------------------------------

    def _serve(self) -> None:
        playwright = chromium = None
        failure = None
        try:
            playwright, chromium = _launch()
        except FetchError as error:
            failure = str(error)
        except Exception as error:  # noqa: BLE001 -- a thread that dies here would leave checks waiting
            failure = f"the browser did not start ({_first_line(error)}); {INSTALL}"
        try:
            while True:
                item = self._requests.get()
                if item is None:
                    break
                url, select, future = item
                if not future.set_running_or_notify_cancel():
                    continue
                if failure:
                    future.set_exception(FetchError(failure))
                    continue
                try:
                    future.set_result(self._visit(chromium, url, select))
                except Exception as error:  # noqa: BLE001 -- every failure must reach the waiting check
                    future.set_exception(
                        error if isinstance(error, FetchError) else _fetch_error(error)
                    )
        finally:
            for stop in (chromium and chromium.close, playwright and playwright.stop):
                try:
                    if stop:
                        stop()
                except Exception:  # noqa: BLE001 -- shutting down anyway; Chromium may be gone
                    pass
            while not self._requests.empty():  # anything asked after close()
                item = self._requests.get_nowait()
                if item is not None and item[2].set_running_or_notify_cancel():
                    item[2].set_exception(FetchError("the browser of this run is already closed"))

    def _visit(self, chromium, url: str, select: tuple[str, ...]) -> Page:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        hosts: set[str] = set()
        # a fresh context per page: no cookie or cache passes from one source to another
        context = chromium.new_context()
        try:
            context.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or ""))
            page = context.new_page()
            try:
                response = page.goto(
                    url, wait_until="domcontentloaded", timeout=self.load_seconds * 1000
                )
            except PlaywrightTimeout:
                raise FetchError(
                    f"the page did not load in {self.load_seconds:.0f} s",
                    transient=True,
                ) from None
            if response is not None and response.status >= 400:
                status = f"HTTP {response.status} {response.status_text or ''}".strip()
                raise FetchError(
                    status,
                    transient=response.status in (429, 500, 502, 503, 504),
                )
            if response is not None and "html" not in (
                response.headers.get("content-type") or "html"
            ):
                body = response.body()
                return Page(Snapshot(url, page.url, body, response.headers.get("content-type", "")))
            deadline = time.monotonic() + self.wait_seconds
            # a bot check may navigate to the page while we wait: then wait again, on the page
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    page.wait_for_function(
                        _HAS_TEXT, arg=list(select), timeout=left * 1000, polling=100
                    )
                    break
                except PlaywrightTimeout:
                    break  # extraction decides what the page holds
                except PlaywrightError:
                    time.sleep(0.1)
            try:  # let the page's own requests (images, trackers) start before we list them
                page.wait_for_load_state(
                    "load", timeout=max(1.0, deadline - time.monotonic()) * 1000
                )
            except PlaywrightTimeout:
                pass
            content = page.content().encode("utf-8")
            final_url = page.url
        finally:
            context.close()
        snapshot = Snapshot(url, final_url, content, "text/html; charset=utf-8", "utf-8")
        return Page(snapshot, third_parties(final_url, hosts))


def _launch():
    """Playwright and a headless Chromium with a fresh profile, or a FetchError: what is missing."""
    path = chromium_path()
    if not os.path.exists(path):
        raise FetchError(f"no Chromium at {path}: {INSTALL}")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise FetchError(f"Playwright is missing (pip install playwright); {INSTALL}") from None
    try:
        playwright = sync_playwright().start()
    except PlaywrightError as error:
        raise FetchError(f"Playwright did not start ({_first_line(error)}); {INSTALL}") from None
    try:
        return playwright, playwright.chromium.launch(
            executable_path=path, args=ARGS, headless=True
        )
    except PlaywrightError as error:
        playwright.stop()
        raise FetchError(
            f"Chromium at {path} did not start ({_first_line(error)}); {INSTALL}"
        ) from None


def _fetch_error(error: Exception) -> FetchError:
    return FetchError(f"browser: {_first_line(error)}", transient=True)


def _first_line(error: Exception) -> str:
    lines = [
        line.strip() for line in str(error).splitlines() if line.strip() and "====" not in line
    ]
    return (lines[0] if lines else type(error).__name__)[:200]


def third_parties(page_url: str, hosts) -> tuple[str, ...]:
    """The hosts other than the page's own site, sorted: those of another registrable domain
    (www.example.co.uk and cdn.example.co.uk are one site; IP addresses compare as they are)."""
    from tracker.thirdparty import registrable_domain

    own = registrable_domain(urlsplit(page_url).hostname or "")
    return tuple(sorted({h.lower() for h in hosts if h and registrable_domain(h) != own}))
