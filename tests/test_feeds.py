"""The site's feeds as a feed reader sees them, hostile page text, and incremental builds.

Archives are made the real way: pages served on loopback, checked on
consecutive days, then `build_site`. Feeds are read with feedparser, pages
with lxml, the way a reader or a browser would.
"""

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import feedparser
import lxml.html
import pytest
from conftest import page
from lxml import etree

from tracker.archive import Archive
from tracker.check import check_all
from tracker.site import build_site
from tracker.watchlist import Source

ID_PREFIX = "tag:pledge-tracker,2026:"
FEED_TYPES = {"application/atom+xml": "atom10", "application/rss+xml": "rss20"}

ONLY = "We only use your email address to send receipts."
NOT_ONLY = "We use your email address to send receipts."
NEVER_SELL = "We never sell your personal data."
DELETE = "We delete your personal data within 30 days after you close your account."

# A watched page trying every way out of the text: real markup (which extraction
# drops) and the same tricks as text (which must come out as text).
HOSTILE_TRICKS = (
    '<script>alert("s")</script> <img src=x onerror=alert("i")> '
    "<a href=\"javascript:alert('j')\" onclick=\"alert('c')\">x</a> "
    "</textarea></title></p></main></body> ]]> <![CDATA[ --> <!--"
)
HOSTILE_PAGE = (
    "<!doctype html><html><head><title>Policy</title><script>alert('head')</script></head>"
    "<body onload=\"alert('body')\"><main><h1>Policy</h1>"
    "<p>We never share your data with "
    + HOSTILE_TRICKS.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    + " partners.</p>"
    "<p>We keep your data for 30 days <script>alert('inline')</script>"
    "<img src=x onerror=\"alert('img')\"> and <a href=\"javascript:alert('link')\" "
    "onmouseover=\"alert('over')\">no longer</a>.</p>"
    "<svg onload=\"alert('svg')\"><script>alert('svg-script')</script></svg>"
    "</main></body></html>"
)
HOSTILE_WEAKER = HOSTILE_PAGE.replace("We never share", "We share")


class Watch:
    """Documents served on the local server and checked, one day after another."""

    def __init__(self, server, root: Path):
        self.server = server
        self.archive = Archive(root / "snapshots")
        self.sources: dict[str, Source] = {}
        self.day = 0

    def serve(self, key: str, body: str) -> None:
        service, document = key.split("/")
        url = self.server.serve(f"/{key}", body)
        self.sources.setdefault(
            key,
            Source(service, document, url, select=("main",), lang="en", name=service.capitalize()),
        )

    def check(self, *keys: str) -> None:
        """Check the named documents (all by default) on the next day."""
        chosen = [self.sources[k] for k in keys] if keys else list(self.sources.values())
        when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=self.day)
        self.day += 1
        for outcome in check_all(chosen, self.archive, now=when):
            assert outcome.status != "failed", outcome.error

    def history(self, key: str, *bodies: str) -> None:
        for body in bodies:
            self.serve(key, body)
            self.check(key)

    def build(self, out: Path) -> Path:
        return build_site(self.archive, tuple(self.sources.values()), out)


def _read_feed(path: Path, **options) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes(), **options)
    assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


def _target(feed_path: Path, site: Path, href: str) -> Path:
    """The file a link in a feed or page points at, resolved against the file's own location."""
    url = urlparse(urljoin(feed_path.resolve().as_uri(), href))
    assert url.scheme == "file", f"{href!r} in {feed_path} leaves the site"
    target = Path(unquote(url.path))
    assert target.is_relative_to(site.resolve()), f"{href!r} in {feed_path} points outside the site"
    return target


def _entries(path: Path) -> dict[str, feedparser.FeedParserDict]:
    return {entry.id: entry for entry in _read_feed(path).entries}


