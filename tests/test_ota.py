"""Importing Open Terms Archive declarations and histories, on small repositories and folders
written here, then on the real histories of ../shared/corpus."""

import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker import ota
from tracker.archive import Archive
from tracker.watchlist import load

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
OLD = "# Privacy\n\nWe only share your data with your doctor.\n\nYou can delete your data at any time.\n"
NEW = "# Privacy\n\nWe share your data with your doctor and our partners.\n\nYou can delete your data.\n"
NEWER = NEW + "\nWe may sell your location to advertisers.\n"


def tracker(*args: str):
    """Run the tracker CLI with the import commands, wired or not yet into tracker.cli."""
    from tracker.cli import cli
    from tracker.cli_import import import_declarations, import_history

    if "import-history" not in cli.commands:
        commands = {**cli.commands, "import-declarations": import_declarations, "import-history": import_history}
        cli = type(cli)(name="tracker", callback=cli.callback, params=cli.params, commands=commands)
    return CliRunner().invoke(cli, list(args))


def git_repo(path: Path, commits: list[tuple[str, dict[str, str]]]) -> Path:
    """A repository with one commit per (ISO date, {path: text}) laid out as OTA versions."""
    path.mkdir()
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for date, files in commits:
        for name, text in files.items():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_text(text, encoding="utf-8")
        env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
               "GIT_AUTHOR_NAME": "OTA-Bot", "GIT_AUTHOR_EMAIL": "bot@example.org",
               "GIT_COMMITTER_NAME": "OTA-Bot", "GIT_COMMITTER_EMAIL": "bot@example.org"}
        subprocess.run(["git", "-C", str(path), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(path), "commit", "-q", "-m", "Record new changes"], check=True, env=env)
    return path


def declaration(path: Path, name: str, terms: dict) -> Path:
    path.write_text(json.dumps({"name": name, "terms": terms}), encoding="utf-8")
    return path


# -- declarations -----------------------------------------------------------------


def test_css_rules_are_mapped_and_the_rest_is_reported_per_source(workspace):
    declaration(workspace / "Acme Santé.json", "Acme Santé", {
        "Privacy Policy": {"fetch": "https://acme.example/privacy", "select": ["main", "#policy"],
                           "remove": ".newsletter"},
        "Terms of Service": {"fetch": "https://acme.example/terms",
                             "select": [".terms", {"startBefore": "#start", "endBefore": "#end"}],
                             "remove": {"startAfter": "#ad", "endAfter": "#ad-end"},
                             "filter": ["removeTrackingIds"], "executeClientScripts": True},
        "Community Guidelines": {"combine": [{"fetch": "https://acme.example/a"},
                                             {"fetch": "https://acme.example/b"}], "select": "main"},
    })
    result = tracker("import-declarations", "Acme Santé.json")
    assert result.exit_code == 0, result.output + result.stderr
    entries = tomllib.loads((workspace / "watchlist.toml").read_text())["acme-sante"]
    assert entries["privacy-policy"] == {"name": "Acme Santé", "title": "Privacy Policy",
                                         "url": "https://acme.example/privacy",
                                         "select": ["main", "#policy"], "remove": [".newsletter"], "every": "12h"}
    assert entries["terms-of-service"]["select"] == [".terms"]
    assert entries["terms-of-service"]["browser"] == "always"  # OTA runs its scripts: so do we
    assert "browser" not in entries["privacy-policy"]
    assert "community-guidelines" not in entries
    out = result.output
    assert "range selector not supported yet" in out and '"startAfter": "#ad"' in out
    assert "removeTrackingIds" in out
    assert "not imported     acme-sante/community-guidelines" in out and "combines 2 pages" in out
    assert "2 added (1 with rules not mapped), 0 already watched, 1 not imported" in out


def test_a_watched_source_is_reported_and_the_others_still_imported(workspace):
    tracker("add", "https://a.example/privacy", "--service", "A", "--document", "Privacy Policy")
    declaration(workspace / "A.json", "A", {
        "Privacy Policy": {"fetch": "https://a.example/privacy", "select": "main"},
        "Terms of Service": {"fetch": "https://a.example/terms", "select": "main"},
    })
    result = tracker("import-declarations", str(workspace))
    assert result.exit_code == 0, result.output + result.stderr
    assert "already watched  a/privacy-policy" in result.output
    assert [s.key for s in load(workspace / "watchlist.toml").sources] == ["a/privacy-policy", "a/terms-of-service"]
    again = tracker("import-declarations", "A.json")
    assert again.exit_code == 0 and "0 added" in again.output and "2 already watched" in again.output


