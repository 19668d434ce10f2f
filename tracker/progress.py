"""A progress bar on a terminal, silence elsewhere (pipes, cron, CI logs)."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[], None]]:
    """Yield a function to call once per finished item."""
    if not sys.stderr.isatty() or total < 2:
        yield lambda: None
        return
    from rich.progress import Progress

    # Redrawn on each finished item, the only time the bar moves, not by rich's refresh thread.
    # (A thread here would be safe: `tracker check` starts its pool before this block, and the
    # forkserver of tracker/processes.py forks the workers, not this process.)
    with Progress(transient=True, auto_refresh=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.update(task, advance=1, refresh=True)
