"""check: fetch every source, archive what changed, and never let one bad source hurt the rest."""

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import page, streamer

from tracker.archive import Archive
from tracker.check import check_all
from tracker.cli import cli
from tracker.fetch import Limits
from tracker.watchlist import Source

FAST = Limits(connect_timeout=1.0, read_timeout=0.5, attempts=2, backoff=0.01, max_bytes=1_000_000)
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

POLICY = page("We will never sell your personal data.", "We keep your data for 30 days.")
WEAKER = page("We may sell your personal data to partners.", "We keep your data for 30 days.")


def check(archive: Archive, *sources: Source, at: datetime = T0):
    return check_all(sources, archive, workers=4, limits=FAST, now=at)


def acme(url: str, service: str = "acme") -> Source:
    return Source(service, "privacy-policy", url)


def files(root: Path) -> dict[str, str]:
    """sha256 of every file under root, by relative path."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def archived(root: Path) -> dict[str, str]:
    """Every archived file except the _state ones, rewritten by each check, and the index,
    which is derived from the others."""
    return {path: digest for path, digest in files(root).items() if _archived(path)}


def _archived(path: str) -> bool:
    return not path.startswith("_state/") and path != "_index.sqlite"


def tracker(*args: str):
    """Run the CLI as a user would; no traceback may ever reach them."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


# -- through the library ----------------------------------------------------


def test_first_check_archives_a_new_version(server, workspace):
    archive = Archive(Path("snapshots"))
    [outcome] = check(archive, acme(server.serve("/p", POLICY)))
    assert outcome.status == "new"
    assert outcome.error is None
    folder = workspace / "snapshots" / "acme" / "privacy-policy"
    text = (folder / f"{outcome.version.id}.md").read_text()
    assert text.count("never sell your personal data") == 1
    meta = json.loads((folder / f"{outcome.version.id}.json").read_text())
    assert meta["changes"] == [] and meta["previous"] is None
    assert meta["url"] == server.url("/p")


def test_identical_second_check_is_unchanged_and_writes_nothing_new(server, workspace):
    archive = Archive(Path("snapshots"))
    source = acme(server.serve("/p", POLICY))
    check(archive, source)
    before = files(workspace / "snapshots")
    [outcome] = check(archive, source, at=T0 + timedelta(hours=12))
    after = files(workspace / "snapshots")
    assert outcome.status == "unchanged" and outcome.version is None
    assert after.keys() == before.keys()
    assert archived(workspace / "snapshots") == {
        k: v for k, v in before.items() if _archived(k)
    }


def test_changed_text_records_a_second_version_with_its_changes(server, workspace):
    archive = Archive(Path("snapshots"))
    source = acme(server.serve("/p", POLICY))
    [first] = check(archive, source)
    server.serve("/p", WEAKER)
    [second] = check(archive, source, at=T0 + timedelta(days=1))
    assert second.status == "changed"
    folder = workspace / "snapshots" / "acme" / "privacy-policy"
    texts = sorted(p.stem for p in folder.glob("*.md"))
    assert texts == sorted([first.version.id, second.version.id])
    assert "may sell your personal data" in (folder / f"{second.version.id}.md").read_text()
    meta = json.loads((folder / f"{second.version.id}.json").read_text())
    assert meta["previous"] == first.version.id
    assert meta["changes"], "a weakened pledge must be listed in the version's changes"
    assert any("may sell" in change.get("new", "") for change in meta["changes"])


MARKUP_ONLY = {
    "attributes": POLICY.replace("<p>", '<p class="lead" data-track="7">')
    .replace("<main>", '<main id="content">'),
    "whitespace": POLICY.replace("<p>", "\n    <p>\n      ")
    .replace("</p>", "\n    </p>\n")
    .replace(". ", ".   "),
    "nav": POLICY.replace("<a href=/>Home</a>", "<a href=/start>Start</a> <a href=/blog>Blog</a>"),
    "footer": POLICY.replace("© Example", "© 2025 Example Inc. <a href=/jobs>Jobs</a>"),
    "script": POLICY.replace("track()", "track({session: 'a8f3e2'}); console.log('hi')"),
}


@pytest.mark.parametrize("variant", MARKUP_ONLY, ids=list(MARKUP_ONLY))
def test_a_change_in_markup_only_is_unchanged(server, workspace, variant):
    assert MARKUP_ONLY[variant] != POLICY
    archive = Archive(Path("snapshots"))
    source = acme(server.serve("/p", POLICY))
    check(archive, source)
    server.serve("/p", MARKUP_ONLY[variant])
    [outcome] = check(archive, source, at=T0 + timedelta(days=1))
    assert outcome.status == "unchanged"
    assert len(archive.versions("acme", "privacy-policy")) == 1


