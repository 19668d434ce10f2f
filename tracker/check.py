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
from tracker.fetch import Client, Limits, Snapshot, new_client
from tracker.watchlist import Source, public_url

NEW, CHANGED, UNCHANGED, HELD, FAILED = "new", "changed", "unchanged", "held", "failed"
SUSPECT_RATIO = 0.5  # a text this much shorter than the last version is held until seen twice


@dataclass(frozen=True)
class Outcome:
    """What one check of one source came to; `held` is the hash of a suspect text."""

    source: Source
    status: str
    version: Version | None = None
    error: str | None = None
    held: str | None = None


def check_all(
    sources: Iterable[Source],
    archive: Archive,
    workers: int = 8,
    limits: Limits = Limits(),
    allow_file: bool = False,
    now: datetime | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Check sources concurrently; one failing source never stops the others."""
    sources = list(sources)
    client = new_client(workers, limits, allow_file)

    def one(source: Source) -> Outcome:
        outcome = check_source(source, archive, client, now=now)
        if on_done:
            on_done(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(sources)))) as pool:
        return list(pool.map(one, sources))


def check_source(source: Source, archive: Archive, client: Client, now: datetime | None = None) -> Outcome:
    """Fetch, extract and archive one source, recording the check in its state."""
    state = archive.state(source.service, source.document)
    checked_at = now or datetime.now(UTC)
    same_url = state.get("url") == public_url(source.url)
    try:
        snapshot = client.fetch(
            source.url,
            etag=state.get("etag") if same_url else None,
            last_modified=state.get("last_modified") if same_url else None,
        )
        outcome = _archive(source, archive, snapshot, state if same_url else {}, checked_at)
    except TrackerError as error:
        snapshot, outcome = None, Outcome(source, FAILED, error=str(error))
    _save_state(archive, outcome, state, checked_at, snapshot)
    return outcome


def _archive(source: Source, archive: Archive, snapshot: Snapshot, state: dict, checked_at: datetime) -> Outcome:
    if state.get("raw") and (snapshot.not_modified or sha256(snapshot.content) == state["raw"]):
        return Outcome(source, UNCHANGED)
    kind = sniff(snapshot.content, snapshot.content_type, snapshot.final_url)
    text = extract(snapshot.content, kind, snapshot.charset, source.select, source.remove)
    text_hash = sha256(text.encode("utf-8"))
    with archive.lock(source.service, source.document):
        versions = archive.versions(source.service, source.document)
        latest = versions[-1] if versions else None
        if latest and latest.text_sha256 == text_hash:
            return Outcome(source, UNCHANGED)
        from tracker.compare import compare, detect_language

        lang = source.lang or detect_language(text)
        changes = []
        if latest:
            old_text = archive.text(source.service, source.document, latest)
            if len(text) < SUSPECT_RATIO * len(old_text) and state.get("held") != text_hash:
                shorter = 100 - round(100 * len(text) / len(old_text))
                return Outcome(source, HELD, held=text_hash, error=(
                    f"the text is {shorter}% shorter than the last version (an error page?); "
                    "it is recorded if a later check sees it again"))
            changes = [change.to_dict() for change in compare(old_text, text, lang)]
        # raw bytes are kept with the versions they made, not for every markup-only change
        version = archive.record(
            source.service,
            source.document,
            text,
            fetched_at=checked_at,
            url=public_url(snapshot.final_url),
            raw_sha256=archive.store_raw(snapshot.content, kind),
            kind=kind,
            lang=lang,
            changes=changes,
        )
    return Outcome(source, CHANGED if latest else NEW, version=version)


def _save_state(archive: Archive, outcome: Outcome, state: dict, checked_at: datetime, snapshot: Snapshot | None) -> None:
    source = outcome.source
    when = checked_at.isoformat(timespec="seconds")
    new = {**state, "url": public_url(source.url), "checked_at": when, "status": outcome.status,
           "error": outcome.error}
    if snapshot is None:
        new["failing_since"] = state.get("failing_since") or when
        new["failures"] = state.get("failures", 0) + 1
        archive.save_state(source.service, source.document, new)
        return
    new.update(failing_since=None, failures=0, last_success=when, held=outcome.held)
    if not snapshot.not_modified and outcome.status != HELD:  # a held text is read again next time
        new.update(raw=sha256(snapshot.content), final_url=public_url(snapshot.final_url))
    new.update(etag=snapshot.etag or state.get("etag"), last_modified=snapshot.last_modified or state.get("last_modified"))
    archive.save_state(source.service, source.document, new)
