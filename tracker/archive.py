"""The archive: every version of every document, as plain files, append-only.

Layout under the archive folder (snapshots/ by default):

    <service>/<document>/<version>.md    normalized text of a version
    <service>/<document>/<version>.json  its metadata and its changes against the previous one
    _raw/<hash[:2]>/<hash>.<kind>        raw bytes as fetched, once per content hash
    _state/checks.json                   last check of every document (time, status, error, validators)
    _state/errors.log                    tracebacks of unexpected failures (a bug, not a bad page)

A version's .json is written last: it is what makes the version exist, so a
run killed half-way leaves at most an unreferenced file, never a broken version.
Nothing is ever overwritten except the _state files, which hold no history.

The checks and the commands see this store through the interface that the PostgreSQL
store (tracker/pgarchive.py) shares: a check asks `prior` once before fetching and
hands the outcome to `commit` once after (decision record 22).

A run of `tracker check` writes the last-check states and the index rows once, at
its end (`Archive.batch`), not once per document: for an unchanged document those
writes cost more than fetching it. A run killed half-way loses only its states:
the next run fetches again and finds the texts it recorded.
"""

import fcntl
import itertools
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from tracker import index
from tracker.errors import ArchiveError

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
TMP_SUFFIX = ".tmp"  # files being written: .<name>.<pid>.<n>.tmp
_TMP_NUMBERS = itertools.count()  # with the pid, a name no other writer uses
_VERSION_ID = re.compile(r"^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ(-\d+)?$")
STATES = "_state/checks.json"
ERRORS = "_state/errors.log"  # tracebacks of unexpected failures, newest last
NOTIFIED = "_state/notify.json"  # what was sent to which notification target (tracker.notify)


@dataclass(frozen=True)
class Version:
    """One recorded version of a document; `same_as` marks a return to an earlier text."""

    id: str
    fetched_at: str
    url: str
    text_sha256: str
    raw_sha256: str | None = None
    kind: str = "html"
    previous: str | None = None
    same_as: str | None = None
    lang: str | None = None
    changes: tuple[dict, ...] = field(default=())
    third_parties: tuple[str, ...] = ()  # other sites the page contacted in a browser
    via: str = ""  # "browser" when a browser fetched it: then third_parties were observed

    @property
    def date(self) -> str:
        return self.fetched_at[:10]


@dataclass(frozen=True)
class Prior:
    """What the archive knows of a document before a check: its last check (with the
    validators etag, last_modified and the raw bytes' hash) and its latest version."""

    state: dict
    latest: Version | None


@dataclass(frozen=True)
class Draft:
    """A new text to record, compared with the version `base` (the latest when the check began)."""

    text: str
    raw: bytes
    kind: str
    fetched_at: datetime
    url: str
    lang: str | None
    changes: tuple[dict, ...]
    base: str | None
    third_parties: tuple[str, ...] = ()
    via: str = ""  # "browser" when a browser fetched it


@dataclass(frozen=True)
class Checked:
    """What a check hands the archive: the document's new last-check state, and a draft
    when its text changed. `state` None records the draft alone (an import)."""

    service: str
    document: str
    state: dict | None
    draft: Draft | None = None


class Moved(Exception):
    """The document got a new version since its check began: compare with that one, then commit again."""


class Store(Protocol):
    """What every command sees of an archive, whichever store holds it (decision record 22)."""

    address: str  # what open_archive opens it from again, in another process

    def prior(self, service: str, document: str) -> Prior: ...
    def commit(self, checked: Checked) -> Version | None: ...
    def documents(self) -> list[tuple[str, str]]: ...
    def versions(self, service: str, document: str) -> list[Version]: ...
    def version(self, service: str, document: str, version: str | None = None) -> Version: ...
    def text(self, service: str, document: str, version: Version) -> str: ...
    def raw(self, digest: str, kind: str) -> bytes | None: ...
    def states(self) -> dict[str, dict]: ...
    def counts(self) -> dict[tuple[str, str], int]: ...
    def batch(self) -> AbstractContextManager[None]: ...
    def flush(self) -> None: ...
    def health(self) -> dict: ...
    def save_health(self, health: dict) -> None: ...
    def log_failure(self, what: str, trace: str) -> str: ...
    def copy_version(self, service: str, document: str, version: Version, text: str | None,
                     raw: bytes | None) -> None: ...
    def save_states(self, states: dict[str, dict]) -> None: ...
    def mend(self, problems: list[str]) -> list[str]: ...
    def sync_index(self, found: dict[tuple[str, str], list[Version]]) -> list[str]: ...
    def reindex(self) -> tuple[int, int]: ...
    def notifications(self) -> AbstractContextManager[tuple[dict, Callable[[], None]]]: ...
    def notified(self) -> dict: ...


