"""Moving an archive between the two stores: `tracker export` (to plain files) and `tracker import-archive`.

Versions are copied as they are (same ids, links, hashes and changes), not recorded
anew, so that a site built from either archive is the same. Copying is idempotent:
a version the target already holds is skipped, so an interrupted copy is run again.
"""

from dataclasses import dataclass

from tracker.archive import Store


@dataclass(frozen=True)
class Copied:
    documents: int
    versions: int
    skipped: int  # already in the target


def copy_archive(source: Store, target: Store) -> Copied:
    """Every version of every document, the last-check states and the schedule's health."""
    copied = skipped = 0
    documents = source.documents()
    for service, document in documents:
        have = {v.id for v in target.versions(service, document)}
        for version in source.versions(service, document):
            if version.id in have:
                skipped += 1
                continue
            text = None if version.same_as else source.text(service, document, version)
            raw = source.raw(version.raw_sha256, version.kind) if version.raw_sha256 else None
            target.copy_version(service, document, version, text, raw)
            copied += 1
    target.save_states(source.states())
    if health := source.health():
        target.save_health(health)
    target.reindex()
    return Copied(len(documents), copied, skipped)
