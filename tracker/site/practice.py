"""Promises and practice on the site: each document's block, the home page's
contradictions, data/practice.json and the feed of contradictions appearing or ending."""

from dataclasses import dataclass
from datetime import UTC, datetime

from tracker import practice
from tracker.archive import Archive
from tracker.report import environment
from tracker.site.feeds import ENTRIES, ID_PREFIX
from tracker.site.model import Document

FEED = "practice.atom"


@dataclass(frozen=True)
class Where:
    """The document a contradiction is in, as the home page names and links it."""

    path: str
    name: str
    document: str
    lang: str


@dataclass(frozen=True)
class Shown:
    by_document: dict[str, practice.Practice]  # by "service/document"
    contradictions: list[tuple[Where, practice.Contradiction]]
    events: list[practice.Event]  # newest first
    names: dict[str, str]  # "service/document" -> what a reader calls it ("Acme · Privacy Policy")


def read(archive: Archive, documents: list[Document]) -> Shown:
    by_document, found, events, names = {}, [], [], {}
    for d in documents:
        key = f"{d.service}/{d.document}"
        seen, changed = practice.walk(archive, d.service, d.document, d.versions)
        by_document[key] = seen
        names[key] = d.name
        where = Where(d.path, d.name, d.document, d.latest.lang or "en")
        found.extend((where, c) for c in seen.contradictions)
        events.extend(changed)
    events.sort(key=lambda e: e.version.fetched_at, reverse=True)
    return Shown(by_document, found, events, names)


def files(shown: Shown, base_url: str = "", lang: str = "en") -> dict[str, str]:
    """{path: text} of data/practice.json (its words stay English: data) and the practice
    feed, in the site's language `lang`."""
    import json

    data = [p.to_dict() for _, p in sorted(shown.by_document.items())]
    return {"data/practice.json": json.dumps(data, ensure_ascii=False, indent=1) + "\n",
            FEED: _feed(shown.events, shown.names, base_url, lang)}


def _feed(events: list[practice.Event], names: dict[str, str], base_url: str, lang: str) -> str:
    from feedgen.feed import FeedGenerator

    base = base_url.rstrip("/") + "/" if base_url else ""
    env = environment(lang)
    t, entry_html = env.globals["t"], env.get_template("_practice.html").module.feed_entry
    generator = FeedGenerator()
    generator.id(f"{ID_PREFIX}practice")
    generator.title(t("feeds.title", name=t("practice.feed")))
    generator.link(href=f"{base}index.html", rel="alternate")
    generator.language(t.code)
    newest = datetime.fromisoformat(events[0].version.fetched_at) if events else datetime(2026, 1, 1, tzinfo=UTC)
    generator.updated(newest)
    for event in reversed(events[:ENTRIES]):
        when = datetime.fromisoformat(event.version.fetched_at)
        what = ", ".join(t(f"practice.{key}", n=n) for key, n in
                         (("appeared_n", len(event.appeared)), ("ended_n", len(event.ended))) if n)
        entry = generator.add_entry()
        entry.id(f"{ID_PREFIX}{event.key}")
        entry.title(f"{names[f'{event.service}/{event.document}']}{t('site.colon')}{what}")
        entry.link(href=f"{base}{event.service}/{event.document}/index.html")
        entry.published(when)
        entry.updated(when)
        entry.content(str(entry_html(event)), type="html")
    return generator.atom_str(pretty=True).decode("utf-8")
