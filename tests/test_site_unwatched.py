"""The site after `tracker remove` and `tracker pause`: a document no longer watched keeps its pages,
and says so; a paused one says so on the status page."""

import re

from click.testing import CliRunner
from conftest import page

from tracker.cli import cli

POLICY = page("We will never sell your personal data.", "We keep your data for 30 days.")


def tracker(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def _text(html: str) -> str:
    """What a reader sees: the page without its tags, its spaces collapsed."""
    return re.sub(r" ([,.:;])", r"\1", " ".join(re.sub(r"<[^>]+>", " ", html).split()))


def _watch_two(server):
    for document in ("privacy", "terms"):
        url = server.serve(f"/{document}", POLICY)
        tracker("add", url, "--service", "Acme", "--document", document, "--lang", "en")
    tracker("check")
    return server.url("/privacy")


def test_a_removed_document_keeps_its_pages_and_says_it_is_no_longer_watched(server, workspace):
    url = _watch_two(server)
    tracker("remove", "acme/privacy")
    tracker("build", "--out", "site")
    site = workspace / "site"
    document = _text((site / "acme" / "privacy" / "index.html").read_text())
    assert "No longer watched: this document is not checked any more; its last check was on" in document
    assert f"Source, when it was watched: {url}" in document
    assert "We will never sell your personal data." in document  # its current pledges stay
    assert "first version" in document
    service = _text((site / "acme" / "index.html").read_text())
    assert re.search(r"Privacy: 1 version, last changed [\d-]+, no longer watched Terms", service), service
    assert re.search(r"Terms: 1 version, last changed [\d-]+ Changes", service), service
    status = _text((site / "status.html").read_text())
    assert "acme/terms" in status and "acme/privacy" not in status


def test_a_removed_document_whose_last_check_failed_is_not_shown_as_unreachable(server, workspace):
    _watch_two(server)
    server.serve("/privacy", "<p>down</p>", status=404)
    CliRunner().invoke(cli, ["check"])
    tracker("build", "--out", "before")
    assert "not reachable since" in (workspace / "before" / "acme" / "index.html").read_text()
    tracker("remove", "acme/privacy")
    tracker("build", "--out", "site")
    for path in ("acme/index.html", "acme/privacy/index.html"):
        shown = (workspace / "site" / path).read_text()
        assert "not reachable" not in shown and "no longer watched" in shown.lower()


def test_a_rebuild_after_remove_updates_the_document_page(server, workspace):
    _watch_two(server)
    tracker("build", "--out", "site")
    tracker("remove", "acme/privacy")
    tracker("build", "--out", "site")
    assert "No longer watched" in (workspace / "site" / "acme" / "privacy" / "index.html").read_text()
    assert "No longer watched" not in (workspace / "site" / "acme" / "terms" / "index.html").read_text()


def test_a_rebuild_after_remove_updates_the_service_page(server, workspace):
    _watch_two(server)
    tracker("build", "--out", "site")
    tracker("remove", "acme/privacy")
    tracker("build", "--out", "site")
    assert "no longer watched" in (workspace / "site" / "acme" / "index.html").read_text()


def test_the_status_page_says_which_sources_are_paused(server, workspace):
    _watch_two(server)
    tracker("add", server.serve("/cookies", POLICY), "--service", "Acme", "--document", "cookies")
    tracker("pause", "acme/terms")
    tracker("pause", "acme/cookies")
    tracker("build", "--out", "site")
    rows = {re.search(r"<code>([^<]+)</code>", row).group(1): _text(row)
            for row in re.findall(r"<tr><td>.*?</tr>", (workspace / "site" / "status.html").read_text(), re.S)}
    assert "paused, last check: new" in rows["acme/terms"] and rows["acme/terms"].endswith("not until resumed")
    assert "paused, never checked" in rows["acme/cookies"]
    assert "paused" not in rows["acme/privacy"]
    document = (workspace / "site" / "acme" / "terms" / "index.html").read_text()
    assert "No longer watched" not in document  # paused is not removed
