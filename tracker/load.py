"""Load one document given on the command line (a file or a URL) as normalized text."""

from pathlib import Path
from urllib.parse import urlsplit

from tracker.errors import ExtractError, FetchError
from tracker.extract import extract, sniff
from tracker.fetch import fetch


def load_text(location: str) -> str:
    """Normalized text of a local .html/.htm/.pdf/.md/.txt file or of an http(s) URL; an error
    names the document it is about (a diff reads two)."""
    try:
        return _load_text(location)
    except ExtractError as error:
        raise ExtractError(f"{location}: {error}") from None
    except FetchError as error:
        if location in str(error):  # "cannot read old.html: …" names it already
            raise
        raise FetchError(f"{location}: {error}", status=error.status) from None


def _load_text(location: str) -> str:
    if urlsplit(location).scheme in ("http", "https", "file"):
        snapshot = fetch(location, allow_file=True)  # the user named it on the command line
        kind = sniff(snapshot.content, snapshot.content_type, snapshot.final_url)
        return extract(snapshot.content, kind, snapshot.charset)
    path = Path(location)
    try:
        content = path.read_bytes()
    except OSError as error:
        raise FetchError(f"cannot read {location}: {error.strerror}") from None
    return extract(content, sniff(content, name=path.name))
