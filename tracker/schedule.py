"""Run unattended: APScheduler checks each source at its interval and rebuilds the site.

One job per source; a job never overlaps itself (max_instances=1) and missed
runs are coalesced into one, so a sleeping laptop does not fire a burst of
checks. The first run of a source follows its last check, so a restart does
not check everything at once. Edits to the watchlist are picked up while running.
"""

import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracker import notify
from tracker.archive import Store
from tracker.check import CHANGED, FAILED, NEW, Outcome, check_source
from tracker.errors import TrackerError, WatchlistError, internal_error
from tracker.fetch import new_client
from tracker.watchlist import Source, load

RELOAD_SECONDS = 30  # how often the watchlist file is looked at for edits
FLUSH_SECONDS = 5  # how often the last-check states of finished checks are written


def run_forever(
    watchlist: Path,
    archive: Store,
    out: Path,
    workers: int = 4,
    base_url: str = "",
    allow_file: bool = False,
    lang: str = "en",
    log: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    reload_seconds: float = RELOAD_SECONDS,
    check: Callable[[Source], Outcome] | None = None,
) -> None:
    """Check sources on schedule until SIGINT, SIGTERM or `stop` is set; `check` runs one
    check (by default here; with a PostgreSQL archive, as a job for the workers)."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    from tracker.site import build_site

    stop = stop or threading.Event()
    client = new_client(allow_file=allow_file)
    build_lock = threading.Lock()
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(workers)}, timezone=UTC
    )
    watched: dict[str, Source] = {}  # the sources with a job
    every: dict[str, Source] = {}  # and the paused ones: the site shows them as watched still
    next_runs: dict[str, datetime] = {}  # kept here: asking the scheduler from a job can deadlock it
    health_lock = threading.Lock()
    health_due = threading.Event()
    seen = {"mtime": None}

    def note_next_run(key: str, when: datetime) -> None:
        with health_lock:
            next_runs[key] = when
            health_due.set()

    def flush() -> None:
        """Write what finished checks left: their states, and the plan of next checks (once per
        flush, not once per check: it names every source)."""
        archive.flush()
        if health_due.is_set():
            with health_lock:
                health_due.clear()
                _write_health(archive, {k: v for k, v in next_runs.items() if k in watched})

    def one(source: Source) -> None:
        outcome = check(source) if check else check_source(source, archive, client)
        note_next_run(source.key, datetime.now(UTC) + timedelta(seconds=source.interval_seconds))
        if outcome.status == FAILED:
            log(f"failed  {source.key}: {outcome.error}")
        elif outcome.status in (NEW, CHANGED):
            log(f"{outcome.status:<7} {source.key}")
            with build_lock:
                try:
                    build_site(archive, tuple(every.values()), out, base_url=base_url, lang=lang)
                except TrackerError as error:
                    log(f"site not rebuilt: {error}")
                except Exception as error:  # a bug: the run goes on, and the next change rebuilds
                    log("site not rebuilt: " + internal_error(error, archive.log_failure, "building the site"))
        with build_lock:  # the change's notifications, and failed ones whose retry is due
            notify.after_check(archive, watchlist, tuple(every.values()),
                               changed=outcome.status in (NEW, CHANGED), log=log)

    def sync() -> None:
        """Add, reschedule or drop jobs after the watchlist file changed."""
        mtime = watchlist.stat().st_mtime_ns if watchlist.exists() else None
        if mtime == seen["mtime"]:
            return
        seen["mtime"] = mtime
        try:
            listed = load(watchlist).sources
            current = {s.key: s for s in listed if not s.paused}  # paused: no job
        except WatchlistError as error:
            log(f"watchlist not reloaded: {error}")
            return
        every.clear()
        every.update((s.key, s) for s in listed)
        states = archive.states()  # read once: the file holds every document's last check
        for key in set(watched) - set(current):
            scheduler.remove_job(key)
            del watched[key]
            log(f"stopped watching {key}")
        for key, source in current.items():
            if watched.get(key) == source:
                continue
            if key in watched:
                scheduler.remove_job(key)
            watched[key] = source
            first = _first_run(states.get(key, {}), source)
            scheduler.add_job(
                one, "interval", args=[source], id=key, seconds=source.interval_seconds,
                jitter=min(60, source.interval_seconds // 10), next_run_time=first,
                max_instances=1, coalesce=True, misfire_grace_time=None,
            )
            note_next_run(key, first)
        log(f"watching {len(watched)} source(s)")

    # One batch for the whole run: a check's state is written with the others every few
    # seconds, not by rewriting the states file once per check.
    with archive.batch():
        notify.before_check(archive, watchlist, log=log)
        sync()
        flush()
        scheduler.add_job(
            sync, "interval", id="_reload", seconds=reload_seconds, max_instances=1, coalesce=True
        )
        scheduler.add_job(flush, "interval", id="_flush", seconds=FLUSH_SECONDS, max_instances=1, coalesce=True)
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
        scheduler.start()
        log("running; Ctrl-C to stop")
        stop.wait()
        log("stopping: waiting for running checks to finish")
        scheduler.shutdown(wait=True)
        flush()


def _first_run(state: dict, source: Source) -> datetime:
    """Now for a source never checked, else one interval after its last check."""
    checked = state.get("checked_at")
    now = datetime.now(UTC)
    if not checked:
        return now
    return max(now, datetime.fromisoformat(checked) + timedelta(seconds=source.interval_seconds))


def _write_health(archive: Store, next_runs: dict[str, datetime]) -> None:
    """The next check of every source, where the site's status page reads it."""
    runs = {key: when.astimezone(UTC).isoformat(timespec="seconds") for key, when in sorted(next_runs.items())}
    archive.save_health({"written_at": datetime.now(UTC).isoformat(timespec="seconds"), "next_runs": runs})