def test_unreadable_file_or_nothing_importable_fails(workspace):
    (workspace / "broken.json").write_text("{not json")
    declaration(workspace / "B.json", "B", {"Terms": {"fetch": "https://b.example/t", "select": "main"}})
    result = tracker("import-declarations", "broken.json", "B.json")
    assert result.exit_code == 1 and "broken.json" in result.stderr
    assert [s.key for s in load(workspace / "watchlist.toml").sources] == ["b/terms"]
    declaration(workspace / "C.json", "C", {"Terms": {"combine": [{"fetch": "https://c.example/1"},
                                                                  {"fetch": "https://c.example/2"}]}})
    assert tracker("import-declarations", "C.json").exit_code == 1


def test_history_files_beside_declarations_are_not_imported(tmp_path):
    declaration(tmp_path / "D.json", "D", {"Terms": {"fetch": "https://d.example/t", "select": "main"}})
    (tmp_path / "D.history.json").write_text("{}")
    assert ota.declaration_files([tmp_path]) == [tmp_path / "D.json"]


# -- histories ----------------------------------------------------------------------


def test_git_history_becomes_past_versions_dated_by_their_commits(tmp_path):
    repo = git_repo(tmp_path / "versions", [
        ("2021-03-01T10:00:00+01:00", {"Acme Santé/Privacy Policy.md": OLD, "README.md": "versions"}),
        ("2022-05-02T08:00:00Z", {"Acme Santé/Privacy Policy.md": NEW, "Other/Terms of Service.md": OLD}),
        ("2023-01-01T00:00:00Z", {"Acme Santé/Privacy Policy.md": NEWER}),
    ])
    archive = Archive(tmp_path / "snapshots")
    results = {r.key: r for r in ota.import_history(repo, archive)}
    assert results["acme-sante/privacy-policy"].added == 3
    versions = archive.versions("acme-sante", "privacy-policy")
    assert [v.id for v in versions] == ["2021-03-01T09-00-00Z", "2022-05-02T08-00-00Z", "2023-01-01T00-00-00Z"]
    assert versions[0].changes == () and versions[0].kind == "text" and versions[0].lang == "en"
    assert {c["type"] for c in versions[1].changes} & {"weakened", "removed"}
    assert any(c["type"] == "added" for c in versions[2].changes)
    assert archive.raw_path(versions[0].raw_sha256, "text").read_bytes() == OLD.encode()
    assert versions[0].url.endswith("Privacy%20Policy.md#commit=" + _commits(repo)[0])
    assert [v.id for v in archive.versions("other", "terms-of-service")] == ["2022-05-02T08-00-00Z"]


def test_importing_the_same_history_twice_adds_nothing(tmp_path):
    repo = git_repo(tmp_path / "versions", [("2021-01-01T00:00:00Z", {"S/Privacy Policy.md": OLD}),
                                            ("2021-06-01T00:00:00Z", {"S/Privacy Policy.md": NEW})])
    archive = Archive(tmp_path / "snapshots")
    ota.import_history(repo, archive)
    files = sorted(p.relative_to(archive.root) for p in archive.root.rglob("*") if p.is_file())
    again = ota.import_history(repo, archive)
    assert [(r.added, r.already) for r in again] == [(0, 2)]
    assert sorted(p.relative_to(archive.root) for p in archive.root.rglob("*") if p.is_file()) == files
    # a later commit is appended to what was imported, and compared with it
    (repo / "S" / "Privacy Policy.md").write_text(NEWER)
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "more"], check=True,
                   env={**os.environ, "GIT_COMMITTER_DATE": "2022-01-01T00:00:00Z", "GIT_AUTHOR_NAME": "a",
                        "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b"})
    [third] = ota.import_history(repo, archive)
    assert (third.added, third.already) == (1, 2)
    assert archive.versions("s", "privacy-policy")[-1].previous == "2021-06-01T00-00-00Z"