def open_archive(address: str | Path) -> Store:
    """The archive at an address: a postgresql:// URL, else a folder of plain files."""
    if is_database(address):
        from tracker.pgarchive import PgArchive

        return PgArchive(str(address))
    if scheme := _URL_SCHEME.match(str(address)):  # "ftp://…", "mysql://…": not a folder either
        raise ArchiveError(f"unknown archive {scheme.group(1)}:// address: give a folder or a postgresql:// URL")
    return Archive(Path(address))


_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def is_database(address: str | Path) -> bool:
    """Whether an archive's address names a PostgreSQL database rather than a folder."""
    return str(address).startswith(("postgresql://", "postgres://"))


def pick_version(versions: list[Version], where: str, wanted: str | None, archive: object) -> Version:
    """One version: by id, by number as history prints it (#2), or by a unique prefix of
    its id (like its date); the latest by default."""
    if not versions:
        raise ArchiveError(f"{where} has no version in {archive}")
    if wanted is None:
        return versions[-1]
    number = wanted.lstrip("#")
    if number.isdigit() and 1 <= int(number) <= len(versions):
        return versions[int(number) - 1]
    matches = [v for v in versions if v.id == wanted] or [v for v in versions if v.id.startswith(wanted)]
    if len(matches) != 1:
        found = "no" if not matches else "more than one"
        raise ArchiveError(f"{where} has {found} version matching {wanted!r}")
    return matches[0]


def valid_name(name: str) -> None:
    """A service or document name is a slug: it names a folder, and nothing outside the archive."""
    if not _SLUG.match(name):
        raise ArchiveError(f"{name!r} is not a valid service or document name")


def sha256(data: bytes) -> str:
    import hashlib  # here: `tracker list` never hashes, and hashlib loads OpenSSL (decision record 12)

    return hashlib.sha256(data).hexdigest()


