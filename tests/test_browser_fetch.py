"""Pages that need a browser: text written by a script, sites that refuse plain clients.

These drive Debian's Chromium (`.ci/run` installs it) through Playwright; without
it they fail, saying so, rather than pass without having looked.
"""

from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.archive import Archive
from tracker.browser import CHROMIUM, Browser, third_parties
from tracker.check import check_all
from tracker.cli import cli
from tracker.fetch import Limits
from tracker.watchlist import Source, load

FAST = Limits(connect_timeout=1.0, read_timeout=1.0, attempts=1, backoff=0.01)
PLEDGE = "We will never sell your personal data to anyone."
SCRIPTED = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Privacy</title></head>"
    "<body><nav><a href=/>Home</a></nav><main></main><script>"
    "setTimeout(() => { document.querySelector('main').innerHTML ="
    f" '<h1>Privacy</h1><p>{PLEDGE}</p><p>We keep your data for 30 days.</p>'; }}, 200);"
    "</script></body></html>"
)
PLAIN = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Privacy</title></head>"
    f"<body><main><h1>Privacy</h1><p>{PLEDGE}</p><p>We keep your data for 30 days.</p></main>"
    "</body></html>"
)
CHALLENGE = (
    "<!doctype html><html><head><title>Just a moment...</title></head><body>"
    "<div id=challenge-platform>Enable JavaScript and cookies to continue</div>"
    "<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=cf-chl'></script>"
    "</body></html>"
)


@pytest.fixture
def chromium(monkeypatch):
    """Debian's Chromium, or a failure that says how to get it."""
    monkeypatch.delenv("TRACKER_CHROMIUM", raising=False)
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), "
            "as .ci/run does; these tests need a browser"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("Playwright is missing: pip install -e . installs it (it downloads no browser)")