def test_history_older_than_the_archive_is_not_inserted(tmp_path):
    archive = Archive(tmp_path / "snapshots")
    folder = tmp_path / "dataset"
    (folder / "S" / "Privacy Policy").mkdir(parents=True)
    (folder / "S" / "Privacy Policy" / "2030-01-01T00-00-00Z.md").write_text(NEW)
    ota.import_history(folder, archive)
    (folder / "S" / "Privacy Policy" / "2020-01-01T00-00-00Z.md").write_text(OLD)
    [result] = ota.import_history(folder, archive)
    assert (result.added, result.already) == (0, 2)


def test_dataset_folder_accepts_both_date_spellings_and_reports_other_files(tmp_path):
    folder = tmp_path / "dataset"
    document = folder / "Acme" / "Privacy Policy"
    document.mkdir(parents=True)
    (document / "2021-01-01T00-00-00Z.md").write_text(OLD)
    (document / "2021-02-01T12:30:00Z.md").write_text(OLD.replace("\n", "\u00a0\n"))  # same once normalized
    (document / "2021-03-01T00:00:00+02:00.md").write_text(NEW)
    (document / "notes.txt").write_text("not a version")
    (folder / "README.md").write_text("dataset")
    history = ota.read_history(folder)
    assert history.ignored == ("Acme/Privacy Policy/notes.txt: not named <ISO date>.md",)
    [result] = ota.import_history(history, Archive(tmp_path / "snapshots"))
    assert (result.added, result.unchanged) == (2, 1)
    assert [v.id for v in Archive(tmp_path / "snapshots").versions("acme", "privacy-policy")] == [
        "2021-01-01T00-00-00Z", "2021-02-28T22-00-00Z"]


def test_import_history_command_prints_what_it_did(workspace):
    git_repo(workspace / "versions", [("2021-01-01T00:00:00Z", {"S/Privacy Policy.md": OLD}),
                                      ("2021-06-01T00:00:00Z", {"S/Privacy Policy.md": NEW})])
    result = tracker("--archive", "arch", "import-history", "versions")
    assert result.exit_code == 0, result.output + result.stderr
    assert result.output.startswith("imported   s/privacy-policy: 2 versions (")
    assert "1 documents: 2 versions imported, 0 already in the archive" in result.output
    again = tracker("--archive", "arch", "import-history", "versions", "--workers", "1")
    assert "0 versions imported, 2 already in the archive" in again.output
    assert tracker("--archive", "arch", "import-history", "versions", "--service", "nope").exit_code == 2
    (workspace / "empty").mkdir()
    empty = tracker("--archive", "arch", "import-history", "empty")
    assert empty.exit_code == 1 and "no <service>/<terms type>/<date>.md" in empty.stderr


def test_range_selectors_and_dates_parse():
    assert ota.parse_version_name("2024-07-13T06-32-20Z").isoformat() == "2024-07-13T06:32:20+00:00"
    assert ota.parse_version_name("2024-07-13T06:32:20.5+02:00").isoformat() == "2024-07-13T04:32:20.500000+00:00"
    assert ota.parse_version_name("latest") is None


def _commits(repo: Path) -> list[str]:
    return subprocess.run(["git", "-C", str(repo), "log", "--reverse", "--format=%H"], capture_output=True,
                          text=True, check=True).stdout.split()


# -- the real histories of ../shared/corpus --------------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the evaluation corpus is not at {CORPUS}")
def test_corpus_history_shows_its_lost_pledges_on_the_site(tmp_path):
    from tracker.site import build_site

    archive = Archive(tmp_path / "snapshots")
    chosen = ("bumble", "telegram", "lime", "finya", "whatsapp")  # en, fr, de; a handful keeps this fast
    results = ota.import_history(CORPUS, archive, services=chosen, workers=2)
    assert {r.key.split("/")[0] for r in results} == set(chosen)
    assert all(r.added >= 2 and not r.problems for r in results)
    out = tmp_path / "site"
    build_site(archive, (), out)
    changes = json.loads((out / "data" / "changes.json").read_text())
    losing = {c["service"] for c in changes if any(x["type"] in ("weakened", "removed") for x in c["changes"])}
    assert len(losing) >= 3, losing
    assert all((out / c["page"]).is_file() for c in changes)
    assert (out / "telegram" / "privacy-policy" / "2022-09-08T12-33-10Z.html").is_file()
    assert [r.added for r in ota.import_history(CORPUS, archive, services=chosen)] == [0] * len(chosen)