def version_id(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")


class Archive:
    """An archive folder; every method reads or writes plain files under it."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._guard = threading.Lock()
        self._batches = 0  # open batch() blocks
        self._states: dict[str, dict] = {}  # states saved during a batch, not yet written
        self._known: dict[str, dict] | None = None  # the states on disk when the batch began
        self._rows: list[tuple[str, str, Version]] = []  # index rows recorded during a batch

    # -- reading -------------------------------------------------------------

    def documents(self) -> list[tuple[str, str]]:
        """(service, document) of every document with at least one version."""
        if not self.root.is_dir():
            return []
        return sorted(
            (service.name, document.name)
            for service in self.root.iterdir()
            if _SLUG.match(service.name) and service.is_dir()
            for document in service.iterdir()
            if _SLUG.match(document.name) and any(document.glob("*.json"))
        )

    def has(self, service: str, document: str) -> bool:
        """Whether the document has a folder (made when its first version is recorded)."""
        return self._folder(service, document).is_dir()

    def versions(self, service: str, document: str) -> list[Version]:
        """Versions of a document, oldest first."""
        return [self._read_version(p) for p in self._version_files(service, document)]

    def _version_files(self, service: str, document: str) -> list[Path]:
        """The metadata files of a document's versions, oldest first (none read)."""
        folder = self._folder(service, document)
        if not folder.is_dir():
            return []
        found = [p for p in folder.glob("*.json") if _VERSION_ID.match(p.stem)]
        return sorted(found, key=lambda p: _order(p.stem))

    def version(self, service: str, document: str, version: str | None = None) -> Version:
        """One version (see pick_version); the latest by default."""
        return pick_version(self.versions(service, document), f"{service}/{document}", version, self)

    def text(self, service: str, document: str, version: Version) -> str:
        """The normalized text of a version (following a return to an earlier one)."""
        path = self._folder(service, document) / f"{version.same_as or version.id}.md"
        try:
            return path.read_text(encoding="utf-8")
        except OSError as error:
            raise ArchiveError(f"cannot read {path}: {error.strerror}") from None

    def raw_path(self, digest: str, kind: str) -> Path:
        return self.root / "_raw" / digest[:2] / f"{digest}.{kind}"

    def raw(self, digest: str, kind: str) -> bytes | None:
        """Raw bytes as fetched, None if they are missing."""
        try:
            return self.raw_path(digest, kind).read_bytes()
        except FileNotFoundError:
            return None

    def counts(self) -> dict[tuple[str, str], int]:
        """Number of versions per (service, document), from the index (empty when there is none)."""
        return index.counts(self.root)

    def __str__(self) -> str:
        return str(self.root)

    @property
    def address(self) -> str:
        """What open_archive opens this archive from again (in another process)."""
        return str(self.root)

    def mend(self, problems: list[str]) -> list[str]:
        """Remove the debris of interrupted runs (for `tracker verify`); returns what was removed."""
        from tracker.verify import mend_files

        return mend_files(self.root, self.lock, problems)

    def sync_index(self, found: dict[tuple[str, str], list[Version]]) -> list[str]:
        """Bring the index up to date with the versions verify found; says what it mended."""
        from tracker.verify import sync_file_index

        return sync_file_index(self.root, found)

    def reindex(self) -> tuple[int, int]:
        """Rebuild the index from the files: (versions, documents)."""
        versions = {(s, d): self.versions(s, d) for s, d in self.documents()}
        return index.rebuild(self.root, versions), len(versions)

    def prior(self, service: str, document: str) -> Prior:
        """What a check needs before fetching: the last check's state and the latest version (only
        its file read: every check asks, the history may be long)."""
        files = self._version_files(service, document)
        return Prior(self.state(service, document), self._read_version(files[-1]) if files else None)

    def state(self, service: str, document: str) -> dict:
        """The last check of a document ({} if never checked)."""
        key = self._key(service, document)
        with self._guard:
            if key in self._states:
                return dict(self._states[key])
            if self._known is not None:
                return dict(self._known.get(key, {}))
        return self.states().get(key, {})

    def states(self) -> dict[str, dict]:
        """The last check of every document checked, by "service/document"."""
        found = self._read_states()
        with self._guard:
            return {**found, **self._states}

    def _read_states(self) -> dict[str, dict]:
        path = self.root / STATES
        try:
            return json.loads(path.read_bytes())
        except FileNotFoundError:
            return _states_per_file(self.root / "_state")
        except (OSError, ValueError) as error:
            raise ArchiveError(f"unreadable state file {path}: {error}") from None

    # -- writing -------------------------------------------------------------

    @contextmanager
    def lock(self, service: str, document: str) -> Iterator[None]:
        """An exclusive advisory lock (flock) on the document's folder: two runs never record
        versions of it at once; no lock file per document."""
        folder = self._folder(service, document)
        _make_folder(folder)
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # closing releases the lock

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Keep the states saved and the versions indexed inside the block, and write them
        at its end in one go each (merged with what other processes wrote meanwhile)."""
        known = self._read_states()
        with self._guard:
            self._batches += 1
            if self._known is None:
                self._known = known
        try:
            yield
        finally:
            with self._guard:
                self._batches -= 1
                last = not self._batches
            if last:
                self.flush()
                with self._guard:
                    self._known = None

    def flush(self) -> None:
        """Write what the open batch holds so far: a batch as long as `tracker run` is
        flushed every few seconds rather than only when it stops."""
        with self._guard:
            states, rows = self._states, self._rows
            self._states, self._rows = {}, []
            if self._known is not None:
                self._known.update(states)
        if rows:
            index.add(self.root, rows)
        if states:
            self._merge_states(states)

    def commit(self, checked: Checked) -> Version | None:
        """Record a check: its draft as a new version (under the document's lock) and its state
        (at the end of the batch, inside one). Raises Moved, writing nothing, if the document got
        a version other than the draft's base meanwhile."""
        version = None
        draft = checked.draft
        if draft:
            with self.lock(checked.service, checked.document):
                versions = self.versions(checked.service, checked.document)
                if (versions[-1].id if versions else None) != draft.base:
                    raise Moved
                # raw bytes are kept with the versions they made, not for every markup-only change
                version = self.record(
                    checked.service, checked.document, draft.text, fetched_at=draft.fetched_at, url=draft.url,
                    raw_sha256=self.store_raw(draft.raw, draft.kind), kind=draft.kind, lang=draft.lang,
                    changes=list(draft.changes), third_parties=draft.third_parties, via=draft.via,
                    versions=versions)
        if checked.state is not None:
            self.save_state(checked.service, checked.document, checked.state)
        return version

    def store_raw(self, content: bytes, kind: str) -> str:
        """Keep raw bytes once per content hash; returns the hash."""
        digest = sha256(content)
        path = self.raw_path(digest, kind)
        if not path.exists():
            _write_new(path, content)
        return digest

    def record(
        self,
        service: str,
        document: str,
        text: str,
        *,
        fetched_at: datetime,
        url: str,
        raw_sha256: str | None,
        kind: str,
        lang: str | None,
        changes: list[dict],
        third_parties: tuple[str, ...] = (),
        via: str = "",
        versions: list[Version] | None = None,
    ) -> Version:
        """Append a version whose text differs from the latest; call under lock().

        `versions`: the document's versions as the caller has just read them under the
        lock, so that a long history is not read again for every version recorded."""
        folder = self._folder(service, document)
        existing = self.versions(service, document) if versions is None else versions
        text_hash = sha256(text.encode("utf-8"))
        earlier = next((v for v in reversed(existing) if v.text_sha256 == text_hash), None)
        version = Version(
            id=self._free_id(folder, version_id(fetched_at)),
            fetched_at=fetched_at.astimezone(UTC).isoformat(timespec="seconds"),
            url=url,
            text_sha256=text_hash,
            raw_sha256=raw_sha256,
            kind=kind,
            previous=existing[-1].id if existing else None,
            same_as=(earlier.same_as or earlier.id) if earlier else None,
            lang=lang,
            changes=tuple(changes),
            third_parties=tuple(third_parties),
            via=via,
        )
        return self._write_version(service, document, version, text)

    def copy_version(self, service: str, document: str, version: Version, text: str | None,
                     raw: bytes | None) -> None:
        """Append a version as another archive holds it (same id, links and hashes): an export.
        `text` is None for a return to an earlier text; `raw` the bytes of raw_sha256."""
        with self.lock(service, document):
            if raw is not None:
                self.store_raw(raw, version.kind)
            self._write_version(service, document, version, text)

    def save_states(self, states: dict[str, dict]) -> None:
        """Write many documents' last checks at once, over those on disk."""
        self._merge_states(states)

    def _write_version(self, service: str, document: str, version: Version, text: str | None) -> Version:
        folder = self._folder(service, document)
        if not version.same_as:  # the folder is fsynced once, after its metadata is linked beside it
            _write_new(folder / f"{version.id}.md", text.encode("utf-8"), sync_folder=False)
        _write_new(folder / f"{version.id}.json", _dump(asdict(version)))
        with self._guard:
            if self._batches:
                self._rows.append((service, document, version))
                return version
        index.add(self.root, [(service, document, version)])
        return version

    def save_state(self, service: str, document: str, state: dict) -> None:
        """Replace a document's last-check state (at the end of the batch, inside one)."""
        key = self._key(service, document)
        with self._guard:
            if self._batches:
                self._states[key] = state
                return
        self._merge_states({key: state})

    def _merge_states(self, states: dict[str, dict]) -> None:
        """Write states over those on disk; not fsynced: they hold no history."""
        path = self.root / STATES
        with _flock(path.with_suffix(".lock")):
            merged = {**self.states(), **states}
            os.replace(_write_aside(path, _dump(dict(sorted(merged.items()))), durable=False), path)

    def log_failure(self, what: str, trace: str) -> Path:
        """Append an unexpected failure's traceback to _state/errors.log (for whoever debugs it;
        the check's state keeps one line). One write in append mode: lines of two processes
        never interleave."""
        path = self.root / ERRORS
        _make_folder(path.parent)
        when = datetime.now(UTC).isoformat(timespec="seconds")
        entry = f"--- {when} {what}\n{trace.rstrip()}\n".encode("utf-8", "replace")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, entry)
        finally:
            os.close(fd)
        return path

    def health(self) -> dict:
        """What `tracker run` last said of its schedule ({} if it never ran)."""
        try:
            return json.loads((self.root / "_state" / "health.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def save_health(self, health: dict) -> None:
        """Replace the plan of next checks; not fsynced: it holds no history."""
        path = self.root / "_state" / "health.json"
        os.replace(_write_aside(path, _dump(health), durable=False), path)

    @contextmanager
    def notifications(self) -> Iterator[tuple[dict, Callable[[], None]]]:
        """The record of notifications sent, and a function that writes it, under a lock held
        for the block: two runs never send at once. Each write is durable (fsynced): it is
        what keeps a change from being sent twice, or never, after a crash."""
        path = self.root / NOTIFIED
        with _flock(path.with_suffix(".lock")):
            record = self.notified()

            def save() -> None:
                os.replace(_write_aside(path, _dump(record)), path)
                _sync_folder(path.parent)

            yield record, save

    def notified(self) -> dict:
        """The record as last written ({} before any), read without the lock (each write replaces
        the file whole) and without creating anything: for readers such as the status page."""
        path = self.root / NOTIFIED
        try:
            return json.loads(path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise ArchiveError(f"unreadable state file {path}: {error}") from None

    # -- paths ---------------------------------------------------------------

    def _folder(self, service: str, document: str) -> Path:
        valid_name(service)
        valid_name(document)
        return self.root / service / document

    def _key(self, service: str, document: str) -> str:
        self._folder(service, document)
        return f"{service}/{document}"

    def _read_version(self, path: Path) -> Version:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["changes"] = tuple(data.get("changes", ()))
            data["third_parties"] = tuple(data.get("third_parties", ()))
            return Version(**data)
        except (OSError, ValueError, TypeError) as error:
            raise ArchiveError(f"unreadable version file {path}: {error}") from None

    @staticmethod
    def _free_id(folder: Path, wanted: str) -> str:
        """The wanted id, or the next free one; a text left by an interrupted run counts as taken."""
        candidate, n = wanted, 1
        while (folder / f"{candidate}.json").exists() or (folder / f"{candidate}.md").exists():
            candidate, n = f"{wanted}-{n}", n + 1
        return candidate


def _states_per_file(folder: Path) -> dict[str, dict]:
    """The states of an archive written before they were kept in one file (one per document)."""
    found = {}
    for path in folder.glob("*/*.json"):
        try:
            found[f"{path.parent.name}/{path.stem}"] = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue  # a state holds no history: the next check writes it anew
    return found


@contextmanager
def _flock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _order(version: str) -> tuple[str, int]:
    """Sort key: the time, then the counter of versions recorded in the same second."""
    when, _, n = version.partition("Z")
    return when, int(n.lstrip("-") or 0)


def _dump(data: dict) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _write_aside(path: Path, data: bytes, durable: bool = True) -> Path:
    """A temporary file beside path (fsynced unless not durable), ready to be moved or
    linked into place."""
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(_TMP_NUMBERS)}{TMP_SUFFIX}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            continue  # left by a killed process that had the same pid
        except FileNotFoundError:
            _make_folder(path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    return tmp


def _write_new(path: Path, data: bytes, sync_folder: bool = True) -> None:
    """Write a file that must not exist yet, atomically, and never over another one.

    Durable once this returns, unless the caller syncs the folder itself (after writing
    the next file there): the new directory entry is synced too, not only the bytes."""
    tmp = _write_aside(path, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        if path.read_bytes() != data:
            raise ArchiveError(f"{path} already exists with other content; nothing overwritten") from None
    finally:
        tmp.unlink()
    if sync_folder:
        _sync_folder(path.parent)


def _make_folder(folder: Path) -> None:
    """Create a folder and its missing parents, each new entry synced into its parent."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        try:
            new.mkdir()
        except FileExistsError:  # another process made it meanwhile
            continue
        _sync_folder(new.parent)


def _sync_folder(folder: Path) -> None:
    """fsync a directory, so that the entries linked into it survive a power cut."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