def test_a_return_to_an_earlier_text_is_marked_same_as_without_a_new_text_file(server, workspace):
    archive = Archive(Path("snapshots"))
    source = acme(server.serve("/p", POLICY))
    [a] = check(archive, source)
    server.serve("/p", WEAKER)
    [b] = check(archive, source, at=T0 + timedelta(days=1))
    server.serve("/p", POLICY)
    [back] = check(archive, source, at=T0 + timedelta(days=2))
    assert (a.status, b.status, back.status) == ("new", "changed", "changed")
    assert back.version.same_as == a.version.id
    assert back.version.previous == b.version.id
    folder = workspace / "snapshots" / "acme" / "privacy-policy"
    assert len(list(folder.glob("*.md"))) == 2
    assert len(list(folder.glob("*.json"))) == 3
    history = tracker("history", "acme/privacy-policy")
    assert history.exit_code == 0
    third = history.output.splitlines()[2]
    note = third.split("\t")[-1]
    assert a.version.id in note or "#1" in note, "the return names the first version"
    shown = tracker("show", "acme/privacy-policy")
    assert "will never sell your personal data" in shown.output


def test_state_keeps_the_etag_and_the_next_check_is_conditional(server, workspace):
    def conditional(h):
        if h.headers.get("If-None-Match") == '"v1"':
            h.send_response(304)
            h.send_header("ETag", '"v1"')
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        body = POLICY.encode()
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("ETag", '"v1"')
        h.send_header("Last-Modified", "Sat, 01 Mar 2025 10:00:00 GMT")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    archive = Archive(Path("snapshots"))
    source = acme(server.serve("/p", handler=conditional))
    check(archive, source)
    state = archive.state("acme", "privacy-policy")
    assert state["etag"] == '"v1"'
    assert state["last_modified"] == "Sat, 01 Mar 2025 10:00:00 GMT"
    [outcome] = check(archive, source, at=T0 + timedelta(hours=12))
    second = server.hits("/p")[1]
    assert second["If-None-Match"] == '"v1"'
    assert second["If-Modified-Since"] == "Sat, 01 Mar 2025 10:00:00 GMT"
    assert outcome.status == "unchanged"
    assert len(archive.versions("acme", "privacy-policy")) == 1


def test_raw_bytes_are_stored_once_per_content_hash(server, workspace):
    archive = Archive(Path("snapshots"))
    same = POLICY
    check(archive, acme(server.serve("/a", same), "acme"), acme(server.serve("/b", same), "globex"))
    raw = [p for p in (workspace / "snapshots" / "_raw").rglob("*") if p.is_file()]
    assert len(raw) == 1
    assert raw[0].read_bytes() == POLICY.encode()
    assert raw[0].name == hashlib.sha256(POLICY.encode()).hexdigest() + ".html"


def test_a_timeout_fails_that_source_only_and_keeps_its_archive(server, workspace, release):
    archive = Archive(Path("snapshots"))
    slow = acme(server.serve("/slow", POLICY), "slowco")
    check(archive, slow)
    before = archived(workspace / "snapshots")

    def stalls(h):
        h.close_connection = True
        release.wait(5)

    server.serve("/slow", handler=stalls)
    good = acme(server.serve("/good", WEAKER), "goodco")
    outcomes = check(archive, slow, good, at=T0 + timedelta(days=1))
    assert [o.status for o in outcomes] == ["failed", "new"]
    assert "time" in outcomes[0].error and "\n" not in outcomes[0].error
    after = archived(workspace / "snapshots")
    assert {k: v for k, v in after.items() if k in before} == before
    assert not [k for k in after if k not in before and k.startswith("slowco/")]


# -- through the command line ------------------------------------------------


def test_add_check_history_show_through_the_command_line(server, workspace):
    url = server.serve("/policy", POLICY)
    added = tracker("add", url, "--service", "Acme Health", "--document", "Privacy Policy")
    assert added.exit_code == 0 and "acme-health/privacy-policy" in added.output
    first = tracker("check")
    assert first.exit_code == 0
    assert "new        acme-health/privacy-policy" in first.output
    assert "1 new, 0 changed, 0 unchanged, 0 failed" in first.output
    again = tracker("check")
    assert again.exit_code == 0 and "0 new, 0 changed, 1 unchanged, 0 failed" in again.output
    server.serve("/policy", WEAKER)
    changed = tracker("check")
    assert changed.exit_code == 0
    assert "changed    acme-health/privacy-policy" in changed.output
    history = tracker("history", "acme-health/privacy-policy").output.splitlines()
    assert len(history) == 2 and "first version" in history[0]
    assert "may sell your personal data" in tracker("show", "acme-health/privacy-policy").output
    first = tracker("show", "acme-health/privacy-policy", "#1")
    assert "will never sell your personal data" in first.output


