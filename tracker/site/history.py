"""The life of every pledge of a document: when it first appeared, each change, when it went.

Read backwards from the latest version: its pledges are alive; each version's changes,
newest first, lead a pledge back to its earlier words (weakened, reworded…), to the
pledges it was merged from or split from, to its first appearance (added), or bring
back a pledge that a later version removed. Whatever is still alive at the first
version was made from the start. A pledge's anchor hashes its first words and the
version they appeared in: later versions never change it (decision record 19).
"""

import hashlib
from dataclasses import dataclass, field, replace

from tracker.align import key
from tracker.archive import Store
from tracker.site.model import Change, Document


@dataclass(frozen=True)
class Step:
    """One change of one pledge: the version that made it, and the change as the archive keeps it."""

    version: str
    date: str
    change: dict


@dataclass
class Life:
    text: str  # its latest words (its last words for a pledge no longer made)
    current: bool
    since: str = ""  # the version it first appeared in; "" until the walk ends
    until: str = ""  # the version it disappeared in (removed, merged into another, split)
    first_text: str = ""
    steps: list[Step] = field(default_factory=list)  # oldest first
    became: list["Life"] = field(default_factory=list)
    came_from: list["Life"] = field(default_factory=list)

    anchor: str = ""  # set when the walk ends: its first version and first words are known then


@dataclass(frozen=True)
class History:
    lives: tuple[Life, ...]  # current pledges first, each group in the order of its latest words
    anchors: dict[tuple[str, int], str]  # (version, index of the change in Change.changes) -> anchor
    dates: dict[str, str]  # version id -> its date
    groups: list[tuple[str, list[str]]] = field(default_factory=list)  # the current commitments by heading

    def anchors_of(self, change: Change) -> list[str]:
        """The anchor of the pledge of each item of a change, in order ("" for none)."""
        return [self.anchors.get((change.version.id, n), "") for n in range(len(change.changes))]


def of_document(archive: Store, document: Document) -> History:
    """The lives of the pledges of an archived document."""
    groups = commitments(archive, document)
    return replace(history(document, [text for _, texts in groups for text in texts]), groups=groups)


def commitments(archive: Store, document: Document) -> list[tuple[str, list[str]]]:
    """The commitments of a document's latest version, grouped under their headings."""
    from tracker.pledges import segment

    latest = document.latest
    text = archive.text(document.service, document.document, latest)
    lang = latest.lang or "en"
    groups: dict[str, list[str]] = {}
    for pledge in segment(text, lang):
        if pledge.is_commitment:
            groups.setdefault(pledge.context, []).append(pledge.text)
    return list(groups.items())


def history(document: Document, current: list[str]) -> History:
    """The lives of the pledges of a document whose latest version makes the pledges `current`."""
    live: dict[str, list[Life]] = {}
    order: list[Life] = []

    def born(text: str, is_current: bool = False) -> Life:
        life = Life(text, is_current)
        order.append(life)
        return life

    def alive(text: str) -> None | Life:
        found = live.get(key(text))
        return found.pop() if found else None

    def keep(life: Life, text: str) -> None:
        life.first_text = text
        live.setdefault(key(text), []).append(life)

    for text in current:
        keep(born(text, True), text)
    owners: dict[tuple[str, int], Life] = {}
    for change in reversed(document.changes):
        _walk_back(change, alive, born, keep, owners)
    first = document.versions[0].id
    for lives in live.values():
        for life in lives:
            life.since = life.since or first
    for life in order:
        life.anchor = "p-" + hashlib.sha1(f"{life.since}\n{life.first_text}".encode()).hexdigest()[:10]
    current_first = sorted(order, key=lambda life: not life.current)
    return History(tuple(current_first), {where: life.anchor for where, life in owners.items()},
                   {v.id: v.date for v in document.versions})


def _walk_back(change: Change, alive, born, keep, owners) -> None:
    """Undo one version's changes: the pledges alive just before it."""
    version = change.version.id
    for n, item in enumerate(change.changes):
        step = Step(version, change.version.date, item)
        kind, old, new = item["type"], item["old"], item["new"]
        if kind == "removed":
            life = born(old)
            life.until = version
            life.steps.insert(0, step)
            keep(life, old)
        elif kind == "added":
            life = alive(new) or born(new)
            life.since, life.first_text = version, new
            life.steps.insert(0, step)
        elif kind == "merged" or isinstance(old, list):  # several pledges became one
            merged = alive(new if isinstance(new, str) else new[0]) or born(str(new))
            merged.since, merged.first_text = version, new if isinstance(new, str) else new[0]
            merged.steps.insert(0, step)
            for text in old:
                part = born(text)
                part.until, part.became = version, [merged]
                part.steps.insert(0, step)
                merged.came_from.append(part)
                keep(part, text)
            life = merged
        elif kind == "split" or isinstance(new, list):  # one pledge became several
            whole = born(old)
            whole.until = version
            whole.steps.insert(0, step)
            for text in new:
                part = alive(text) or born(text)
                part.since, part.first_text = version, text
                part.steps.insert(0, step)
                part.came_from.append(whole)
                whole.became.append(part)
            keep(whole, old)
            life = whole
        else:  # weakened, strengthened, reworded: the same pledge in other words
            life = alive(new) or born(new)
            life.steps.insert(0, step)
            keep(life, old)
        owners[version, n] = life


def as_json(found: History) -> list[dict]:
    """The lives as data/pledges.json lists them for one document; keys with nothing to say
    (no change, not gone, no merge or split) are left out: most pledges never change."""
    result = []
    for life in found.lives:
        entry = {"id": life.anchor, "text": life.text, "current": life.current, "since": life.since}
        entry.update({k: v for k, v in (
            ("until", life.until), ("became", [p.anchor for p in life.became]),
            ("came_from", [p.anchor for p in life.came_from]),
            ("changes", [{"version": s.version, **s.change} for s in life.steps])) if v})
        result.append(entry)
    return result
