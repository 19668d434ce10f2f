"""Open Terms Archive (OTA): import its declarations into the watchlist and its histories into the archive.

OTA declares each watched document in a JSON file per service, and publishes every
version it recorded, either as a git repository (`<service>/<terms type>.md`, one
commit per version) or as a dataset folder (`<service>/<terms type>/<date>.md`).
Importing both gives a new installation years of pledge changes on its first day.

What an OTA declaration says that a watchlist entry cannot (range selectors,
JavaScript filters, several pages combined) is kept as a note per source, so
nothing is ever dropped without a word; a page whose scripts OTA runs is
fetched with a browser (`browser = "always"`).
"""

import json
import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from tracker.archive import Checked, Draft, Moved, Store, open_archive, sha256
from tracker.errors import TrackerError, WatchlistError, internal_error
from tracker.extract import TEXT, extract
from tracker.processes import ProcessPool
from tracker.watchlist import ALWAYS, AUTO, Source, check_url, slugify

RANGE_KEYS = {"startBefore", "startAfter", "endBefore", "endAfter"}
_KNOWN_KEYS = {"fetch", "select", "remove", "filter", "executeClientScripts", "combine"}
# 2024-07-13T06:32:20Z as OTA writes it, and 2024-07-13T06-32-20Z as file systems prefer it.
_DATE_NAME = re.compile(
    r"^(\d{4}-\d\d-\d\d)T(\d\d)[:-](\d\d)[:-](\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$"
)
_GITHUB = re.compile(r"^(?:https://|git@|ssh://git@)github\.com[:/](.+?)(?:\.git)?/?$")


class OtaError(TrackerError):
    """An OTA declaration or history that cannot be read."""


# -- declarations ---------------------------------------------------------------


@dataclass(frozen=True)
class Declared:
    """What became of one declared document: added, already watched, or not imported."""

    key: str  # service/document, as slugs
    status: str  # ADDED, ALREADY_WATCHED or NOT_IMPORTED
    url: str | None = None
    notes: tuple[str, ...] = ()  # what the watchlist cannot express, in words


ADDED, ALREADY_WATCHED, NOT_IMPORTED = "added", "already watched", "not imported"


@dataclass(frozen=True)
class DeclarationsReport:
    declared: tuple[Declared, ...]
    unreadable: tuple[str, ...]  # one line per file that could not be read

    def count(self, status: str) -> int:
        return sum(d.status == status for d in self.declared)


def declaration_files(paths: Iterable[Path]) -> list[Path]:
    """The declaration files among paths; a folder stands for its *.json files.

    OTA keeps past declarations beside current ones as `<service>.history.json`:
    they describe pages as they were, so they are not imported.
    """
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.glob("*.json") if not p.name.endswith(".history.json"))
        else:
            files.append(path)
    return files


