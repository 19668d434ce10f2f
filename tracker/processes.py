"""Work in other processes, one way everywhere: the standard library's ProcessPoolExecutor
with the forkserver start method.

Fetching waits on the network and suits threads; extracting, comparing and rendering are
pure Python and hold the GIL, so large runs send them to processes: the changed pages of a
check, the change pages of a site build, the documents of a history import. Forkserver
(decision record 9) because it is safe from a process that already has threads (`tracker
run` builds the site from its scheduler's threads, and a plain fork there can copy a lock
that another thread holds), and because its server imports the engine once, so that every
worker is forked from it ready to work.

Workers run at a lower priority (nice) so that fetching keeps the cores it needs, ignore
Ctrl-C (the process that started them handles it), and exit when that process dies, even
by SIGKILL: they watch its sentinel. A tracker killed, or running for months, leaves no
worker behind.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

# multiprocessing and concurrent.futures are imported where a pool starts: a check of a few
# sources, which never starts one, does not load them

MIN_SOURCES = 16  # below this, starting processes costs more than it saves
NICE = 10
ENGINE = ("tracker.reading", "tracker.extract.html", "tracker.compare")  # imported once, by the server

T = TypeVar("T")


class ProcessPool:
    """Runs functions in worker processes, or in the calling thread when there are none.

    A pool whose worker died (killed, by the OOM killer say) is broken for good: what it
    was asked to do then, and everything after, runs in the calling thread instead."""

    def __init__(self, processes: int = 0):
        self._executor: ProcessPoolExecutor | None = None
        self._closing: threading.Thread | None = None
        if processes > 0:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context(start_method())
            if context.get_start_method() == "forkserver":
                context.set_forkserver_preload(list(ENGINE))
            self._executor = ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker)
            # started aside: the server's start and the engine's imports overlap the caller's work
            threading.Thread(target=self._warm_up, daemon=True).start()

    @classmethod
    def for_run(cls, sources: int) -> ProcessPool:
        return cls(pool_size(sources))

    def run(self, function: Callable[..., T], *args) -> T:
        """function(*args), in a worker if the pool has one."""
        return self.submit(function, *args).result()

    def submit(self, function: Callable[..., T], *args) -> Pending[T]:
        executor, future = self._executor, None
        if executor is not None:
            from concurrent.futures.process import BrokenProcessPool

            try:
                future = executor.submit(_call, function, args)
            except (BrokenProcessPool, RuntimeError):  # broken, or shut down meanwhile
                pass
        return Pending(future, function, args)

    def close(self, wait: bool = True) -> None:
        """Shut the executor down. Without waiting, the shutdown runs in a thread of its own while
        the caller goes on (writing the run's states, say); a later close() waits for that."""
        if self._executor is not None:
            executor, self._executor = self._executor, None
            self._closing = threading.Thread(target=executor.shutdown)
            self._closing.start()
        if wait and self._closing is not None:
            self._closing.join()
            self._closing = None

    def _warm_up(self) -> None:
        """Start the server and a first worker. SIGINT is blocked in this thread, so the
        server starts with it blocked, and so does every worker it forks (a fork and an exec
        keep the signal mask): a terminal's Ctrl-C, sent to the whole process group, reaches
        only the process that handles it, never a process still starting up."""
        import multiprocessing.forkserver
        from concurrent.futures.process import BrokenProcessPool

        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        executor = self._executor
        try:
            if start_method() == "forkserver":
                multiprocessing.forkserver.ensure_running()
            if executor is not None:
                executor.submit(os.getpid)
        except (BrokenProcessPool, RuntimeError):
            pass

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Pending(Generic[T]):
    """The result to come of function(*args): a worker's, or computed in the calling thread when
    there is no worker or the one that had it died."""

    def __init__(self, future: Future[T] | None, function: Callable[..., T], args: tuple):
        self._future, self._function, self._args = future, function, args

    def result(self) -> T:
        if self._future is not None:
            from concurrent.futures.process import BrokenProcessPool

            try:
                return self._future.result()
            except BrokenProcessPool:
                pass
        return self._function(*self._args)


def start_method() -> str:
    """forkserver (decision record 9), or spawn on a system that has none."""
    import multiprocessing

    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def pool_size(sources: int) -> int:
    """Workers for a run: usable CPUs minus one (the main process fetches), for a run large
    enough on a machine with more than one CPU; else none."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores - 1 if cores > 1 and sources >= MIN_SOURCES else 0


def _start_worker() -> None:
    import multiprocessing

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the starting process's to handle
    os.nice(NICE)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(sentinel: int) -> None:
    """Wait for the starting process to end (its sentinel becomes readable), then end too."""
    import multiprocessing.connection

    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _call(function: Callable[..., T], args: tuple) -> T:
    """In a worker: function(*args), its exception sent back only in a form the caller can
    rebuild. An exception that does not survive a pickle round trip would break the pool."""
    import pickle

    try:
        return function(*args)
    except Exception as error:
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:
            raise RuntimeError(f"{type(error).__name__}: {error}") from None
        raise


IN_THREAD = ProcessPool()  # no worker: everything runs in the calling thread
