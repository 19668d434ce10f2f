"""One small hierarchy of errors; the CLI turns each into a one-line message."""

import traceback
from collections.abc import Callable
from pathlib import Path


class TrackerError(Exception):
    """Something the user can act on; its message is one line, shown as is."""

    transient = False


class FetchError(TrackerError):
    """A source could not be fetched (HTTP error, network, size cap, bad URL)."""

    def __init__(
        self, message: str, transient: bool = False, retry_after: float | None = None, status: int | None = None
    ):
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
        self.status = status  # the HTTP status, when the server answered with an error


class ExtractError(TrackerError):
    """A fetched document yielded no usable text (broken PDF, binary junk, empty page)."""

    def __init__(self, message: str, no_text: bool = False):
        super().__init__(message)
        self.no_text = no_text  # readable, but nothing kept: a script may write the text, or the rules miss it


class WatchlistError(TrackerError):
    """The watchlist is malformed, or an edit to it was refused."""


class ArchiveError(TrackerError):
    """The archive is locked, missing what was asked for, or inconsistent."""


def internal_error(error: Exception, log: Callable[[str, str], Path], what: str) -> str:
    """One line for an unexpected exception (a bug, ours or a library's) met while doing `what`,
    after its traceback was handed to `log` (Archive.log_failure), which tells where it went."""
    try:
        where = f" (traceback in {log(what, ''.join(traceback.format_exception(error)))})"
    except OSError:
        where = ""
    words = " ".join(f"{type(error).__name__}: {error}".split())  # one line, whatever it said
    return f"internal error: {words[:300]}{where}"
