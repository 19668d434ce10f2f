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


def test_states_saved_in_a_batch_reach_the_disk_at_its_end_beside_other_writers(tmp_path):
    run, other = Archive(tmp_path), Archive(tmp_path)
    with run.batch():
        run.save_state("acme", "privacy", {"status": "unchanged"})
        assert run.state("acme", "privacy") == {"status": "unchanged"}  # the run sees its own
        assert other.state("acme", "privacy") == {}  # not written yet: one write per run
        other.save_state("globex", "terms", {"status": "failed"})  # another process, meanwhile
    assert Archive(tmp_path).states() == {"acme/privacy": {"status": "unchanged"},
                                          "globex/terms": {"status": "failed"}}


def test_versions_recorded_in_a_batch_are_indexed_at_its_end(tmp_path):
    from tracker import index

    archive = Archive(tmp_path)
    with archive.batch():
        record(archive, "one\n")
        record(archive, "two\n", T0 + timedelta(days=1))
        assert index.counts(tmp_path) == {}
    assert index.counts(tmp_path) == {("acme", "privacy"): 2}


def test_states_of_an_archive_kept_one_file_per_document_are_still_read(tmp_path):
    legacy = tmp_path / "_state" / "acme" / "privacy.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text('{"etag": "\\"v1\\"", "status": "unchanged"}')
    archive = Archive(tmp_path)
    assert archive.state("acme", "privacy")["etag"] == '"v1"'
    archive.save_state("globex", "terms", {"status": "new"})
    assert set(Archive(tmp_path).states()) == {"acme/privacy", "globex/terms"}


def test_an_unreadable_state_file_is_one_clear_error(tmp_path):
    (tmp_path / "_state").mkdir()
    (tmp_path / "_state" / "checks.json").write_text("{not json")
    with pytest.raises(ArchiveError, match="unreadable state file"):
        Archive(tmp_path).state("acme", "privacy")


def test_a_temporary_file_left_by_a_killed_process_with_our_pid_is_stepped_over(tmp_path, monkeypatch):
    import itertools
    import os

    import tracker.archive

    monkeypatch.setattr(tracker.archive, "_TMP_NUMBERS", itertools.count())
    (tmp_path / "_state").mkdir()
    (tmp_path / "_state" / f".checks.json.{os.getpid()}.0.tmp").write_text("debris")
    archive = Archive(tmp_path)
    archive.save_state("acme", "privacy", {"status": "new"})
    assert Archive(tmp_path).state("acme", "privacy") == {"status": "new"}
