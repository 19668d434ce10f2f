"""Watching and unwatching: `tracker add --dry-run`, `remove`, `pause`, `resume`, and the languages --lang offers."""

import shutil
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import page
from test_schedule import _wait_for

from tracker import cli_watch
from tracker.archive import Archive
from tracker.cli import cli
from tracker.schedule import run_forever
from tracker.watchlist import load

TRACKER = Path(sys.executable).with_name("tracker")
PACKAGE = Path(__file__).parent.parent / "tracker"

WRITTEN = """\
# Services we watch.

# Acme's policy, checked often
[acme.privacy]   # by hand
url = "https://acme.example/p"
every = "6h"

# Acme's terms
[acme.terms]
url = "https://acme.example/t"   # the terms
select = [
  "main",
]

[beta.privacy]
url = "https://beta.example/p"
"""

POLICY = page(
    "We will never sell your personal data.",
    "Only your doctor can access your health data.",
    "We delete your data within 30 days after you close your account.",
    "You can withdraw your consent at any time.",
    "We never use your health data for advertising.",
    "We will not share your data with insurers.",
    "We encrypt your data at rest.",
)


def tracker(*args: str):
    """Run the CLI as a user would; no traceback may ever reach them."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def one_line_error(result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert all(word in lines[0] for word in words), result.output


# -- remove ---------------------------------------------------------------------------------


def test_remove_takes_out_the_document_and_its_comment_and_leaves_every_other_line_as_written(workspace):
    (workspace / "watchlist.toml").write_text(WRITTEN)
    result = tracker("remove", "acme/terms")
    assert result.exit_code == 0, result.output
    assert "no longer watching acme/terms" in result.output and "snapshots" in result.output
    assert (workspace / "watchlist.toml").read_text() == WRITTEN.replace(
        '# Acme\'s terms\n[acme.terms]\nurl = "https://acme.example/t"   # the terms\n'
        'select = [\n  "main",\n]\n\n', "")
    assert [s.key for s in load(workspace / "watchlist.toml").sources] == ["acme/privacy", "beta/privacy"]


def test_remove_never_prints_the_password_of_a_database_archive(workspace):
    (workspace / "watchlist.toml").write_text(WRITTEN)
    result = tracker("--archive", "postgresql://tracker:s3cret@db.example/tracker", "remove", "acme/terms")
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output and "postgresql://tracker:***@db.example/tracker" in result.output


def test_removing_the_last_document_of_a_service_removes_the_service_table(workspace):
    watchlist = workspace / "watchlist.toml"
    watchlist.write_text(WRITTEN.replace("[beta.privacy]", "[beta]\n\n[beta.privacy]"))
    assert tracker("remove", "beta/privacy").exit_code == 0
    assert "beta" not in tomllib.loads(watchlist.read_text())
    assert watchlist.read_text() == WRITTEN.removesuffix('\n[beta.privacy]\nurl = "https://beta.example/p"\n')
    assert tracker("remove", "acme/privacy").exit_code == 0
    assert tracker("remove", "acme/terms").exit_code == 0
    assert watchlist.read_text() == "# Services we watch.\n"


def test_remove_edits_an_inline_table_too(workspace):
    watchlist = workspace / "watchlist.toml"
    watchlist.write_text('# ours\nacme = { privacy = { url = "https://a.example/p" }, '
                         'terms = { url = "https://a.example/t" } }\n')
    assert tracker("remove", "acme/privacy").exit_code == 0
    assert watchlist.read_text().startswith("# ours\n")
    assert [s.key for s in load(watchlist).sources] == ["acme/terms"]


@pytest.mark.parametrize("command", ["remove", "pause"])
def test_a_line_that_looks_like_a_header_inside_a_string_does_not_fool_the_edit(workspace, command):
    watchlist = workspace / "watchlist.toml"
    written = ('[acme.privacy]\nurl = "https://acme.example/p"\nname = """Acme\n[beta.terms]\n"""\n\n'
               '[beta.privacy]\nurl = "https://beta.example/p"\n')
    watchlist.write_text(written)
    assert tracker(command, "acme/privacy").exit_code == 0
    found = tomllib.loads(watchlist.read_text())
    assert found["beta"] == {"privacy": {"url": "https://beta.example/p"}}
    if command == "pause":
        assert found["acme"]["privacy"] == {"url": "https://acme.example/p", "name": "Acme\n[beta.terms]\n",
                                            "paused": True}
    else:
        assert "acme" not in found


def test_remove_mends_a_watchlist_by_taking_out_an_invalid_entry(workspace):
    watchlist = workspace / "watchlist.toml"
    watchlist.write_text(WRITTEN + '\n[broken.privacy]\nurl = "ftp://broken.example/p"\n')
    assert load(watchlist).problems
    assert tracker("remove", "broken/privacy").exit_code == 0
    assert watchlist.read_text() == WRITTEN and not load(watchlist).problems


def test_the_archive_keeps_the_versions_of_a_removed_document(server, workspace):
    url = server.serve("/p", POLICY)
    assert tracker("add", url, "--service", "acme", "--document", "privacy").exit_code == 0
    assert tracker("check").exit_code == 0
    archived = sorted(p.relative_to(workspace) for p in (workspace / "snapshots" / "acme").rglob("*"))
    assert tracker("remove", "acme/privacy").exit_code == 0
    assert load(workspace / "watchlist.toml").sources == ()
    assert sorted(p.relative_to(workspace) for p in (workspace / "snapshots" / "acme").rglob("*")) == archived
    history = tracker("history", "acme/privacy")
    assert history.exit_code == 0 and "first version" in history.output
    assert "never sell" in tracker("show", "acme/privacy").output


# -- pause, resume --------------------------------------------------------------------------


def test_pause_writes_paused_under_the_documents_keys_and_resume_gives_the_file_back(workspace):
    watchlist = workspace / "watchlist.toml"
    watchlist.write_text(WRITTEN)
    result = tracker("pause", "acme/terms")
    assert result.exit_code == 0 and "paused acme/terms" in result.output and "tracker resume" in result.output
    assert watchlist.read_text() == WRITTEN.replace('  "main",\n]\n', '  "main",\n]\npaused = true\n')
    assert [s.key for s in load(watchlist).sources if s.paused] == ["acme/terms"]
    result = tracker("resume", "acme/terms")
    assert result.exit_code == 0 and "resumed acme/terms" in result.output
    assert watchlist.read_text() == WRITTEN


def test_pausing_twice_or_resuming_what_runs_says_so_and_changes_nothing(workspace):
    watchlist = workspace / "watchlist.toml"
    watchlist.write_text(WRITTEN)
    result = tracker("resume", "beta/privacy")
    assert result.exit_code == 0 and "beta/privacy was not paused" in result.output
    assert watchlist.read_text() == WRITTEN
    assert tracker("pause", "beta/privacy").exit_code == 0
    paused = watchlist.read_text()
    assert paused.endswith('[beta.privacy]\nurl = "https://beta.example/p"\npaused = true\n')
    result = tracker("pause", "beta/privacy")
    assert result.exit_code == 0 and "beta/privacy was paused already" in result.output
    assert watchlist.read_text() == paused


def test_a_paused_entry_written_by_hand_is_read_and_a_wrong_value_is_a_problem(workspace):
    watchlist = workspace / "watchlist.toml"
    watchlist.write_text('[a.p]\nurl = "https://a.example/p"\npaused = true\n\n'
                         '[b.p]\nurl = "https://b.example/p"\npaused = false\n\n'
                         '[c.p]\nurl = "https://c.example/p"\npaused = "yes"\n')
    found = load(watchlist)
    assert [(s.key, s.paused) for s in found.sources] == [("a/p", True), ("b/p", False)]
    assert found.problems == ("[c.p]: invalid paused 'yes': expected true or false",)
    assert tracker("pause", "b/p").exit_code == 0  # false becomes true where it is written
    assert '[b.p]\nurl = "https://b.example/p"\npaused = true\n' in watchlist.read_text()


@pytest.mark.parametrize("command", ["remove", "pause", "resume"])
def test_an_unknown_or_malformed_name_is_refused_in_one_line_and_changes_nothing(workspace, command):
    watchlist = workspace / "watchlist.toml"
    watchlist.write_text(WRITTEN)
    one_line_error(tracker(command, "acme/cookies"), "not in the watchlist: acme/cookies")
    one_line_error(tracker(command, "nobody/privacy"), "not in the watchlist: nobody/privacy")
    one_line_error(tracker(command, "acme"), "expected SERVICE/DOCUMENT", "'acme'")
    assert watchlist.read_text() == WRITTEN
    one_line_error(tracker("--watchlist", "missing.toml", command, "acme/privacy"), "not in the watchlist")
    assert not (workspace / "missing.toml").exists()


def test_which_sources_a_check_is_for_a_paused_one_only_when_named(workspace):
    watchlist = workspace / "watchlist.toml"
    watchlist.write_text(WRITTEN)
    tracker("pause", "acme/terms")
    found = load(watchlist)
    assert [s.key for s in found.select()] == ["acme/privacy", "beta/privacy"]
    assert [s.key for s in found.select(["acme"])] == ["acme/privacy"]
    assert [s.key for s in found.select(["acme/terms"])] == ["acme/terms"]
    assert [s.key for s in found.select(["acme", "acme/terms"])] == ["acme/privacy", "acme/terms"]
    with pytest.raises(Exception, match="not in the watchlist: gamma"):
        found.select(["gamma"])



def test_check_skips_a_paused_document_unless_it_is_named(server, workspace):
    for path in ("/a", "/b"):
        url = server.serve(path, POLICY)
        tracker("add", url, "--service", "acme", "--document", path.strip("/"))
    tracker("pause", "acme/b")
    result = tracker("check")
    assert result.exit_code == 0 and "1 new" in result.output
    assert server.hits("/b") == [] and not Archive(workspace / "snapshots").has("acme", "b")
    result = tracker("check", "acme/b")
    assert result.exit_code == 0 and "new        acme/b" in result.output


def test_list_shows_a_paused_document(workspace):
    (workspace / "watchlist.toml").write_text(WRITTEN)
    tracker("pause", "acme/terms")
    lines = {line.split("\t")[0]: line for line in tracker("list").output.splitlines()}
    assert "paused" in lines["acme/terms"] and "paused" not in lines["acme/privacy"]


def test_run_schedules_no_check_of_a_paused_document_until_it_is_resumed(server, workspace):
    for path in ("/a", "/b"):
        url = server.serve(path, POLICY)
        tracker("add", url, "--service", "acme", "--document", path.strip("/"), "--lang", "en")
    tracker("pause", "acme/b")
    archive, stop = Archive(workspace / "snapshots"), threading.Event()
    runner = threading.Thread(target=run_forever, args=(workspace / "watchlist.toml", archive, workspace / "site"),
                              kwargs={"stop": stop, "log": lambda _: None, "reload_seconds": 0.2}, daemon=True)
    runner.start()
    try:
        assert _wait_for(lambda: archive.has("acme", "a") and "acme/a" in archive.health().get("next_runs", {}))
        time.sleep(0.5)  # two reloads of the watchlist: still nothing for acme/b
        assert server.hits("/b") == [] and "acme/b" not in archive.health()["next_runs"]
        tracker("resume", "acme/b")
        assert _wait_for(lambda: archive.has("acme", "b"))
    finally:
        stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()


# -- add --dry-run --------------------------------------------------------------------------


def test_dry_run_shows_language_and_first_pledges_and_writes_nothing(server, workspace):
    url = server.serve("/p", POLICY)
    result = tracker("add", url, "--service", "Acme Health", "--document", "Privacy Policy", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"acme-health/privacy-policy: {url}"
    assert lines[1] == "language: en (detected)"
    assert lines[2].startswith("pledges: 7 in ")
    assert lines[3:8] == ["  - We will never sell your personal data.",
                          "  - Only your doctor can access your health data.",
                          "  - We delete your data within 30 days after you close your account.",
                          "  - You can withdraw your consent at any time.",
                          "  - We never use your health data for advertising."]
    assert lines[8:] == ["  … and 2 more", "dry run: nothing written"]
    assert sorted(p.name for p in workspace.iterdir()) == []  # no watchlist, no archive


def test_dry_run_applies_the_select_and_remove_rules_and_the_language_given(server, workspace):
    (workspace / "watchlist.toml").write_text(WRITTEN)
    url = server.serve("/p", "<html><body><div class=ad><p>We never sell your data.</p></div>"
                             "<main><p>We keep your data for 30 days.</p><p class=ad>We never share it.</p>"
                             "</main><aside><p>We never read your mail.</p></aside></body></html>")
    result = tracker("add", url, "--service", "gamma", "--document", "privacy", "--select", "main",
                     "--remove", ".ad", "--lang", "fr", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "language: fr\n" in result.output
    assert "We keep your data" in result.output
    assert "sell" not in result.output and "share" not in result.output and "mail" not in result.output
    assert (workspace / "watchlist.toml").read_text() == WRITTEN
    assert not (workspace / "snapshots").exists()


def test_dry_run_of_a_text_without_pledges_shows_how_it_starts(server, workspace):
    url = server.serve("/p", page("Welcome to our website.", "Our offices are in Lyon."))
    result = tracker("add", url, "--service", "acme", "--document", "about", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "pledges: 0 in" in result.output and "no pledge found; the text starts:" in result.output
    assert "Welcome to our website." in result.output


def test_dry_run_shows_no_control_character_of_the_page(server, workspace):
    url = server.serve("/p", page("We never sell your data.\x1b]0;owned\x07 We keep it safe."))
    result = tracker("add", url, "--service", "acme", "--document", "privacy", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_a_dry_run_whose_rules_keep_no_text_says_so_in_one_line_and_suggests_the_browser(server, workspace):
    url = server.serve("/p", "<html><body><div id=app></div><script>render()</script></body></html>")
    result = tracker("add", url, "--service", "acme", "--document", "privacy", "--dry-run")
    one_line_error(result, "no text found", "--select", "--browser")
    result = tracker("add", url, "--service", "acme", "--document", "privacy", "--select", "#policy", "--dry-run")
    one_line_error(result, "select rules match nothing", "--browser")
    assert sorted(p.name for p in workspace.iterdir()) == []


def test_a_dry_run_refuses_what_add_would_refuse_before_fetching(server, workspace):
    (workspace / "watchlist.toml").write_text(WRITTEN)
    url = server.serve("/p", POLICY)
    one_line_error(tracker("add", url, "--service", "acme", "--document", "privacy", "--dry-run"),
                   "acme/privacy is already watched")
    one_line_error(tracker("add", url, "--service", "x", "--document", "p", "--select", "div[[", "--dry-run"),
                   "invalid CSS selector")
    one_line_error(tracker("add", "not a url", "--service", "x", "--document", "p", "--dry-run"), "malformed URL")
    assert server.hits("/p") == []
    assert (workspace / "watchlist.toml").read_text() == WRITTEN


def test_dry_run_fetch_errors_are_one_line(server, workspace, release, monkeypatch):
    one_line_error(tracker("add", server.url("/missing"), "--service", "x", "--document", "p", "--dry-run"),
                   "404")
    url = server.serve("/refused", "<p>Access denied</p>", status=403)
    one_line_error(tracker("add", url, "--service", "x", "--document", "p", "--dry-run"), "403", "--browser")
    closed = server.url("/p").replace(str(server.httpd.server_port), "9")  # nothing listens on port 9
    one_line_error(tracker("add", closed, "--service", "x", "--document", "p", "--dry-run"))

    def stalls(h):
        h.close_connection = True
        release.wait(10)

    url = server.serve("/slow", handler=stalls)
    monkeypatch.setattr(cli_watch, "DRY_RUN_READ_TIMEOUT", 0.5)
    started = time.monotonic()
    one_line_error(tracker("add", url, "--service", "x", "--document", "p", "--dry-run"), "time")
    assert time.monotonic() - started < 5  # one attempt: no retries while a person waits
    assert sorted(p.name for p in workspace.iterdir()) == []


def test_a_dry_run_error_reaches_the_terminal_as_one_line_and_an_exit_status(server, workspace):
    done = subprocess.run([str(TRACKER), "add", server.url("/missing"), "--service", "x", "--document", "p",
                           "--dry-run"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1 and "404" in done.stderr


# -- languages ------------------------------------------------------------------------------


def test_lang_offers_the_languages_that_have_a_file(workspace):
    files = sorted(p.stem for p in (PACKAGE / "lang").glob("*.toml"))
    assert files and cli_watch.LANGS.choices == tuple(files)
    for command in ("add", "diff"):
        assert f"[{'|'.join(files)}]" in tracker(command, "--help").output
    result = tracker("add", "https://a.example/p", "--service", "a", "--document", "p", "--lang", "xx")
    assert result.exit_code == 2 and "'xx' is not one of" in result.output


def _copy_of_the_package(tmp_path: Path) -> Path:
    root = tmp_path / "copy"
    shutil.copytree(PACKAGE, root / "tracker", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _run_copy(root: Path, code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=root, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin",
                                           "HOME": str(root), "XDG_CACHE_HOME": str(root / "cache")})


def test_adding_a_language_file_adds_a_choice(tmp_path):
    root = _copy_of_the_package(tmp_path)
    shutil.copy(root / "tracker" / "lang" / "en.toml", root / "tracker" / "lang" / "xx.toml")
    code = "import sys, tracker.cli; assert tracker.cli.__file__.startswith(sys.argv.pop(1)); tracker.cli.main()"
    done = _run_copy(root, code, str(root), "add", "--help")
    assert done.returncode == 0, done.stderr
    assert "[de|en|fr|xx]" in done.stdout


def test_tracker_help_does_not_read_the_languages(tmp_path):
    root = _copy_of_the_package(tmp_path)
    code = ("import sys\nfrom tracker.cli import cli\ntry:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('tracker.lang' in sys.modules, 'tracker.fetch' in sys.modules)")
    done = _run_copy(root, code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "False False"
