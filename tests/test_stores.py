"""The archive's behaviour through its interface, the same for both stores: plain files and PostgreSQL."""

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from conftest import page

from tracker.archive import Checked, Draft, Moved, open_archive
from tracker.check import check_all
from tracker.cli import cli
from tracker.errors import ArchiveError
from tracker.fetch import Limits
from tracker.verify import verify
from tracker.watchlist import Source

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FAST = Limits(connect_timeout=1.0, read_timeout=1.0, attempts=2, backoff=0.01)
POLICY = page("We will never sell your personal data.", "We keep your data for 30 days.")
WEAKER = page("We may sell your personal data to partners.", "We keep your data for 30 days.")


@pytest.fixture(params=["files", "postgresql"])
def address(request, tmp_path):
    """Where an archive is: a folder, or a fresh PostgreSQL database."""
    if request.param == "files":
        return str(tmp_path / "snapshots")
    return request.getfixturevalue("pg_url")


def check(archive, *sources, at=T0):
    return check_all(sources, archive, workers=4, limits=FAST, now=at)


def draft(text: str, base: str | None, when=T0) -> Draft:
    return Draft(text, text.encode(), "text", when, "http://x", "en", (), base)


def commit(archive, text, base, when=T0, service="acme", document="privacy"):
    return archive.commit(Checked(service, document, None, draft(text, base, when)))


def test_checks_record_new_then_changed_versions_and_nothing_when_unchanged(server, address):
    archive = open_archive(address)
    source = Source("acme", "privacy", server.serve("/p", POLICY))
    [first] = check(archive, source)
    [same] = check(archive, source, at=T0 + timedelta(hours=1))
    server.serve("/p", WEAKER)
    [changed] = check(archive, source, at=T0 + timedelta(days=1))
    assert (first.status, same.status, changed.status) == ("new", "unchanged", "changed")
    versions = archive.versions("acme", "privacy")
    assert [v.id for v in versions] == [first.version.id, changed.version.id]
    assert versions[1].previous == versions[0].id
    assert any("may sell" in (c.get("new") or "") for c in versions[1].changes)
    assert "may sell your personal data" in archive.text("acme", "privacy", archive.version("acme", "privacy"))
    assert archive.version("acme", "privacy", "#1") == versions[0]
    assert archive.documents() == [("acme", "privacy")]
    assert archive.counts() == {("acme", "privacy"): 2}
    assert archive.states()["acme/privacy"]["status"] == "changed"
    assert verify(archive).problems == ()


def test_the_next_check_is_conditional_on_the_validators_the_last_one_kept(server, address):
    def conditional(h):
        if h.headers.get("If-None-Match") == '"v1"':
            h.send_response(304)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        body = POLICY.encode()
        h.send_response(200)
        h.send_header("ETag", '"v1"')
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    archive = open_archive(address)
    source = Source("acme", "privacy", server.serve("/p", handler=conditional))
    check(archive, source)
    [again] = check(archive, source, at=T0 + timedelta(hours=1))
    assert again.status == "unchanged"
    assert server.hits("/p")[-1].get("If-None-Match") == '"v1"'
    assert archive.prior("acme", "privacy").state["etag"] == '"v1"'


def test_a_return_to_an_earlier_text_points_to_it(address):
    archive = open_archive(address)
    a = commit(archive, "A\n", None)
    b = commit(archive, "B\n", a.id, T0 + timedelta(hours=1))
    back = commit(archive, "A\n", b.id, T0 + timedelta(hours=2))
    assert back.same_as == a.id and back.previous == b.id
    assert archive.text("acme", "privacy", back) == "A\n"
    assert verify(archive).problems == ()


def test_versions_in_the_same_second_get_distinct_ids_in_order(address):
    archive = open_archive(address)
    ids, base = [], None
    for n in range(12):
        base = commit(archive, f"{n}\n", base).id
        ids.append(base)
    assert len(set(ids)) == 12
    assert [v.id for v in archive.versions("acme", "privacy")] == ids


