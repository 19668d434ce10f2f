"""Notifications: each change told once to each target of the watchlist's [notify] table,
by webhook (a JSON POST, signed with HMAC-SHA256 when a secret is set), by e-mail, or
through Apprise when it is installed (any service it knows): tracker.senders sends.

Exactly once across crashes: before a send, the change is written as "sending" to the
archive's record (durably: _state/notify.json, or a table in PostgreSQL), after it as
"sent". A run that finds a change still "sending" was killed between the two writes
and sends it again: at most one duplicate, never a loss. A failed send is retried on
later runs, with backoff, and shown on the status page; it never fails the check.
Credentials in a target's URL are never written to the state, the site, the feeds or
a log: targets are named by their label.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tracker.archive import Store
from tracker.errors import TrackerError, WatchlistError, internal_error
from tracker.senders import WEBHOOK_SCHEMES, NotifyError, apprise_knows, send
from tracker.watchlist import NOTIFY, parse_interval, section, slugify

LOSSES, ALL = "losses", "all"
RETRY_FIRST = timedelta(minutes=1)  # after a failure; doubled each time, up to RETRY_MAX
RETRY_MAX = timedelta(hours=6)
TARGET_KEYS = ("url", "service", "only", "secret", "every")  # in the order notify add writes them


@dataclass(frozen=True)
class Target:
    """Where changes are sent, and which ones."""

    url: str
    service: str | None = None  # only this service's changes
    only: str = LOSSES  # "losses": changes that remove or weaken a pledge; "all": every change
    secret: str | None = None  # webhook: the key of the signature
    every: str | None = None  # e-mail, Apprise: one digest per interval instead of one message per change

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme.lower()

    @property
    def label(self) -> str:
        """The target as the status page and logs name it: no credentials, no path or query
        (where webhook tokens live), no full address."""
        parts = urlsplit(self.url)
        if self.scheme == "mailto":
            return f"e-mail to …@{parts.path.rpartition('@')[2]}"
        if self.scheme in ("smtp", "smtps"):
            to = parse_qs(parts.query).get("to", [""])[0]
            return f"e-mail to …@{to.rpartition('@')[2]} via {parts.hostname}"
        if self.scheme not in WEBHOOK_SCHEMES:
            return f"Apprise {self.scheme}://…"
        port = f":{parts.port}" if parts.port else ""
        return f"webhook {self.scheme}://{parts.hostname}{port}/…"

    @property
    def id(self) -> str:
        """A stable name for the state file: a hash, so no credential is written there."""
        key = json.dumps([self.url, self.service, self.only, self.every])
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def wants(self, change) -> bool:
        return (self.service in (None, change.service)) and (self.only == ALL or bool(change.losses))


@dataclass(frozen=True)
class Settings:
    """The [notify] table: its targets, and the mail server that mailto: targets go through."""

    targets: tuple[Target, ...] = ()
    smtp: str = "smtp://localhost"
    sender: str = "pledge-tracker@localhost"
    unsubscribe: str | None = None  # the List-Unsubscribe address; else a mail to the sender


def settings(watchlist: Path) -> Settings:
    """The [notify] table of a watchlist file; a WatchlistError says what is wrong in it."""
    table = section(watchlist, NOTIFY)
    unknown = set(table) - {"target", "smtp", "from", "unsubscribe"}
    if unknown:
        raise WatchlistError(f"[{NOTIFY}]: unknown key(s) {', '.join(sorted(unknown))}")
    entries = table.get("target", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise WatchlistError(f"[{NOTIFY}]: write each target as [[{NOTIFY}.target]] with a url")
    targets = []
    for n, entry in enumerate(entries, 1):
        unknown = set(entry) - set(TARGET_KEYS)
        if unknown or "url" not in entry:
            what = f"unknown key(s) {', '.join(sorted(unknown))}" if unknown else "no url"
            raise WatchlistError(f"[[{NOTIFY}.target]] #{n}: {what}")
        try:
            targets.append(check_target(Target(**entry)))
        except WatchlistError as error:
            raise WatchlistError(f"[[{NOTIFY}.target]] #{n}: {error}") from None
    return Settings(tuple(targets), table.get("smtp", Settings.smtp), table.get("from", Settings.sender),
                    table.get("unsubscribe"))


def check_target(target: Target) -> Target:
    """The target if it can be used; a WatchlistError naming what is wrong otherwise (never the URL:
    it may hold a password)."""
    parts = urlsplit(target.url)
    if target.scheme in WEBHOOK_SCHEMES:
        if not parts.hostname:
            raise WatchlistError("a webhook URL needs a host: http(s)://host/path")
        if target.every:
            raise WatchlistError("every (a digest) is for e-mail and Apprise targets, not webhooks")
    elif target.scheme == "mailto":
        if "@" not in parts.path:
            raise WatchlistError("a mailto: URL needs an address: mailto:someone@example.org")
    elif target.scheme in ("smtp", "smtps"):
        if not parts.hostname or "@" not in parse_qs(parts.query).get("to", [""])[0]:
            raise WatchlistError("an smtp:// URL needs a server and an address: smtp://host:587?to=someone@example.org")
    elif not apprise_knows(target.url):
        raise WatchlistError("a notification URL starts with http://, https://, mailto:, smtp:// or smtps://, "
                             "or is an Apprise URL (with Apprise installed: pip install apprise)")
    if target.only not in (LOSSES, ALL):
        raise WatchlistError(f"invalid only {target.only!r}: expected 'losses' or 'all'")
    if target.secret is not None and target.scheme not in WEBHOOK_SCHEMES:
        raise WatchlistError("secret (a signature) is for webhook targets only")
    if target.every:
        parse_interval(target.every)
    if target.service is not None and slugify(target.service) != target.service:
        raise WatchlistError(f"service {target.service!r} is not a service's name: write {slugify(target.service)!r}")
    return target


def start(archive: Store, targets: Iterable[Target], now: datetime | None = None) -> None:
    """Note when each new target was first seen: it is told of the changes recorded from then
    on, not of the whole history. Called before a check, so that a target added with
    `tracker notify add` hears of the very next change."""
    targets = list(targets)
    if not targets:
        return
    when = _iso(now or datetime.now(UTC))
    with archive.notifications() as (record, save):
        new = [t for t in targets if t.id not in record]
        for target in new:
            record[target.id] = {"label": target.label, "since": when, "sent": {}, "sending": {}, "failed": {}}
        if new:
            save()


def deliver(archive: Store, settings: Settings, changes: list, now: datetime | None = None,
            log: Callable[[str], None] = print) -> int:
    """Send every change each target has not had yet (newest changes last); returns how many
    messages went out. `changes`: tracker.site.model Changes, oldest first."""
    if not settings.targets:
        return 0
    start(archive, settings.targets, now)
    now = now or datetime.now(UTC)
    sent = 0
    with archive.notifications() as (record, save):
        for target in settings.targets:
            mine = record[target.id]
            due = [c for c in changes if target.wants(c) and c.version.fetched_at >= mine["since"]
                   and c.key not in mine["sent"] and _may_retry(mine["failed"].get(c.key), now)]
            if not due:
                continue
            if target.every:  # a digest: every change due in one message, once per interval
                last = mine.get("digest_at")
                if last and now < datetime.fromisoformat(last) + timedelta(seconds=parse_interval(target.every)):
                    continue
                batches = [due]
            else:
                batches = [[c] for c in due]
            for batch in batches:
                keys = [c.key for c in batch]
                mine["sending"].update({k: _iso(now) for k in keys})
                save()  # before sending: a crash from here on sends it again, never never
                try:
                    send(target, settings, batch)
                except NotifyError as error:
                    for key in keys:
                        failed = mine["failed"].get(key, {"attempts": 0})
                        attempts = failed["attempts"] + 1
                        wait = min(RETRY_FIRST * 2 ** (attempts - 1), RETRY_MAX)
                        mine["failed"][key] = {"attempts": attempts, "error": str(error),
                                               "at": _iso(now), "next_try": _iso(now + wait)}
                        mine["sending"].pop(key, None)
                    log(f"not notified: {target.label}: {error} (tried {attempts} time(s); "
                        f"again after {_iso(now + wait)})")
                else:
                    log(f"notified {target.label}: {', '.join(keys)}")
                    for key in keys:
                        mine["sent"][key] = _iso(now)
                        mine["sending"].pop(key, None)
                        mine["failed"].pop(key, None)
                    if target.every:
                        mine["digest_at"] = _iso(now)
                    sent += 1
                save()
    return sent


def failures(archive: Store) -> list[dict]:
    """The changes not delivered yet after a failure, by target label, for the status page."""
    return [{"target": mine["label"], "change": key, **mine["failed"][key]}
            for mine in archive.notified().values() for key in sorted(mine["failed"])]


def before_check(archive: Store, watchlist: Path, log: Callable[[str], None] = print) -> None:
    """start() for the targets of a watchlist; a problem is logged, never raised: notifications
    never fail a check."""
    try:
        targets = settings(watchlist).targets
    except WatchlistError:
        return  # after_check() says what is wrong with them, once
    _safely(archive, log, lambda: start(archive, targets))


def after_check(archive: Store, watchlist: Path, sources, changed: bool = True,
                log: Callable[[str], None] = print, now: datetime | None = None) -> None:
    """Send what the check recorded, and what failed before once its retry is due; a problem
    is logged, never raised."""

    def send() -> None:
        config = settings(watchlist)
        if not config.targets or not (changed or _retry_due(archive, now or datetime.now(UTC))):
            return
        from tracker.site import model

        changes = sorted((c for s in model.read(archive, tuple(sources), {}) for c in s.changes),
                         key=lambda c: c.version.fetched_at)
        deliver(archive, config, changes, now, log)

    _safely(archive, log, send)


def _safely(archive: Store, log: Callable[[str], None], work: Callable[[], None]) -> None:
    try:
        work()
    except TrackerError as error:
        log(f"notifications not sent: {error}")
    except Exception as error:  # noqa: BLE001 -- a bug here must not fail the check that ran
        log("notifications not sent: " + internal_error(error, archive.log_failure, "sending notifications"))


def _retry_due(archive: Store, now: datetime) -> bool:
    """Whether a failed send is due again, or a run was killed while sending."""
    return any(mine["sending"] or any(_may_retry(f, now) for f in mine["failed"].values())
               for mine in archive.notified().values())


def _may_retry(failed: dict | None, now: datetime) -> bool:
    return failed is None or now >= datetime.fromisoformat(failed["next_try"])


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")
