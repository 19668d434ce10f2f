"""What the site shows, read once from the archive: documents, their versions and changes."""

from collections import Counter
from dataclasses import dataclass

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

    @property
    def path(self) -> str:
        return f"{self.service}/{self.document}/{self.version.id}.html"

    @property
    def key(self) -> str:
        return f"{self.service}/{self.document}/{self.version.id}"

    @property
    def lang(self) -> str:
        return self.version.lang or "en"

    @property
    def counts(self) -> list[tuple[str, int]]:
        return count_types(self.changes)

    @property
    def losses(self) -> tuple[dict, ...]:
        # a lost clause on fees or licences is a change, not a lost promise about personal data
        return tuple(c for c in self.changes if c["type"] in LOSSES and c.get("about", PERSONAL_DATA) == PERSONAL_DATA)

    @property
    def summary(self) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in self.counts) or "text changed, no pledge changed"


@dataclass(frozen=True)
class Document:
    service: str
    document: str
    versions: tuple[Version, ...]
    changes: tuple[Change, ...]  # oldest first
    state: dict
    url: str | None
    watched: bool = True  # False once it left the watchlist (tracker remove): the archive keeps its versions

    @property
    def path(self) -> str:
        return f"{self.service}/{self.document}/index.html"

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
    by_key = {source.key: source for source in sources}
    names = {source.service: source.name for source in sources if source.name}
    services: dict[str, list[Document]] = {}
    for service, document in archive.documents():
        versions = tuple(archive.versions(service, document))
        ids = {v.id: v for v in versions}
        changes = tuple(
            Change(service, document, v, ids[v.previous], tuple(by_severity(v.changes)), names.get(service, service))
            for v in versions
            if v.previous in ids
        )
        source = by_key.get(f"{service}/{document}")
        services.setdefault(service, []).append(Document(
            service, document, versions, changes, states.get(f"{service}/{document}", {}),
            public_url(source.url) if source else None, watched=source is not None,
        ))
    return [Service(service, names.get(service, service), tuple(docs)) for service, docs in sorted(services.items())]
