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

    # Redrawn on each finished item rather than by rich's refresh thread: `tracker check`
    # forks its pool inside this block, and a fork must not copy a lock another thread holds.
    with Progress(transient=True, auto_refresh=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.update(task, advance=1, refresh=True)
