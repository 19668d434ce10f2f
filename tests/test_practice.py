"""Promises against practice: a pledge that rules out advertising trackers, on a page that
loads one, is a contradiction on the site, in data/practice.json and in the feed.

The end-to-end tests drive Debian's Chromium (as tests/test_browser.py does). The
advertising host is never reached (no network here), but the browser still records the
request, and that is what is classified.
"""

import html
import json
import re
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from tracker.browser import CHROMIUM, third_parties
from tracker.cli import cli
from tracker.practice import ruled_out
from tracker.site.messages import load
from tracker.thirdparty import ADVERTISING, ANALYTICS, OTHER, SOCIAL, classify, registrable_domain

PLEDGE = "We do not use advertising trackers."
AD_SCRIPT = "<script src='https://securepubads.g.doubleclick.net/tag/js/gpt.js'></script>"


def policy(*extra: str, script: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in (PLEDGE, "We keep your account data for 30 days.", *extra))
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Privacy</title>{script}</head>"
            f"<body><main><h1>Privacy</h1>{paragraphs}</main></body></html>")


@pytest.fixture
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")


def tracker(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize("lang, sentence, kinds", [
    ("en", "We do not use advertising trackers.", {ADVERTISING}),
    ("en", "We never share your personal data with third parties.", {ADVERTISING, ANALYTICS, SOCIAL}),
    ("en", "We use cookies to remember your language.", set()),
    ("en", "We do not sell your data.", set()),
    ("fr", "Nous n'utilisons pas de cookies tiers à des fins publicitaires.", {ADVERTISING}),
    ("fr", "Aucun outil de mesure d'audience n'est installé.", {ANALYTICS}),
    ("de", "Wir setzen keine Tracking-Cookies ohne Einwilligung ein.", {ADVERTISING, ANALYTICS, SOCIAL}),
    ("de", "Wir verwenden Cookies, damit die Anmeldung funktioniert.", set()),
])
def test_a_pledge_rules_out_the_kinds_of_tracker_it_says_no_to(lang, sentence, kinds):
    assert ruled_out(sentence, lang) == kinds


def test_hosts_are_classed_by_the_published_list_and_matched_by_registrable_domain():
    ad = classify("securepubads.g.doubleclick.net")
    assert ad.kind == ADVERTISING and ad.entity == "Google/Doubleclick Ads"
    assert ad.source.startswith("third-party-web ") and "category 'ad'" in ad.source
    assert classify("www.google-analytics.com").kind == ANALYTICS
    assert registrable_domain("www.bbc.co.uk") == "bbc.co.uk"  # the Public Suffix List, not the last two labels
    assert registrable_domain("127.0.0.1") == "127.0.0.1"
    assert third_parties("https://www.example.co.uk/p", {"cdn.example.co.uk", "ads.other.co.uk"}) == (
        "ads.other.co.uk",)  # the page's own site is no third party
    unlisted = classify("cdn.unknown-example.org")
    assert unlisted.kind == OTHER and unlisted.source.startswith("not in third-party-web")


def test_a_page_loading_an_advertising_tracker_contradicts_its_pledge(server, workspace, chromium):
    url = server.serve("/privacy", policy(script=AD_SCRIPT))
    tracker("add", url, "--service", "Acme", "--document", "Privacy", "--select", "main", "--browser")
    assert tracker("check").exit_code == 0
    shown = tracker("show", "acme/privacy", "--practice")
    assert shown.exit_code == 0
    assert f"contradiction: {PLEDGE!r}" in shown.output and "securepubads.g.doubleclick.net" in shown.output
    assert "fresh profile" in shown.output and "no consent given" in shown.output

    tracker("build")
    page = (workspace / "site/acme/privacy/index.html").read_text()
    assert "Promises and practice" in page and page.count('class="change contradiction"') == 1
    assert "securepubads.g.doubleclick.net" in page and "advertising" in page and "third-party-web" in page
    home = (workspace / "site/index.html").read_text()
    assert home.count('class="change contradiction"') == 1 and PLEDGE in home
    [document] = json.loads((workspace / "site/data/practice.json").read_text())
    [contradiction] = document["contradictions"]
    assert contradiction["pledge"] == PLEDGE and contradiction["kind"] == ADVERTISING
    assert contradiction["host"] == "securepubads.g.doubleclick.net"
    assert "no consent given" in contradiction["conditions"]
    [entry] = feedparser.parse((workspace / "site/practice.atom").read_text()).entries
    assert "1 contradiction appeared" in entry.title and PLEDGE in entry.content[0].value

    # the page drops the tracker (and its text changes): the contradiction ends, in the feed too
    server.serve("/privacy", policy("You may ask us for a copy of your data."))
    tracker("check")
    tracker("build")
    page = (workspace / "site/acme/privacy/index.html").read_text()
    assert 'class="change contradiction"' not in page and "No pledge of this version rules out" in page
    assert json.loads((workspace / "site/data/practice.json").read_text())[0]["contradictions"] == []
    titles = [e.title for e in feedparser.parse((workspace / "site/practice.atom").read_text()).entries]
    assert sorted(titles) == ["Acme · Privacy: 1 contradiction appeared", "Acme · Privacy: 1 contradiction ended"]


def test_the_same_page_without_the_tracker_contradicts_nothing(server, workspace, chromium):
    url = server.serve("/privacy", policy())
    tracker("add", url, "--service", "Acme", "--document", "Privacy", "--select", "main", "--browser")
    tracker("check")
    tracker("build")
    page = (workspace / "site/acme/privacy/index.html").read_text()
    assert "It loaded nothing from other sites." in page and "contradiction" not in page
    assert json.loads((workspace / "site/data/practice.json").read_text())[0]["observed"] is True
    assert feedparser.parse((workspace / "site/practice.atom").read_text()).entries == []


def test_a_plain_fetch_claims_nothing_about_practice(server, workspace):
    url = server.serve("/privacy", policy(script=AD_SCRIPT))
    tracker("add", url, "--service", "Acme", "--document", "Privacy", "--no-browser")
    tracker("check")
    assert "practice was not observed" in tracker("show", "acme/privacy", "--practice").output
    tracker("build")
    page = (workspace / "site/acme/privacy/index.html").read_text()
    assert "practice was not observed" in page and "contradiction" not in page
    [document] = json.loads((workspace / "site/data/practice.json").read_text())
    assert document["observed"] is False and document["contradictions"] == []


def _english_sentences(section: str) -> list[str]:
    """The English words of a section of the site's messages that French says otherwise, cut at
    their placeholders."""
    english, french = load("en"), load("fr")
    return [piece.strip() for key, text in english.words.items() if key.startswith(f"{section}.")
            and french.words[key] != text for piece in re.split(r"\{\w+\}", text) if len(piece.strip()) > 8]


def test_a_french_site_says_promises_and_practice_in_french(server, workspace, chromium):
    tracker("add", server.serve("/privacy", policy(script=AD_SCRIPT)), "--service", "Acme", "--document", "Privacy",
            "--select", "main", "--browser")
    tracker("add", server.serve("/terms", policy()), "--service", "Beta", "--document", "Terms", "--no-browser")
    assert tracker("check").exit_code == 0
    assert tracker("build", "--lang", "fr").exit_code == 0
    site = workspace / "site"
    seen = html.unescape((site / "acme/privacy/index.html").read_text())
    assert "<h2>Promesses et pratique</h2>" in seen
    assert "la page a été chargée par un navigateur sans interface, avec un profil vierge" in seen
    assert "Elle a chargé 1 hôte d'autres sites" in seen and "1 contradiction</strong> entre ce que le document" in seen
    host = "<code>securepubads.g.doubleclick.net</code>"
    assert f"Pourtant, la page a chargé {host}, classé comme <strong>publicité</strong>" in seen
    assert "catégorie « ad »" in seen and "third-party-web " in seen  # the list, its entity and category stay data
    assert f'<blockquote class="old" lang="en"><p><span class="side">Promesse :</span> {PLEDGE}' in seen
    plain = html.unescape((site / "beta/terms/index.html").read_text())
    assert "La pratique de la page n'a pas été observée : aucun navigateur n'a chargé ce document" in plain
    home = html.unescape((site / "index.html").read_text())
    assert "Promesses contredites par la pratique" in home and "Flux des contradictions" in home
    feed = feedparser.parse((site / "practice.atom").read_text())
    assert feed.feed.title == "Pledge Tracker : promesses contredites par la pratique" and feed.feed.language == "fr"
    [entry] = feed.entries
    assert entry.title == "Acme · Privacy : 1 contradiction apparue" and "Apparue" in entry.content[0].value
    english = _english_sentences("practice")  # not the kinds: "advertising" is in the (English) pledge
    assert len(english) > 20
    for text in (seen, plain, home, html.unescape(entry.content[0].value)):
        assert [sentence for sentence in english if sentence in text] == []
    [document] = [d for d in json.loads((site / "data/practice.json").read_text()) if d["observed"]]
    assert "no consent given" in document["conditions"] and document["hosts"][0]["kind"] == ADVERTISING  # data
