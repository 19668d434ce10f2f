"""The example's site built in French, read in Debian's Chromium (Playwright) and checked
with axe-core (axe-playwright-python carries axe.min.js: nothing is downloaded)."""

import runpy
from pathlib import Path
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner

from tracker.browser import ARGS
from tracker.browser import CHROMIUM as BROWSER_PATH
from tracker.cli import cli

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo.py"
DOCUMENT = "santelia/charte-de-confidentialite"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The demo's archive, built with --lang fr; the site's folder."""
    out = tmp_path_factory.mktemp("demo-fr") / "demo"
    runpy.run_path(str(DEMO))["main"](out)
    result = CliRunner().invoke(cli, ["--watchlist", str(out / "watchlist.toml"), "--archive", str(out / "snapshots"),
                                      "build", "--lang", "fr", "--out", str(out / "site-fr")])
    assert result.exit_code == 0, result.output
    return out / "site-fr"


@pytest.fixture(scope="module")
def browser():
    if not Path(BROWSER_PATH).exists():
        pytest.fail(f"{BROWSER_PATH} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=BROWSER_PATH, args=ARGS)
        yield chromium
        chromium.close()


def test_a_french_reader_finds_the_dropped_word_marked_and_follows_the_pledge_to_its_history_and_back(site, browser):
    page = browser.new_page()
    page.goto((site / "index.html").as_uri())
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Ce qui a changé dans les promesses"
    assert page.title() == "Ce qui a changé dans les promesses · Pledge Tracker"
    weakened = page.locator("article.change.weakened").filter(has=page.locator("blockquote.old", has_text="uniquement"))
    assert weakened.count() == 1
    assert weakened.locator("h3 .kind").inner_text() == "Affaiblie"
    assert weakened.locator("blockquote.old del", has_text="uniquement").inner_text() == "uniquement"
    assert weakened.locator("blockquote.old .side").inner_text() == "Avant :"
    assert "suppression de 'uniquement'" in weakened.locator("p.reason").inner_text()
    assert "Charte de confidentialité" in weakened.locator("h3 a").inner_text()  # its name, not its slug

    weakened.locator("h3 a").click()
    assert urlparse(page.url).path.endswith(f"{DOCUMENT}/2021-03-02T09-00-00Z.html")
    assert page.locator("p.summary").inner_text() == "1 promesse supprimée, 1 promesse affaiblie."
    change = page.locator("main article.change.weakened")
    assert change.locator("del", has_text="uniquement").count() == 1
    marker = page.locator(".diff del", has_text="uniquement").evaluate(
        "del => getComputedStyle(del, '::before').content")
    assert marker == '"[supprimé : "'  # what a reader without colours (or a screen reader) is told
    change.get_by_role("link", name="Histoire de cette promesse").click()

    anchor = urlparse(page.url).fragment
    assert urlparse(page.url).path.endswith(f"{DOCUMENT}/pledges.html") and anchor.startswith("p-")
    pledge = page.locator(f"article#{anchor}")
    assert pledge.locator("h3").inner_text().endswith(
        "Vos données servent à deux finalités : la prise de rendez-vous avec vos soignants et la transmission "
        "sécurisée de vos documents médicaux.")
    assert "Faite depuis le 2020-06-15" in pledge.inner_text()
    assert pledge.locator("del", has_text="uniquement").count() == 1
    pledge.get_by_role("link", name="Changement du 2021-03-02").click()
    assert urlparse(page.url).path.endswith(f"{DOCUMENT}/2021-03-02T09-00-00Z.html")
    assert page.locator("h2", has_text="Mot à mot").count() == 1


def test_the_gone_pledges_say_when_they_went_and_what_they_became(site, browser):
    page = browser.new_page()
    page.goto((site / DOCUMENT / "pledges.html").as_uri())
    removed = page.locator("article.pledge.gone", has_text="personne chez Santélia")
    assert "Plus faite depuis le 2021-03-02" in removed.inner_text()
    hosted = page.locator("article.pledge.gone").filter(has=page.locator("h3", has_text="hébergées en France"))
    assert "Plus faite depuis le 2021-12-06" in hosted.locator("p.until").inner_text()
    hosted.locator("p.until a").click()
    merged = page.locator(f"article#{urlparse(page.url).fragment}")
    assert "et chiffrées lors de leur transfert" in merged.locator("h3").inner_text()
    assert "Faite depuis le 2021-12-06" in merged.inner_text()


@pytest.mark.parametrize("path", ["index.html", "santelia/index.html", f"{DOCUMENT}/index.html",
                                  f"{DOCUMENT}/2021-12-06T09-00-00Z.html", f"{DOCUMENT}/pledges.html",
                                  "status.html", "changes/2021.html"])
def test_axe_finds_no_serious_or_critical_violation(site, browser, path):
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page()
    page.goto((site / path).as_uri())
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
               if v["impact"] in ("serious", "critical")]
    assert serious == []
