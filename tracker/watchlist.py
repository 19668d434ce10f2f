"""The watchlist: which documents to watch, read from and written to watchlist.toml.

tomlkit keeps a maintainer's comments and layout when `tracker add` edits the file;
`remove`, `pause` and `resume` edit only the lines of the document they name.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tracker import cache
from tracker.errors import WatchlistError

DEFAULT_EVERY = "12h"
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
KEYS = {"name", "title", "url", "select", "remove", "every", "lang", "browser", "paused"}
AUTO, ALWAYS, NEVER = "auto", "always", "never"
BROWSER_MODES = (AUTO, ALWAYS, NEVER)  # when a page is fetched with a browser
NOTIFY = "notify"  # the table of notification targets (tracker.notify), not a service


@dataclass(frozen=True)
class Source:
    """One watched document of one service."""

    service: str
    document: str
    url: str
    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    every: str = DEFAULT_EVERY
    lang: str | None = None
    name: str = ""
    title: str = ""  # the document's name as its readers know it, "Charte de confidentialité"
    browser: str = AUTO  # auto: only when a plain fetch is blocked or shows no text
    paused: bool = False  # skipped by `tracker check` (unless named) and `tracker run`

    @property
    def key(self) -> str:
        return f"{self.service}/{self.document}"

    @property
    def interval_seconds(self) -> int:
        return parse_interval(self.every)


def slugify(name: str) -> str:
    """A name safe as a folder: lowercase ASCII letters, digits and single dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _SLUG_JUNK.sub("-", ascii_name.lower()).strip("-")[:80].strip("-")
    if not slug:
        raise WatchlistError(f"{name!r} has no letters or digits to make a name from")
    return slug


def _is_slug(name: str) -> bool:
    """slugify(name) == name, without slugifying a name that is plainly a slug already."""
    return (len(name) <= 80 and bool(_SLUG.fullmatch(name))) or slugify(name) == name


