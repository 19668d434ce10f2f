"""Third parties: what kind of site a host a page contacted is (advertising, analytics…).

The kinds come from third-party-web, the entity list behind Lighthouse's third-party
audits, copied into tracker/data/ with its licence by scripts/refresh-third-party-web
(decision record 20); none is typed here. A host is matched by its registrable domain
(Public Suffix List, tldextract's bundled snapshot: nothing is downloaded at run time).
"""

import ipaddress
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "third-party-web"
ADVERTISING, ANALYTICS, SOCIAL, TAG_MANAGER, CDN, OTHER = (
    "advertising", "analytics", "social media", "tag manager", "CDN or fonts", "other")
# the list's categories, in our kinds; its other categories (utility, hosting, marketing,
# customer success, consent provider, video, content) are "other"
_KINDS = {"ad": ADVERTISING, "analytics": ANALYTICS, "social": SOCIAL, "tag-manager": TAG_MANAGER, "cdn": CDN}


@dataclass(frozen=True)
class Classification:
    """A host, its kind, and what the list says of it (entity and category; "" when unlisted)."""

    host: str
    kind: str
    entity: str = ""
    category: str = ""

    @property
    def source(self) -> str:
        """Where the kind comes from, for a reader to check it."""
        if not self.entity:
            return f"not in {self.listed_in}"
        return f"{self.listed_in}: {self.entity}, category {self.category!r}"

    @property
    def listed_in(self) -> str:
        """The list that was asked, whether or not it names the host (the site words `source` in
        its own language from this, the entity and the category)."""
        return source()


@cache
def source() -> str:
    """The list and its version, as it is cited: "third-party-web 0.30.0"."""
    return f"third-party-web {(DATA / 'VERSION').read_text(encoding='utf-8').strip()}"


def registrable_domain(host: str) -> str:
    """The part of a host name one owner registers ("bbc.co.uk" of "www.bbc.co.uk"); an IP
    address, or a name of one label ("localhost"), is its own. A top-level domain the list
    does not name is a public suffix (the list's default rule "*")."""
    host = host.lower().strip("[]").rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    return _extract()(host).top_domain_under_public_suffix or ".".join(host.split(".")[-2:])


def classify(host: str) -> Classification:
    """The kind of a host: by its own name in the list, else by a parent name the list covers
    with "*.", up to its registrable domain (a list entry never spans a public suffix)."""
    host = host.lower().rstrip(".")
    exact, wildcard = _index()
    entity = exact.get(host)
    if entity is None:
        floor = registrable_domain(host)
        labels = host.split(".")
        for start in range(len(labels)):
            name = ".".join(labels[start:])
            entity = wildcard.get(name)
            if entity is not None or name == floor:
                break
    if entity is None:
        return Classification(host, OTHER)
    name, category = entity
    return Classification(host, _KINDS.get(category, OTHER), name, category)


@cache
def _extract():
    import tldextract  # here: only pages a browser saw are classified

    # the bundled Public Suffix List snapshot, no download (suffix_list_urls=()) and no cache on disk
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@cache
def _index() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """(exact names, names covered with their subdomains) -> (entity, category)."""
    exact: dict[str, tuple[str, str]] = {}
    wildcard: dict[str, tuple[str, str]] = {}
    for entity in json.loads((DATA / "entities.json").read_text(encoding="utf-8")):
        for domain in entity.get("domains", ()):
            found = (entity["name"], entity.get("category", "other"))
            if domain.startswith("*."):
                wildcard.setdefault(domain[2:].lower(), found)
            else:
                exact.setdefault(domain.lower(), found)
    return exact, wildcard
