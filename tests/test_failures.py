"""A bug that strikes one source (here injected into the engine) fails that source alone:
one line for it, its traceback in the archive's error log, every other source archived."""

import threading

import pytest
from click.testing import CliRunner
from conftest import page
from test_schedule import _wait_for

import tracker.compare
from tracker import ota
from tracker.archive import Archive
from tracker.cli import cli
from tracker.schedule import run_forever
from tracker.watchlist import Source, add

SERVICES = ("alpha", "beta", "gamma")


@pytest.fixture
def engine_bug(monkeypatch):
    """The engine raises (as a bug would) on any text that names Beta; the rest compares as usual."""
    real = tracker.compare.compare

    def compare(old, new, lang):
        if "Beta" in new:
            raise ZeroDivisionError("a bug in the engine")
        return real(old, new, lang)

    monkeypatch.setattr(tracker.compare, "compare", compare)


def _serve(server, version: str) -> None:
    for name in SERVICES:
        words = "only with your consent" if version == "old" else "with our partners"
        server.serve(f"/{name}", page(f"{name.title()} shares your email address {words}."))


def test_a_source_whose_comparison_raises_fails_alone_and_the_others_are_archived(server, workspace, request):
    runner = CliRunner()
    _serve(server, "old")
    for name in SERVICES:
        runner.invoke(cli, ["add", server.url(f"/{name}"), "--service", name, "--document", "privacy"])
    assert runner.invoke(cli, ["check"]).exit_code == 0
    _serve(server, "new")

    request.getfixturevalue("engine_bug")
    result = runner.invoke(cli, ["check"])

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    failed = [line for line in result.output.splitlines() if line.startswith("failed")]
    assert failed == ["failed     beta/privacy: internal error: ZeroDivisionError: a bug in the engine "
                      "(traceback in snapshots/_state/errors.log)"]
    assert "changed    alpha/privacy (1 weakened)" in result.output
    assert "changed    gamma/privacy (1 weakened)" in result.output
    log = (workspace / "snapshots" / "_state" / "errors.log").read_text()
    assert "beta/privacy" in log and "Traceback" in log and "ZeroDivisionError: a bug in the engine" in log
    archive = Archive(workspace / "snapshots")
    assert len(archive.versions("beta", "privacy")) == 1
    assert archive.state("beta", "privacy")["status"] == "failed"


def test_the_failed_source_is_archived_once_the_bug_is_gone(server, workspace, monkeypatch):
    runner = CliRunner()
    _serve(server, "old")
    runner.invoke(cli, ["add", server.url("/beta"), "--service", "beta", "--document", "privacy"])
    runner.invoke(cli, ["check"])
    _serve(server, "new")
    with monkeypatch.context() as patch:
        patch.setattr(tracker.compare, "compare", lambda *_: 1 / 0)
        assert runner.invoke(cli, ["check"]).exit_code == 1
    fixed = runner.invoke(cli, ["check"])
    assert fixed.exit_code == 0 and "changed    beta/privacy (1 weakened)" in fixed.output


def test_tracker_run_goes_on_past_a_source_that_raises(server, tmp_path, engine_bug):
    watchlist, archive = tmp_path / "watchlist.toml", Archive(tmp_path / "snapshots")
    _serve(server, "old")
    for name in SERVICES:
        add(watchlist, Source(name, "privacy", server.url(f"/{name}"), every="1s", lang="en"))
    lines: list[str] = []
    stop = threading.Event()
    runner = threading.Thread(target=run_forever, args=(watchlist, archive, tmp_path / "site"), daemon=True,
                              kwargs={"stop": stop, "log": lines.append})
    runner.start()
    try:
        assert _wait_for(lambda: all(archive.versions(name, "privacy") for name in SERVICES))
        _serve(server, "new")
        assert _wait_for(lambda: len(archive.versions("alpha", "privacy")) == 2
                         and len(archive.versions("gamma", "privacy")) == 2)
        assert _wait_for(lambda: sum("failed  beta/privacy: internal error" in line for line in lines) >= 2)
        assert runner.is_alive()
    finally:
        stop.set()
        runner.join(timeout=60)
    assert len(archive.versions("beta", "privacy")) == 1


def test_import_history_skips_the_version_that_raises_and_imports_the_rest(tmp_path, engine_bug):
    document = tmp_path / "dataset" / "Acme" / "Privacy Policy"
    document.mkdir(parents=True)
    (document / "2021-01-01T00-00-00Z.md").write_text("We share your email address only with your consent.\n")
    (document / "2021-02-01T00-00-00Z.md").write_text("Beta shares your email address with partners.\n")
    (document / "2021-03-01T00-00-00Z.md").write_text("We share your email address with our partners.\n")
    archive = Archive(tmp_path / "snapshots")

    [result] = ota.import_history(ota.read_history(tmp_path / "dataset"), archive)

    assert [v.id for v in archive.versions("acme", "privacy-policy")] == [
        "2021-01-01T00-00-00Z", "2021-03-01T00-00-00Z"]
    assert result.problems == ("2021-02-01T00:00:00+00:00: internal error: ZeroDivisionError: a bug in the engine "
                               f"(traceback in {tmp_path / 'snapshots' / '_state' / 'errors.log'})",)
    assert "importing acme/privacy-policy at 2021-02-01" in (tmp_path / "snapshots/_state/errors.log").read_text()
