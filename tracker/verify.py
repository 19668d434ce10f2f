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
from tracker.archive import TMP_SUFFIX, Archive, sha256
from tracker.errors import ArchiveError


@dataclass(frozen=True)
class Report:
    problems: tuple[str, ...]
    removed: tuple[str, ...]  # debris of interrupted runs
    versions: int


def verify(archive: Archive) -> Report:
    """Check every document, version, text and raw file; tidy debris of interrupted runs."""
    problems: list[str] = []
    removed: list[str] = []
    for path in archive.root.rglob(f"*{TMP_SUFFIX}"):
        if path.name.startswith(".") and not _alive(path):
            path.unlink(missing_ok=True)
            removed.append(str(path.relative_to(archive.root)))
    on_files: dict[tuple[str, str], list] = {}
    for service, document in _folders(archive):
        try:
            with archive.lock(service, document):
                on_files[(service, document)] = _verify_document(archive, service, document, problems, removed)
        except ArchiveError as error:
            problems.append(f"{service}/{document}: {error}")
    count = sum(len(found) for found in on_files.values())
    indexed = index.rows(archive.root)
    wanted = {(s, d, v.id) for (s, d), found in on_files.items() for v in found}
    if indexed != wanted:  # an interrupted run, or an index never built: it is derived, so mend it
        index.rebuild(archive.root, on_files)
        removed.append(f"{index.FILE} (brought up to date: {len(wanted - indexed)} version(s) added, "
                       f"{len(indexed - wanted)} dropped)")
    try:
        archive.states()
    except ArchiveError as error:
        problems.append(str(error))
    return Report(tuple(problems), tuple(removed), count)


def _folders(archive: Archive) -> list[tuple[str, str]]:
    if not archive.root.is_dir():
        return []
    return sorted(
        (service.name, document.name)
        for service in archive.root.iterdir()
        if service.is_dir() and not service.name.startswith(("_", "."))
        for document in service.iterdir()
        if document.is_dir()
    )


def _verify_document(archive: Archive, service: str, document: str, problems: list[str], removed: list[str]) -> list:
    where = f"{service}/{document}"
    try:
        versions = archive.versions(service, document)
    except ArchiveError as error:
        problems.append(str(error))
        return []
    ids = {v.id for v in versions}
    folder = archive.root / service / document
    for text in folder.glob("*.md"):
        if text.stem not in ids:
            text.unlink()
            removed.append(str(text.relative_to(archive.root)))
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
            raw = archive.raw_path(version.raw_sha256, version.kind)
            if not raw.is_file():
                problems.append(f"{label}: raw file {raw.relative_to(archive.root)} is missing")
            elif sha256(raw.read_bytes()) != version.raw_sha256:
                problems.append(f"{label}: raw file {raw.relative_to(archive.root)} does not match its hash")
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
