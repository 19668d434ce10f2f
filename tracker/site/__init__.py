"""Site: the archive rendered as static pages, feeds and JSON.

Every link is relative, so the site works from any folder, from file:// and
under any path prefix; every text from a watched page goes through Jinja2's
autoescape. A build rewrites only the pages whose inputs changed: a change
page depends on its version alone and is never rendered twice.
"""

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tracker import notify
from tracker.archive import Store, open_archive
from tracker.report import TEMPLATES, environment
from tracker.site import feeds, model
from tracker.site import practice as practice_shown
from tracker.site.history import History, as_json, commitments, of_document
from tracker.site.messages import FOLDER as MESSAGES
from tracker.site.messages import load as messages
from tracker.site.timeline import timeline
from tracker.watchlist import Source

HOME_LIMIT = 100
MANIFEST = ".build.json"
PLEDGES = "data/pledges.json"
DATA = ("data/services.json", "data/documents.json", "data/changes.json")  # written from _data()


def build_site(archive: Store, sources: tuple[Source, ...], out: Path, base_url: str = "",
               lang: str = "en") -> Path:
    """Write the site under out (only what changed), its own words in `lang`; returns the
    home page's path."""
    t = messages(lang)
    out.mkdir(parents=True, exist_ok=True)
    states = archive.states()  # read once: the status page and the documents' pages both show them
    services = model.read(archive, sources, states)
    documents = [d for s in services for d in s.documents]
    changes = sorted((c for d in documents for c in d.changes), key=lambda c: c.version.fetched_at, reverse=True)
    build = _Build(out, lang)
    build.render("style.css", "style.css")  # its marks before deleted and inserted words are words
    shown = practice_shown.read(archive, documents)

    keys = {c.path: _change_key(c) for c in changes}
    pending = {path: key for path, key in keys.items() if build.stale(path, key)}
    lives = _Lives({}, documents, archive, out)
    with _pool(len(pending)) as pool:  # change pages in other processes, while this one does the rest
        rendering = []
        for document in documents:
            name, mine = f"{document.service}/{document.document}", [c for c in document.changes if c.path in pending]
            if mine or build.stale(f"{name}/pledges.html", _document_key(document)):
                found = lives.found[name] = of_document(archive, document)  # its change pages link its pledges
                if mine:
                    jobs = [(archive.address, c, lang, found.anchors_of(c)) for c in mine]
                    rendering.append(pool.submit(_render_changes, jobs))
        _render_the_rest(archive, sources, build, services, changes, states, lives, shown, t, base_url)
        for chunk in rendering:
            for path, text in chunk.result():
                build.write(path, text)
                build.manifest[path] = pending[path]
    build.save()
    return out / "index.html"