def test_a_commit_on_a_stale_base_writes_nothing(address):
    archive = open_archive(address)
    first = commit(archive, "one\n", None)
    commit(archive, "two\n", first.id)
    with pytest.raises(Moved):
        archive.commit(Checked("acme", "privacy", {"status": "changed"}, draft("three\n", first.id)))
    assert [v.previous for v in archive.versions("acme", "privacy")] == [None, first.id]
    assert archive.states() == {}


def test_raw_bytes_are_kept_once_per_hash_and_read_back(server, address):
    archive = open_archive(address)
    url = server.serve("/p", POLICY)
    [a, b] = check(archive, Source("acme", "privacy", url), Source("globex", "privacy", url))
    assert a.version.raw_sha256 == b.version.raw_sha256
    assert archive.raw(a.version.raw_sha256, "html") == POLICY.encode()
    assert archive.raw("0" * 64, "html") is None


def test_a_failed_first_check_keeps_a_state_and_no_document(server, address):
    archive = open_archive(address)
    [outcome] = check(archive, Source("acme", "privacy", server.serve("/gone", "x", status=404)))
    assert outcome.status == "failed"
    assert archive.documents() == []
    assert archive.states()["acme/privacy"]["failures"] == 1


def test_names_that_are_not_slugs_are_refused(address):
    archive = open_archive(address)
    with pytest.raises(ArchiveError, match="not a valid"):
        commit(archive, "x\n", None, service="..", document="etc")


def test_health_is_replaced_and_read_back(address):
    archive = open_archive(address)
    assert archive.health() == {}
    archive.save_health({"next_runs": {"acme/privacy": "2025-03-01T12:00:00+00:00"}})
    archive.save_health({"next_runs": {}})
    assert archive.health() == {"next_runs": {}}


def _commit_many(address: str, name: str, n: int) -> None:
    archive = open_archive(address)
    done = 0
    while done < n:
        latest = archive.prior("acme", "privacy").latest
        try:
            commit(archive, f"{name} {done}\n", latest.id if latest else None)
            done += 1
        except Moved:
            continue  # the other process recorded one meanwhile: build on it


def test_two_processes_committing_at_once_lose_nothing(address):
    # spawned, not forked: a fork copies the locks that the connection pool's threads hold
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=_commit_many, args=(address, f"p{k}", 15)) for k in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    archive = open_archive(address)
    versions = archive.versions("acme", "privacy")
    assert len(versions) == 30
    assert sorted(archive.text("acme", "privacy", v) for v in versions) == sorted(
        f"p{k} {n}\n" for k in range(2) for n in range(15))
    assert verify(archive).problems == ()


# -- the command line with a PostgreSQL archive --------------------------------


