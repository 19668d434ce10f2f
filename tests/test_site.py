import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from conftest import page

from tracker.archive import Archive
from tracker.check import check_all
from tracker.cli import cli
from tracker.watchlist import load

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = [
    'We only share your data with <script>alert("x")</script> partners.',
    'Click <a href="javascript:alert(1)" onclick="steal()">here</a> </p></main><img src=x onerror=alert(2)>.',
]


def _history(server, workspace, versions):
    """Serve each text in turn, checking after each; returns the archive and sources."""
    url = server.serve("/policy", versions[0])
    assert CliRunner().invoke(cli, ["add", url, "--service", "Acme", "--document", "privacy",
                                    "--select", "main", "--lang", "en"]).exit_code == 0
    sources, archive = load(workspace / "watchlist.toml").sources, Archive(workspace / "snapshots")
    for day, body in enumerate(versions):
        server.serve("/policy", body)
        check_all(sources, archive, now=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day))
    return archive, sources


def test_home_puts_the_weakened_pledge_first_and_links_its_change(server, workspace):
    _history(server, workspace, [
        page("We only use your email address to send receipts.", "We never sell your personal data."),
        page("We use your email address to send receipts.", "We never sell your personal data.",
             "We publish a yearly transparency report about data requests."),
    ])
    result = CliRunner().invoke(cli, ["build", "--out", "site"])
    assert result.exit_code == 0, result.output
    home = (workspace / "site" / "index.html").read_text()
    losses = home.index("Removed and weakened")
    assert home.index('We <del class="named">only</del> use your email address', losses) < home.index("Latest changes")
    change_page = workspace / "site" / "acme" / "privacy" / "2024-01-02T00-00-00Z.html"
    assert 'href="acme/privacy/2024-01-02T00-00-00Z.html"' in home
    text = change_page.read_text()
    assert "<del>only</del> " in text
    assert "transparency report" in text


def test_pages_and_feed_load_nothing_from_elsewhere(server, workspace):
    _history(server, workspace, [page("We only keep your data for 30 days."), page("We keep your data for 30 days.")])
    CliRunner().invoke(cli, ["build", "--out", "site"])
    for html in (workspace / "site").rglob("*.html"):
        text = html.read_text()
        assert "<script" not in text
        assert "Content-Security-Policy" in text
        assert "http://" not in text.replace(server.url(""), "") and "https://" not in text


def test_hostile_page_text_is_shown_as_text_everywhere(server, workspace):
    _history(server, workspace, [page("We keep your data for 30 days."),
                                 page("We keep your data for 30 days.", *HOSTILE)])
    CliRunner().invoke(cli, ["build", "--out", "site"])
    for path in (workspace / "site").rglob("*"):
        if path.suffix not in (".html", ".atom"):
            continue
        text = path.read_text()
        assert "<script>alert" not in text and "onerror=alert" not in text.replace("onerror=alert(2)&gt;", "")
        assert 'href="javascript:' not in text


def test_feed_has_one_entry_per_change_with_ids_stable_across_rebuilds(server, workspace):
    _history(server, workspace, [
        page("We never sell your personal data."),
        page("We do not sell your personal data unless required."),
        page("We may sell your personal data."),
    ])
    runner = CliRunner()
    runner.invoke(cli, ["build", "--out", "site"])
    feed = ET.parse(workspace / "site" / "feed.atom").getroot()
    entries = feed.findall(f"{ATOM}entry")
    ids = sorted(e.find(f"{ATOM}id").text for e in entries)
    assert len(entries) == 2
    assert all(e.find(f"{ATOM}link").get("href").startswith("acme/privacy/") for e in entries)
    runner.invoke(cli, ["build", "--out", "site"])
    again = ET.parse(workspace / "site" / "feed.atom").getroot()
    assert sorted(e.find(f"{ATOM}id").text for e in again.findall(f"{ATOM}entry")) == ids
    home = (workspace / "site" / "index.html").read_text()
    assert '<link rel="alternate" type="application/atom+xml" href="feed.atom"' in home


def test_document_page_lists_versions_and_a_failing_source_says_so(server, workspace):
    archive, sources = _history(server, workspace, [page("We never sell your personal data.")])
    server.serve("/policy", "gone", status=410)
    CliRunner().invoke(cli, ["check"])
    CliRunner().invoke(cli, ["build", "--out", "site"])
    doc = (workspace / "site" / "acme" / "privacy" / "index.html").read_text()
    assert "2024-01-01" in doc and "first version" in doc
    assert "not reachable since" in doc and "HTTP 410" in doc


def test_a_lost_clause_that_is_not_about_personal_data_is_a_change_but_not_a_loss(server, workspace):
    _history(server, workspace, [
        page("We never charge a fee for your first listing.", "We never sell your personal data."),
        page("We may charge a fee for your first listing.", "We never sell your personal data."),
    ])
    assert CliRunner().invoke(cli, ["build", "--out", "site"]).exit_code == 0
    home = (workspace / "site" / "index.html").read_text()
    assert "first listing" not in home.split("Latest changes")[0]  # not among the losses up front
    assert 'href="acme/privacy/2024-01-02T00-00-00Z.html"' in home  # but listed as a change
    assert "first listing" not in (workspace / "site" / "losses.atom").read_text()
    [change] = json.loads((workspace / "site" / "data" / "changes.json").read_text())[0]["changes"]
    assert (change["type"], change["about"]) == ("weakened", "other")
