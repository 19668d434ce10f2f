"""Load one document given on the command line (a file or a URL) as normalized text."""

from pathlib import Path
from urllib.parse import urlsplit

from tracker.errors import ExtractError, FetchError
from tracker.extract import extract, sniff
from tracker.fetch import fetch


def load_text(location: str) -> str:
    """Normalized text of a local .html/.htm/.pdf/.md/.txt file or of an http(s) URL; an error
    names the document it is about (a diff reads two)."""
    if urlsplit(location).scheme in ("http", "https", "file"):
        try:
            snapshot = fetch(location, allow_file=True)  # the user named it on the command line
        except FetchError as error:
            raise FetchError(f"{location}: {error}", status=error.status) from None
        return _extracted(location, snapshot.content, sniff(snapshot.content, snapshot.content_type,
                                                             snapshot.final_url), snapshot.charset)
    path = Path(location)
    try:
        content = path.read_bytes()
    except OSError as error:
        raise FetchError(f"cannot read {location}: {error.strerror}") from None
    return _extracted(location, content, sniff(content, name=path.name))


def _extracted(location: str, content: bytes, kind: str, charset: str | None = None) -> str:
    try:
        return extract(content, kind, charset)
    except ExtractError as error:
        raise ExtractError(f"{location}: {error}") from None
