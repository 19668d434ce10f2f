"""Promises against practice: pledges that rule out tracking, set beside the third-party
hosts the same page loaded in the same version.

A pledge rules out a kind of host when it says no (a `rules_out` word of the language's
[practice] table) and speaks of that kind (its topic words). When the page of that
version loaded a host of that kind, that is a contradiction. Only a browser's visit
observes what a page loads: a version fetched plainly claims nothing either way.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from tracker import lang, thirdparty
from tracker.archive import Archive, Version
from tracker.thirdparty import ADVERTISING, ANALYTICS, SOCIAL, Classification

# in English in data/practice.json and `tracker show --practice`; the site says them in its own
# language ([practice] of tracker/lang/site/<code>.toml)
CONDITIONS = ("the page was loaded by a headless browser with a fresh profile (no cookies, nothing stored) "
              "and no consent given")
NOT_OBSERVED = "the page's practice was not observed: no browser loaded this version (a plain fetch sees no requests)"
TRACKING = "tracking"
# the topics of the language files, in kinds of host; `tracking` speaks of every kind that tracks
TOPICS = {"advertising": (ADVERTISING,), "analytics": (ANALYTICS,), "social": (SOCIAL,),
          TRACKING: (ADVERTISING, ANALYTICS, SOCIAL)}


@dataclass(frozen=True)
class Contradiction:
    """A pledge ruling out a kind of host, and a host of that kind the page loaded."""

    pledge: str
    loaded: Classification  # the host, its kind and where the kind comes from (entity, category)
    version: str

    @property
    def host(self) -> str:
        return self.loaded.host

    @property
    def kind(self) -> str:
        return self.loaded.kind

    @property
    def source(self) -> str:
        return self.loaded.source

    @property
    def key(self) -> tuple[str, str]:
        return self.pledge, self.host

    def to_dict(self) -> dict:
        return {"pledge": self.pledge, "host": self.host, "kind": self.kind, "source": self.source,
                "version": self.version, "conditions": CONDITIONS}


@dataclass(frozen=True)
class Practice:
    """A document's latest version seen by a browser: the hosts it loaded, the contradictions."""

    service: str
    document: str
    version: str | None  # None: no browser ever loaded the page
    hosts: tuple[Classification, ...] = ()
    contradictions: tuple[Contradiction, ...] = ()
    latest: bool = True  # the observed version is the document's latest

    @property
    def observed(self) -> bool:
        return self.version is not None

    @property
    def conditions(self) -> str:
        return CONDITIONS if self.observed else NOT_OBSERVED

    def to_dict(self) -> dict:
        return {
            "service": self.service, "document": self.document, "observed": self.observed,
            "version": self.version, "latest": self.latest,
            "conditions": self.conditions,
            "hosts": [{"host": h.host, "kind": h.kind, "source": h.source} for h in self.hosts],
            "contradictions": [c.to_dict() for c in self.contradictions],
        }


@dataclass(frozen=True)
class Event:
    """A contradiction that appeared or ended with a version (for the feed)."""

    service: str
    document: str
    version: Version
    appeared: tuple[Contradiction, ...]
    ended: tuple[Contradiction, ...]

    @property
    def key(self) -> str:
        return f"practice/{self.service}/{self.document}/{self.version.id}"


def observed(version: Version) -> bool:
    """Whether a browser loaded the page of this version (versions from before `via` was kept
    count when they list a third party)."""
    return version.via == "browser" or bool(version.third_parties)


def ruled_out(sentence: str, code: str) -> frozenset[str]:
    """The kinds of host a sentence rules out (none when it says no to nothing)."""
    patterns = _patterns(code)
    if not patterns or not patterns["rules_out"].search(sentence):
        return frozenset()
    named = [topic for topic in TOPICS if topic in patterns and patterns[topic].search(sentence)]
    specific = [topic for topic in named if topic != TRACKING]  # "advertising trackers": advertising only
    return frozenset(kind for topic in specific or named for kind in TOPICS[topic])


def contradictions(
    text: str, code: str, version: Version
) -> tuple[tuple[Classification, ...], tuple[Contradiction, ...]]:
    """The third parties of a version with their kinds, and the contradictions between them
    and the version's text."""
    from tracker.pledges import segment

    hosts = tuple(map(thirdparty.classify, version.third_parties))  # other sites only (tracker.browser)
    found = []
    for pledge in segment(text, code) if hosts else ():
        kinds = ruled_out(pledge.text, code)
        found.extend(Contradiction(pledge.text, h, version.id) for h in hosts if h.kind in kinds)
    return hosts, tuple(found)


def of_document(archive: Archive, service: str, document: str, versions: Iterable[Version] | None = None) -> Practice:
    """The practice of a document's latest version a browser loaded."""
    versions = list(archive.versions(service, document) if versions is None else versions)
    seen = [v for v in versions if observed(v)]
    if not seen:
        return Practice(service, document, None)
    version = seen[-1]
    hosts, found = contradictions(archive.text(service, document, version), version.lang or "en", version)
    return Practice(service, document, version.id, hosts, found, latest=version.id == versions[-1].id)


def walk(archive: Archive, service: str, document: str, versions: Iterable[Version]) -> tuple[Practice, list[Event]]:
    """The document's practice (as of_document) and the contradictions that appeared or ended,
    version by version, each version a browser loaded read once; a version no browser
    loaded says nothing, so it neither starts nor ends one."""
    versions = list(versions)
    found, before, practice = [], {}, Practice(service, document, None)
    for version in versions:
        if not observed(version):
            continue
        hosts, now_found = contradictions(archive.text(service, document, version), version.lang or "en", version)
        practice = Practice(service, document, version.id, hosts, now_found, latest=version.id == versions[-1].id)
        now = {c.key: c for c in now_found}
        appeared = tuple(c for k, c in now.items() if k not in before)
        ended = tuple(c for k, c in before.items() if k not in now)
        if appeared or ended:
            found.append(Event(service, document, version, appeared, ended))
        before = now
    return practice, found


def as_text(practice: Practice) -> str:
    """What `tracker show --practice` prints."""
    if not practice.observed:
        return f"{practice.service}/{practice.document}: {NOT_OBSERVED}.\n"
    lines = [f"{practice.service}/{practice.document}, version {practice.version}"
             + ("" if practice.latest else " (the latest version a browser loaded)") + f": {CONDITIONS}."]
    if not practice.hosts:
        lines.append("It loaded nothing from other sites.")
    for host in practice.hosts:
        lines.append(f"loaded {host.host}: {host.kind} ({host.source})")
    if not practice.contradictions:
        lines.append("No pledge rules out what it loaded.")
    for c in practice.contradictions:
        lines.append(f"contradiction: {c.pledge!r} — yet the page loaded {c.host}, {c.kind} ({c.source})")
    return "\n".join(lines) + "\n"


@cache
def _patterns(code: str) -> dict[str, re.Pattern[str]]:
    """The [practice] table of a language file, one regex per entry."""
    return {name: re.compile("|".join(lang.cue(p).source for p in phrases), re.IGNORECASE)
            for name, phrases in lang.table(code, "practice").items()}
