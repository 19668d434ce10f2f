"""Moving between the stores: import-archive loads plain files into PostgreSQL, export writes them back."""

import hashlib
from pathlib import Path

from click.testing import CliRunner
from conftest import page

from tracker.cli import cli

POLICY = page("We will never sell your personal data.", "We keep your data for 30 days.")
WEAKER = page("We may sell your personal data to partners.", "We keep your data for 30 days.")


def tracker(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == 0, result.output
    return result


def files(root: Path, skip=()) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and str(p.relative_to(root)) not in skip}


def test_a_file_archive_imported_into_postgresql_builds_the_same_site_and_exports_back(server, workspace, pg_url):
    tracker("add", server.serve("/a", POLICY), "--service", "acme", "--document", "privacy")
    tracker("add", server.serve("/b", POLICY), "--service", "globex", "--document", "terms")
    tracker("check")
    server.serve("/a", WEAKER)
    tracker("check")
    server.serve("/a", POLICY)
    tracker("check")  # a return to the first text
    tracker("build", "--out", "site-files")

    loaded = tracker("--archive", pg_url, "import-archive", "snapshots")
    assert "4 versions of 2 documents loaded" in loaded.output
    assert "0 versions of 2 documents loaded" in tracker("--archive", pg_url, "import-archive", "snapshots").output
    tracker("--archive", pg_url, "build", "--out", "site-db")
    built = {".build.json"}  # what each page was made from, with the build's own times
    assert files(workspace / "site-db", built) == files(workspace / "site-files", built)

    written = tracker("--archive", pg_url, "export", "exported")
    assert "4 versions of 2 documents written to exported" in written.output
    verified = tracker("--archive", "exported", "verify")
    assert "4 versions verified, 0 problem(s)" in verified.output
    derived = {"_index.sqlite"}  # rebuilt from the files, not byte for byte the same database
    assert files(workspace / "exported", derived) == files(workspace / "snapshots", derived)
