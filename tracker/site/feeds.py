"""Atom and RSS 2.0 feeds of changes, written with feedgen.

An entry's id is the change's own (service/document/version), and its dates
are the version's: a rebuild gives the same entries, so a reader never sees an
old change announced again.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

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


class EntryCache:
    """The HTML content of each change, rendered once however many feeds carry it, in the
    site's language (its quotes and reasons keep the document's)."""

    def __init__(self, lang: str = "en") -> None:
        env = environment(lang)
        self.t = env.globals["t"]
        self._template = env.get_template("entry.html")
        self._html: dict[str, str] = {}

    def __call__(self, change: Change) -> str:
        if change.key not in self._html:
            self._html[change.key] = self._template.render(change=change)
        return self._html[change.key]


def render(feed: Feed, entries: EntryCache, base_url: str = "") -> dict[str, str]:
    """{path: text} of the Atom and RSS versions of a feed."""
    from feedgen.feed import FeedGenerator

    up = "../" * feed.folder.count("/")
    base = base_url.rstrip("/") + "/" if base_url else ""
    generator = FeedGenerator()
    generator.id(f"{ID_PREFIX}{feed.folder}{feed.name}")
    generator.title(feed.title)
    generator.description(feed.title)
    generator.link(href=f"{base}{feed.folder}index.html" if base else "index.html", rel="alternate")
    generator.language(entries.t.code)
    newest = _when(feed.changes[0]) if feed.changes else datetime(2026, 1, 1, tzinfo=UTC)
    generator.updated(newest)
    generator.lastBuildDate(newest)
    for change in reversed(feed.changes[:ENTRIES]):
        entry = generator.add_entry()
        entry.id(f"{ID_PREFIX}{change.key}")
        entry.guid(f"{ID_PREFIX}{change.key}", permalink=False)
        summary = entries.t.summary(change.counts)
        entry.title(change.name + entries.t("site.colon") + summary)
        entry.link(href=f"{base}{change.path}" if base else f"{up}{change.path}")
        entry.published(_when(change))
        entry.updated(_when(change))
        entry.content(entries(change), type="html")
        entry.description(summary, isSummary=True)
    return {
        feed.atom: generator.atom_str(pretty=True).decode("utf-8"),
        feed.rss: generator.rss_str(pretty=True).decode("utf-8"),
    }


def _when(change: Change) -> datetime:
    """The version's time as a datetime: feedgen parses strings slowly, with dateutil."""
    return datetime.fromisoformat(change.version.fetched_at)