def read_declaration(path: Path) -> tuple[str, str, dict[str, dict]]:
    """(service slug, service name, {terms type: declaration}) of one OTA declaration file.

    The slug comes from the file name, OTA's service id, because the versions
    repositories name their folders after it: declarations and histories then meet.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise OtaError(f"{path}: not a readable JSON declaration: {error}") from None
    terms = data.get("terms", data.get("documents")) if isinstance(data, dict) else None
    if not isinstance(terms, dict) or not all(isinstance(t, dict) for t in terms.values()):
        raise OtaError(f'{path}: not an OTA declaration (expected a "terms" object of documents)')
    name = data.get("name") if isinstance(data.get("name"), str) else path.stem
    try:
        service = slugify(path.stem)
    except WatchlistError:
        service = slugify(name)
    return service, name, terms


def map_terms(
    service: str, name: str, terms_type: str, declaration: dict
) -> tuple[Source | None, list[str]]:
    """A watchlist source for one declared document (None when it cannot be one) and notes
    on everything of the declaration the source does not carry."""
    notes: list[str] = []
    declaration = dict(declaration)
    combine = declaration.pop("combine", None)
    if combine is not None:
        pages = [p for p in combine if isinstance(p, dict)] if isinstance(combine, list) else []
        if len(pages) != 1:
            notes.append(
                f"combines {len(pages)} pages into one document; a source watches one page"
            )
            return None, notes
        # one page "combined": its own rules complete the shared ones
        for key in ("select", "remove", "filter"):
            if key in pages[0] and key in declaration:
                pages[0][key] = _as_list(declaration[key]) + _as_list(pages[0][key])
        declaration = {**declaration, **pages[0]}
    for key in sorted(set(declaration) - _KNOWN_KEYS):
        notes.append(f"ignored unknown key {key!r}")
    url = declaration.get("fetch")
    try:
        check_url(url if isinstance(url, str) else "")
    except WatchlistError:
        notes.append(f"no usable URL to fetch ({url!r})")
        return None, notes
    select = _css_rules("select", declaration.get("select"), notes)
    remove = _css_rules("remove", declaration.get("remove"), notes)
    if declaration.get("select") and not select:
        notes.append(
            "no select rule kept: the whole page is watched (less page furniture is dropped)"
        )
    filters = [str(f) for f in _as_list(declaration.get("filter"))]
    if filters:
        notes.append(f"filter(s) not applied, they are JavaScript functions: {', '.join(filters)}")
    # OTA runs this page's scripts before reading it: so do we, with a browser every time
    browser = ALWAYS if declaration.get("executeClientScripts") else AUTO
    source = Source(service, slugify(terms_type), url, tuple(select), tuple(remove), name=name,
                    title=terms_type if slugify(terms_type) != terms_type else "", browser=browser)
    return source, notes


def import_declarations(paths: Iterable[Path], watchlist: Path) -> DeclarationsReport:
    """Add the documents declared in OTA files to the watchlist; one bad file or document
    never stops the others."""
    from tracker.watchlist import add

    declared, unreadable = [], []
    for path in declaration_files(paths):
        try:
            service, name, terms = read_declaration(path)
        except (OtaError, WatchlistError) as error:
            unreadable.append(str(error))
            continue
        for terms_type, declaration in terms.items():
            try:
                key = f"{service}/{slugify(terms_type)}"
            except WatchlistError as error:
                declared.append(Declared(f"{service}/?", NOT_IMPORTED, None, (str(error),)))
                continue
            source, notes = map_terms(service, name, terms_type, declaration)
            if source is None:
                declared.append(Declared(key, NOT_IMPORTED, None, tuple(notes)))
                continue
            try:
                add(watchlist, source)
            except WatchlistError as error:
                status = ALREADY_WATCHED if "already watched" in str(error) else NOT_IMPORTED
                declared.append(Declared(key, status, source.url, (str(error), *notes)))
                continue
            declared.append(Declared(key, ADDED, source.url, tuple(notes)))
    return DeclarationsReport(tuple(declared), tuple(unreadable))


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _css_rules(key: str, value, notes: list[str]) -> list[str]:
    """The CSS selectors among an OTA select/remove value; a note for each other selector."""
    from tracker.extract.html import compile_selector

    kept = []
    for rule in _as_list(value):
        if isinstance(rule, str):
            try:
                compile_selector(rule)
                kept.append(rule)
            except WatchlistError as error:
                notes.append(f"{key}: {error}; not kept")
        elif isinstance(rule, dict) and set(rule) & RANGE_KEYS:
            notes.append(
                f"{key}: range selector not supported yet: {json.dumps(rule, ensure_ascii=False)}"
            )
        else:
            notes.append(f"{key}: not a selector: {json.dumps(rule, ensure_ascii=False)}")
    return kept


# -- histories ------------------------------------------------------------------


@dataclass(frozen=True)
class PastVersion:
    """One version found in an OTA history: its date, where it came from, how to read it."""

    when: datetime  # UTC
    origin: str  # recorded as the version's url: a commit's file, or a dataset file
    ref: str  # a git blob id, or a file path


@dataclass(frozen=True)
class PastDocument:
    service: str
    document: str
    name: str  # the service's name in the history
    versions: tuple[PastVersion, ...]  # oldest first

    @property
    def key(self) -> str:
        return f"{self.service}/{self.document}"


@dataclass(frozen=True)
class History:
    """The documents of a versions repository (repo set) or of a dataset folder."""

    root: Path
    documents: tuple[PastDocument, ...]
    ignored: tuple[str, ...] = ()  # files that are not versions, one line each
    repo: Path | None = None


@dataclass(frozen=True)
class Imported:
    """What importing one document's history did."""

    key: str
    added: int = 0  # versions recorded
    already: int = 0  # not later than the archive's latest version (already imported, or older)
    unchanged: int = 0  # same normalized text as the version before
    changes: tuple[str, ...] = ()  # change types found, one per change
    problems: tuple[str, ...] = field(default=())


def read_history(path: Path) -> History:
    """A versions repository (git) or a dataset folder, recognized by its layout."""
    path = Path(path)
    if not path.is_dir():
        raise OtaError(
            f"{path} is not a folder: expected an OTA versions repository or dataset folder"
        )
    if (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir()):
        return _git_history(path)
    return _folder_history(path)


