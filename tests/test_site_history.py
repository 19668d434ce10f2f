"""Every pledge's life story: the history page, data/pledges.json and `tracker history --pledges`;
and the site's names and language, as a reader and a feed reader meet them.

Archives are made the real way: pages served on loopback, checked on consecutive days
through the CLI, then `tracker build`."""

import json
from datetime import UTC, datetime, timedelta

import feedparser
import lxml.html
from click.testing import CliRunner
from conftest import page

from tracker.archive import Archive
from tracker.check import check_all
from tracker.cli import cli
from tracker.watchlist import load

ONLY = "We only use your email address to send receipts."
NOT_ONLY = "We use your email address to send receipts."
NEVER_SELL = "We never sell your personal data."
KEEP = "We keep your payment details for 30 days."
KEEP_LONGER = "We keep your payment details for 90 days."
CONSENT = "We never share your location without your consent."
CONSENT_MERGED = "We never share your location or contacts without your consent."
CONTACTS = "We never share your contacts without your consent."


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def watch(server, workspace, *versions: str, document: str = "privacy", lang: str = "en") -> None:
    """Serve each version in turn at one URL, checking it a day after the one before."""
    url = server.serve("/policy", versions[0])
    run("add", url, "--service", "Acme Santé", "--document", document, "--select", "main", "--lang", lang)
    sources, archive = load(workspace / "watchlist.toml").sources, Archive(workspace / "snapshots")
    for day, body in enumerate(versions):
        server.serve("/policy", body)
        check_all(sources, archive, now=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day))


def lives(workspace) -> dict[str, dict]:
    [entry] = json.loads((workspace / "site" / "data" / "pledges.json").read_text())
    return {life["text"]: life for life in entry["pledges"]}


def test_each_pledge_has_its_first_day_its_changes_and_its_end(server, workspace):
    watch(server, workspace,
          page(ONLY, NEVER_SELL, CONSENT, CONTACTS),
          page(NOT_ONLY, NEVER_SELL, CONSENT, CONTACTS, KEEP),
          page(NOT_ONLY, CONSENT_MERGED, KEEP_LONGER))
    run("build", "--out", "site")
    found = lives(workspace)
    assert found[NOT_ONLY]["since"] == "2024-01-01T00-00-00Z" and found[NOT_ONLY]["current"]
    [weakened] = found[NOT_ONLY]["changes"]
    assert (weakened["version"], weakened["type"], weakened["old"]) == ("2024-01-02T00-00-00Z", "weakened", ONLY)
    assert found[KEEP_LONGER]["since"] == "2024-01-02T00-00-00Z"  # added on day 2, lengthened on day 3
    assert [c["type"] for c in found[KEEP_LONGER]["changes"]] == ["added", "weakened"]
    assert found[NEVER_SELL]["until"] == "2024-01-03T00-00-00Z" and not found[NEVER_SELL]["current"]
    merged = found[CONSENT_MERGED]
    assert {found[CONSENT]["id"], found[CONTACTS]["id"]} == set(merged["came_from"])
    assert found[CONSENT]["became"] == [merged["id"]] and found[CONSENT]["until"] == "2024-01-03T00-00-00Z"

    history = lxml.html.parse(str(workspace / "site" / "acme-sante" / "privacy" / "pledges.html")).getroot()
    current = history.xpath("//section[1]//*[@id]/@id")
    assert found[NOT_ONLY]["id"] in current and found[NEVER_SELL]["id"] not in current  # current ones first
    gone = history.get_element_by_id(found[NEVER_SELL]["id"])
    assert "Not made since 2024-01-03" in gone.text_content()


def test_a_pledge_keeps_its_anchor_when_later_versions_come(server, workspace):
    watch(server, workspace, page(ONLY, NEVER_SELL), page(NOT_ONLY, NEVER_SELL))
    run("build", "--out", "site")
    before = {text: life["id"] for text, life in lives(workspace).items()}
    change_page = (workspace / "site" / "acme-sante" / "privacy" / "2024-01-02T00-00-00Z.html").read_text()
    assert f'href="pledges.html#{before[NOT_ONLY]}"' in change_page

    server.serve("/policy", page(NOT_ONLY, NEVER_SELL, KEEP))
    check_all(load(workspace / "watchlist.toml").sources, Archive(workspace / "snapshots"),
              now=datetime(2024, 2, 1, tzinfo=UTC))
    run("build", "--out", "site")
    after = {text: life["id"] for text, life in lives(workspace).items()}
    assert after[NOT_ONLY] == before[NOT_ONLY] and after[NEVER_SELL] == before[NEVER_SELL]
    assert len(set(after.values())) == len(after)
    history = (workspace / "site" / "acme-sante" / "privacy" / "pledges.html").read_text()
    assert f'id="{before[NOT_ONLY]}"' in history and f'id="{after[KEEP]}"' in history


