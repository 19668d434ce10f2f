"""The archive in PostgreSQL, for several machines sharing one (decision record 23).

The same interface as the plain-file store (tracker.archive.Store). Here the
database is the truth: a version, its raw bytes and the check's state are written
in one transaction, under a lock on the document's row, so that a version exists
whole or not at all and two workers never record the same document at once. Raw
bytes are kept once per SHA-256. `tracker db upgrade` creates or updates the tables.
"""

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC
from urllib.parse import urlsplit

from tracker.archive import Checked, Moved, Prior, Version, pick_version, sha256, valid_name, version_id
from tracker.errors import ArchiveError


def _procrastinate_schema(db) -> str:
    """The schema of the installed Procrastinate, if the database has no job queue yet."""
    if db.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0]:
        return ""
    from procrastinate.schema import SchemaManager

    return SchemaManager.get_schema()


# Each step once, in order; tracker_schema holds how many were applied.
MIGRATIONS = (
    """
    CREATE TABLE tracker_documents (
        id bigserial PRIMARY KEY,
        service text NOT NULL,
        document text NOT NULL,
        latest text,                      -- id of the latest version; NULL before the first
        state json NOT NULL DEFAULT '{}', -- the last check (json keeps the keys' order, as the files do)
        UNIQUE (service, document)
    );
    CREATE TABLE tracker_raw (
        sha256 text PRIMARY KEY,
        kind text NOT NULL,
        content bytea NOT NULL
    );
    CREATE TABLE tracker_versions (
        document_id bigint NOT NULL REFERENCES tracker_documents,
        seq integer NOT NULL,             -- 1, 2, … in the order versions were recorded
        id text NOT NULL,
        text_sha256 text NOT NULL,
        raw_sha256 text REFERENCES tracker_raw,
        text text,                        -- NULL for a return to an earlier text (same_as)
        meta json NOT NULL,               -- the version as the plain-file store writes its .json
        PRIMARY KEY (document_id, seq),
        UNIQUE (document_id, id)
    );
    CREATE INDEX tracker_versions_text ON tracker_versions (document_id, text_sha256);
    CREATE TABLE tracker_health (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        health json NOT NULL
    );
    CREATE TABLE tracker_failures (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        what text NOT NULL,
        trace text NOT NULL
    );
    """,
    # checks as jobs (tracker.jobs): the hosts' turns, and the outcomes a waiting `tracker check` reads
    """
    CREATE TABLE tracker_hosts (
        host text PRIMARY KEY,
        not_before timestamptz NOT NULL   -- no request to the host before then (politeness)
    );
    CREATE TABLE tracker_outcomes (
        job_id bigint PRIMARY KEY,
        round text NOT NULL,              -- the checks enqueued together, which one waiter reads
        outcome json NOT NULL
    );
    CREATE INDEX tracker_outcomes_round ON tracker_outcomes (round);
    """,
    _procrastinate_schema,  # Procrastinate's own tables, unless they are there already
    # a waiting check looks for its round's failed jobs every poll: an index of the (few) failed ones
    """
    CREATE INDEX tracker_failed_jobs ON procrastinate_jobs ((args->>'round_id')) WHERE status = 'failed';
    """,
    # notifications (tracker.notify): what was sent to which target, as the file store's _state/notify.json
    """
    CREATE TABLE tracker_notifications (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        record json NOT NULL
    );
    """,
)
_SCHEMA_LOCK = 0x7472_6163_6b01  # advisory lock key: one `db upgrade` at a time
_NOTIFY_LOCK = 0x7472_6163_6b03  # advisory lock key: one process sending notifications at a time


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def connect(url: str):
    """One connection in autocommit mode (transactions are explicit); a clear error if it fails."""
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True)
    except psycopg.Error as error:
        raise ArchiveError(f"cannot connect to {redacted(url)}: {_first_line(error)}") from None