def import_history(
    history: History | Path,
    archive: Store,
    services: Iterable[str] = (),
    workers: int = 1,
    on_document: Callable[[PastDocument, Imported], None] | None = None,
) -> list[Imported]:
    """Record the versions of an OTA history as past versions, with their changes.

    Idempotent: a version dated before the latest version the archive already holds
    for its document, or at that very second with a text already recorded then, is
    skipped. History is only ever appended after what the archive holds.
    `services` limits the import to these service slugs; `workers` imports that many
    documents at once in separate processes (comparing versions is CPU-bound).
    """
    if not isinstance(history, History):
        history = read_history(history)
    wanted = set(services)
    documents = [d for d in history.documents if not wanted or d.service in wanted]
    results: list[Imported] = []

    def done(document: PastDocument, imported: Imported) -> None:
        results.append(imported)
        if on_document:
            on_document(document, imported)

    if workers <= 1 or len(documents) < 2:
        for document in documents:
            done(document, _import_or_report(archive.address, document, history.repo))
    else:
        with ProcessPool(workers) as pool:
            pending = [(d, pool.submit(_import_or_report, archive.address, d, history.repo)) for d in documents]
            for document, result in pending:
                done(document, result.result())
    return results


def _import_or_report(address: str, past: PastDocument, repo: Path | None) -> Imported:
    """import_document, its failure turned into the document's problem: the others go on."""
    try:
        return import_document(address, past, repo)
    except TrackerError as error:
        return Imported(past.key, problems=(str(error),))
    except Exception as error:
        archive = open_archive(address)
        return Imported(past.key, problems=(internal_error(error, archive.log_failure, f"importing {past.key}"),))


def import_document(address: str | Path, past: PastDocument, repo: Path | None = None) -> Imported:
    """Record the versions of one document not yet in the archive; see import_history."""
    from tracker.compare import compare, detect_language

    archive = open_archive(address)
    added = already = unchanged = 0
    found: list[str] = []
    problems: list[str] = []
    # batch: the document's versions are indexed in one transaction, not one each
    with _VersionReader(repo) as read, archive.batch():
        existing = archive.versions(past.service, past.document)
        latest = existing[-1] if existing else None
        latest_text = archive.text(past.service, past.document, latest) if latest else None
        seen_at_latest = {
            v.text_sha256 for v in existing if latest and v.fetched_at == latest.fetched_at
        }
        for version in past.versions:
            stamp = version.when.isoformat(timespec="seconds")
            if latest and stamp < latest.fetched_at:
                already += 1
                continue
            try:
                content = read(version.ref)
                text = extract(content, TEXT)
                text_hash = sha256(text.encode("utf-8"))
                if latest and stamp == latest.fetched_at and text_hash in seen_at_latest:
                    already += 1
                    continue
                if latest and text_hash == latest.text_sha256:
                    unchanged += 1
                    continue
                lang = detect_language(text)
                changes = [c.to_dict() for c in compare(latest_text, text, lang)] if latest_text else []
            except TrackerError as error:
                problems.append(f"{stamp}: {error}")
                continue
            except Exception as error:  # a bug: this version is not imported, the next ones are
                what = f"importing {past.key} at {stamp}"
                problems.append(f"{stamp}: {internal_error(error, archive.log_failure, what)}")
                continue
            draft = Draft(text, content, TEXT, version.when, version.origin, lang, tuple(changes),
                          latest.id if latest else None)
            try:
                recorded = archive.commit(Checked(past.service, past.document, None, draft))
            except Moved:
                problems.append(f"{stamp}: another run recorded a version of {past.key} meanwhile; import it again")
                break
            if not latest or recorded.fetched_at != latest.fetched_at:
                seen_at_latest = set()
            seen_at_latest.add(text_hash)
            latest, latest_text = recorded, text
            found += [c["type"] for c in changes]
            added += 1
    return Imported(past.key, added, already, unchanged, tuple(found), tuple(problems))


def parse_version_name(stem: str) -> datetime | None:
    """The UTC date a dataset file is named after (2024-07-13T06-32-20Z), or None."""
    match = _DATE_NAME.match(stem)
    if not match:
        return None
    day, hour, minute, second, fraction, zone = match.groups()
    zone = "+00:00" if zone in (None, "Z") else zone
    try:
        when = datetime.fromisoformat(f"{day}T{hour}:{minute}:{second}{fraction or ''}{zone}")
    except ValueError:
        return None
    return when.astimezone(UTC)


def _slugs(service: str, terms_type: str) -> tuple[str, str]:
    return slugify(service), slugify(terms_type)


def _folder_history(root: Path) -> History:
    documents, ignored = [], []
    for service_dir in sorted(
        p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
    ):
        for document_dir in sorted(p for p in service_dir.iterdir() if p.is_dir()):
            versions = []
            for file in sorted(document_dir.iterdir()):
                when = parse_version_name(file.stem) if file.suffix == ".md" else None
                if when is None:
                    ignored.append(f"{file.relative_to(root)}: not named <ISO date>.md")
                    continue
                versions.append(PastVersion(when, file.resolve().as_uri(), str(file)))
            if versions:
                try:
                    service, document = _slugs(service_dir.name, document_dir.name)
                except WatchlistError as error:
                    ignored.append(f"{document_dir.relative_to(root)}: {error}")
                    continue
                versions.sort(key=lambda v: v.when)
                documents.append(PastDocument(service, document, service_dir.name, tuple(versions)))
    if not documents:
        raise OtaError(
            f"{root}: no <service>/<terms type>/<date>.md file, and not a git repository"
        )
    return History(root, _merge(documents, ignored), tuple(ignored))