def test_the_terminal_tells_the_same_story(server, workspace):
    watch(server, workspace, page(ONLY, NEVER_SELL), page(NOT_ONLY))
    output = run("history", "acme-sante/privacy", "--pledges")
    assert output.index("current") < output.index("gone")
    assert f"2024-01-02 weakened\n    - {ONLY}\n    + {NOT_ONLY}\n    why: 'only' was dropped" in output
    assert f"  {NEVER_SELL}\n  2024-01-02 removed" in output
    result = CliRunner().invoke(cli, ["history", "acme-sante/nothing", "--pledges"])
    assert result.exit_code == 1 and "has no version" in result.output


def test_the_document_is_shown_by_its_name_and_the_site_speaks_german_with_french_quotes(server, workspace):
    watch(server, workspace,
          page("Nous utilisons uniquement votre adresse e-mail pour vous envoyer vos reçus.", lang="fr"),
          page("Nous utilisons votre adresse e-mail pour vous envoyer vos reçus.", lang="fr"),
          document="Charte de confidentialité", lang="fr")
    run("build", "--out", "site", "--lang", "de")
    folder = workspace / "site" / "acme-sante" / "charte-de-confidentialite"  # the slug is the URL
    home = lxml.html.parse(str(workspace / "site" / "index.html")).getroot()
    assert home.get("lang") == "de"
    link = home.xpath("//a[@href='acme-sante/charte-de-confidentialite/index.html']")[0]
    assert link.text_content() == "Charte de confidentialité"
    article = home.xpath("//article[contains(@class, 'weakened')]")[0]
    assert article.xpath(".//span[@class='kind']")[0].text_content() == "Abgeschwächt"
    assert article.xpath(".//blockquote[@class='old']//span[@lang='fr']//del")[0].text_content() == "uniquement"
    reason = article.xpath(".//p[@class='reason']")[0]
    assert reason.get("lang") == "fr" and reason.text_content().startswith("suppression de 'uniquement'")
    change = lxml.html.parse(str(folder / "2024-01-02T00-00-00Z.html")).getroot()
    assert change.xpath("//h1")[0].text_content() == "Acme Santé · Charte de confidentialité · 2024-01-02"
    feed = feedparser.parse((folder / "feed.atom").read_bytes())
    assert feed.feed.title == "Pledge Tracker: Acme Santé · Charte de confidentialité"
    [entry] = feed.entries
    assert entry.title == "Acme Santé · Charte de confidentialité: 1 abgeschwächt"
    assert entry.id == "tag:pledge-tracker,2026:acme-sante/charte-de-confidentialite/2024-01-02T00-00-00Z"
    assert "<del><b>uniquement</b></del>" in entry.content[0].value
    rss = feedparser.parse((folder / "feed.rss").read_bytes())
    assert rss.feed.language == "de" and rss.entries[0].id == entry.id
    status = lxml.html.parse(str(workspace / "site" / "status.html")).getroot()
    assert status.xpath("//tbody/tr/td[1]")[0].text_content() == (
        "Acme Santé · Charte de confidentialité acme-sante/charte-de-confidentialite")


def test_tracker_diff_as_html_marks_the_words_its_reasons_name(workspace):
    (workspace / "old.txt").write_text(f"# Policy\n\n{ONLY}\n\n{KEEP}\n")
    (workspace / "new.txt").write_text(f"# Policy\n\n{NOT_ONLY}\n\n{KEEP_LONGER}\n")
    html = lxml.html.fromstring(run("diff", "old.txt", "new.txt", "--format", "html"))
    weakened = html.xpath("//article[contains(@class, 'weakened')]")
    named = {(q.get("class"), d.text_content()) for a in weakened for q in a.xpath(".//blockquote")
             for d in q.xpath(".//del[@class='named'] | .//ins[@class='named']")}
    assert named == {("old", "only"), ("old", "30"), ("new", "90")}


def test_a_rebuild_after_a_new_version_writes_the_pledges_a_full_build_writes(server, workspace):
    watch(server, workspace, page(ONLY, NEVER_SELL), page(NOT_ONLY, NEVER_SELL))
    terms = server.serve("/terms", page(CONSENT))
    run("add", terms, "--service", "Acme Santé", "--document", "terms", "--select", "main", "--lang", "en")
    sources, archive = load(workspace / "watchlist.toml").sources, Archive(workspace / "snapshots")
    check_all(sources, archive, now=datetime(2024, 1, 5, tzinfo=UTC))
    run("build", "--out", "site")
    server.serve("/terms", page(CONSENT_MERGED))
    check_all(sources, archive, now=datetime(2024, 1, 6, tzinfo=UTC))
    run("build", "--out", "site")
    run("build", "--out", "fresh")
    rebuilt, fresh = ((workspace / d / "data" / "pledges.json").read_text() for d in ("site", "fresh"))
    assert rebuilt == fresh
    assert [e["document"] for e in json.loads(rebuilt)] == ["privacy", "terms"]
