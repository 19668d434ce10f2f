"""What the site shows, read once from the archive: documents, their versions and changes."""

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from tracker.archive import Store, Version
from tracker.report import SEVERITY, by_severity
from tracker.watchlist import Source, public_url

LOSSES = ("removed", "weakened")
PERSONAL_DATA = "personal-data"  # a change's "about" (tracker.compare); older versions have none


@dataclass(frozen=True)
class Change:
    """One new version of a document and its pledge changes against the previous one."""

    service: str
    document: str
    version: Version
    previous: Version
    changes: tuple[dict, ...]  # removed and weakened first
    service_name: str
    document_title: str

    @property
    def path(self) -> str:
        return f"{self.service}/{self.document}/{self.version.id}.html"

    @property
    def key(self) -> str:
        return f"{self.service}/{self.document}/{self.version.id}"

    @property
    def lang(self) -> str:
        return self.version.lang or "en"

    @cached_property  # the home page, archive pages and feeds all ask
    def counts(self) -> list[tuple[str, int]]:
        return count_types(self.changes)

    @cached_property
    def losses(self) -> tuple[dict, ...]:
        # a lost clause on fees or licences is a change, not a lost promise about personal data
        return tuple(c for c in self.changes if c["type"] in LOSSES and c.get("about", PERSONAL_DATA) == PERSONAL_DATA)

    @property
    def name(self) -> str:
        """What a reader calls the document: "Santélia · Charte de confidentialité"."""
        return f"{self.service_name} · {self.document_title}"

    @property
    def year(self) -> str:
        return self.version.fetched_at[:4]

    def to_dict(self) -> dict:
        """The change as data/changes.json lists it and notifications send it."""
        return {"service": self.service, "document": self.document, "version": self.version.id,
                "previous": self.previous.id, "date": self.version.fetched_at, "lang": self.lang,
                "page": self.path, "changes": list(self.changes)}


@dataclass(frozen=True)
class Document:
    service: str
    document: str
    versions: tuple[Version, ...]
    changes: tuple[Change, ...]  # oldest first
    state: dict
    url: str | None
    service_name: str
    title: str  # the document's display name; its slug is for URLs and files only
    watched: bool = True  # False once it left the watchlist (tracker remove): the archive keeps its versions

    @property
    def path(self) -> str:
        return f"{self.service}/{self.document}/index.html"

    @property
    def name(self) -> str:
        return f"{self.service_name} · {self.title}"

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    @property
    def failing(self) -> bool:
        """Its last check failed, and it is still checked: a document no longer watched is not
        "unreachable", whatever its last check met."""
        return self.watched and self.state.get("status") == "failed"


@dataclass(frozen=True)
class Service:
    service: str
    name: str
    documents: tuple[Document, ...]

    @property
    def changes(self) -> list[Change]:
        return sorted((c for d in self.documents for c in d.changes), key=lambda c: c.version.fetched_at)


def count_types(changes) -> list[tuple[str, int]]:
    """(kind, number) in the reader's order, for the kinds present."""
    counts = Counter(change["type"] for change in changes)
    return [(kind, counts[kind]) for kind in SEVERITY if counts[kind]]


def read(archive: Store, sources: tuple[Source, ...], states: dict[str, dict]) -> list[Service]:
    """Every service with archived versions, its documents and their changes (and the
    last check of each, from `states`: the archive's states())."""
    names = _names(sources)
    by_key = {source.key: source for source in sources}
    services: dict[str, list[Document]] = {}
    for service, document in archive.documents():
        services.setdefault(service, []).append(
            read_document(archive, service, document, sources, states, names, by_key.get(f"{service}/{document}")))
    return [Service(service, names.get(service, service), tuple(docs)) for service, docs in sorted(services.items())]


def read_document(archive: Store, service: str, document: str, sources: tuple[Source, ...],
                  states: dict[str, dict], names: dict[str, str] | None = None,
                  source: Source | None = None) -> Document:
    """One document with its versions and changes, named as the watchlist names it (`names` and
    `source`: as read() looked them up once for every document)."""
    if names is None:
        source = next((s for s in sources if s.service == service and s.document == document), None)
    service_name = (names if names is not None else _names(sources)).get(service, service)
    title = source.title if source and source.title else _title(document)
    versions = tuple(archive.versions(service, document))
    ids = {v.id: v for v in versions}
    changes = tuple(
        Change(service, document, v, ids[v.previous], tuple(by_severity(v.changes)), service_name, title)
        for v in versions
        if v.previous in ids
    )
    return Document(service, document, versions, changes, states.get(f"{service}/{document}", {}),
                    public_url(source.url) if source else None, service_name, title, watched=source is not None)


def source_name(source: Source) -> str:
    """What a reader calls a watched document: "Santélia · Charte de confidentialité"."""
    return f"{source.name or source.service} · {source.title or _title(source.document)}"


def _names(sources: tuple[Source, ...]) -> dict[str, str]:
    return {source.service: source.name for source in sources if source.name}


def _title(slug: str) -> str:
    """A name for a document the watchlist gives none: its slug as words ("Privacy policy")."""
    return slug.replace("-", " ").capitalize()