def _render_the_rest(archive: Store, sources: tuple[Source, ...], build: "_Build", services: list[model.Service],
                     changes: list[model.Change], states: dict, lives: "_Lives", shown: practice_shown.Shown, t,
                     base_url: str) -> None:
    """Everything but the change pages: the other pages, the feeds and the JSON files."""
    documents = [d for s in services for d in s.documents]
    for document in documents:
        folder = f"{document.service}/{document.document}/"
        found = lives.found.get(folder.rstrip("/"))
        key = _document_key(document)
        practice = shown.by_document[folder.rstrip("/")]
        build.render_if_stale(document.path, _digest(key, practice), "document.html",
                              lambda d=document, p=practice, h=found: dict(
                                  root="../../", title=d.name, document=d, practice=p,
                                  pledges=h.groups if h else commitments(archive, d),  # worked out once
                                  feeds=_feeds_of(t, d.name, "own", "../../")))
        if found:
            build.render_if_stale(folder + "pledges.html", key, "pledges.html", lambda d=document, h=found: dict(
                root="../../", title=t("history.title", name=d.name), document=d, lives=h.lives, dates=h.dates,
                lang=d.latest.lang or "en", feeds=_feeds_of(t, d.name, "own", "../../")))
    for service in services:
        build.render_if_stale(f"{service.service}/index.html", _service_key(service), "service.html",
                              lambda s=service: dict(root="../", title=s.name, service=s, timeline=timeline(s, t),
                                                     feeds=_feeds_of(t, s.name, "own", "../")))
    by_year: dict[str, list[model.Change]] = {}
    for change in changes:
        by_year.setdefault(change.year, []).append(change)
    years = sorted(by_year, reverse=True)
    for year, listed in by_year.items():
        build.render_if_stale(f"changes/{year}.html", _digest(years, [(c.key, c.name) for c in listed]),
                              "changes.html", lambda y=year, c=listed: dict(
                                  root="../", title=t("archive.title", year=y), year=y, years=years, changes=c,
                                  feeds=_feeds_of(t, "", "", "../")))
    build.render("changes/index.html", "years.html", root="../", title=t("site.archive"),
                 years=[(y, len(by_year[y])) for y in years], feeds=_feeds_of(t, "", "", "../"))
    losses = [(c, item) for c in changes for item in c.losses]
    build.render("index.html", "index.html", root="", title=t("home.title"),
                 losses=losses[:HOME_LIMIT], recent=changes[:HOME_LIMIT], services=services, years=years,
                 totals=model.count_types(item for c in changes for item in c.changes), feeds=_feeds_of(t, "", "", ""),
                 contradictions=shown.contradictions)
    next_runs = archive.health().get("next_runs", {})
    build.render("status.html", "status.html", root="", title=t("status.title"), feeds=_feeds_of(t, "", "", ""),
                 sources=[(s, model.source_name(s), states.get(s.key, {}), next_runs.get(s.key)) for s in sources],
                 notifications=notify.failures(archive))
    entries = feeds.EntryCache(t.code)
    for feed in _feeds(t, services, changes):
        key = _digest(base_url, [c.key for c in feed.changes[: feeds.ENTRIES]])
        if build.stale(feed.atom, key) or build.stale(feed.rss, key):
            for path, text in feeds.render(feed, entries, base_url).items():
                build.write(path, text)
                build.manifest[path] = key
    data_key = _digest([c.key for c in changes], [(d.service, d.document, d.title, d.url, d.state)
                                                  for d in documents], [(v.service, v.name) for v in services])
    if any(build.stale(path, data_key) for path in DATA):
        for path, data in _data(services, changes).items():
            build.write(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
            build.manifest[path] = data_key
    for path, text in practice_shown.files(shown, base_url, t.code).items():
        build.write(path, text)
    if lives.found or build.stale(PLEDGES, lives.key):
        build.write(PLEDGES, lives.text())
        build.manifest[PLEDGES] = lives.key


@dataclass
class _Lives:
    """The pledge histories this build works out (documents whose versions changed, or whose
    change pages it renders: they link their pledges), and how to write data/pledges.json:
    the last build's entries for the other documents, read only when some entry must change."""

    found: dict[str, History]  # "service/document" -> its history
    documents: list[model.Document]
    archive: Store
    out: Path

    @property
    def key(self) -> str:
        return _digest([(d.service, d.document, _document_key(d)) for d in self.documents])

    def text(self) -> str:
        """data/pledges.json: a JSON array, one document a line. The line of a document whose
        versions did not change is taken from the last build's file as it is, not parsed."""
        try:
            lines = (self.out / PLEDGES).read_text(encoding="utf-8").split("\n")[1:-1]
        except OSError:
            lines = []
        known = {}
        for line in lines:
            start = _ENTRY_START.match(line)
            if start:
                known[start.group(1), start.group(2)] = (start.group(3), line.rstrip(","))
        entries = []
        for document in self.documents:
            name, key = f"{document.service}/{document.document}", _document_key(document)
            found = self.found.get(name)
            old_key, line = known.get((document.service, document.document), ("", ""))
            if found is None and old_key == key:
                entries.append(line)
                continue
            found = found or of_document(self.archive, document)
            entries.append(json.dumps({"service": document.service, "document": document.document, "key": key,
                                       "title": document.title, "pledges": as_json(found)},
                                      ensure_ascii=False, separators=(",", ":")))
        return "[\n" + ",\n".join(entries) + "\n]\n"


_ENTRY_START = re.compile(r'\{"service":"([a-z0-9-]+)","document":"([a-z0-9-]+)","key":"([0-9a-f]+)"')


class _Build:
    """Writes files that changed and remembers what each page was rendered from."""

    def __init__(self, out: Path, lang: str):
        self.out = out
        self.folders: set[Path] = set()  # made already
        self.env = environment(lang)
        self.manifest_path = out / MANIFEST
        try:
            self.manifest = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            self.manifest = {}
        templates = _digest(lang, _templates_digest())
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
        if target.parent not in self.folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(target.parent)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)

    def save(self) -> None:
        self.write(MANIFEST, json.dumps(self.manifest, indent=0, sort_keys=True))