def _snapshot(site: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of every file: a file rewritten in place or replaced shows up."""
    return {
        str(p.relative_to(site)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in site.rglob("*")
        if p.is_file()
    }


def _alternates(html_path: Path) -> list[tuple[str, str]]:
    tree = lxml.html.parse(str(html_path))
    return [
        (link.get("type"), link.get("href"))
        for link in tree.iter("link")
        if (link.get("rel") or "").lower() == "alternate"
    ]


@pytest.fixture
def acme(server, tmp_path) -> Watch:
    """acme/privacy: a pledge weakened on day 2, one added on day 3."""
    watch = Watch(server, tmp_path)
    watch.history(
        "acme/privacy",
        page(ONLY, NEVER_SELL),
        page(NOT_ONLY, NEVER_SELL),
        page(NOT_ONLY, NEVER_SELL, DELETE),
    )
    return watch


def test_every_feed_parses_in_atom_and_rss_with_one_entry_per_change(acme, tmp_path):
    site = tmp_path / "site"
    acme.build(site)
    for name in ("feed", "losses", "acme/feed", "acme/privacy/feed"):
        atom, rss = _read_feed(site / f"{name}.atom"), _read_feed(site / f"{name}.rss")
        assert atom.version == "atom10" and rss.version == "rss20"
        assert len(atom.entries) == len(rss.entries) == (1 if name == "losses" else 2), name
        assert all(entry.id.startswith(ID_PREFIX) for entry in atom.entries + rss.entries)


def test_an_entry_has_the_same_id_in_atom_and_rss_and_its_change_key(acme, tmp_path):
    site = tmp_path / "site"
    acme.build(site)
    versions = [v.id for v in acme.archive.versions("acme", "privacy")]
    expected = {f"{ID_PREFIX}acme/privacy/{v}" for v in versions[1:]}
    for name in ("feed", "acme/feed", "acme/privacy/feed"):
        assert (
            set(_entries(site / f"{name}.atom")) == set(_entries(site / f"{name}.rss")) == expected
        )


def test_entry_ids_and_dates_are_the_same_after_a_rebuild_and_from_scratch(acme, tmp_path):
    acme.build(tmp_path / "site")
    first = {
        name: _read_feed(tmp_path / "site" / name).entries
        for name in ("feed.atom", "feed.rss", "acme/privacy/feed.atom")
    }
    acme.build(tmp_path / "site")
    acme.build(tmp_path / "elsewhere")
    for folder in ("site", "elsewhere"):
        for name, entries in first.items():
            again = _read_feed(tmp_path / folder / name).entries
            assert [(e.id, e.get("published"), e.get("updated")) for e in again] == [
                (e.id, e.get("published"), e.get("updated")) for e in entries
            ]


def test_entry_links_resolve_to_change_pages_from_every_feed(acme, tmp_path):
    site = tmp_path / "site"
    acme.build(site)
    versions = [v.id for v in acme.archive.versions("acme", "privacy")]
    for feed in site.rglob("*.atom"), site.rglob("*.rss"):
        for path in feed:
            for entry in _read_feed(path).entries:
                target = _target(path, site, entry.link)
                assert target.is_file(), f"{entry.link} in {path} does not exist"
                assert target.parent == (site / "acme" / "privacy").resolve()
                assert entry.id == f"{ID_PREFIX}acme/privacy/{target.stem}"
                assert target.stem in versions[1:]


def test_links_are_absolute_with_a_base_url(acme, tmp_path):
    site = tmp_path / "site"
    build_site(
        acme.archive, tuple(acme.sources.values()), site, base_url="https://pledges.example/watch/"
    )
    for name in ("feed.atom", "feed.rss", "acme/privacy/feed.rss"):
        for entry in _read_feed(site / name).entries:
            assert entry.link.startswith("https://pledges.example/watch/acme/privacy/")
            assert (site / entry.link.removeprefix("https://pledges.example/watch/")).is_file()


def test_losses_feed_holds_only_changes_that_removed_or_weakened_a_pledge(acme, tmp_path):
    acme.history("acme/privacy", page(NOT_ONLY, DELETE))  # day 4: the "never sell" pledge is gone
    site = tmp_path / "site"
    acme.build(site)
    kinds = {
        f"{ID_PREFIX}acme/privacy/{v.id}": {c["type"] for c in v.changes}
        for v in acme.archive.versions("acme", "privacy")
    }
    for name in ("losses.atom", "losses.rss"):
        ids = set(_entries(site / name))
        assert ids == {i for i, k in kinds.items() if k & {"removed", "weakened"}}
        assert len(ids) == 2
    assert len(_entries(site / "feed.atom")) == 3


@pytest.mark.parametrize("name", ["feed.atom", "feed.rss", "losses.atom", "acme/privacy/feed.rss"])
def test_entry_content_carries_the_pledge_summary_with_old_and_new_words(acme, tmp_path, name):
    site = tmp_path / "site"
    acme.build(site)
    weakened = _entries(site / name)[f"{ID_PREFIX}acme/privacy/2024-01-02T00-00-00Z"]
    assert weakened.title == "Acme · Privacy: 1 weakened"
    content = lxml.html.fromstring(weakened.content[0].value).text_content()
    assert ONLY in content and NOT_ONLY in content
    assert "'only' was dropped" in content


def test_a_new_version_adds_one_entry_and_leaves_the_older_ones_alone(acme, tmp_path):
    site = tmp_path / "site"
    acme.build(site)
    before = {
        name: _read_feed(site / name).entries
        for name in ("feed.atom", "feed.rss", "acme/feed.atom", "acme/privacy/feed.rss")
    }
    acme.history("acme/privacy", page(NOT_ONLY, DELETE))
    acme.build(site)
    new_id = f"{ID_PREFIX}acme/privacy/{acme.archive.version('acme', 'privacy').id}"
    for name, old in before.items():
        now = {e.id: e for e in _read_feed(site / name).entries}
        assert set(now) == {e.id for e in old} | {new_id}, name
        assert len(now) == len(old) + 1
        for entry in old:
            assert (
                now[entry.id].get("published"),
                now[entry.id].get("updated"),
                now[entry.id].link,
            ) == (entry.get("published"), entry.get("updated"), entry.link)


def test_home_page_lets_a_reader_discover_the_site_feeds(acme, tmp_path):
    site = tmp_path / "site"
    home = acme.build(site)
    found = _alternates(home)
    assert {t for t, _ in found} == set(FEED_TYPES)
    hrefs = {href for _, href in found}
    assert {"feed.atom", "feed.rss", "losses.atom", "losses.rss"} <= hrefs
    for kind, href in found:
        parsed = _read_feed(_target(home, site, href))
        assert parsed.version == FEED_TYPES[kind], href


def test_every_page_links_existing_feeds_and_a_document_page_its_own(acme, tmp_path):
    site = tmp_path / "site"
    acme.build(site)
    for html in site.rglob("*.html"):
        found = _alternates(html)
        assert found, f"{html} links no feed"
        for kind, href in found:
            assert _read_feed(_target(html, site, href)).version == FEED_TYPES[kind], (html, href)
    document = site / "acme" / "privacy" / "index.html"
    own = {_target(document, site, href) for _, href in _alternates(document)}
    assert {
        (site / "acme/privacy/feed.atom").resolve(),
        (site / "acme/privacy/feed.rss").resolve(),
    } <= own
    service = site / "acme" / "index.html"
    assert (site / "acme/feed.atom").resolve() in {
        _target(service, site, h) for _, h in _alternates(service)
    }


def _assert_inert_html(path: Path, root) -> None:
    """No element that runs code: no <script>, no on* handler, no javascript: URL."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag.rsplit("}", 1)[-1].lower() != "script", f"<script> in {path}"
        for attribute, value in element.attrib.items():
            assert not attribute.lower().startswith("on"), f"{attribute}= in {path}"
            squeezed = "".join(value.split()).lower()
            assert not squeezed.startswith(("javascript:", "data:text/html")), (
                f"{attribute}={value!r} in {path}"
            )