def parse_interval(every: str) -> int:
    """Seconds in an interval written like '30m', '12h' or '7d'."""
    match = _INTERVAL.match(str(every))
    if not match or int(match.group(1)) == 0:
        raise WatchlistError(f"invalid interval {every!r}: write a number and a unit, like 30m, 12h or 7d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def check_browser(mode: str) -> str:
    """The browser mode if it is one; a WatchlistError naming the valid ones otherwise."""
    if mode not in BROWSER_MODES:
        raise WatchlistError(f"invalid browser {mode!r}: expected {', '.join(map(repr, BROWSER_MODES))}")
    return mode


def check_url(url: str) -> str:
    """The URL if it is http(s) with a host, or file:// with a path; a WatchlistError otherwise."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        return url
    if parts.scheme == "file" and parts.path:
        return url
    raise WatchlistError(f"malformed URL {url!r}: expected http://, https:// or file://")


@dataclass(frozen=True)
class Watchlist:
    """The sources of a watchlist file, and a one-line problem for each entry that is not one."""

    sources: tuple[Source, ...]
    problems: tuple[str, ...]

    def select(self, names: Sequence[str] = ()) -> list[Source]:
        """The sources a check is for: every one not paused, or the named ones. A document
        named as SERVICE/DOCUMENT is checked even when paused (the maintainer asked for it);
        a service named checks its documents that are not paused."""
        unknown = [n for n in names if not any(s.key == n or s.service == n for s in self.sources)]
        if unknown:
            raise WatchlistError(f"not in the watchlist: {', '.join(unknown)}")
        if not names:
            return [s for s in self.sources if not s.paused]
        return [s for s in self.sources if s.key in names or (s.service in names and not s.paused)]


def public_url(url: str) -> str:
    """The URL without user name and password, for anything written to the archive or the site."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def load(path: Path) -> Watchlist:
    """Every valid source in file order; a bad entry is a problem, never a reason to watch nothing."""
    return _watchlist(_data(path))


def _data(path: Path) -> dict:
    """What the watchlist file holds, from the cache while the file is unchanged (tracker.cache).
    A watchlist naming a password (an "@" in what it holds) is never cached."""
    if not path.exists():
        return {}
    return cache.parsed("watchlist", path, path.read_bytes(), lambda raw: _parse(path, raw)[1],
                        keep=lambda encoded: "@" not in encoded)


def section(path: Path, name: str) -> dict:
    """A table of the watchlist file that is not a service (`notify`); {} when absent."""
    found = _data(path).get(name, {})
    if not isinstance(found, dict):
        raise WatchlistError(f"{path}: [{name}] must be a table")
    return found


def _read(path: Path) -> tuple[str, dict]:
    """The text of the watchlist file ("" if there is none) and what it holds."""
    if not path.exists():
        return "", {}
    return _parse(path, path.read_bytes())


def _parse(path: Path, raw: bytes) -> tuple[str, dict]:
    import tomllib  # here: a watchlist found in the cache needs no parser

    try:
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text() reads it
        return text, tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise WatchlistError(f"{path}: not valid TOML: {error}") from None


def _watchlist(data: dict) -> Watchlist:
    sources, problems = [], []
    for service, documents in data.items():
        if service == NOTIFY:
            continue
        if not isinstance(documents, dict) or not all(isinstance(v, dict) for v in documents.values()):
            problems.append(f"[{service}] must hold one table per document, like [{service}.privacy-policy]")
            continue
        for document, entry in documents.items():
            try:
                sources.append(_source(service, document, entry))
            except WatchlistError as error:
                problems.append(f"[{service}.{document}]: {error}")
    return Watchlist(tuple(sources), tuple(problems))


def _source(service: str, document: str, entry: dict) -> Source:
    if not (_is_slug(service) and _is_slug(document)):
        raise WatchlistError("names must be lowercase slugs like 'acme-health'; skipped")
    unknown = set(entry) - KEYS
    if unknown:
        raise WatchlistError(f"unknown key(s) {', '.join(sorted(unknown))}")
    if "url" not in entry:
        raise WatchlistError("missing url")
    source = Source(
        service=service,
        document=document,
        url=check_url(entry["url"]),
        select=_selectors(entry, "select"),
        remove=_selectors(entry, "remove"),
        every=entry.get("every", DEFAULT_EVERY),
        lang=entry.get("lang"),
        name=entry.get("name", ""),
        title=entry.get("title", ""),
        browser=check_browser(entry.get("browser", AUTO)),
        paused=entry.get("paused", False),
    )
    if not isinstance(source.paused, bool):
        raise WatchlistError(f"invalid paused {source.paused!r}: expected true or false")
    source.interval_seconds  # noqa: B018 -- validates the interval now, not at the first run
    return source


def _selectors(entry: dict, key: str) -> tuple[str, ...]:
    """CSS selectors: a list, or one written as a plain string (select = "main")."""
    found = entry.get(key, [])
    if isinstance(found, str):
        return (found,)
    if not isinstance(found, list) or not all(isinstance(css, str) for css in found):
        raise WatchlistError(f"invalid {key} {found!r}: write a CSS selector or a list of them")
    return tuple(found)


def add(path: Path, source: Source, dry_run: bool = False) -> None:
    """Add a source to the watchlist file, keeping everything else as written; with
    `dry_run`, refuse what it would refuse and write nothing.

    A new service is appended to the file's text; a document of a service already
    there goes beside its siblings, through tomlkit, which parses and renders the
    whole file (slow on a large watchlist; decision record 7)."""
    from tracker.extract.html import compile_selector

    if source.service == NOTIFY:
        raise WatchlistError(f"{NOTIFY!r} names the table of notification targets: choose another service name")
    check_url(source.url)
    parse_interval(source.every)
    check_browser(source.browser)
    for css in (*source.select, *source.remove):
        compile_selector(css)
    text, data = _read(path)
    existing = _watchlist(data).sources
    if any(s.key == source.key for s in existing):
        raise WatchlistError(f"{source.key} is already watched")
    if any(s.url == source.url for s in existing):
        raise WatchlistError(f"{source.url} is already watched")
    import tomlkit  # only edits need it; reading uses the faster tomllib

    appended = source.service not in data
    if not appended and isinstance(data[source.service], dict) and source.document in data[source.service]:
        raise WatchlistError(f"{source.key} is in the watchlist but invalid: mend or remove it by hand first")
    doc = tomlkit.document() if appended else tomlkit.parse(text)
    service = doc.get(source.service)
    if service is None:
        service = tomlkit.table(is_super_table=True)
        doc.add(source.service, service)
    if not isinstance(service, tomlkit.items.Table):  # a value, or an inline table: no room for a table
        raise WatchlistError(f"[{source.service}] is not written as a table of documents; "
                             "write it as one to add documents to it")
    if dry_run:
        return
    entry = tomlkit.table()
    if source.name:
        entry["name"] = source.name
    if source.title:
        entry["title"] = source.title
    entry["url"] = source.url
    for key in ("select", "remove"):
        if getattr(source, key):
            entry[key] = list(getattr(source, key))
    entry["every"] = source.every
    if source.lang:
        entry["lang"] = source.lang
    if source.browser != AUTO:
        entry["browser"] = source.browser
    entry.add(tomlkit.nl())  # a blank line before whatever table follows
    service.add(source.document, entry)
    rendered = tomlkit.dumps(doc)
    if appended and text.strip():
        rendered = text.rstrip("\n") + "\n\n" + rendered
    _write_atomically(path, rendered.rstrip("\n") + "\n")


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# -- remove, pause, resume: edits of one document's lines -------------------------------------

_HEADER = re.compile(r"\s*\[(\[?)\s*([^\[\]]+?)\s*\](\]?)\s*(?:#.*)?")  # [table] or [[array of tables]]
_PAUSED = re.compile(r"\s*paused\s*=")


def remove(path: Path, key: str) -> None:
    """Stop watching a document: its table leaves the file with the comment lines right above
    and below it, and its service's table goes too when it held nothing else. The archive
    keeps its versions."""
    _edit(path, key, None)


def pause(path: Path, key: str) -> bool:
    """Write `paused = true` in a document's table; False when it was paused already."""
    return _edit(path, key, True)


def resume(path: Path, key: str) -> bool:
    """Take `paused = true` out of a document's table; False when it was not paused."""
    return _edit(path, key, False)


def _edit(path: Path, key: str, paused: bool | None) -> bool:
    """Remove (paused None), pause or resume the document `key`, touching only its lines.

    The lines are edited as text, so that every other line stays as written, and the result
    is read back: if it does not hold exactly what was meant (a layout the line edit does
    not understand: an inline table, dotted keys), tomlkit makes the edit instead."""
    service, slash, document = key.partition("/")
    if not (slash and service and document):
        raise WatchlistError(f"expected SERVICE/DOCUMENT, got {key!r}")
    text, data = _read(path)
    documents = data.get(service)
    entry = documents.get(document) if isinstance(documents, dict) else None
    if not isinstance(entry, dict):
        raise WatchlistError(f"not in the watchlist: {key}")
    if paused is not None and (entry.get("paused") is True) == paused:
        return False
    expected = {**data, service: {**documents}}
    if paused is None:
        del expected[service][document]
        if not expected[service]:
            del expected[service]
    elif paused:
        expected[service][document] = {**entry, "paused": True}
    else:
        expected[service][document] = {k: v for k, v in entry.items() if k != "paused"}
    edited = _edit_lines(text.split("\n"), service, document, paused)
    if edited is None or not _holds(path, edited, expected):
        edited = _edit_with_tomlkit(text, service, document, paused)
    _write_atomically(path, edited)
    return True


def _holds(path: Path, text: str, expected: dict) -> bool:
    try:
        return _parse(path, text.encode("utf-8"))[1] == expected
    except WatchlistError:  # the line edit broke the file: a "[header]" was inside a multi-line string
        return False


def _edit_lines(lines: list[str], service: str, document: str, paused: bool | None) -> str | None:
    """The file's text after the edit, or None when the table is not written as a [header]."""
    found = _table(lines, (service, document))
    if found is None:
        return None
    header, last, end = found
    flag = next((i for i in range(header + 1, end) if _PAUSED.match(lines[i])), None)
    if paused:
        if flag is None:
            lines.insert(last + 1, "paused = true")
        else:
            lines[flag] = "paused = true"
    elif paused is False:
        if flag is None:
            return None
        del lines[flag]
    else:
        _cut(lines, header, last)
        if not any(k[:1] == (service,) and len(k) > 1 for _, k in _headers(lines)):
            service_table = _table(lines, (service,))  # an explicit [service] header, now empty
            if service_table is not None:
                _cut(lines, service_table[0], service_table[1])
    text = "\n".join(lines).strip("\n")
    return text + "\n" if text else ""


def _headers(lines: list[str]) -> list[tuple[int, tuple[str, ...]]]:
    """(line, key) of every table header; the key of an [[array of tables]] is ()."""
    found = []
    for i, line in enumerate(lines):
        match = _HEADER.fullmatch(line)
        if match:
            array = match.group(1) or match.group(3)
            found.append((i, () if array else tuple(p.strip().strip("\"'") for p in match.group(2).split("."))))
    return found


def _table(lines: list[str], key: tuple[str, ...]) -> tuple[int, int, int] | None:
    """(header, last, end): the line of a table's header, of its last key or value, and of
    the next header (or the end of the file)."""
    headers = _headers(lines)
    for n, (header, found) in enumerate(headers):
        if found == key:
            end = headers[n + 1][0] if n + 1 < len(headers) else len(lines)
            last = max(i for i in range(header, end) if i == header or _is_content(lines[i]))
            return header, last, end
    return None


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _is_comment(line: str) -> bool:
    return line.strip().startswith("#")


def _cut(lines: list[str], header: int, last: int) -> None:
    """Delete a table's lines, the comment lines right above its header (unless they open the
    file) and right below its last line, and the blank lines after it when there were blank
    lines before it: the tables around it stay as far apart as they were."""
    start = header
    while start > 0 and _is_comment(lines[start - 1]):
        start -= 1
    if start == 0:
        start = header  # the file's own opening comment
    end = last + 1
    while end < len(lines) and _is_comment(lines[end]):
        end += 1
    if start == 0 or not lines[start - 1].strip():
        while end < len(lines) and not lines[end].strip():
            end += 1
    del lines[start:end]


def _edit_with_tomlkit(text: str, service: str, document: str, paused: bool | None) -> str:
    import tomlkit

    doc = tomlkit.parse(text)
    documents = doc[service]
    if paused is None:
        del documents[document]
        if not documents:
            del doc[service]
    elif paused:
        documents[document]["paused"] = True
    else:
        del documents[document]["paused"]
    return tomlkit.dumps(doc)
