"""browser = "auto" after what the plain fetch cannot get past even with cookies: redirects
round in circles, and a consent wall answered with 200 and no policy text.

These drive Debian's Chromium, as test_browser_fetch does (its fixture fails without it)."""

import pytest
from test_browser_fetch import FAST, PLAIN, PLEDGE, chromium, latest_text  # noqa: F401 -- chromium: a fixture
from test_fetch import respond

from tracker.archive import Archive
from tracker.browser import Browser
from tracker.check import check_all
from tracker.watchlist import Source

# What a browser runs on a consent wall: it records the choice in a cookie and loads the page again.
CONSENT_WALL = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Privacy</title></head><body>"
    "<div class=consent-wall><p>We and our 812 partners value your privacy.</p><button>Accept all</button></div>"
    "<script>document.cookie = 'consent=yes; path=/'; location.reload();</script></body></html>"
)


def check(url: str, workspace, **source):
    with Browser(wait_seconds=5) as browser:
        [outcome] = check_all([Source("acme", "privacy", url, **source)], Archive(workspace / "snapshots"),
                              limits=FAST, browser=browser)
    return outcome


@pytest.mark.usefixtures("chromium")
def test_a_site_sending_plain_clients_round_in_circles_is_archived_via_the_browser(server, workspace):
    def circles(h):
        if "PledgeTracker" in h.headers.get("User-Agent", ""):
            respond(h, 302, b"", {"Location": h.path})
        else:
            respond(h, 200, PLAIN.encode())

    outcome = check(server.serve("/privacy", handler=circles), workspace)
    assert (outcome.status, outcome.via, outcome.error) == ("new", "browser", None)
    assert PLEDGE in latest_text(workspace, "acme/privacy")


def test_a_redirect_loop_is_not_sent_to_the_browser_when_the_source_says_never(server, workspace):
    url = server.serve("/privacy", status=302, headers={"Location": "/privacy"})
    outcome = check(url, workspace, browser="never")
    assert outcome.status == "failed" and "redirect loop" in outcome.error and outcome.via == ""


@pytest.mark.usefixtures("chromium")
def test_a_consent_wall_without_the_policy_is_archived_via_the_browser(server, workspace):
    def wall(h):
        consented = "consent=yes" in h.headers.get("Cookie", "")
        respond(h, 200, (PLAIN if consented else CONSENT_WALL).encode())

    outcome = check(server.serve("/privacy", handler=wall), workspace, select=("main",))
    assert (outcome.status, outcome.via, outcome.error) == ("new", "browser", None)
    text = latest_text(workspace, "acme/privacy")
    assert PLEDGE in text and "partners" not in text
    agents = [hit.get("User-Agent", "") for hit in server.hits("/privacy")]
    assert "PledgeTracker" in agents[0] and len(agents) >= 3  # plain, then the browser twice