def tracker(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_every_command_works_on_a_postgresql_archive(server, workspace, pg_url):
    url = server.serve("/p", POLICY)
    assert tracker("add", url, "--service", "Acme", "--document", "Privacy").exit_code == 0
    assert "1 new" in tracker("--archive", pg_url, "check", "--local").output  # (test_jobs: in workers)
    server.serve("/p", WEAKER)
    assert "1 changed" in tracker("--archive", pg_url, "check", "--local").output
    history = tracker("--archive", pg_url, "history", "acme/privacy").output.splitlines()
    assert len(history) == 2 and "first version" in history[0]
    assert "will never sell" in tracker("--archive", pg_url, "show", "acme/privacy", "#1").output
    assert "2 versions" in tracker("--archive", pg_url, "list").output
    assert "indexed 2 versions of 1 documents" in tracker("--archive", pg_url, "reindex").output
    verified = tracker("--archive", pg_url, "verify")
    assert verified.exit_code == 0 and "2 versions verified, 0 problem(s)" in verified.output
    built = tracker("--archive", pg_url, "build", "--out", "site")
    assert built.exit_code == 0
    assert "may sell" in (workspace / "site" / "acme" / "privacy" / "index.html").read_text()  # its current pledges
    assert not (workspace / "snapshots").exists()


def test_verify_on_postgresql_says_which_text_was_tampered_with(server, workspace, pg_url):
    import psycopg

    tracker("add", server.serve("/p", POLICY), "--service", "acme", "--document", "privacy")
    tracker("--archive", pg_url, "check", "--local")
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("UPDATE tracker_versions SET text = 'We sell your data.'")
        db.execute("UPDATE tracker_raw SET content = 'x'")
    [version] = open_archive(pg_url).versions("acme", "privacy")
    result = tracker("--archive", pg_url, "verify")
    assert result.exit_code == 1
    assert f"acme/privacy {version.id}: text does not match its hash" in result.output
    assert "raw file" in result.output and "does not match its hash" in result.output


def test_db_upgrade_creates_the_tables_once(postgres, workspace):
    url = postgres.new_database()
    missing = tracker("--archive", url, "history", "acme/privacy")
    assert missing.exit_code == 1 and "db upgrade" in missing.output
    first = tracker("--archive", url, "db", "upgrade")
    assert first.exit_code == 0 and "schema migration(s) 1, 2, 3, 4, 5 applied" in first.output
    again = tracker("--archive", url, "db", "upgrade")
    assert again.exit_code == 0 and "already up to date" in again.output
    assert tracker("--archive", url, "history", "acme/privacy").output.startswith("error: acme/privacy has no version")


def test_an_unreachable_database_is_one_line(postgres, workspace):
    result = tracker("--archive", postgres.url("no_such_db"), "history", "acme/privacy")
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot connect to") and len(result.output.splitlines()) == 1
    folder = tracker("db", "upgrade")
    assert folder.exit_code != 0 and "needs a PostgreSQL archive" in folder.output


def test_import_history_records_into_postgresql_from_several_processes(workspace, pg_url):
    from test_ota import NEW, OLD, git_repo

    git_repo(workspace / "versions", [
        ("2021-01-01T00:00:00Z", {"S/Privacy Policy.md": OLD, "T/Terms of Service.md": OLD}),
        ("2021-06-01T00:00:00Z", {"S/Privacy Policy.md": NEW}),
    ])
    first = tracker("--archive", pg_url, "import-history", "versions", "--workers", "2")
    assert first.exit_code == 0 and "2 documents: 3 versions imported, 0 already" in first.output
    again = tracker("--archive", pg_url, "import-history", "versions")
    assert "0 versions imported, 3 already in the archive" in again.output
    archive = open_archive(pg_url)
    [old, new] = archive.versions("s", "privacy-policy")
    assert new.previous == old.id and {c["type"] for c in new.changes} & {"weakened", "removed"}
    assert archive.raw(old.raw_sha256, "text") == OLD.encode()
    assert verify(archive).problems == ()


def test_two_checks_of_one_document_at_once_record_one_version(server, address):
    """The second check fetches while the first is still waiting for its page: both read the same
    text, the first to commit records it, the other finds it recorded and says unchanged."""
    from tracker.check import check_source
    from tracker.fetch import new_client

    archive, client = open_archive(address), new_client(Limits(read_timeout=10.0))
    source = Source("acme", "privacy", server.url("/p"))
    inner, requests = [], []

    def serve(h):
        requests.append(h.path)
        if len(requests) == 1:  # the first request: another check of the same document runs meanwhile
            inner.append(check_source(source, open_archive(address), new_client(Limits(read_timeout=10.0))))
        body = POLICY.encode()
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    server.serve("/p", handler=serve)
    outer = check_source(source, archive, client)
    assert (inner[0].status, outer.status) == ("new", "unchanged")
    assert [v.id for v in archive.versions("acme", "privacy")] == [inner[0].version.id]
    assert verify(archive).problems == ()


def test_a_postgresql_archive_outlives_a_server_that_dropped_its_connections(pg_url):
    """A restarted server (here: every connection of the database terminated) costs nothing:
    the pool replaces a dead connection before handing it out."""
    import psycopg

    archive = open_archive(pg_url)
    assert archive.prior("acme", "privacy").latest is None  # the pool now holds a connection
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    assert archive.prior("acme", "privacy").latest is None
    assert list(archive.documents()) == []
