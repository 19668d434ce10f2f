"""Run unattended: APScheduler checks each source at its interval and rebuilds the site.

One job per source; a job never overlaps itself (max_instances=1) and missed
runs are coalesced into one, so a sleeping laptop does not fire a burst of checks.
"""

import signal
import threading
from collections.abc import Callable
from pathlib import Path

from tracker.archive import Archive
from tracker.check import CHANGED, FAILED, NEW, check_source
from tracker.fetch import new_client
from tracker.watchlist import Source, load


def run_forever(
    watchlist: Path,
    archive: Archive,
    out: Path,
    workers: int = 4,
    base_url: str = "",
    allow_file: bool = False,
    log: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> None:
    """Check sources on schedule until SIGINT, SIGTERM or `stop` is set."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    from tracker.site import build_site

    stop = stop or threading.Event()
    client = new_client(workers, allow_file=allow_file)
    build_lock = threading.Lock()
    sources = load(watchlist).sources

    def check(source: Source) -> None:
        outcome = check_source(source, archive, client)
        if outcome.status == FAILED:
            log(f"failed  {source.key}: {outcome.error}")
        elif outcome.status in (NEW, CHANGED):
            log(f"{outcome.status:<7} {source.key}")
            with build_lock:
                build_site(archive, sources, out, base_url=base_url)

    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(workers)})
    for source in sources:
        scheduler.add_job(
            check, "interval", args=[source], id=source.key, seconds=source.interval_seconds,
            jitter=min(60, source.interval_seconds // 10), next_run_time=_first_run(archive, source),
            max_instances=1, coalesce=True, misfire_grace_time=None,
        )
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    scheduler.start()
    log(f"watching {len(sources)} source(s); Ctrl-C to stop")
    stop.wait()
    log("stopping: waiting for running checks to finish")
    scheduler.shutdown(wait=True)


def _first_run(archive: Archive, source: Source):
    """Now for a source never checked, else one interval after its last check."""
    from datetime import UTC, datetime, timedelta

    checked = archive.state(source.service, source.document).get("checked_at")
    now = datetime.now(UTC)
    if not checked:
        return now
    return max(now, datetime.fromisoformat(checked) + timedelta(seconds=source.interval_seconds))