def upgrade(url: str) -> list[int]:
    """Apply the migrations the database lacks, in one transaction; returns their numbers."""
    with connect(url) as db, db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        db.execute("CREATE TABLE IF NOT EXISTS tracker_schema (version integer NOT NULL)")
        current = db.execute("SELECT max(version) FROM tracker_schema").fetchone()[0] or 0
        applied = []
        for number, step in enumerate(MIGRATIONS[current:], current + 1):
            sql = step(db) if callable(step) else step
            if sql:
                db.execute(sql)
            applied.append(number)
        if applied:
            db.execute("INSERT INTO tracker_schema VALUES (%s)", (applied[-1],))
    return applied


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


_POOLS: dict[tuple[int, str], object] = {}  # one connection pool per process and database
_POOLS_GUARD = threading.Lock()


class PgArchive:
    """An archive in a PostgreSQL database, shared by every process that reaches it."""

    def __init__(self, url: str):
        self.address = url
        self._pool = None

    def __str__(self) -> str:
        return redacted(self.address)

    @contextmanager
    def _db(self) -> Iterator:
        """A connection from this process's pool (checks run in threads; each takes its own)."""
        import psycopg

        if self._pool is None:
            self._pool = pool_for(self.address)
        try:
            with self._pool.connection() as db:
                yield db
        except psycopg.errors.UndefinedTable:
            raise ArchiveError(f"{self} lacks Pledge Tracker tables: run tracker --archive URL db upgrade") from None
        except psycopg.OperationalError as error:
            raise ArchiveError(f"{self}: {_first_line(error)}") from None

    # -- reading -------------------------------------------------------------

    def documents(self) -> list[tuple[str, str]]:
        with self._db() as db:
            rows = db.execute("SELECT service, document FROM tracker_documents WHERE latest IS NOT NULL "
                              "ORDER BY service, document").fetchall()
        return [tuple(row) for row in rows]

    def versions(self, service: str, document: str) -> list[Version]:
        """Versions of a document, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT v.meta FROM tracker_versions v JOIN tracker_documents d ON d.id = v.document_id "
                "WHERE d.service = %s AND d.document = %s ORDER BY v.seq", (service, document)).fetchall()
        return [as_version(meta) for (meta,) in rows]

    def version(self, service: str, document: str, version: str | None = None) -> Version:
        return pick_version(self.versions(service, document), f"{service}/{document}", version, self)

    def text(self, service: str, document: str, version: Version) -> str:
        with self._db() as db:
            row = db.execute(
                "SELECT v.text FROM tracker_versions v JOIN tracker_documents d ON d.id = v.document_id "
                "WHERE d.service = %s AND d.document = %s AND v.id = %s",
                (service, document, version.same_as or version.id)).fetchone()
        if row is None or row[0] is None:
            raise ArchiveError(f"{service}/{document} {version.id}: no text in {self}")
        return row[0]

    def raw(self, digest: str, kind: str) -> bytes | None:
        with self._db() as db:
            row = db.execute("SELECT content FROM tracker_raw WHERE sha256 = %s", (digest,)).fetchone()
        return bytes(row[0]) if row else None

    def states(self) -> dict[str, dict]:
        with self._db() as db:
            rows = db.execute("SELECT service, document, state FROM tracker_documents "
                              "WHERE state::text <> '{}' ORDER BY service, document").fetchall()
        return {f"{service}/{document}": state for service, document, state in rows}

    def counts(self) -> dict[tuple[str, str], int]:
        with self._db() as db:
            rows = db.execute("SELECT d.service, d.document, count(*) FROM tracker_versions v "
                              "JOIN tracker_documents d ON d.id = v.document_id GROUP BY 1, 2").fetchall()
        return {(service, document): n for service, document, n in rows}

    def prior(self, service: str, document: str) -> Prior:
        """The last check's state and the latest version, in one query."""
        with self._db() as db:
            row = db.execute(
                "SELECT d.state, v.meta FROM tracker_documents d LEFT JOIN tracker_versions v "
                "ON v.document_id = d.id AND v.id = d.latest WHERE d.service = %s AND d.document = %s",
                (service, document)).fetchone()
        if row is None:
            return Prior({}, None)
        return Prior(row[0], as_version(row[1]) if row[1] else None)

    def health(self) -> dict:
        with self._db() as db:
            row = db.execute("SELECT health FROM tracker_health").fetchone()
        return row[0] if row else {}

    def notified(self) -> dict:
        """The record of notifications as last committed ({} before any), without the lock."""
        with self._db() as db:
            return _notified(db)

    # -- writing -------------------------------------------------------------

    def commit(self, checked: Checked) -> Version | None:
        """The check's version (if any), its raw bytes and its state in one transaction, under a
        lock on the document's row; raises Moved, writing nothing, if the latest version is no
        longer the draft's base."""
        from psycopg.types.json import Json

        for name in (checked.service, checked.document):
            valid_name(name)
        draft, version = checked.draft, None
        with self._db() as db, db.transaction():
            db.execute("INSERT INTO tracker_documents (service, document) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                       (checked.service, checked.document))
            document, latest = db.execute(
                "SELECT id, latest FROM tracker_documents WHERE service = %s AND document = %s FOR UPDATE",
                (checked.service, checked.document)).fetchone()
            if draft:
                if latest != draft.base:
                    raise Moved
                version = self._insert(db, document, draft)
            if checked.state is not None:
                db.execute("UPDATE tracker_documents SET state = %s WHERE id = %s", (Json(checked.state), document))
        return version

    @staticmethod
    def _insert(db, document: int, draft) -> Version:
        """The draft as the document's next version: its id (the next free one in its second), its
        return to an earlier text if any; the document's row is locked."""
        text_hash = sha256(draft.text.encode("utf-8"))
        wanted = version_id(draft.fetched_at)
        taken = {row[0] for row in db.execute(
            "SELECT id FROM tracker_versions WHERE document_id = %s AND (id = %s OR id LIKE %s)",
            (document, wanted, wanted + "-%"))}
        vid, n = wanted, 1
        while vid in taken:
            vid, n = f"{wanted}-{n}", n + 1
        earlier = db.execute("SELECT id, meta->>'same_as' FROM tracker_versions WHERE document_id = %s "
                             "AND text_sha256 = %s ORDER BY seq DESC LIMIT 1", (document, text_hash)).fetchone()
        raw_hash = sha256(draft.raw)
        version = Version(
            id=vid,
            fetched_at=draft.fetched_at.astimezone(UTC).isoformat(timespec="seconds"),
            url=draft.url,
            text_sha256=text_hash,
            raw_sha256=raw_hash,
            kind=draft.kind,
            previous=draft.base,
            same_as=(earlier[1] or earlier[0]) if earlier else None,
            lang=draft.lang,
            changes=tuple(draft.changes),
            third_parties=tuple(draft.third_parties),
            via=draft.via,
        )
        _append(db, document, version, None if version.same_as else draft.text, draft.raw)
        return version

    def copy_version(self, service: str, document: str, version: Version, text: str | None,
                     raw: bytes | None) -> None:
        """Append a version as another archive holds it (same id, links and hashes): an import."""

        valid_name(service)
        valid_name(document)
        with self._db() as db, db.transaction():
            db.execute("INSERT INTO tracker_documents (service, document) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                       (service, document))
            (number,) = db.execute("SELECT id FROM tracker_documents WHERE service = %s AND document = %s "
                                   "FOR UPDATE", (service, document)).fetchone()
            _append(db, number, version, text, raw)

    def save_states(self, states: dict[str, dict]) -> None:
        from psycopg.types.json import Json

        with self._db() as db, db.transaction():
            for key, state in states.items():
                service, _, document = key.partition("/")
                db.execute("INSERT INTO tracker_documents (service, document, state) VALUES (%s, %s, %s) "
                           "ON CONFLICT (service, document) DO UPDATE SET state = excluded.state",
                           (service, document, Json(state)))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Nothing to gather: each commit is its own transaction."""
        yield

    def flush(self) -> None:
        """Nothing held back (see batch)."""

    def save_health(self, health: dict) -> None:
        from psycopg.types.json import Json

        with self._db() as db:
            db.execute("INSERT INTO tracker_health VALUES (true, %s) ON CONFLICT (one) DO UPDATE "
                       "SET health = excluded.health", (Json(health),))

    @contextmanager
    def notifications(self) -> Iterator[tuple[dict, Callable[[], None]]]:
        """The record of notifications sent, and a function that saves it, under a session advisory
        lock held for the block: two runs on any machines never send at once, and a run killed
        mid-block lets go with its connection. Each save is its own transaction, committed with
        synchronous_commit on whatever the server's default: once save() returns, a crash cannot
        undo it (decision record 21)."""
        from psycopg.types.json import Json

        with self._db() as db:
            db.execute("SELECT pg_advisory_lock(%s)", (_NOTIFY_LOCK,))
            try:
                record = _notified(db)

                def save() -> None:
                    with db.transaction():
                        db.execute("SET LOCAL synchronous_commit = on")
                        db.execute("INSERT INTO tracker_notifications VALUES (true, %s) ON CONFLICT (one) "
                                   "DO UPDATE SET record = excluded.record", (Json(record),))

                yield record, save
            finally:
                db.execute("SELECT pg_advisory_unlock(%s)", (_NOTIFY_LOCK,))

    def log_failure(self, what: str, trace: str) -> str:
        """Keep an unexpected failure's traceback in tracker_failures; says where it went."""
        with self._db() as db:
            number = db.execute("INSERT INTO tracker_failures (what, trace) VALUES (%s, %s) RETURNING id",
                                (what, trace)).fetchone()[0]
        return f"tracker_failures #{number}"

    # -- upkeep: the database keeps itself whole ------------------------------

    def mend(self, problems: list[str]) -> list[str]:
        return []

    def sync_index(self, found: dict[tuple[str, str], list[Version]]) -> list[str]:
        return []

    def reindex(self) -> tuple[int, int]:
        """No index to rebuild (the tables are the truth): the counts it would have held."""
        counts = self.counts()
        return sum(counts.values()), len(counts)


def _append(db, document: int, version: Version, text: str | None, raw: bytes | None) -> None:
    """Insert a version after the document's latest (its row locked), its raw bytes first (once per hash)."""
    from psycopg.types.json import Json

    if raw is not None:
        db.execute("INSERT INTO tracker_raw VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                   (version.raw_sha256, version.kind, raw))
    db.execute(
        "INSERT INTO tracker_versions SELECT %s, coalesce(max(seq), 0) + 1, %s, %s, %s, %s, %s "
        "FROM tracker_versions WHERE document_id = %s",
        (document, version.id, version.text_sha256, version.raw_sha256 if raw is not None else None, text,
         Json(asdict(version)), document))
    db.execute("UPDATE tracker_documents SET latest = %s WHERE id = %s", (version.id, document))


def _notified(db) -> dict:
    row = db.execute("SELECT record FROM tracker_notifications").fetchone()
    return row[0] if row else {}


def as_version(meta: dict) -> Version:
    """A Version from its metadata as stored (lists where the dataclass has tuples)."""
    return Version(**{**meta, "changes": tuple(meta.get("changes", ())),
                      "third_parties": tuple(meta.get("third_parties", ()))})


def pool_for(url: str):
    """This process's connection pool for the database (a forked process makes its own)."""
    from psycopg_pool import ConnectionPool

    key = (os.getpid(), url)
    with _POOLS_GUARD:  # a check's threads ask at once: one pool, not one each
        if key not in _POOLS:
            connect(url).close()  # a clear error now rather than a pool retrying in the background
            # check: a connection the server dropped (a restart) is replaced before use, not handed out
            _POOLS[key] = ConnectionPool(url, min_size=1, max_size=16, kwargs={"autocommit": True}, open=True,
                                         check=ConnectionPool.check_connection)
        return _POOLS[key]

