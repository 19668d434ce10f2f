"""A SQLite index of the archive's versions: derived from the files, never the truth.

It answers "how many versions, when, how many losses" without reading every
version file; `tracker reindex` rebuilds it from the files at any time, and
`tracker verify` brings it up to date after an interrupted run.
"""

from __future__ import annotations

import json
import os
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

FILE = "_index.sqlite"
_SCHEMA = """CREATE TABLE IF NOT EXISTS versions (
    service TEXT, document TEXT, id TEXT, fetched_at TEXT, kind TEXT, lang TEXT,
    changes TEXT, PRIMARY KEY (service, document, id))"""


def _connect(path: Path) -> sqlite3.Connection:
    import sqlite3  # here: most runs never open the index

    connection = sqlite3.connect(path, timeout=30)
    connection.execute("PRAGMA synchronous = OFF")  # rebuildable: durability is the files' job
    connection.execute(_SCHEMA)
    return connection


def add(root: Path, versions: list[tuple[str, str, object]]) -> None:
    """Index versions (service, document, version) after their files are written, in one transaction."""
    with closing(_connect(root / FILE)) as db, db:
        db.executemany("INSERT OR REPLACE INTO versions VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [_row(service, document, version) for service, document, version in versions])


def _row(service: str, document: str, version) -> tuple:
    counts: dict[str, int] = {}
    for change in version.changes:
        counts[change["type"]] = counts.get(change["type"], 0) + 1
    return service, document, version.id, version.fetched_at, version.kind, version.lang, json.dumps(counts)


def counts(root: Path) -> dict[tuple[str, str], int]:
    """Number of versions per (service, document); empty when there is no index yet."""
    if not (root / FILE).exists():
        return {}
    with closing(_connect(root / FILE)) as db:
        rows = db.execute("SELECT service, document, COUNT(*) FROM versions GROUP BY service, document")
        return {(service, document): n for service, document, n in rows}


def rows(root: Path) -> set[tuple[str, str, str]]:
    """(service, document, version id) of every indexed version."""
    if not (root / FILE).exists():
        return set()
    with closing(_connect(root / FILE)) as db:
        return set(db.execute("SELECT service, document, id FROM versions"))


def rebuild(root: Path, versions: dict[tuple[str, str], list]) -> int:
    """Write a new index from the versions read from the files; swap it in atomically."""
    tmp = root / f".{FILE}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    with closing(_connect(tmp)) as db, db:
        db.executemany("INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [_row(s, d, v) for (s, d), found in versions.items() for v in found])
    os.replace(tmp, root / FILE)
    return sum(len(found) for found in versions.values())
