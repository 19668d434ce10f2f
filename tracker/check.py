"""Check: fetch each source, and archive a new version when its text changed.

An unchanged response (304, or the same raw bytes as last time) costs a hash
and nothing more: no parsing, no comparison.

A source's `browser` mode says when its page is fetched with a browser: "auto"
fetches plainly first and tries the browser once when the site refuses plain
clients, sends them round in circles, or the select rules find no text; "always"
and "never" mean what they say.
"""

import dataclasses
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from tracker.archive import Checked, Draft, Moved, Store, Version, sha256
from tracker.browser import Browser
from tracker.errors import ExtractError, FetchError, TrackerError, internal_error
from tracker.extract import sniff
from tracker.fetch import Client, Limits, RedirectLoop, Snapshot, new_client
from tracker.processes import IN_THREAD, ProcessPool
from tracker.reading import read_against
from tracker.watchlist import ALWAYS, AUTO, NEVER, Source, public_url

NEW, CHANGED, UNCHANGED, HELD, FAILED = "new", "changed", "unchanged", "held", "failed"
SUSPECT_RATIO = 0.5  # a text this much shorter than the last version is held until seen twice
VIA_BROWSER = "browser"

# What a site that refuses plain clients answers instead of the page.
_BLOCKED_STATUS = {403, 406}
_CHALLENGE_MAX_BYTES = 64 * 1024  # a challenge page is small; a long page naming a marker is a real page
_CHALLENGE_MARKERS = (b"cf-chl", b"challenge-platform", b"just a moment",
                      b"enable javascript and cookies", b"_incapsula_resource", b"px-captcha")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


@dataclass(frozen=True)
class Outcome:
    """What one check of one source came to; `held` is the hash of a suspect text."""

    source: Source
    status: str
    version: Version | None = None
    error: str | None = None
    held: str | None = None
    via: str = ""  # "browser" when the page was fetched with one
    draft: Draft | None = None  # the new text, until the archive records it as `version`


class _NeedsBrowser(Exception):
    """The page is to be fetched with a browser: always, or after a bot-protection challenge page."""


def check_all(
    sources: Iterable[Source],
    archive: Store,
    workers: int = 8,
    limits: Limits = Limits(),
    allow_file: bool = False,
    now: datetime | None = None,
    on_done: Callable[[Outcome], None] | None = None,
    browser: Browser | None = None,
    pool: ProcessPool | None = None,
) -> list[Outcome]:
    """Check sources concurrently; one failing source never stops the others.

    One browser serves the whole run (started only if a source needs it) and is
    closed at the end; pass one to share it with the caller instead. Pages that
    changed are read and compared in worker processes when the run is large: in
    `pool` if given (the caller started it earlier, and closes it to wait for its
    workers), else in a pool started here; either is shut down once every page is read."""
    sources = list(sources)
    run_pool = pool or ProcessPool.for_run(len(sources))
    client = new_client(limits, allow_file)
    run_browser = browser or Browser()

    def one(source: Source) -> Outcome:
        outcome = check_source(source, archive, client, now=now, browser=run_browser, pool=run_pool)
        if on_done:
            on_done(outcome)
        return outcome

    try:
        with archive.batch():
            threads = ThreadPoolExecutor(max_workers=max(1, min(workers, len(sources))))
            try:
                outcomes = list(threads.map(one, sources))
            finally:  # after Ctrl-C, no wait for a fetch under way (a kept-alive connection waits its read timeout)
                threads.shutdown(wait=False, cancel_futures=True)
            run_pool.close(wait=False)  # every page is read: the workers exit while the states are written
        return outcomes
    finally:
        if pool is None:
            run_pool.close()
        if browser is None:
            run_browser.close()


def check_source(
    source: Source,
    archive: Store,
    client: Client,
    now: datetime | None = None,
    browser: Browser | None = None,
    pool: ProcessPool = IN_THREAD,
) -> Outcome:
    """Fetch, extract and archive one source, recording the check in its state.

    The archive is asked once before fetching (`prior`) and handed the outcome once after
    (`commit`). Without a browser given, one is started for this check alone if the source needs it."""
    if browser is None:
        with Browser() as own:
            return check_source(source, archive, client, now, own, pool)
    prior = archive.prior(source.service, source.document)
    state = prior.state
    checked_at = now or datetime.now(UTC)
    same_url = state.get("url") == public_url(source.url)
    known = state if same_url else {}
    snapshot, via, parties = None, "", ()
    try:
        try:
            if source.browser == ALWAYS and _browsable(source.url):
                raise _NeedsBrowser
            snapshot = client.fetch(
                source.url, etag=known.get("etag"), last_modified=known.get("last_modified")
            )
            if (source.browser == AUTO and _browsable(source.url) and not _unchanged(snapshot, known)
                    and _is_challenge(snapshot)):
                raise _NeedsBrowser("the site answered with a bot check (a challenge page)")
            outcome = _record(source, archive, prior.latest, snapshot, known, checked_at, pool)
        except (_NeedsBrowser, FetchError, ExtractError) as error:
            if not isinstance(error, _NeedsBrowser) and not _browser_may_help(source, error):
                raise
            via, snapshot = VIA_BROWSER, None
            try:
                page = browser.fetch(source.url, source.select)
                if _is_challenge(page.snapshot):
                    raise FetchError("the site answered with a bot check (a challenge page)")
                snapshot, parties = page.snapshot, page.third_parties
                outcome = _record(source, archive, prior.latest, snapshot, known, checked_at, pool, parties, via)
            except TrackerError as failure:
                failure.args = (_in_browser(str(error), str(failure)),)
                raise
    except TrackerError as error:
        message = str(error)
        if source.browser == NEVER and isinstance(error, ExtractError) and error.no_text:
            message += '; if a script writes the text, browser = "auto" tries a browser'
        snapshot, outcome = None, Outcome(source, FAILED, error=message)
    except Exception as error:  # a bug (ours or a library's): this source fails, the run goes on
        snapshot, outcome = None, Outcome(source, FAILED, error=internal_error(
            error, archive.log_failure, f"checking {source.key} ({source.url})"))
    if via:
        outcome = dataclasses.replace(outcome, via=via)
    while True:
        new_state = _new_state(outcome, state, checked_at, snapshot, parties)
        try:
            version = archive.commit(Checked(source.service, source.document, new_state, outcome.draft))
            return dataclasses.replace(outcome, version=version, draft=None)
        except Moved:  # another run recorded a version meanwhile: the text is compared with that one
            latest = archive.prior(source.service, source.document).latest
            outcome = dataclasses.replace(
                _record(source, archive, latest, snapshot, known, checked_at, pool, parties, via), via=via)


