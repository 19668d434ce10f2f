"""The timeline picture of a service: one row per document, a mark per version,
bars for the pledges lost (up, red) and gained (down, green) at each change.

Only geometry is computed here; tracker/templates/_timeline.html draws it as inline SVG.
"""

from dataclasses import dataclass
from datetime import datetime

from tracker.site.messages import Messages
from tracker.site.model import Service

WIDTH, LEFT, RIGHT, ROW, TOP = 760, 170, 20, 70, 30
BAR_UNIT, BAR_MAX = 6, 28
LOST, GAINED = ("removed", "weakened"), ("strengthened", "added")


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    label: str  # what a screen reader and a tooltip say
    lost: int
    gained: int

    @property
    def lost_height(self) -> float:
        return min(BAR_MAX, self.lost * BAR_UNIT)

    @property
    def gained_height(self) -> float:
        return min(BAR_MAX, self.gained * BAR_UNIT)


@dataclass(frozen=True)
class Row:
    name: str
    y: float
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    left: int
    right: int
    rows: tuple[Row, ...]
    ticks: tuple[tuple[float, str], ...]  # (x, year)


def timeline(service: Service, t: Messages) -> Timeline:
    times = [_when(v.fetched_at) for d in service.documents for v in d.versions]
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 1.0)

    def x(when: datetime) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (when - start).total_seconds() / span

    rows = []
    for n, document in enumerate(service.documents):
        y = TOP + ROW * n + ROW / 2
        changes = {c.version.id: c for c in document.changes}
        marks = []
        for version in document.versions:
            change = changes.get(version.id)
            counts = dict(change.counts) if change else {}
            lost = sum(counts.get(k, 0) for k in LOST)
            gained = sum(counts.get(k, 0) for k in GAINED)
            what = t.summary(change.counts) if change else t("counts.first")
            marks.append(Mark(x(_when(version.fetched_at)), y, f"{version.date}: {what}", lost, gained))
        rows.append(Row(document.title, y, tuple(marks)))
    ticks = tuple((x(datetime(year, 1, 1, tzinfo=start.tzinfo)), str(year))
                  for year in range(start.year + 1, end.year + 1))
    return Timeline(WIDTH, TOP + ROW * len(rows) + 10, LEFT, RIGHT, tuple(rows), ticks)


def _when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)