def _digest(*parts: object) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _templates_digest() -> str:
    """What every page depends on: the templates and the site's words."""
    files = [p for folder in (TEMPLATES, MESSAGES) for p in sorted(folder.iterdir()) if p.is_file()]
    return _digest(*[(p.name, p.read_bytes().hex()) for p in files])


def _change_key(change: model.Change) -> str:
    return _digest(change.version.id, change.previous.id, change.name, change.changes)


def _document_key(document: model.Document) -> str:
    return _digest([v.id for v in document.versions], document.state, document.url, document.name)


def _service_key(service: model.Service) -> str:
    return _digest(service.name, [(d.document, d.title, [v.id for v in d.versions], d.failing, d.watched)
                                 for d in service.documents])


_Job = tuple[str, model.Change, str, list[str]]  # archive address, change, site language, pledge links


def _pool(pages: int):
    """Worker processes for many change pages; for a few, starting them costs more than it saves."""
    from tracker.processes import ProcessPool

    return ProcessPool((os.cpu_count() or 1) if pages >= 40 else 0)


def _render_changes(jobs: list[_Job]) -> list[tuple[str, str]]:
    return [_render_change(job) for job in jobs]


def _render_change(job: _Job) -> tuple[str, str]:
    """A change page: its pledge changes, each linked to its pledge's history, then the changed
    paragraphs of the text (the unchanged ones folded)."""
    from tracker.worddiff import fold, word_diff

    address, change, lang, anchors = job
    archive = open_archive(address)
    old = archive.text(change.service, change.document, change.previous)
    new = archive.text(change.service, change.document, change.version)
    env = environment(lang)
    t = env.globals["t"]
    html = env.get_template("change.html").render(
        root="../../", title=t("change.title", name=change.name, date=change.version.date),
        change=change, blocks=fold(word_diff(old, new)), lang=change.lang,
        anchors=[f"pledges.html#{a}" if a else "" for a in anchors],
        feeds=_feeds_of(t, change.name, "own", "../../"),
    )
    return change.path, html


def _feeds_of(t, name: str, own: str, root: str) -> list[tuple[str, str]]:
    """(title, href) of the feeds a page links with rel=alternate: its own (if `own`), then the site's."""
    own = [(t("feeds.of", name=name), "feed.atom")] if own else []
    return own + [(t("feeds.all"), f"{root}feed.atom"), (t("feeds.losses"), f"{root}losses.atom")]


def _feeds(t, services: list[model.Service], changes: list[model.Change]) -> list[feeds.Feed]:
    result = [
        feeds.Feed("", "feed", t("feeds.title", name=t("feeds.all")), tuple(changes)),
        feeds.Feed("", "losses", t("feeds.title", name=t("feeds.losses")), tuple(c for c in changes if c.losses)),
    ]
    by_service: dict[str, list[model.Change]] = {}
    for change in changes:
        by_service.setdefault(change.service, []).append(change)
    for service in services:
        mine = tuple(by_service.get(service.service, ()))
        result.append(feeds.Feed(f"{service.service}/", "feed", t("feeds.title", name=service.name), mine))
        for document in service.documents:
            result.append(feeds.Feed(f"{service.service}/{document.document}/", "feed",
                                     t("feeds.title", name=document.name),
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
                "service": d.service, "document": d.document, "title": d.title, "url": d.url,
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
        "data/changes.json": [c.to_dict() for c in changes],
    }
