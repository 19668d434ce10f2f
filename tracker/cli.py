"""The `tracker` command: a thin layer over the library, one function per command.

Every TrackerError ends as one line on stderr and a non-zero exit, never a traceback.
"""

import json
import os
import sys
from pathlib import Path

import click

from tracker.cli_import import import_declarations, import_history
from tracker.cli_notify import notify_group
from tracker.cli_watch import LANGS, SITE_LANGS, add, pause_document, remove_document, resume_document
from tracker.errors import ArchiveError, TrackerError, WatchlistError


class _Command(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TrackerError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(1)
        except OSError as error:  # a path that is a folder, not writable, on no disk…
            where = f": {error.filename}" if error.filename else ""
            click.echo(f"error: {error.strerror or error}{where}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_Command)
@click.option("--watchlist", type=click.Path(path_type=Path), default=Path("watchlist.toml"),
              show_default=True, help="The watchlist file.")
@click.option("--archive", default="snapshots", show_default=True,
              help="The archive: a folder, or a PostgreSQL database as postgresql://user@host/db.")
@click.version_option(package_name="pledge-tracker")
@click.pass_context
def cli(ctx: click.Context, watchlist: Path, archive: str) -> None:
    """Watch privacy policies and report which pledges got weaker."""
    ctx.obj = {"watchlist": watchlist, "archive": archive}


def _archive(ctx: click.Context):
    from tracker.archive import open_archive

    return open_archive(ctx.obj["archive"])


def _sources(ctx: click.Context, required: bool = False):
    """The watchlist; `required`: a command that has nothing to do without one says so."""
    from tracker.watchlist import load

    watchlist = load(ctx.obj["watchlist"])
    if required and not watchlist.sources and not ctx.obj["watchlist"].exists():
        raise WatchlistError(f"no watchlist at {ctx.obj['watchlist']}: add a source with tracker add URL …")
    return watchlist


@cli.command(name="list")
@click.pass_context
def list_sources(ctx):
    """Show each source with its last check, status and number of versions."""
    watchlist, archive = _sources(ctx, required=True), _archive(ctx)
    counts, states = archive.counts(), archive.states()
    lines = []
    for source in watchlist.sources:
        state = states.get(source.key, {})
        count = counts.get((source.service, source.document), 0)
        status = state.get("status", "never checked")
        if state.get("error"):
            status += f" ({state['error']})"
        if source.paused:
            status = f"paused, last check: {status}" if state else "paused, never checked"
        checked = state.get("checked_at", "-")
        lines.append(f"{source.key}\t{checked}\t{count} version{'s' * (count != 1)}\t{status}\t{source.url}")
    if lines:
        click.echo("\n".join(lines))  # one write call, not one per line (decision record 12)
    for problem in watchlist.problems:
        click.echo(f"problem: {problem}", err=True)


@cli.command()
@click.argument("names", nargs=-1, metavar="[SERVICE[/DOCUMENT]]...")
@click.option("--workers", default=8, show_default=True, help="Documents fetched at once.")
@click.option("--allow-file", is_flag=True, help="Read file:// sources (refused otherwise).")
@click.option("--local", is_flag=True, help="With a PostgreSQL archive: check here, not in the workers.")
@click.pass_context
def check(ctx, names, workers, allow_file, local):
    """Fetch all (or the named) sources now and archive what changed."""
    from tracker.processes import ProcessPool

    watchlist = _sources(ctx, required=True)
    sources = watchlist.select(names)
    archive, warn = _archive(ctx), lambda line: click.echo(line, err=True)
    if _in_database(ctx) and not local:
        from tracker import notify
        from tracker.check import FAILED, HELD
        from tracker.jobs import check_in_workers, workers_alive
        from tracker.progress import progress

        archive.documents()  # a database that cannot be reached, or has no tables, is said now
        notify.before_check(archive, ctx.obj["watchlist"], log=warn)
        if not workers_alive(ctx.obj["archive"]):
            click.echo("no tracker worker is running: the checks wait in the queue until one starts "
                       "(or check here with --local)", err=True)
        with progress(len(sources), "checking in the workers") as advance:
            outcomes = check_in_workers(ctx.obj["archive"], sources, allow_file, on_done=lambda _: advance())
    else:
        # started before the rest of the run is imported: its server loads the engine meanwhile
        with ProcessPool.for_run(len(sources)) as pool:
            from tracker import notify
            from tracker.check import FAILED, HELD, check_all
            from tracker.progress import progress

            notify.before_check(archive, ctx.obj["watchlist"], log=warn)
            with progress(len(sources), "checking") as advance:
                outcomes = check_all(sources, archive, workers=workers, allow_file=allow_file,
                                     on_done=lambda _: advance(), pool=pool)
    # here, not in the workers: this process has the watchlist and every outcome of the round
    notify.after_check(archive, ctx.obj["watchlist"], watchlist.sources,
                       changed=any(o.version for o in outcomes), log=warn)
    for outcome in outcomes:
        via = f" (via {outcome.via})" if outcome.via else ""
        if outcome.status in (FAILED, HELD):
            click.echo(f"{outcome.status:<10} {outcome.source.key}{via}: {outcome.error}", err=True)
        elif outcome.version:
            counts = _count_types(outcome.version.changes)
            click.echo(f"{outcome.status:<10} {outcome.source.key}" + (f" ({counts})" if counts else "") + via)
    for problem in watchlist.problems:
        click.echo(f"skipped    {problem}", err=True)
    totals = {s: sum(o.status == s for o in outcomes) for s in ("new", "changed", "unchanged", "held", "failed")}
    browsed = sum(o.via == "browser" for o in outcomes)
    paused = sum(s.paused for s in watchlist.sources) - sum(s.paused for s in sources)
    click.echo(", ".join(f"{n} {s}" for s, n in totals.items() if n or s != "held")
               + (f" ({browsed} via browser)" if browsed else "")
               + (f"; {paused} paused, not checked" if paused else ""))
    if totals["failed"] or watchlist.problems:
        ctx.exit(1)


def _count_types(changes) -> str:
    from collections import Counter

    counts = Counter(change["type"] for change in changes)
    return ", ".join(f"{n} {kind}" for kind, n in counts.most_common())


def _split_key(key: str) -> tuple[str, str]:
    service, slash, document = key.partition("/")
    if not slash:
        raise click.BadParameter(f"expected SERVICE/DOCUMENT, got {key!r}")
    return service, document


@cli.command()
@click.argument("key", metavar="SERVICE/DOCUMENT")
@click.option("--pledges", is_flag=True, help="Follow every pledge instead: when it appeared, changed, went.")
@click.pass_context
def history(ctx, key, pledges):
    """List the versions of a document."""
    archive = _archive(ctx)
    service, document = _split_key(key)
    versions = archive.versions(service, document)
    if not versions:
        raise ArchiveError(f"{key} has no version in {archive}")
    if pledges:
        from tracker.report import pledges_as_text
        from tracker.site.history import of_document
        from tracker.site.model import read_document

        found = of_document(archive, read_document(archive, service, document, _sources(ctx).sources, {}))
        click.echo(pledges_as_text(found), nl=False)
        return
    number = {version.id: n for n, version in enumerate(versions, 1)}
    for version in versions:
        if not version.previous:
            note = "first version"
        elif version.same_as:
            note = f"back to the text of #{number[version.same_as]}"
        else:
            note = _count_types(version.changes) or "text changed, no pledge"
        click.echo(f"#{number[version.id]}\t{version.id}\t{version.kind}\t{note}")


@cli.command()
@click.argument("key", metavar="SERVICE/DOCUMENT")
@click.argument("version", required=False)
@click.option("--practice", is_flag=True, help="Print what its page loaded and the pledges that contradicts.")
@click.pass_context
def show(ctx, key, version, practice):
    """Print one version of a document (the latest by default)."""
    archive = _archive(ctx)
    service, document = _split_key(key)
    from tracker.archive import pick_version

    versions = archive.versions(service, document)
    chosen = pick_version(versions, key, version, archive)
    if practice:  # of the chosen version, or of the latest one before it that a browser loaded
        from tracker.practice import as_text, of_document

        seen = of_document(archive, service, document, versions[: versions.index(chosen) + 1])
        click.echo(as_text(seen), nl=False)
        return
    click.echo(archive.text(service, document, chosen), nl=False)


@cli.command()
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("--lang", type=LANGS, help="Language of both texts (detected when absent).")
def diff(old, new, fmt, lang):
    """Compare two documents (files or URLs) pledge by pledge."""
    from tracker import report
    from tracker.compare import compare, detect_language
    from tracker.load import load_text

    old_text, new_text = load_text(old), load_text(new)
    lang = lang or detect_language(new_text)
    changes = compare(old_text, new_text, lang)
    if fmt == "json":
        click.echo(json.dumps({"changes": [c.to_dict() for c in changes]}, ensure_ascii=False, indent=1))
    elif fmt == "html":
        click.echo(report.diff_page(old, new, old_text, new_text, changes, lang))
    else:
        click.echo(report.as_text(changes, color=sys.stdout.isatty()), color=sys.stdout.isatty(), nl=False)


_OUT = click.option("--out", type=click.Path(path_type=Path), default=Path("site"), show_default=True,
                    help="Where the site is written.")
_BASE_URL = click.option("--base-url", default="", help="Public address of the site, for absolute links in feeds.")
_SITE_LANG = click.option("--lang", "site_lang", type=SITE_LANGS, default="en", show_default=True,
                          help="Language of the site's own words (reasons keep the document's).")


@cli.command()
@_OUT
@_BASE_URL
@_SITE_LANG
@click.pass_context
def build(ctx, out, base_url, site_lang):
    """Render the static site and its feeds from the archive."""
    from tracker.site import build_site

    home = build_site(_archive(ctx), _sources(ctx).sources, out, base_url=base_url, lang=site_lang)
    click.echo(f"site written to {home}")


@cli.command()
@_OUT
@_BASE_URL
@_SITE_LANG
@click.option("--workers", default=4, show_default=True, help="Checks run at once.")
@click.option("--allow-file", is_flag=True, help="Read file:// sources (refused otherwise).")
@click.pass_context
def run(ctx, out, base_url, site_lang, workers, allow_file):
    """Check each source at its interval and rebuild the site after a change."""
    from tracker.schedule import run_forever

    _sources(ctx, required=True)  # nothing to run without a watchlist: said now, not after idling
    archive = _archive(ctx)
    if not _in_database(ctx):
        run_forever(ctx.obj["watchlist"], archive, out, workers=workers, base_url=base_url,
                    allow_file=allow_file, lang=site_lang, log=click.echo)
        return
    import signal
    import threading

    from tracker.jobs import check_one, sole_scheduler

    url, stop = ctx.obj["archive"], threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with sole_scheduler(url, click.echo, stop) as scheduling:
        if scheduling:  # each due check is a job for the workers; this process waits for its outcome
            run_forever(ctx.obj["watchlist"], archive, out, workers=workers, base_url=base_url, lang=site_lang,
                        log=click.echo, stop=stop, check=lambda source: check_one(url, source, allow_file, stop))


@cli.command()
@click.option("--concurrency", default=4, show_default=True, help="Checks this worker runs at once.")
@click.option("--stalled-after", default=30.0, show_default=True,
              help="Seconds without a heartbeat after which another worker's jobs are run again.")
@click.pass_context
def worker(ctx, concurrency, stalled_after):
    """Run the checks that tracker check and tracker run enqueue in a PostgreSQL archive."""
    from tracker.jobs import run_worker

    url = _database_url(ctx)
    _archive(ctx).documents()  # a database that cannot be reached, or has no tables, is said now
    click.echo(f"worker running {concurrency} check(s) at once from {_archive(ctx)}; Ctrl-C to stop", err=True)
    run_worker(url, concurrency=concurrency, stalled_after=stalled_after)


@cli.command()
@click.pass_context
def verify(ctx):
    """Check that every version is whole and true to its hashes; tidy debris of interrupted runs."""
    from tracker.verify import verify as verify_archive

    report = verify_archive(_archive(ctx))
    for path in report.removed:
        click.echo(f"mended after an interrupted run: {path}")
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    click.echo(f"{report.versions} versions verified, {len(report.problems)} problem(s)")
    if report.problems:
        ctx.exit(1)


cli.add_command(add)
cli.add_command(remove_document)
cli.add_command(pause_document)
cli.add_command(resume_document)
cli.add_command(import_declarations)
cli.add_command(import_history)
cli.add_command(notify_group)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.pass_context
def export(ctx, folder):
    """Write the archive out as a plain-file archive in FOLDER (which tracker verify accepts)."""
    from tracker.archive import Archive
    from tracker.transfer import copy_archive

    copied = copy_archive(_archive(ctx), Archive(folder))
    click.echo(f"{copied.versions} versions of {copied.documents} documents written to {folder}"
               + (f" ({copied.skipped} already there)" if copied.skipped else ""))


@cli.command(name="import-archive")
@click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.pass_context
def import_archive(ctx, folder):
    """Load a plain-file archive from FOLDER into the archive (a PostgreSQL one, say)."""
    from tracker.archive import Archive
    from tracker.transfer import copy_archive

    archive = _archive(ctx)
    copied = copy_archive(Archive(folder), archive)
    click.echo(f"{copied.versions} versions of {copied.documents} documents loaded into {archive}"
               + (f" ({copied.skipped} already there)" if copied.skipped else ""))


@cli.command()
@click.pass_context
def reindex(ctx):
    """Rebuild the archive's index (snapshots/_index.sqlite) from its files."""
    versions, documents = _archive(ctx).reindex()
    click.echo(f"indexed {versions} versions of {documents} documents")


@cli.group(cls=_Command)
def db():
    """Manage a PostgreSQL archive (--archive postgresql://…)."""


@db.command()
@click.pass_context
def upgrade(ctx):
    """Create the archive's tables in the database, or bring them to this version's schema."""
    from tracker.pgarchive import redacted
    from tracker.pgarchive import upgrade as upgrade_schema

    url = _database_url(ctx)
    applied = upgrade_schema(url)
    done = f"schema migration(s) {', '.join(map(str, applied))} applied" if applied else "schema already up to date"
    click.echo(f"{redacted(url)}: {done}")


def _in_database(ctx: click.Context) -> bool:
    from tracker.archive import is_database

    return is_database(ctx.obj["archive"])


def _database_url(ctx: click.Context) -> str:
    if not _in_database(ctx):
        raise click.UsageError(f"tracker {ctx.info_name} needs a PostgreSQL archive: "
                               f"tracker --archive postgresql://… {ctx.command_path.partition(' ')[2]}")
    return ctx.obj["archive"]


def main() -> None:
    """The console script. When a command is done the process ends at once (os._exit),
    skipping interpreter finalization (freeing every module, cache and compiled pattern;
    decision record 8): a command leaves nothing to tidy (its files, pools and browser are closed)."""
    try:
        cli(prog_name="tracker")
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a broken pipe, EPIPE (tracker list | head): nothing more to say
            pass
    os._exit(code)