def test_show_finds_a_version_by_its_exact_id_when_another_shares_its_second(server, workspace):
    """Two checks in one second give ids X and X-1; X, as history prints it, must name the first."""
    archive = Archive(Path("snapshots"))
    [first] = check(archive, acme(server.serve("/p", POLICY)))
    server.serve("/p", WEAKER)
    [second] = check(archive, acme(server.url("/p")))
    assert second.version.id == f"{first.version.id}-1"
    assert first.version.id in tracker("history", "acme/privacy-policy").output
    shown = tracker("show", "acme/privacy-policy", first.version.id)
    assert shown.exit_code == 0, shown.output
    assert "will never sell your personal data" in shown.output


def _junk() -> bytes:
    return bytes((i * 7919 + 13) % 256 for i in range(20_000))


BAD = {
    "404": (lambda s: s.serve("/broken", page("Gone"), status=404), "HTTP 404"),
    "redirect-loop": (
        lambda s: (s.serve("/broken", status=302, headers={"Location": "/loop"}),
                   s.serve("/loop", status=302, headers={"Location": "/broken"})),
        "redirect",
    ),
    "binary-junk": (
        lambda s: s.serve("/broken", _junk(), headers={"Content-Type": "text/html"}),
        "binary",
    ),
    "broken-pdf": (
        lambda s: s.serve(
            "/broken", b"%PDF-1.4\n" + _junk(), headers={"Content-Type": "application/pdf"}
        ),
        "PDF",
    ),
    "50-mb": (lambda s: s.serve("/broken", handler=streamer(50 * 1024 * 1024)), "too large"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_source_is_one_line_and_spares_the_archive_and_the_good_source(
    server, workspace, case
):
    break_it, says = BAD[case]
    tracker("add", server.serve("/broken", POLICY), "--service", "Broken", "--document", "Policy")
    assert tracker("check").exit_code == 0
    before = archived(workspace / "snapshots")

    break_it(server)
    tracker("add", server.serve("/good", WEAKER), "--service", "Good", "--document", "Policy")
    result = tracker("check")

    assert result.exit_code != 0
    about_broken = [line for line in result.output.splitlines() if "broken/policy" in line]
    assert len(about_broken) == 1, result.output
    assert about_broken[0].startswith("failed") and says in about_broken[0]
    assert "new        good/policy" in result.output
    after = archived(workspace / "snapshots")
    kept = {k: v for k, v in after.items() if k in before}
    assert kept == before, "what was archived before was altered"
    added = [k for k in after if k not in before]
    assert added and all(k.startswith(("good/", "_raw/")) for k in added), added
    digest = hashlib.sha256(WEAKER.encode()).hexdigest()
    assert [k for k in added if k.startswith("_raw/")] == [f"_raw/{digest[:2]}/{digest}.html"]
    assert sorted(os.listdir(workspace)) == ["snapshots", "watchlist.toml"]


@pytest.mark.parametrize(
    "entry", ['["../../etc".passwd]', '[evil."../../etc"]'], ids=["service", "document"]
)
def test_a_path_as_a_name_in_the_watchlist_is_skipped_in_one_line(server, workspace, entry):
    good = server.serve("/good", POLICY)
    evil = server.serve("/evil", WEAKER)
    watchlist = f'[good.policy]\nurl = "{good}"\n\n{entry}\nurl = "{evil}"\n'
    (workspace / "watchlist.toml").write_text(watchlist)
    result = tracker("check")
    assert result.exit_code != 0
    about_evil = [line for line in result.output.splitlines() if "../../etc" in line]
    assert len(about_evil) == 1, result.output
    assert "new        good/policy" in result.output
    assert server.hits("/evil") == []
    assert sorted(os.listdir(workspace)) == ["snapshots", "watchlist.toml"]
    assert not (workspace.parent / "etc").exists()
    folders = {part for path in files(workspace / "snapshots") for part in Path(path).parts[:-1]}
    assert not [name for name in folders if name.startswith(".")]
    assert Archive(workspace / "snapshots").documents() == [("good", "policy")]


def test_a_new_source_whose_page_has_no_text_leaves_no_folder_behind(server, workspace):
    scripted = "<html><body><script>document.write('We never sell your data.')</script></body></html>"
    tracker("add", server.serve("/scripted", scripted), "--service", "Scripted", "--document", "Policy",
            "--no-browser")

    result = tracker("check")

    assert result.exit_code != 0 and "no text" in result.output
    assert not (workspace / "snapshots" / "scripted").exists()
