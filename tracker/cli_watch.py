"""`tracker add`, `remove`, `pause` and `resume`: the commands that edit the watchlist.

Kept apart from cli.py, like cli_import; cli.py adds them to the `tracker` group. They
read ctx.obj["watchlist"] and ctx.obj["archive"], set by the group's global options.
`tracker add --dry-run` reads the page as a check would, and writes nothing.
"""

from urllib.parse import urlsplit

import click

PREVIEW = 5  # the pledges a dry run prints
PREVIEW_CHARS = 160  # a pledge longer than this is cut
DRY_RUN_READ_TIMEOUT = 30.0  # seconds; a dry run makes one attempt: a person is waiting for the answer
_REFUSED = {403, 406, 429}  # what sites that refuse plain HTTP clients answer


class _Languages(click.Choice):
    """The languages that have a file in tracker/lang/ (tracker.lang.available), or for the
    site's own words in tracker/lang/site/ (tracker.site.messages.available), listed when a
    command that takes --lang runs or shows its help: `tracker --help` and `tracker list` never
    import the engine's language module."""

    def __init__(self, module: str = "tracker.lang") -> None:  # click.Choice.__init__ would list them now
        self.case_sensitive = True
        self.module = module

    @property
    def choices(self) -> tuple[str, ...]:
        from importlib import import_module

        return import_module(self.module).available()


LANGS = _Languages()
SITE_LANGS = _Languages("tracker.site.messages")


@click.command()
@click.argument("url")
@click.option("--service", required=True, help="Service name, e.g. 'Acme Health' (made a slug).")
@click.option("--document", required=True,
              help="Document type, e.g. 'Privacy Policy' (made a slug; the site shows it as written).")
@click.option("--select", multiple=True, help="CSS selector of the text to keep (repeatable).")
@click.option("--remove", multiple=True, help="CSS selector of parts to drop (repeatable).")
@click.option("--every", default="12h", show_default=True, help="Check interval: 30m, 12h, 7d…")
@click.option("--lang", type=LANGS, help="Language of the document (detected when absent).")
@click.option("--browser/--no-browser", default=None,
              help="Always fetch with a browser / never (default: when a plain fetch is blocked or finds no text).")
@click.option("--dry-run", is_flag=True,
              help="Fetch the page and show its language and first pledges; change nothing.")
@click.pass_context
def add(ctx, url, service, document, select, remove, every, lang, browser, dry_run):
    """Watch URL as SERVICE's DOCUMENT."""
    from tracker.watchlist import ALWAYS, AUTO, NEVER, Source, slugify
    from tracker.watchlist import add as add_source

    mode = AUTO if browser is None else ALWAYS if browser else NEVER
    source = Source(slugify(service), slugify(document), url, tuple(select), tuple(remove),
                    every, lang, name=service if slugify(service) != service else "",
                    title=document if slugify(document) != document else "", browser=mode)
    add_source(ctx.obj["watchlist"], source, dry_run=dry_run)
    if dry_run:
        _preview(source)
        return
    click.echo(f"watching {source.key} at {url} every {every}")


def _preview(source) -> None:
    """Read the page with the source's rules, as a check would, and say what it holds."""
    from tracker.errors import ExtractError
    from tracker.extract import HTML, sniff
    from tracker.pledges import segment
    from tracker.reading import read
    from tracker.watchlist import ALWAYS

    with_browser = source.browser == ALWAYS and urlsplit(source.url).scheme in ("http", "https")
    snapshot = _browse(source) if with_browser else _fetch(source)
    kind = sniff(snapshot.content, snapshot.content_type, snapshot.final_url)
    try:
        text, lang = read(snapshot.content, kind, snapshot.charset, source.select, source.remove, source.lang)
    except ExtractError as error:
        if not error.no_text:
            raise
        hint = "try other --select or --remove rules"
        if kind == HTML and not with_browser:
            hint += ", or --browser if a script writes the text"
        raise ExtractError(f"{error}: {hint}", no_text=True) from None
    pledges = [pledge for pledge in segment(text, lang) if pledge.is_commitment]
    lines = [f"{source.key}: {source.url}" + (" (via browser)" if with_browser else ""),
             f"language: {lang}" + ("" if source.lang else " (detected)"),
             f"pledges: {len(pledges)} in {len(text):,} characters of text"]
    lines += [f"  - {_shown(pledge.text)}" for pledge in pledges[:PREVIEW]]
    if len(pledges) > PREVIEW:
        lines.append(f"  … and {len(pledges) - PREVIEW} more")
    if not pledges:
        lines.append("no pledge found; the text starts:")
        lines += [f"  {_shown(line)}" for line in text.splitlines() if line.strip()][:3]
    lines.append("dry run: nothing written")
    click.echo("\n".join(lines))


def _fetch(source):
    from tracker.errors import FetchError
    from tracker.fetch import Limits, new_client
    from tracker.watchlist import AUTO

    client = new_client(Limits(read_timeout=DRY_RUN_READ_TIMEOUT, attempts=1), allow_file=True)  # named here
    try:
        return client.fetch(source.url)
    except FetchError as error:
        if error.status in _REFUSED and source.browser == AUTO:
            raise FetchError(f"{error}; if the site refuses plain clients, try --browser",
                             status=error.status) from None
        raise


def _browse(source):
    from tracker.browser import Browser

    with Browser() as browser:
        return browser.fetch(source.url, source.select).snapshot


def _shown(text: str) -> str:
    """A line of a watched page, fit for a terminal: no control character a terminal would
    obey, cut at PREVIEW_CHARS."""
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


_KEY = click.argument("key", metavar="SERVICE/DOCUMENT")


@click.command(name="remove")
@_KEY
@click.pass_context
def remove_document(ctx, key):
    """Stop watching a document; the archive keeps its versions."""
    from tracker.watchlist import remove

    remove(ctx.obj["watchlist"], key)
    from tracker.pgarchive import redacted  # a database URL may hold a password

    click.echo(f"no longer watching {key}; its versions stay in {redacted(ctx.obj['archive'])}")


@click.command(name="pause")
@_KEY
@click.pass_context
def pause_document(ctx, key):
    """Stop checking a document until `tracker resume`."""
    _set_paused(ctx, key, True)


@click.command(name="resume")
@_KEY
@click.pass_context
def resume_document(ctx, key):
    """Check a paused document again."""
    _set_paused(ctx, key, False)


def _set_paused(ctx, key: str, paused: bool) -> None:
    from tracker.watchlist import pause, resume

    if not (pause if paused else resume)(ctx.obj["watchlist"], key):
        click.echo(f"{key} was {'paused already' if paused else 'not paused'}")
    elif paused:
        click.echo(f"paused {key}: tracker check and tracker run skip it until tracker resume {key}")
    else:
        click.echo(f"resumed {key}: checked again by tracker check and tracker run")