def test_hostile_page_shows_as_text_on_every_page_and_in_every_feed(server, tmp_path):
    watch = Watch(server, tmp_path)
    watch.history("evil/privacy", HOSTILE_PAGE, HOSTILE_WEAKER)
    site = tmp_path / "site"
    watch.build(site)
    for path in site.rglob("*.html"):
        _assert_inert_html(path, lxml.html.parse(str(path)).getroot())
    for path in [*site.rglob("*.atom"), *site.rglob("*.rss")]:
        xml = etree.parse(str(path)).getroot()  # well-formed despite ]]> and <![CDATA[
        _assert_inert_html(path, xml)
        parsed = _read_feed(path, sanitize_html=False)  # what a careless reader would show
        for entry in parsed.entries:
            for value in [c.value for c in entry.get("content", [])] + [entry.get("summary", "")]:
                _assert_inert_html(path, lxml.html.fromstring(f"<div>{value}</div>"))
        shown = "".join(
            lxml.html.fromstring(f"<div>{c.value}</div>").text_content()
            for e in parsed.entries
            for c in e.get("content", [])
        )
        if path.name != "practice.atom":  # the feed of contradictions: this page contradicts nothing
            assert HOSTILE_TRICKS in shown, f"the hostile text is not shown as text in {path}"
    change = site / "evil" / "privacy" / f"{watch.archive.version('evil', 'privacy').id}.html"
    for path in (site / "index.html", change, site / "evil" / "privacy" / "index.html"):
        assert HOSTILE_TRICKS in lxml.html.parse(str(path)).getroot().text_content(), path


