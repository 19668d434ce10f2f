"""`tracker import-declarations` and `tracker import-history`: Open Terms Archive into this project.

Kept apart from cli.py so that the two commands and their reporting stay together;
cli.py adds them to the `tracker` group. They read ctx.obj["watchlist"] and
ctx.obj["archive"], set by the group's global options.
"""

from collections import Counter
from pathlib import Path

import click


@click.command(name="import-declarations")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="PATH..."
)
@click.pass_context
def import_declarations(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Watch the documents declared in OTA declaration files (or folders of them)."""
    from tracker import ota

    report = ota.import_declarations(paths, ctx.obj["watchlist"])
    for declared in report.declared:
        where = f" {declared.url}" if declared.status == ota.ADDED else ""
        click.echo(f"{declared.status:<16} {declared.key}{where}")
        for note in declared.notes:
            click.echo(f"    {note}")
    for problem in report.unreadable:
        click.echo(f"unreadable       {problem}", err=True)
    partial = sum(1 for d in report.declared if d.status == ota.ADDED and d.notes)
    click.echo(
        f"{report.count(ota.ADDED)} added ({partial} with rules not mapped), "
        f"{report.count(ota.ALREADY_WATCHED)} already watched, "
        f"{report.count(ota.NOT_IMPORTED)} not imported, {len(report.unreadable)} unreadable file(s)"
    )
    if report.unreadable or not (report.count(ota.ADDED) or report.count(ota.ALREADY_WATCHED)):
        ctx.exit(1)


@click.command(name="import-history")
@click.argument("path", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--service",
    "services",
    multiple=True,
    metavar="SLUG",
    help="Import only this service, as a slug (repeatable).",
)
@click.option("--workers", default=2, show_default=True, help="Documents imported at once.")
@click.pass_context
def import_history(ctx: click.Context, path: Path, services: tuple[str, ...], workers: int) -> None:
    """Import an OTA versions repository or dataset folder as past versions, with their changes."""
    from tracker import ota
    from tracker.archive import open_archive
    from tracker.progress import progress

    archive = open_archive(ctx.obj["archive"])
    history = ota.read_history(path)
    wanted = [d for d in history.documents if not services or d.service in services]
    unknown = set(services) - {d.service for d in history.documents}
    if unknown:
        raise click.BadParameter(
            f"not in {path}: {', '.join(sorted(unknown))}", param_hint="--service"
        )
    results = []
    with progress(sum(len(d.versions) for d in wanted), "importing") as advance:

        def done(document, imported) -> None:
            results.append(imported)
            for _ in document.versions:
                advance()

        ota.import_history(history, archive, services, workers=workers, on_document=done)
    for imported in results:
        if imported.added:
            counts = ", ".join(f"{n} {kind}" for kind, n in Counter(imported.changes).most_common())
            click.echo(
                f"imported   {imported.key}: {imported.added} version{'s' * (imported.added != 1)}"
                + (f" ({counts})" if counts else "")
            )
        for problem in imported.problems:
            click.echo(f"skipped    {imported.key} {problem}", err=True)
    for line in history.ignored:
        click.echo(f"ignored    {line}", err=True)
    total = Counter()
    for imported in results:
        total.update(added=imported.added, already=imported.already, unchanged=imported.unchanged)
    click.echo(
        f"{len(results)} documents: {total['added']} versions imported, {total['already']} already "
        f"in the archive, {total['unchanged']} with no text change"
    )
    if any(imported.problems for imported in results):
        ctx.exit(1)  # what was importable is imported; the skipped versions are listed above
