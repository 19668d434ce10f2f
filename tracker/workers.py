"""Extraction and comparison on the machine's other cores.

Fetching waits on the network and suits threads; extracting and comparing are
pure Python and hold the GIL, so in a run over many sources they go to a pool of
processes. The pool is forked when the run starts, before its threads exist (a
fork never copies a lock held by a thread of the run), and lives exactly as long
as the run: shut down at its end, and each process leaves on its own if the run
is killed, so a tracker running for months never accumulates processes. A process
loads the engine as soon as it starts: forked early, it does so on a core the
run's own start leaves idle.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

MIN_SOURCES = 16  # below this, forking costs more than it saves
NICE = 10  # fetching keeps the cores it needs; reading and comparing fill the rest
_ORPHAN_POLL = 0.5  # seconds between two looks at whether the run is still alive
ENGINE = ("tracker.reading", "tracker.extract.html", "tracker.compare")  # what the work needs, all loaded at once

T = TypeVar("T")


class Workers:
    """Runs a function in a pool of processes, or in the calling thread when there is none."""

    def __init__(self, processes: int = 0):
        self._pool: ProcessPoolExecutor | None = None
        self._closing: threading.Thread | None = None
        if processes > 0:
            self._pool = ProcessPoolExecutor(
                processes, mp_context=multiprocessing.get_context("fork"),
                initializer=_start, initargs=(os.getpid(),),
            )
            self._pool.submit(int)  # forks every process now, while no other thread runs

    @classmethod
    def for_run(cls, sources: int) -> Workers:
        return cls(pool_size(sources))

    def run(self, function: Callable[..., T], *args) -> T:
        pool = self._pool
        if pool is not None:
            try:
                return pool.submit(function, *args).result()
            except BrokenProcessPool:  # a process was killed (out of memory?): go on without them
                self._pool = None
                pool.shutdown(wait=True)
        return function(*args)

    def close(self, wait: bool = True) -> None:
        """Shut the pool down. Without waiting, it shuts down in a thread of its own while the
        caller goes on (writing the run's states, say); a later close() waits for it."""
        if self._pool is not None:
            self._closing = threading.Thread(target=self._pool.shutdown, kwargs={"cancel_futures": True})
            self._closing.start()
            self._pool = None
        if wait and self._closing is not None:
            self._closing.join()
            self._closing = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def pool_size(sources: int) -> int:
    """Processes for a run: one per core but the one the run's fetching keeps busy, for a run
    large enough on a machine with cores to spare; else none. Linux only: elsewhere forking a
    process that has loaded system libraries is unsafe."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return cores - 1 if sys.platform == "linux" and cores > 1 and sources >= MIN_SOURCES else 0


def _start(parent: int) -> None:
    """In a pool process: exit once the run that forked it is gone (killed, say), let
    fetching have the CPU first, and load the engine before the first page arrives."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle: it shuts the pool down

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_ORPHAN_POLL)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    os.nice(NICE)
    for module in ENGINE:
        importlib.import_module(module)


IN_THREAD = Workers()  # no pool: everything runs in the calling thread
