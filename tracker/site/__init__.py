"""Site: the archive rendered as static pages and an Atom feed.

Every link is relative, so the site works from any folder, from file:// and
under any path prefix; every text from a watched page goes through Jinja2's
autoescape.
"""

import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tracker.archive import Archive, Version
from tracker.report import SEVERITY, TEMPLATES, by_severity, environment
from tracker.watchlist import Source

FEED_ID = "tag:pledge-tracker.example,2026:"
HOME_LIMIT = 100


@dataclass(frozen=True)
class Change:
    """One version of a document and its pledge changes against the previous one."""

    service: str
    document: str
    version: Version
    changes: tuple[dict, ...]

    @property
    def path(self) -> str:
        return f"{self.service}/{self.document}/{self.version.id}.html"

    @property
    def counts(self) -> list[tuple[str, int]]:
        counts = Counter(change["type"] for change in self.changes)
        return [(kind, counts[kind]) for kind in SEVERITY if counts[kind]]


def build_site(archive: Archive, sources: tuple[Source, ...], out: Path) -> Path:
    """Write the whole site under out; returns the home page's path."""
    env = environment()
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATES / "style.css", out / "style.css")
    urls = {source.key: source.url for source in sources}
    everything: list[Change] = []
    documents = []
    for service, document in archive.documents():
        versions = archive.versions(service, document)
        changes = [
            Change(service, document, version, tuple(by_severity(version.changes)))
            for version in versions
            if version.previous
        ]
        everything += changes
        state = archive.state(service, document)
        documents.append((service, document, versions, state))
        _write(out / service / document / "index.html", env.get_template("document.html").render(
            title=f"{service} · {document}", root="../../", service=service, document=document,
            versions=list(reversed(versions)), url=urls.get(f"{service}/{document}"), state=state,
        ))
        for change in changes:
            old = archive.text(service, document, _previous(versions, change.version))
            new = archive.text(service, document, change.version)
            from tracker.worddiff import word_diff

            _write(out / change.path, env.get_template("change.html").render(
                title=f"{service} · {document} · {change.version.date}", root="../../",
                change=change, pieces=word_diff(old, new), lang=change.version.lang or "en",
            ))
    everything.sort(key=lambda c: c.version.fetched_at, reverse=True)
    losses = [(c, item) for c in everything for item in c.changes if item["type"] in ("removed", "weakened")]
    totals = Counter(item["type"] for c in everything for item in c.changes)
    _write(out / "index.html", env.get_template("index.html").render(
        title="What changed in the promises", root="", losses=losses[:HOME_LIMIT],
        recent=everything[:HOME_LIMIT], totals=[(k, totals[k]) for k in SEVERITY if totals[k]],
        documents=documents,
    ))
    _write(out / "feed.atom", _feed(everything[:HOME_LIMIT]))
    return out / "index.html"


def _previous(versions: list[Version], version: Version) -> Version:
    return next(v for v in versions if v.id == version.previous)


def _feed(changes: list[Change]) -> str:
    """An Atom feed, one entry per changed version, its id stable across rebuilds."""
    from feedgen.feed import FeedGenerator

    env = environment()
    feed = FeedGenerator()
    feed.id(FEED_ID + "all")
    feed.title("Pledge Tracker: all changes")
    feed.link(href="index.html", rel="alternate")
    feed.link(href="feed.atom", rel="self")
    feed.updated(changes[0].version.fetched_at if changes else "1970-01-01T00:00:00+00:00")
    for change in reversed(changes):
        entry = feed.add_entry()
        entry.id(f"{FEED_ID}{change.service}/{change.document}/{change.version.id}")
        summary = ", ".join(f"{n} {kind}" for kind, n in change.counts) or "text changed, no pledge"
        entry.title(f"{change.service} · {change.document}: {summary}")
        entry.link(href=change.path)
        entry.updated(change.version.fetched_at)
        entry.content(env.get_template("entry.html").render(change=change, lang=change.version.lang or "en"), type="html")
    return feed.atom_str(pretty=True).decode("utf-8")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
