"""Render pledge changes for people: a terminal report and a standalone HTML page.

The order is the reader's priority: what was lost comes first.
"""

from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

import click

TEMPLATES = Path(__file__).resolve().parent / "templates"  # package data: travels in the wheel
SEVERITY = ("removed", "weakened", "merged", "split", "strengthened", "added", "reworded")
LABELS = {
    "removed": "Removed",
    "weakened": "Weakened",
    "merged": "Merged",
    "split": "Split",
    "strengthened": "Strengthened",
    "added": "Added",
    "reworded": "Reworded",
}
_COLORS = {"removed": "red", "weakened": "red", "strengthened": "green", "added": "green"}


def by_severity(changes: Iterable[dict]) -> list[dict]:
    """Changes (as contract dicts), removed and weakened first, document order kept within a kind."""
    return sorted(changes, key=lambda change: SEVERITY.index(change["type"]))


def _quotes(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def as_text(changes, color: bool = False) -> str:
    """A plain report, one block per change; coloured labels on a terminal."""
    return dicts_as_text((c.to_dict() for c in changes), color)


def dicts_as_text(changes: Iterable[dict], color: bool = False) -> str:
    """as_text() of changes as contract dicts (as the archive keeps them)."""
    dicts = by_severity(changes)
    if not dicts:
        return "No pledge changed.\n"
    blocks = []
    for change in dicts:
        label = LABELS[change["type"]].upper()
        lines = [click.style(label, fg=_COLORS.get(change["type"]), bold=True) if color else label]
        if change.get("context"):
            lines[0] += f"  ({change['context']})"
        lines += [f"  - {quote}" for quote in _quotes(change["old"])]
        lines += [f"  + {quote}" for quote in _quotes(change["new"])]
        lines += [f"  why: {reason['detail']}" for reason in change["reasons"]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def pledges_as_text(found) -> str:
    """A pledge history (tracker.site.history.History) for a terminal: current pledges first,
    each with its anchor on the site, its first date, its changes and its end."""
    blocks = []
    for life in found.lives:
        span = found.dates[life.since] + (f" to {found.dates[life.until]}" if life.until else "")
        lines = [f"{'current' if life.current else 'gone'}  #{life.anchor}  {span}", f"  {life.text}"]
        for step in life.steps:
            change = step.change
            lines.append(f"  {step.date} {change['type']}")
            lines += [f"    - {quote}" for quote in _quotes(change["old"])]
            lines += [f"    + {quote}" for quote in _quotes(change["new"])]
            lines += [f"    why: {reason['detail']}" for reason in change["reasons"]]
        lines += [f"  became #{other.anchor}" for other in life.became]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else "No pledge found.\n"


@cache
def environment(lang: str = "en"):
    """The Jinja2 environment of the site and reports, speaking `lang` (the site's words in
    tracker/lang/site/); autoescape everywhere."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from tracker.site.messages import load

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    t = load(lang)
    env.globals.update(t=t, labels={kind: t(f"kinds.{kind}") for kind in SEVERITY}, quotes=_quotes, marked=marked,
                       marks_html=marks_html, pieces_html=pieces_html)
    return env


def marked(change: dict) -> tuple[list, list]:
    """The old and new quotes of a change as marks (tracker.worddiff.marks): the words its
    reasons name stand out from the rest of the difference. One list of marks per quote."""
    return _marked(tuple(_quotes(change["old"])), tuple(_quotes(change["new"])),
                   tuple(reason["detail"] for reason in change["reasons"]))


@lru_cache(maxsize=4096)  # a change is shown on its page, its pledge's history, the home page, feeds
def _marked(old: tuple[str, ...], new: tuple[str, ...], details: tuple[str, ...]) -> tuple[list, list]:
    from tracker.worddiff import BREAK, marks, named_words, paragraphs

    if not old or not new:
        return [[("", text)] for text in old], [[("", text)] for text in new]
    before, after = marks(BREAK.join(old), BREAK.join(new), named_words(list(details)))
    return paragraphs(before), paragraphs(after)


def pieces_html(pieces: list[tuple[int, str]]):
    """Pieces of a word-level difference as HTML: deleted words in <del>, inserted in <ins>,
    whitespace unmarked (tracker.worddiff); every text escaped."""
    from markupsafe import Markup, escape

    tags = {-1: "del", 1: "ins"}
    return Markup("".join(f"<{tags[op]}>{escape(text)}</{tags[op]}>" if op and text.strip() else escape(text)
                          for op, text in pieces))


def marks_html(marks: list, tag: str, plain: bool = False):
    """Marks as HTML, every text escaped: <del class="named">… on the site; in a feed (`plain`,
    no style sheet) a named word is <b> inside its <del> or <ins>. Written here, not in a
    template macro: it runs for every quote of every page."""
    from markupsafe import Markup, escape

    parts = []
    for how, text in marks:
        text = escape(text)
        if not how:
            parts.append(text)
        elif plain:
            parts.append(f"<{tag}><b>{text}</b></{tag}>" if how == "named" else f"<{tag}>{text}</{tag}>")
        else:
            parts.append(f'<{tag} class="{how}">{text}</{tag}>')
    return Markup("".join(parts))


def diff_page(old_name: str, new_name: str, old_text: str, new_text: str, changes, lang: str) -> str:
    """A standalone HTML page (no external resource) of a comparison, every word kept."""
    from tracker.worddiff import fold, word_diff

    return environment().get_template("diff.html").render(
        title=f"{old_name} → {new_name}",
        changes=by_severity(c.to_dict() for c in changes),
        blocks=fold(word_diff(old_text, new_text), keep_text=True),
        lang=lang,
        standalone=True,
        root="",
    )
