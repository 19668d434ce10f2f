"""The bundled example's site in a real browser: Debian's Chromium, headless, driven by Playwright.

Nothing is downloaded: Playwright runs the system's /usr/bin/chromium (`.ci/run`
installs it), never a browser of its own.
"""

import runpy
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tracker.browser import ARGS
from tracker.browser import CHROMIUM as BROWSER_PATH

CHROMIUM = Path(BROWSER_PATH)
DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo.py"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Path:
    """The site of examples/, built as `make demo` builds it; its home page."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    runpy.run_path(str(DEMO))["main"](out)
    return out / "site" / "index.html"


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), "
            "as .ci/run does; the browser test needs it"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def test_reader_follows_the_weakened_pledge_to_its_change_page_and_nothing_leaves_the_site(
    demo_site, browser, tmp_path
):
    site = demo_site.parent.resolve()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(demo_site.resolve().as_uri())
    assert page.title().endswith("Pledge Tracker")
    weakened = page.locator("article.change.weakened").filter(
        has=page.locator("blockquote.old", has_text="uniquement")
    )
    assert weakened.count() == 1
    assert "uniquement" not in weakened.locator("blockquote.new").inner_text()
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

    link = weakened.locator("h3 a")
    target = link.get_attribute("href")
    link.click()
    page.wait_for_load_state("load")
    assert page.url == (site / target).as_uri()
    assert "2021-03-02" in page.title()
    summary = page.locator("p.summary").inner_text()
    assert "weakened" in summary.lower() and "removed" in summary.lower()
    shown = page.locator("main article.change.weakened").filter(has_text="uniquement")
    assert shown.count() == 1
    assert "suppression de 'uniquement'" in shown.inner_text()  # in the document's language
    page.screenshot(path=str(tmp_path / "change.png"), full_page=True)

    assert requested, "the browser recorded no request"
    outside = [
        url
        for url in requested
        if urlparse(url).scheme != "file"
        or not Path(unquote(urlparse(url).path)).is_relative_to(site)
    ]
    assert outside == [], f"requested outside {site}: {outside}"
    assert (site / "style.css").as_uri() in requested
    assert problems == [], f"the browser reported: {problems}"
    for name in ("home.png", "change.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 1000, name