def _in_browser(plain: str, failure: str) -> str:
    """One line for a browser's failure, after what the plain fetch met (if it was tried)."""
    if not plain:
        return f"in a browser: {failure}"
    if plain == failure:
        return f"{failure} (in a browser too)"
    return f"{plain}; in a browser: {failure}"


def _browsable(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def _browser_may_help(source: Source, error: TrackerError) -> bool:
    """Whether a plain fetch's failure is one a browser may get past: a refusal, redirects
    round in circles, or no text (a consent wall, which the extractor drops, or a page whose
    scripts write the text)."""
    if source.browser != AUTO or not _browsable(source.url):
        return False
    if isinstance(error, ExtractError):
        return error.no_text
    if isinstance(error, RedirectLoop):
        return True
    status = error.status
    return status in _BLOCKED_STATUS or (status == 429 and not error.retry_after)


def _unchanged(snapshot: Snapshot, state: dict) -> bool:
    """The same bytes as last time (or a 304): nothing to read, and no challenge page either."""
    return bool(state.get("raw")) and (snapshot.not_modified or snapshot.digest == state["raw"])


def _is_challenge(snapshot: Snapshot) -> bool:
    """A small bot-protection challenge page ("Just a moment…", a captcha) rather than the document."""
    if snapshot.not_modified or len(snapshot.content) > _CHALLENGE_MAX_BYTES:
        return False
    lowered = snapshot.content.lower()
    if any(marker in lowered for marker in _CHALLENGE_MARKERS):
        return True
    title = _TITLE.search(lowered)
    return bool(title and b"captcha" in title.group(1))  # a policy may name reCAPTCHA in its text


def _record(
    source: Source, archive: Store, latest: Version | None, snapshot: Snapshot, state: dict, checked_at: datetime,
    pool: ProcessPool, third_parties: tuple[str, ...] = (), via: str = "",
) -> Outcome:
    """The outcome of a fetched page against the latest version, with a draft if its text changed."""
    if _unchanged(snapshot, state):
        return Outcome(source, UNCHANGED)
    kind = sniff(snapshot.content, snapshot.content_type, snapshot.final_url)
    page = (snapshot.content, kind, snapshot.charset, source.select, source.remove, source.lang)
    old_text = archive.text(source.service, source.document, latest) if latest else None
    # read and compared in one round trip to the pool process
    text, lang, changes = pool.run(read_against, *page, old_text)
    text_hash = sha256(text.encode("utf-8"))
    if latest and latest.text_sha256 == text_hash:
        return Outcome(source, UNCHANGED)
    if old_text is not None and len(text) < SUSPECT_RATIO * len(old_text) and state.get("held") != text_hash:
        shorter = 100 - round(100 * len(text) / len(old_text))
        return Outcome(source, HELD, held=text_hash, error=(
            f"the text is {shorter}% shorter than the last version (an error page?); "
            "it is recorded if a later check sees it again"))
    draft = Draft(text, snapshot.content, kind, checked_at, public_url(snapshot.final_url), lang,
                  tuple(changes or ()), latest.id if latest else None, tuple(third_parties), via)
    return Outcome(source, CHANGED if latest else NEW, draft=draft)


def _new_state(
    outcome: Outcome,
    state: dict,
    checked_at: datetime,
    snapshot: Snapshot | None,
    third_parties: tuple[str, ...] = (),
) -> dict:
    source = outcome.source
    when = checked_at.isoformat(timespec="seconds")
    new = {**state, "url": public_url(source.url), "checked_at": when, "status": outcome.status,
           "error": outcome.error}
    if snapshot is None:
        new["failing_since"] = state.get("failing_since") or when
        new["failures"] = state.get("failures", 0) + 1
        return new
    new.update(failing_since=None, failures=0, last_success=when, held=outcome.held)
    if not snapshot.not_modified and outcome.status != HELD:  # a held text is read again next time
        new.update(raw=snapshot.digest, final_url=public_url(snapshot.final_url))
    if outcome.via == VIA_BROWSER:
        # no validators: a 304 for the page's markup says nothing about the text its scripts write
        new.update(etag=None, last_modified=None, via=VIA_BROWSER,
                   third_parties=list(third_parties))
        return new
    new.pop("via", None)
    new.pop("third_parties", None)
    new.update(etag=snapshot.etag or state.get("etag"),
               last_modified=snapshot.last_modified or state.get("last_modified"))
    return new