def _git(repo: Path, *args: str) -> bytes:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, check=True
        ).stdout
    except FileNotFoundError:
        raise OtaError("git is not installed; it is needed to read a versions repository") from None
    except subprocess.CalledProcessError as error:
        message = error.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OtaError(
            f"{repo}: git {args[0]} failed: {message[-1] if message else error}"
        ) from None


def _git_history(repo: Path) -> History:
    """One `git log` for every commit and the blobs it added or modified; contents are
    read later, one document at a time, so memory stays flat however long the history."""
    repo = repo.resolve()
    base = _web_base(repo)
    log = _git(
        repo,
        "log",
        "--reverse",
        "--no-renames",
        "--raw",
        "--no-abbrev",
        "-z",
        "--format=%x01%H %cI",
    )
    by_path: dict[str, list[PastVersion]] = {}
    ignored: list[str] = []
    commit, when = "", None
    fields = log.split(b"\0")
    i = 0
    while i < len(fields):
        item = fields[i].lstrip(b"\n")
        i += 1
        if item.startswith(b"\x01"):
            commit, date = item[1:].decode().split(" ", 1)
            when = datetime.fromisoformat(date.strip()).astimezone(UTC)
            continue
        if not item.startswith(b":"):
            continue
        # ":100644 100644 <old> <new> M" then the path in the next field
        meta, path = item[1:].decode().split(), fields[i].decode("utf-8", "surrogateescape")
        i += 1
        status, blob = meta[4], meta[3]
        if status not in ("A", "M", "T"):
            continue
        parts = path.split("/")
        if len(parts) != 2 or not parts[1].endswith(".md"):
            if path not in ignored and len(parts) > 1:
                ignored.append(path)
            continue
        origin = (
            f"{base}/blob/{commit}/{quote(path)}"
            if base
            else f"{(repo / path).as_uri()}#commit={commit}"
        )
        by_path.setdefault(path, []).append(PastVersion(when, origin, blob))
    documents = []
    for path, versions in sorted(by_path.items()):
        service_name, terms_type = path.split("/")
        try:
            service, document = _slugs(service_name, terms_type[:-3])
        except WatchlistError as error:
            ignored.append(f"{path}: {error}")
            continue
        versions.sort(key=lambda v: v.when)  # stable: same-second commits keep their order
        documents.append(PastDocument(service, document, service_name, tuple(versions)))
    ignored = [
        line if ":" in line else f"{line}: not <service>/<terms type>.md" for line in ignored
    ]
    return History(repo, _merge(documents, ignored), tuple(ignored), repo=repo)


def _merge(documents: list[PastDocument], ignored: list[str]) -> tuple[PastDocument, ...]:
    """Two folders whose names make the same slugs ("Terms" and "terms") would mix their
    versions in one document: the first is kept, the others are reported."""
    kept: dict[str, PastDocument] = {}
    for document in documents:
        if document.key in kept:
            ignored.append(
                f"{document.name}: same name as another service once made a slug ({document.key})"
            )
        else:
            kept[document.key] = document
    return tuple(kept.values())


def _web_base(repo: Path) -> str | None:
    """https://github.com/owner/name when the repository came from GitHub, for version links."""
    try:
        remote = _git(repo, "remote", "get-url", "origin").decode().strip()
    except OtaError:
        return None
    match = _GITHUB.match(remote)
    return f"https://github.com/{match.group(1)}" if match else None


class _VersionReader:
    """Read version contents: files directly, git blobs through one `git cat-file --batch`."""

    def __init__(self, repo: Path | None):
        self.repo, self.process = repo, None

    def __enter__(self) -> Callable[[str], bytes]:
        return self.read

    def __exit__(self, *exc) -> None:
        if self.process:
            self.process.stdin.close()
            self.process.wait()

    def read(self, ref: str) -> bytes:
        if self.repo is None:
            try:
                return Path(ref).read_bytes()
            except OSError as error:
                raise OtaError(f"cannot read {ref}: {error.strerror}") from None
        if self.process is None:
            self.process = subprocess.Popen(
                ["git", "-C", str(self.repo), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        self.process.stdin.write(f"{ref}\n".encode())
        self.process.stdin.flush()
        header = self.process.stdout.readline().split()
        if len(header) != 3:
            raise OtaError(f"{self.repo}: blob {ref} is missing")
        content = self.process.stdout.read(int(header[2]))
        self.process.stdout.read(1)  # the newline after each object
        return content
