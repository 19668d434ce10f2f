"""Verify: is every version of the archive whole, readable and true to its hashes?

An interrupted run (power cut, SIGKILL) can leave only two kinds of debris,
both unreferenced and harmless: temporary files of a dead process, and a
version's text whose metadata was never written. Verify removes them and
reports everything else as a problem, one line each.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from tracker import index
from tracker.archive import TMP_SUFFIX, Store, sha256
from tracker.errors import ArchiveError


@dataclass(frozen=True)
class Report:
    problems: tuple[str, ...]
    removed: tuple[str, ...]  # debris of interrupted runs
    versions: int


def verify(archive: Store) -> Report:
    """Check every document, version, text and raw bytes; tidy debris of interrupted runs."""
    problems: list[str] = []
    removed = archive.mend(problems)
    found: dict[tuple[str, str], list] = {}
    for service, document in archive.documents():
        try:
            found[(service, document)] = _verify_document(archive, service, document, problems)
        except ArchiveError as error:
            problems.append(str(error))
    removed += archive.sync_index(found)
    try:
        archive.states()
    except ArchiveError as error:
        problems.append(str(error))
    return Report(tuple(problems), tuple(removed), sum(len(versions) for versions in found.values()))


def mend_files(root: Path, lock, problems: list[str]) -> list[str]:
    """The plain-file archive's debris of interrupted runs, removed: temporary files of dead
    processes, and texts whose metadata was never written (looked for under each document's lock)."""
    removed = []
    for path in root.rglob(f"*{TMP_SUFFIX}"):
        if path.name.startswith(".") and not _alive(path):
            path.unlink(missing_ok=True)
            removed.append(str(path.relative_to(root)))
    folders = sorted(
        (service.name, document.name)
        for service in (root.iterdir() if root.is_dir() else ())
        if service.is_dir() and not service.name.startswith(("_", "."))
        for document in service.iterdir()
        if document.is_dir()
    )
    for service, document in folders:
        try:
            with lock(service, document):
                folder = root / service / document
                ids = {p.stem for p in folder.glob("*.json")}
                for text in folder.glob("*.md"):
                    if text.stem not in ids:
                        text.unlink()
                        removed.append(str(text.relative_to(root)))
        except ArchiveError as error:
            problems.append(f"{service}/{document}: {error}")
    return removed


def sync_file_index(root: Path, found: dict[tuple[str, str], list]) -> list[str]:
    """Bring the SQLite index up to date with the versions on file (it is derived, so mend it)."""
    indexed = index.rows(root)
    wanted = {(s, d, v.id) for (s, d), versions in found.items() for v in versions}
    if indexed == wanted:
        return []
    index.rebuild(root, found)
    return [f"{index.FILE} (brought up to date: {len(wanted - indexed)} version(s) added, "
            f"{len(indexed - wanted)} dropped)"]


def _verify_document(archive: Store, service: str, document: str, problems: list[str]) -> list:
    where = f"{service}/{document}"
    versions = archive.versions(service, document)
    ids = {v.id for v in versions}
    for n, version in enumerate(versions):
        label = f"{where} {version.id}"
        expected_previous = versions[n - 1].id if n else None
        if version.previous != expected_previous:
            problems.append(f"{label}: previous is {version.previous}, expected {expected_previous}")
        if version.same_as and version.same_as not in ids:
            problems.append(f"{label}: returns to {version.same_as}, which does not exist")
            continue
        try:
            text = archive.text(service, document, version)
        except ArchiveError as error:
            problems.append(f"{label}: {error}")
            continue
        if sha256(text.encode("utf-8")) != version.text_sha256:
            problems.append(f"{label}: text does not match its hash")
        if version.raw_sha256:
            raw = archive.raw(version.raw_sha256, version.kind)
            name = f"{version.raw_sha256}.{version.kind}"
            if raw is None:
                problems.append(f"{label}: raw file {name} is missing")
            elif sha256(raw) != version.raw_sha256:
                problems.append(f"{label}: raw file {name} does not match its hash")
    return versions


def _alive(tmp: Path) -> bool:
    """Whether the process that is writing a temporary file still runs."""
    parts = tmp.name.rsplit(".", 3)  # .<name>.<pid>.<n>.tmp
    try:
        pid = int(parts[1])
        os.kill(pid, 0)
    except (IndexError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