def test_a_build_with_nothing_new_rewrites_no_file(acme, tmp_path):
    site = tmp_path / "site"
    acme.build(site)
    before = _snapshot(site)
    acme.build(site)
    after = _snapshot(site)
    assert after == before, f"rewritten: {sorted(k for k in after if after[k] != before.get(k))}"


def test_a_build_with_nothing_new_renders_no_change_page(acme, tmp_path, monkeypatch):
    """README: "a change page is rendered once (site/.build.json remembers what each page
    was made from)"."""
    import tracker.worddiff

    site = tmp_path / "site"
    acme.build(site)
    rendered = []
    real = tracker.worddiff.fold  # the change page's every word (the home page diffs its quotes)
    monkeypatch.setattr(tracker.worddiff, "fold", lambda *a, **k: rendered.append(a) or real(*a, **k))
    acme.build(site)
    assert rendered == [], f"{len(rendered)} change pages rendered again"
    manifest = json.loads((site / ".build.json").read_text())
    for version in acme.archive.versions("acme", "privacy")[1:]:
        assert f"acme/privacy/{version.id}.html" in manifest


def test_a_new_version_rewrites_only_its_document_service_and_the_site_wide_files(server, tmp_path):
    watch = Watch(server, tmp_path)
    watch.history("acme/privacy", page(ONLY, NEVER_SELL), page(NOT_ONLY, NEVER_SELL))
    watch.history("acme/terms", page(NEVER_SELL), page(NEVER_SELL, DELETE))
    watch.history("other/privacy", page(ONLY), page(NOT_ONLY))
    site = tmp_path / "site"
    watch.build(site)
    before = _snapshot(site)
    watch.history(
        "acme/privacy", page(NOT_ONLY)
    )  # checked alone: the others' last check is unchanged
    watch.build(site)
    after = _snapshot(site)
    changed = {k for k in after if after[k] != before.get(k)}
    new_page = f"acme/privacy/{watch.archive.version('acme', 'privacy').id}.html"
    assert (
        new_page in changed
        and "acme/privacy/index.html" in changed
        and "acme/index.html" in changed
    )
    allowed = {
        new_page,
        "acme/privacy/index.html",
        "acme/privacy/feed.atom",
        "acme/privacy/feed.rss",
        "acme/index.html",
        "acme/feed.atom",
        "acme/feed.rss",
        "index.html",
        "status.html",
        "feed.atom",
        "feed.rss",
        "losses.atom",
        "losses.rss",
        "data/changes.json",
        "data/documents.json",
        "data/services.json",
        "data/pledges.json",
        "acme/privacy/pledges.html",
        "changes/2024.html",
        "changes/index.html",
        ".build.json",
    }
    assert changed <= allowed, f"rewritten without cause: {sorted(changed - allowed)}"
    untouched = [
        k
        for k in before
        if k.startswith(("acme/terms/", "other/"))
        or (k.startswith("acme/privacy/") and k.endswith("Z.html"))
    ]
    assert len(untouched) >= 8
    assert all(after[k] == before[k] for k in untouched)
    assert os.path.getsize(site / new_page) > 0
