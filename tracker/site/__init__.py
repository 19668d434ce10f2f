"""Site: the archive rendered as static pages, feeds and JSON.

Every link is relative, so the site works from any folder, from file:// and
under any path prefix; every text from a watched page goes through Jinja2's
autoescape. A build rewrites only the pages whose inputs changed: a change
page depends on its version alone and is never rendered twice.
"""

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from tracker.archive import Store, open_archive
from tracker.report import TEMPLATES, environment
from tracker.site import feeds, model
from tracker.site.timeline import timeline
from tracker.watchlist import Source

HOME_LIMIT = 100
MANIFEST = ".build.json"


def build_site(archive: Store, sources: tuple[Source, ...], out: Path, base_url: str = "") -> Path:
    """Write the site under out (only what changed); returns the home page's path."""
    out.mkdir(parents=True, exist_ok=True)
    states = archive.states()  # read once: the status page and the documents' pages both show them
    services = model.read(archive, sources, states)
    documents = [d for s in services for d in s.documents]
    changes = sorted((c for d in documents for c in d.changes), key=lambda c: c.version.fetched_at, reverse=True)
    names = {s.service: s.name for s in services}
    build = _Build(out)
    build.write("style.css", (TEMPLATES / "style.css").read_text(encoding="utf-8"))

    keys = {c.path: _change_key(c) for c in changes}
    pending = {path: key for path, key in keys.items() if build.stale(path, key)}
    for path, text in _render_changes(archive.address, [c for c in changes if c.path in pending]):
        build.write(path, text)
        build.manifest[path] = pending[path]
    for document in documents:
        build.render_if_stale(document.path, _document_key(document), "document.html", lambda d=document: dict(
            root="../../", title=f"{names[d.service]} · {d.document}", document=d,
            pledges=_current_pledges(archive, d), feeds=_feeds_of(f"{d.service}/{d.document}/", "../../")))
    for service in services:
        build.render_if_stale(f"{service.service}/index.html", _service_key(service), "service.html",
                              lambda s=service: dict(root="../", title=s.name, service=s, timeline=timeline(s),
                                                     feeds=_feeds_of(f"{s.service}/", "../")))
    losses = [(c, item) for c in changes for item in c.losses]
    build.render("index.html", "index.html", root="", title="What changed in the promises",
                 losses=losses[:HOME_LIMIT], recent=changes[:HOME_LIMIT], services=services,
                 totals=model.count_types(item for c in changes for item in c.changes), feeds=_feeds_of("", ""))
    next_runs = archive.health().get("next_runs", {})
    build.render("status.html", "status.html", root="", title="Status of every source", feeds=_feeds_of("", ""),
                 sources=[(s, states.get(s.key, {}), next_runs.get(s.key)) for s in sources])
    entries = feeds.EntryCache()
    for feed in _feeds(services, changes):
        key = _digest(base_url, [c.key for c in feed.changes[: feeds.ENTRIES]])
        if build.stale(feed.atom, key) or build.stale(feed.rss, key):
            for path, text in feeds.render(feed, entries, base_url).items():
                build.write(path, text)
                build.manifest[path] = key
    for path, data in _data(services, changes).items():
        build.write(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    build.save()
    return out / "index.html"


class _Build:
    """Writes files that changed and remembers what each page was rendered from."""

    def __init__(self, out: Path):
        self.out = out
        self.env = environment()
        self.manifest_path = out / MANIFEST
        try:
            self.manifest = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            self.manifest = {}
        templates = _templates_digest()
        if self.manifest.get("templates") != templates:
            self.manifest = {"templates": templates}

    def stale(self, path: str, key: str) -> bool:
        return self.manifest.get(path) != key or not (self.out / path).exists()

    def render(self, path: str, template: str, **context) -> None:
        self.write(path, self.env.get_template(template).render(**context))

    def render_if_stale(self, path: str, key: str, template: str, context: Callable[[], dict]) -> None:
        """Render only when the key changed; context is computed only then."""
        if self.stale(path, key):
            self.render(path, template, **context())
            self.manifest[path] = key

    def write(self, path: str, text: str) -> None:
        target = self.out / path
        data = text.encode("utf-8")
        if target.exists() and target.stat().st_size == len(data) and target.read_bytes() == data:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)

    def save(self) -> None:
        self.write(MANIFEST, json.dumps(self.manifest, indent=0, sort_keys=True))


