"""Checks as jobs on Procrastinate, a task queue kept in the archive's own PostgreSQL (decision record 23).

`tracker worker` runs the jobs on any machine that reaches the database;
`tracker check` enqueues one job per source and waits for their outcomes;
`tracker run` enqueues each source's check when it is due, one scheduler at a
time. A job carries its source whole, so a worker needs no watchlist. A worker
killed mid-job stops sending heartbeats; the other workers put its jobs back in
the queue, and the check's compare-and-set commit records a version once however
often it is tried. Politeness holds across workers: the host's turn is taken
through the database.
"""

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from tracker.check import FAILED, Outcome, check_source
from tracker.fetch import Client as FetchClient
from tracker.fetch import HostGate, Limits, Network, _is_loopback
from tracker.pgarchive import PgArchive, pool_for
from tracker.watchlist import Source

TASK = "tracker.check"
QUEUE = "checks"
STALLED_AFTER = 30.0  # seconds without a heartbeat after which a worker's jobs go back to the queue
_SCHEDULER_LOCK = 0x7472_6163_6b02  # advisory lock key: one active `tracker run` per database
_POLL = 0.2  # seconds between two looks at the outcomes a waiting check has not seen yet


class DatabaseGate(HostGate):
    """HostGate whose turns are shared by every worker on every machine: one request at a
    time per host (a PostgreSQL advisory lock on its name) and a pause between two (the
    host's next allowed time in tracker_hosts). Loopback hosts keep the per-process gate."""

    def __init__(self, url: str, delay: float = 1.0):
        super().__init__(delay)
        self.url = url

    @contextmanager
    def turn(self, url: str) -> Iterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        if _is_loopback(host):
            with super().turn(url):
                yield
            return
        with pool_for(self.url).connection() as db:
            db.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (f"tracker-host:{host}",))
            try:
                wait = db.execute("SELECT extract(epoch FROM not_before - clock_timestamp()) FROM tracker_hosts "
                                  "WHERE host = %s", (host,)).fetchone()
                if wait and wait[0] > 0:
                    time.sleep(float(wait[0]))
                try:
                    yield
                finally:
                    self._hold(db, host, self.delay)
            finally:
                db.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (f"tracker-host:{host}",))

    def hold(self, url: str, seconds: float) -> None:
        host = (urlsplit(url).hostname or "").lower()
        if _is_loopback(host):
            super().hold(url, seconds)
            return
        with pool_for(self.url).connection() as db:
            self._hold(db, host, seconds)

    @staticmethod
    def _hold(db, host: str, seconds: float) -> None:
        db.execute("INSERT INTO tracker_hosts VALUES (%s, clock_timestamp() + make_interval(secs => %s)) "
                   "ON CONFLICT (host) DO UPDATE SET not_before = greatest(tracker_hosts.not_before, "
                   "excluded.not_before)", (host, seconds))


def queue(url: str):
    """The Procrastinate app of the database, with the check task."""
    from procrastinate import App, PsycopgConnector

    app = App(connector=PsycopgConnector(conninfo=url))
    app.task(name=TASK, queue=QUEUE, pass_context=True)(_run_job)
    return app


class _Worker:
    """What a worker process's jobs share: the archive, one client per kind of source, one browser."""

    def __init__(self, url: str, limits: Limits = Limits()):
        from tracker.browser import Browser

        self.archive = PgArchive(url)
        gate = DatabaseGate(url)
        network = Network()
        self.clients = {allow: FetchClient(network, gate, limits, allow) for allow in (False, True)}
        self.browser = Browser()


_WORKERS: dict[str, _Worker] = {}
_WORKERS_GUARD = threading.Lock()


