"""Check: fetch each source, and archive a new version when its text changed.

An unchanged response (304, or the same raw bytes as last time) costs a hash
and nothing more: no parsing, no comparison.
"""

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from tracker.archive import Archive, Version, sha256
from tracker.errors import TrackerError
from tracker.extract import extract, sniff
from tracker.fetch import Limits, Snapshot, fetch, new_session
from tracker.watchlist import Source

NEW, CHANGED, UNCHANGED, FAILED = "new", "changed", "unchanged", "failed"


@dataclass(frozen=True)
class Outcome:
    """What one check of one source came to."""

    source: Source
    status: str
    version: Version | None = None
    error: str | None = None


def check_all(
    sources: Iterable[Source],
    archive: Archive,
    workers: int = 8,
    limits: Limits = Limits(),
    now: datetime | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Check sources concurrently; one failing source never stops the others."""
    sources = list(sources)
    session = new_session(pool_size=workers)

    def one(source: Source) -> Outcome:
        outcome = check_source(source, archive, session=session, limits=limits, now=now)
        if on_done:
            on_done(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(sources)))) as pool:
        return list(pool.map(one, sources))


def check_source(
    source: Source,
    archive: Archive,
    session=None,
    limits: Limits = Limits(),
    now: datetime | None = None,
) -> Outcome:
    """Fetch, extract and archive one source, recording the check in its state."""
    state = archive.state(source.service, source.document)
    checked_at = now or datetime.now(UTC)
    try:
        snapshot = fetch(
            source.url,
            session,
            etag=state.get("etag") if state.get("url") == source.url else None,
            last_modified=state.get("last_modified") if state.get("url") == source.url else None,
            limits=limits,
        )
        outcome = _archive(source, archive, snapshot, state, checked_at)
    except TrackerError as error:
        snapshot, outcome = None, Outcome(source, FAILED, error=str(error))
    _save_state(archive, outcome, state, checked_at, snapshot)
    return outcome


def _archive(source: Source, archive: Archive, snapshot: Snapshot, state: dict, checked_at: datetime) -> Outcome:
    has_versions = bool(state.get("raw")) and state.get("url") == source.url
    if has_versions and (snapshot.not_modified or sha256(snapshot.content) == state["raw"]):
        return Outcome(source, UNCHANGED)
    kind = sniff(snapshot.content, snapshot.content_type, snapshot.final_url)
    text = extract(snapshot.content, kind, snapshot.charset, source.select, source.remove)
    with archive.lock(source.service, source.document):
        versions = archive.versions(source.service, source.document)
        latest = versions[-1] if versions else None
        if latest and latest.text_sha256 == sha256(text.encode("utf-8")):
            return Outcome(source, UNCHANGED)
        from tracker.compare import compare, detect_language

        lang = source.lang or detect_language(text)
        changes = []
        if latest:
            old_text = archive.text(source.service, source.document, latest)
            changes = [change.to_dict() for change in compare(old_text, text, lang)]
        # raw bytes are kept with the versions they made, not for every markup-only change
        version = archive.record(
            source.service,
            source.document,
            text,
            fetched_at=checked_at,
            url=snapshot.final_url,
            raw_sha256=archive.store_raw(snapshot.content, kind),
            kind=kind,
            lang=lang,
            changes=changes,
        )
    return Outcome(source, CHANGED if latest else NEW, version=version)


def _save_state(archive: Archive, outcome: Outcome, state: dict, checked_at: datetime, snapshot: Snapshot | None) -> None:
    source = outcome.source
    when = checked_at.isoformat(timespec="seconds")
    new = {**state, "url": source.url, "checked_at": when, "status": outcome.status, "error": outcome.error}
    if snapshot is None:
        new["failing_since"] = state.get("failing_since") or when
        new["failures"] = state.get("failures", 0) + 1
    else:
        new.update(failing_since=None, failures=0, last_success=when)
        if not snapshot.not_modified:
            new.update(raw=sha256(snapshot.content), final_url=snapshot.final_url)
        new.update(etag=snapshot.etag or state.get("etag"), last_modified=snapshot.last_modified or state.get("last_modified"))
    archive.save_state(source.service, source.document, new)
