"""Atom and RSS 2.0 feeds of changes, written with feedgen.

An entry's id is the change's own (service/document/version), and its dates
are the version's: a rebuild gives the same entries, so a reader never sees an
old change announced again.
"""

from dataclasses import dataclass

from tracker.report import environment
from tracker.site.model import Change

ID_PREFIX = "tag:pledge-tracker,2026:"
ENTRIES = 50


@dataclass(frozen=True)
class Feed:
    """A feed of some changes, written as <folder><name>.atom and <folder><name>.rss."""

    folder: str  # "" for the site's root, else "service/" or "service/document/"
    name: str  # "feed" or "losses"
    title: str
    changes: tuple[Change, ...]  # newest first

    @property
    def atom(self) -> str:
        return f"{self.folder}{self.name}.atom"

    @property
    def rss(self) -> str:
        return f"{self.folder}{self.name}.rss"


def render(feed: Feed, base_url: str = "") -> dict[str, str]:
    """{path: text} of the Atom and RSS versions of a feed."""
    from feedgen.feed import FeedGenerator

    up = "../" * feed.folder.count("/")
    base = base_url.rstrip("/") + "/" if base_url else ""
    generator = FeedGenerator()
    generator.id(f"{ID_PREFIX}{feed.folder}{feed.name}")
    generator.title(feed.title)
    generator.description(feed.title)
    generator.link(href=f"{base}{feed.folder}index.html" if base else "index.html", rel="alternate")
    generator.language("en")
    newest = feed.changes[0].version.fetched_at if feed.changes else "2026-01-01T00:00:00+00:00"
    generator.updated(newest)
    generator.lastBuildDate(newest)
    template = environment().get_template("entry.html")
    for change in reversed(feed.changes[:ENTRIES]):
        entry = generator.add_entry()
        entry.id(f"{ID_PREFIX}{change.key}")
        entry.guid(f"{ID_PREFIX}{change.key}", permalink=False)
        entry.title(f"{change.service_name} · {change.document}: {change.summary}")
        entry.link(href=f"{base}{change.path}" if base else f"{up}{change.path}")
        entry.published(change.version.fetched_at)
        entry.updated(change.version.fetched_at)
        entry.content(template.render(change=change), type="html")
        entry.description(change.summary)
    return {
        feed.atom: generator.atom_str(pretty=True).decode("utf-8"),
        feed.rss: generator.rss_str(pretty=True).decode("utf-8"),
    }