def _digest(*parts: object) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _templates_digest() -> str:
    return _digest(*[(p.name, p.read_bytes().hex()) for p in sorted(TEMPLATES.iterdir()) if p.is_file()])


def _change_key(change: model.Change) -> str:
    return _digest(change.version.id, change.previous.id, change.changes)


def _document_key(document: model.Document) -> str:
    return _digest([v.id for v in document.versions], document.state, document.url)


def _service_key(service: model.Service) -> str:
    return _digest(service.name, [(d.document, [v.id for v in d.versions], d.failing, d.watched)
                                 for d in service.documents])


def _render_changes(address: str, changes: list[model.Change]):
    """(path, html) of change pages; many of them are rendered on every core."""
    if len(changes) < 40:
        yield from map(_render_change, [(address, c) for c in changes])
        return
    from tracker.processes import ProcessPool

    with ProcessPool(os.cpu_count() or 1) as pool:
        yield from pool.map(_render_change, [(address, c) for c in changes], chunksize=16)


def _render_change(job: tuple[str, model.Change]) -> tuple[str, str]:
    from tracker.worddiff import word_diff

    address, change = job
    archive = open_archive(address)
    old = archive.text(change.service, change.document, change.previous)
    new = archive.text(change.service, change.document, change.version)
    html = environment().get_template("change.html").render(
        root="../../", title=f"{change.service_name} · {change.document} · {change.version.date}",
        change=change, pieces=word_diff(old, new), lang=change.lang,
        feeds=_feeds_of(f"{change.service}/{change.document}/", "../../"),
    )
    return change.path, html


def _current_pledges(archive: Store, document: model.Document) -> list:
    """The commitments of the latest version, grouped under their headings."""
    from tracker.pledges import segment

    text = archive.text(document.service, document.document, document.latest)
    groups: dict[str, list[str]] = {}
    for pledge in segment(text, document.latest.lang or "en"):
        if pledge.is_commitment:
            groups.setdefault(pledge.context, []).append(pledge.text)
    return list(groups.items())


def _feeds_of(folder: str, root: str) -> list[tuple[str, str]]:
    """(title, href) of the feeds a page links with rel=alternate: its own, then the site's."""
    own = [(f"Changes to {folder.strip('/')}", "feed.atom")] if folder else []
    return own + [("All changes", f"{root}feed.atom"), ("Removed and weakened pledges", f"{root}losses.atom")]


def _feeds(services: list[model.Service], changes: list[model.Change]) -> list[feeds.Feed]:
    result = [
        feeds.Feed("", "feed", "Pledge Tracker: all changes", tuple(changes)),
        feeds.Feed("", "losses", "Pledge Tracker: removed and weakened pledges",
                   tuple(c for c in changes if c.losses)),
    ]
    for service in services:
        mine = tuple(c for c in changes if c.service == service.service)
        result.append(feeds.Feed(f"{service.service}/", "feed", f"Pledge Tracker: {service.name}", mine))
        for document in service.documents:
            result.append(feeds.Feed(f"{service.service}/{document.document}/", "feed",
                                     f"Pledge Tracker: {service.name} · {document.document}",
                                     tuple(c for c in mine if c.document == document.document)))
    return result


def _data(services: list[model.Service], changes: list[model.Change]) -> dict[str, object]:
    """The static JSON files, for machine readers (documented in the README)."""
    return {
        "data/services.json": [
            {"service": s.service, "name": s.name, "documents": [d.document for d in s.documents]}
            for s in services
        ],
        "data/documents.json": [
            {
                "service": d.service, "document": d.document, "url": d.url,
                "status": d.state.get("status"), "checked_at": d.state.get("checked_at"),
                "failing_since": d.state.get("failing_since"),
                "versions": [
                    {"id": v.id, "date": v.fetched_at, "kind": v.kind, "lang": v.lang,
                     "previous": v.previous, "same_as": v.same_as,
                     "changes": dict(model.count_types(v.changes))}
                    for v in d.versions
                ],
            }
            for s in services for d in s.documents
        ],
        "data/changes.json": [
            {"service": c.service, "document": c.document, "version": c.version.id,
             "previous": c.previous.id, "date": c.version.fetched_at, "lang": c.lang,
             "page": c.path, "changes": list(c.changes)}
            for c in changes
        ],
    }
