"""Extraction and comparison on the machine's other cores.

Fetching waits on the network and suits threads; extracting and comparing are
pure Python and hold the GIL, so in a run over many sources they go to processes.
They are forked when the run starts, before its threads exist (a fork never
copies a lock held by a thread of the run), and live exactly as long as the run:
each reads its calls from a pipe only the run writes to, so it leaves when the run
closes that pipe or dies, and a tracker running for months never accumulates
processes. A process loads the engine as soon as it starts: forked early, it does
so on a core the run's own start leaves idle.

Forked with os.fork and fed one pickle each way per call rather than through the
standard library's ProcessPoolExecutor: that one costs its imports (multiprocessing,
subprocess, tempfile… 15-30 ms, before the fork and before the first fetch) and three
thread hops per page, for queues and cancellation a run does not use.
"""

from __future__ import annotations

import importlib
import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Callable
from typing import BinaryIO, TypeVar

MIN_SOURCES = 16  # below this, forking costs more than it saves
NICE = 10  # fetching keeps the cores it needs; reading and comparing fill the rest
ENGINE = ("tracker.reading", "tracker.extract.html", "tracker.compare")  # what the work needs, all loaded at once

T = TypeVar("T")


class _Process:
    """One forked process, and the pipes that carry its calls and answers."""

    def __init__(self, pid: int, calls: BinaryIO, answers: BinaryIO):
        self.pid, self.calls, self.answers = pid, calls, answers
        self.alive = True

    def call(self, function: Callable[..., T], args: tuple) -> tuple[bool, T | BaseException] | None:
        """(True, result) or (False, the exception raised), or None once the process is gone
        (killed, out of memory say)."""
        data = pickle.dumps((function, args))  # a call that cannot be pickled fails here, whole
        try:
            self.calls.write(data)
            self.calls.flush()
            return pickle.load(self.answers)
        except Exception:  # gone, or an answer that cannot be read: its pipes are not to be trusted
            self._abandon()
            return None
        except BaseException:  # interrupted half-way: its answer would be taken for the next call's
            self._abandon()
            raise

    def _abandon(self) -> None:
        self.alive = False
        try:
            os.kill(self.pid, signal.SIGKILL)  # reaped when the pool closes
        except ProcessLookupError:
            pass


class Workers:
    """Runs a function in forked processes, or in the calling thread when there are none."""

    def __init__(self, processes: int = 0):
        self._processes: list[_Process] = []
        self._idle: queue.SimpleQueue[_Process] = queue.SimpleQueue()
        self._closing: threading.Thread | None = None
        for _ in range(processes):
            try:
                process = _fork()
            except OSError:  # no process to be had (a limit reached): the work runs in the run's threads
                break
            self._processes.append(process)
            self._idle.put(process)

    @classmethod
    def for_run(cls, sources: int) -> Workers:
        return cls(pool_size(sources))

    def run(self, function: Callable[..., T], *args) -> T:
        if self._processes:
            process = self._idle.get()
            try:
                answer = process.call(function, args) if process.alive else None
            finally:
                self._idle.put(process)
            if answer is not None:
                done, value = answer
                if done:
                    return value
                raise value
        return function(*args)  # no process, or this one was killed: go on without it

    def close(self, wait: bool = True) -> None:
        """Let the processes go. Without waiting, they are reaped in a thread of its own while the
        caller goes on (writing the run's states, say); a later close() waits for that."""
        if self._processes:
            processes, self._processes = self._processes, []
            for process in processes:
                _RUN_ENDS.discard(process.calls)
                try:
                    process.calls.close()  # the end of its calls: it leaves once its page is done
                except OSError:  # what a killed process left unwritten cannot be written
                    pass
            self._closing = threading.Thread(target=_reap, args=(processes,))
            self._closing.start()
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


_RUN_ENDS: set[BinaryIO] = set()  # the run's ends of every pool's pipes: no other process may hold one


def _fork() -> _Process:
    pipes: list[int] = []
    try:
        pipes.extend(os.pipe())
        pipes.extend(os.pipe())
        calls_out, calls_in, answers_out, answers_in = pipes
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # until the child ignores Ctrl-C
        try:
            pid = os.fork()
        except OSError:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            raise
    except OSError:
        for fd in pipes:
            os.close(fd)
        raise
    if pid:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(calls_out)
        os.close(answers_in)
        process = _Process(pid, os.fdopen(calls_in, "wb"), os.fdopen(answers_out, "rb"))
        _RUN_ENDS.update((process.calls, process.answers))
        return process
    status = 1
    try:  # the child, which never returns into the run's code
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(calls_in)
        os.close(answers_out)
        for end in _RUN_ENDS:  # its siblings' and other pools': held here, their pipes would never end
            os.close(end.fileno())  # not end.close(): that would write what the run left in its buffer
        _serve(os.fdopen(calls_out, "rb"), os.fdopen(answers_in, "wb"))
        status = 0
    finally:
        os._exit(status)


def _serve(calls: BinaryIO, answers: BinaryIO) -> None:
    """In a forked process: load the engine, then answer calls until the run closes the pipe (or
    dies). Fetching has the CPU first."""
    os.nice(NICE)
    for module in ENGINE:
        importlib.import_module(module)
    while True:
        try:
            function, args = pickle.load(calls)
        except EOFError:
            return
        try:
            answer = pickle.dumps((True, function(*args)))
        except BaseException as error:  # the call's own failure (ExtractError…), raised in the run
            answer = _failure(error)
        answers.write(answer)
        answers.flush()


def _failure(error: BaseException) -> bytes:
    """An exception as the run can rebuild it, else a RuntimeError with its words."""
    try:
        answer = pickle.dumps((False, error))
        pickle.loads(answer)  # an exception whose arguments do not rebuild it fails here, not in the run
        return answer
    except Exception:
        return pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")))


def _reap(processes: list[_Process]) -> None:
    for process in processes:
        try:
            os.waitpid(process.pid, 0)
        except ChildProcessError:  # reaped already
            pass
        _RUN_ENDS.discard(process.answers)
        process.answers.close()


IN_THREAD = Workers()  # no process: everything runs in the calling thread
