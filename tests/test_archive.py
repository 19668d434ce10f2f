import json
import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest

from tracker.archive import Archive
from tracker.errors import ArchiveError

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def record(archive, text, when=T0, service="acme", document="privacy"):
    with archive.lock(service, document):
        return archive.record(service, document, text, fetched_at=when, url="http://x", raw_sha256=None,
                              kind="html", lang="en", changes=[])


def test_versions_are_listed_oldest_first_and_read_back(tmp_path):
    archive = Archive(tmp_path)
    record(archive, "one\n", T0)
    record(archive, "two\n", T0 + timedelta(days=1))
    versions = archive.versions("acme", "privacy")
    assert [v.date for v in versions] == ["2024-01-01", "2024-01-02"]
    assert versions[1].previous == versions[0].id
    assert archive.text("acme", "privacy", archive.version("acme", "privacy", "2024-01-01")) == "one\n"


def test_a_page_blinking_back_is_a_return_not_new_text(tmp_path):
    archive = Archive(tmp_path)
    first = record(archive, "A\n", T0)
    record(archive, "B\n", T0 + timedelta(hours=1))
    back = record(archive, "A\n", T0 + timedelta(hours=2))
    assert back.same_as == first.id
    assert not (tmp_path / "acme" / "privacy" / f"{back.id}.md").exists()
    assert archive.text("acme", "privacy", back) == "A\n"


def test_versions_in_the_same_second_get_distinct_ids_in_order(tmp_path):
    archive = Archive(tmp_path)
    ids = [record(archive, f"{n}\n", T0).id for n in range(12)]
    assert len(set(ids)) == 12
    assert [v.id for v in archive.versions("acme", "privacy")] == ids


def test_raw_bytes_are_stored_once_per_hash(tmp_path):
    archive = Archive(tmp_path)
    digest = archive.store_raw(b"<p>x</p>", "html")
    assert archive.store_raw(b"<p>x</p>", "html") == digest
    assert len(list((tmp_path / "_raw").rglob("*.html"))) == 1
    assert archive.raw_path(digest, "html").read_bytes() == b"<p>x</p>"


def test_nothing_is_written_outside_the_archive_for_traversal_names(tmp_path):
    archive = Archive(tmp_path / "snapshots")
    with pytest.raises(ArchiveError, match="not a valid"):
        record(archive, "x\n", service="..", document="etc")
    assert not any(tmp_path.glob("etc*"))


def _record_many(root, n):
    archive = Archive(root)
    for i in range(n):
        record(archive, f"{multiprocessing.current_process().name} {i}\n", T0)


def test_two_processes_recording_at_once_lose_nothing(tmp_path):
    workers = [multiprocessing.Process(target=_record_many, args=(tmp_path, 15), name=f"p{k}") for k in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    versions = Archive(tmp_path).versions("acme", "privacy")
    assert len(versions) == 30
    for version in versions:
        json.loads((tmp_path / "acme" / "privacy" / f"{version.id}.json").read_text())
    assert not list(tmp_path.rglob("*.tmp"))
