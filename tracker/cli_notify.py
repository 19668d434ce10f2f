"""`tracker notify …`: the notification targets of the watchlist's [notify] table.

Thin: tracker.notify checks a target; tomlkit appends it to the watchlist file, keeping
the rest of the file as written.
"""

from pathlib import Path
from urllib.parse import urlsplit

import click

from tracker.errors import WatchlistError


@click.group(name="notify")
def notify_group() -> None:
    """Tell webhooks or e-mail addresses of each change (the watchlist's [notify] table)."""


@notify_group.command(name="add")
@click.argument("url")
@click.option("--service", help="Only this service's changes (default: every service).")
@click.option("--only", type=click.Choice(["losses", "all"]), default="losses", show_default=True,
              help="losses: changes that remove or weaken a pledge; all: every change.")
@click.option("--secret", help="Webhook: sign each POST with HMAC-SHA256 of this key.")
@click.option("--every", help="E-mail, Apprise: one digest per interval (1d, 12h…), not one message per change.")
@click.pass_context
def add_target(ctx, url, service, only, secret, every):
    """Send changes to URL: http(s):// (a webhook), mailto: or smtp:// (e-mail), or an Apprise URL."""
    from tracker import notify
    from tracker.watchlist import slugify

    target = notify.check_target(notify.Target(url, slugify(service) if service else None, only, secret, every))
    path: Path = ctx.obj["watchlist"]
    if any(t.id == target.id for t in notify.settings(path).targets):
        raise WatchlistError(f"{target.label} is already a target for these changes")
    _append(path, target)
    click.echo(f"{target.label} will be told of {'every change' if only == 'all' else 'removed and weakened pledges'}"
               + (f" of {target.service}" if target.service else "")
               + (f", in a digest every {every}" if every else "") + " from the next check on")


def _append(path: Path, target) -> None:
    import tomlkit

    from tracker.notify import TARGET_KEYS
    from tracker.watchlist import NOTIFY

    text = path.read_text(encoding="utf-8") if path.exists() else ""
    doc = tomlkit.parse(text)
    table = doc.get(NOTIFY)
    if table is None:
        table = tomlkit.table(is_super_table=True)
        doc.add(NOTIFY, table)
    targets = table.get("target")
    if targets is None:
        targets = tomlkit.aot()
        table.append("target", targets)
    if not isinstance(targets, tomlkit.items.AoT):
        raise WatchlistError(f"[{NOTIFY}] target is not written as [[{NOTIFY}.target]] tables: add this one by hand")
    entry = tomlkit.table()
    for key in TARGET_KEYS:
        if getattr(target, key) is not None:
            entry[key] = getattr(target, key)
    targets.append(entry)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    if target.secret or urlsplit(target.url).password:  # a key or a password: for the owner's eyes only
        mode &= 0o700
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    tmp.chmod(mode)
    tmp.replace(path)