def tracker(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def refuses_plain_clients(body: str, refusal: str = "", status: int = 403):
    """A handler answering `status` to the tracker's User-Agent and the page to anyone else."""

    def handler(h):
        plain = "PledgeTracker" in h.headers.get("User-Agent", "")
        data = (refusal if plain else body).encode()
        h.send_response(status if plain else 200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return handler


def latest_text(workspace: Path, key: str) -> str:
    service, document = key.split("/")
    archive = Archive(workspace / "snapshots")
    return archive.text(service, document, archive.version(service, document))


def test_text_written_by_a_script_is_archived_via_the_browser(server, workspace, chromium):
    url = server.serve("/privacy", SCRIPTED)
    assert (
        tracker(
            "add", url, "--service", "Acme", "--document", "Privacy", "--select", "main"
        ).exit_code
        == 0
    )
    result = tracker("check")
    assert result.exit_code == 0, result.output
    assert "new        acme/privacy (via browser)" in result.output
    assert "1 new, 0 changed, 0 unchanged, 0 failed (1 via browser)" in result.output
    text = latest_text(workspace, "acme/privacy")
    assert PLEDGE in text and "Home" not in text
    state = Archive(workspace / "snapshots").state("acme", "privacy")
    assert state["via"] == "browser" and state["etag"] is None

    again = tracker("check")  # the browser renders the same page: a hash, no new version
    assert "0 new, 0 changed, 1 unchanged, 0 failed (1 via browser)" in again.output
    assert len(Archive(workspace / "snapshots").versions("acme", "privacy")) == 1


def test_text_written_by_a_script_fails_in_one_line_without_a_browser(server, workspace):
    url = server.serve("/privacy", SCRIPTED)
    tracker(
        "add", url, "--service", "Acme", "--document", "Privacy", "--select", "main", "--no-browser"
    )
    assert 'browser = "never"' in (workspace / "watchlist.toml").read_text()
    result = tracker("check")
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if "acme/privacy" in line]
    assert line.startswith("failed") and "with the select rules" in line, line
    assert "via browser" not in result.output


def test_a_site_refusing_plain_clients_is_archived_via_the_browser(server, workspace, chromium):
    url = server.serve("/privacy", handler=refuses_plain_clients(PLAIN, "<p>Forbidden</p>"))
    [outcome] = check_all(
        [Source("acme", "privacy", url)],
        Archive(workspace / "snapshots"),
        limits=FAST,
        browser=Browser(wait_seconds=3),
    )
    assert (outcome.status, outcome.via, outcome.error) == ("new", "browser", None)
    assert PLEDGE in latest_text(workspace, "acme/privacy")
    agents = [headers.get("User-Agent", "") for headers in server.hits("/privacy")]
    assert len(agents) == 2 and "PledgeTracker" in agents[0] and "PledgeTracker" not in agents[1]


def test_a_challenge_page_sends_the_check_to_the_browser(server, workspace, chromium):
    url = server.serve("/privacy", handler=refuses_plain_clients(PLAIN, CHALLENGE, status=200))
    with Browser(wait_seconds=3) as browser:
        [outcome] = check_all(
            [Source("acme", "privacy", url, select=("main",))],
            Archive(workspace / "snapshots"),
            limits=FAST,
            browser=browser,
        )
    assert (outcome.status, outcome.via) == ("new", "browser")
    assert "Just a moment" not in latest_text(workspace, "acme/privacy")


def test_the_other_sites_a_page_contacts_are_kept_with_the_version(server, workspace, chromium):
    port = server.httpd.server_port
    server.serve(
        "/pixel.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", headers={"Content-Type": "image/gif"}
    )
    body = PLAIN.replace("</main>", f"</main><img src='http://localhost:{port}/pixel.gif' alt=''>")
    url = server.serve("/privacy", body)  # served from 127.0.0.1: localhost is another host
    with Browser(wait_seconds=3) as browser:
        [outcome] = check_all(
            [Source("acme", "privacy", url, browser="always")],
            Archive(workspace / "snapshots"),
            limits=FAST,
            browser=browser,
        )
    assert outcome.status == "new", outcome.error
    assert outcome.version.third_parties == ("localhost",)
    assert server.hits("/pixel.gif"), "the page's image was not loaded"
    assert server.hits("/privacy")[0]["User-Agent"].find("PledgeTracker") == -1, (
        "always: no plain fetch"
    )
    [version] = Archive(workspace / "snapshots").versions("acme", "privacy")
    assert version.third_parties == ("localhost",)


def test_without_chromium_only_the_sources_needing_it_fail(server, workspace, monkeypatch):
    monkeypatch.setenv("TRACKER_CHROMIUM", str(workspace / "no-chromium"))
    tracker(
        "add", server.serve("/app", PLAIN), "--service", "App", "--document", "Privacy", "--browser"
    )
    tracker("add", server.serve("/plain", PLAIN), "--service", "Plain", "--document", "Privacy")
    assert [s.browser for s in load(workspace / "watchlist.toml").sources] == ["always", "auto"]
    result = tracker("check")
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if "app/privacy" in line]
    assert line.startswith("failed") and "install Debian's chromium" in line, line
    assert "new        plain/privacy" in result.output


def test_a_run_where_no_source_needs_it_never_starts_the_browser(server, workspace):
    browser = Browser()
    [outcome] = check_all(
        [Source("acme", "privacy", server.serve("/p", PLAIN))],
        Archive(workspace / "snapshots"),
        limits=FAST,
        browser=browser,
    )
    assert (outcome.status, outcome.via) == ("new", "")
    assert not browser.started
    browser.close()


def test_third_parties_are_hosts_of_other_sites():
    hosts = {
        "www.acme.example",
        "cdn.acme.example",
        "acme.example",
        "tracker.ads.example",
        "127.0.0.1",
        "localhost",
        "",
    }
    assert third_parties("https://www.acme.example/privacy", hosts) == (
        "127.0.0.1",
        "localhost",
        "tracker.ads.example",
    )
    assert third_parties("http://127.0.0.1:8000/p", {"127.0.0.1", "localhost"}) == ("localhost",)


def test_an_unknown_browser_mode_is_a_watchlist_problem(workspace):
    (workspace / "watchlist.toml").write_text(
        '[acme.privacy]\nurl = "https://acme.example/p"\nbrowser = "sometimes"\n'
    )
    watchlist = load(workspace / "watchlist.toml")
    assert watchlist.sources == ()
    assert len(watchlist.problems) == 1 and "browser" in watchlist.problems[0]