def _run_job(context, source: dict, round_id: str, allow_file: bool = False) -> None:
    """Check one source; its outcome goes to tracker_outcomes, where whoever enqueued its round reads it."""
    from psycopg.types.json import Json

    url = context.additional_context["archive"]
    with _WORKERS_GUARD:
        if url not in _WORKERS:
            _WORKERS[url] = _Worker(url)
        worker = _WORKERS[url]
    outcome = check_source(_source(source), worker.archive, worker.clients[allow_file], browser=worker.browser)
    with pool_for(url).connection() as db:  # a job run twice (its worker lost) keeps its first outcome
        db.execute("INSERT INTO tracker_outcomes VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                   (context.job.id, round_id, Json(_outcome_row(outcome))))


@dataclasses.dataclass(frozen=True)
class Round:
    """Checks enqueued together: their outcomes are tagged with its id."""

    id: str
    jobs: tuple[int, ...]
    sources: tuple[Source, ...]


def enqueue(url: str, sources: list[Source], allow_file: bool = False) -> Round:
    """One job per source, in one batch."""
    import uuid

    app, tag = queue(url), uuid.uuid4().hex
    with app.open(pool_for(url)):  # this process's pool: no pool made and closed per round
        jobs = app.tasks[TASK].batch_defer(
            *({"source": dataclasses.asdict(s), "round_id": tag, "allow_file": allow_file} for s in sources))
    return Round(tag, tuple(jobs), tuple(sources))


def wait(url: str, checks: Round, on_done: Callable[[Outcome], None] | None = None,
         stop: threading.Event | None = None) -> list[Outcome]:
    """The outcomes of a round, in its sources' order, as workers finish them (a job that failed in
    its worker, not in the check, is a failed outcome too); each outcome is read once and dropped.
    When `stop` is set, the outcomes found so far."""
    position = {job: n for n, job in enumerate(checks.jobs)}
    found: dict[int, Outcome] = {}
    with pool_for(url).connection() as db:
        while len(found) < len(checks.jobs) and not (stop and stop.is_set()):
            rows = db.execute("DELETE FROM tracker_outcomes WHERE round = %s RETURNING job_id, outcome",
                              (checks.id,)).fetchall()
            failed = db.execute("SELECT id FROM procrastinate_jobs WHERE status = 'failed' AND args->>'round_id' = %s",
                                (checks.id,)).fetchall()
            new = {job: _outcome(checks.sources[position[job]], row) for job, row in rows}
            new.update({job: Outcome(checks.sources[position[job]], FAILED, error="the job failed in its worker "
                                     "(see its log)") for (job,) in failed if job not in found and job not in new})
            for job in sorted(new, key=position.__getitem__):
                found[job] = new[job]
                if on_done:
                    on_done(new[job])
            if len(found) < len(checks.jobs):
                time.sleep(_POLL)
    return [found[job] for job in checks.jobs if job in found]


def check_in_workers(url: str, sources: list[Source], allow_file: bool = False,
                     on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """tracker check with a PostgreSQL archive: the checks run by `tracker worker`s, wherever they are."""
    return wait(url, enqueue(url, sources, allow_file), on_done)


def check_one(url: str, source: Source, allow_file: bool, stop: threading.Event) -> Outcome:
    """One due check of `tracker run`, as a job; if the run stops first, the job still runs but its
    outcome is not waited for."""
    found = wait(url, enqueue(url, [source], allow_file), stop=stop)
    return found[0] if found else Outcome(source, FAILED, error="tracker run stopped before the check's outcome")


def workers_alive(url: str) -> int:
    """How many workers sent a heartbeat lately (a waiting `tracker check` says when there are none)."""
    with pool_for(url).connection() as db:
        return db.execute("SELECT count(*) FROM procrastinate_workers "
                          "WHERE last_heartbeat > now() - interval '2 minutes'").fetchone()[0]


def run_worker(url: str, concurrency: int = 4, stalled_after: float = STALLED_AFTER, name: str | None = None) -> None:
    """Run jobs until SIGINT or SIGTERM; meanwhile put back in the queue the jobs of workers that
    stopped sending heartbeats (killed, or their machine lost)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    app = queue(url)

    async def main() -> None:
        async with app.open_async():
            rescue = asyncio.create_task(_rescue_stalled(app, stalled_after))
            try:
                await app.run_worker_async(
                    queues=[QUEUE], concurrency=concurrency, name=name, delete_jobs="successful",
                    additional_context={"archive": url}, update_heartbeat_interval=stalled_after / 3,
                    stalled_worker_timeout=stalled_after, fetch_job_polling_interval=1.0)
            finally:
                rescue.cancel()

    try:
        asyncio.run(main())
    finally:
        for worker in _WORKERS.values():
            worker.browser.close()


async def _rescue_stalled(app, stalled_after: float) -> None:
    from procrastinate.exceptions import ConnectorException

    while True:
        await asyncio.sleep(stalled_after / 3)
        for job in await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=stalled_after):
            try:
                await app.job_manager.retry_job(job)
            except ConnectorException:
                continue  # another worker put it back first


@contextmanager
def sole_scheduler(url: str, log: Callable[[str], None], stop: threading.Event) -> Iterator[bool]:
    """Hold the database's scheduler lock while the block runs; a second `tracker run` waits here
    as a hot standby and takes over within a second when the first stops or its connection dies.
    Yields False if `stop` was set while waiting."""
    from tracker.pgarchive import connect

    with connect(url) as db:
        said = False
        while not db.execute("SELECT pg_try_advisory_lock(%s)", (_SCHEDULER_LOCK,)).fetchone()[0]:
            if not said:
                log("another tracker run is scheduling the checks; waiting as a hot standby")
                said = True
            if stop.wait(1.0):
                yield False
                return
        if said:
            log("taking over the schedule")
        yield True


def _source(data: dict) -> Source:
    return Source(**{**data, "select": tuple(data["select"]), "remove": tuple(data["remove"])})


def _outcome_row(outcome: Outcome) -> dict:
    return {"status": outcome.status, "error": outcome.error, "held": outcome.held, "via": outcome.via,
            "version": dataclasses.asdict(outcome.version) if outcome.version else None}


def _outcome(source: Source, row: dict) -> Outcome:
    from tracker.pgarchive import as_version

    version = as_version(row["version"]) if row["version"] else None
    return Outcome(source, row["status"], version=version, error=row["error"], held=row["held"], via=row["via"])

