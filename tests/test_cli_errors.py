"""Bad paths and empty set-ups: one line that says what is wrong, a non-zero exit, no traceback."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, page

TRACKER = Path(sys.executable).with_name("tracker")


def _tracker(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(TRACKER), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args", [["list"], ["check"], ["run", "--out", "site"]])
def test_no_watchlist_is_said_rather_than_listing_nothing(tmp_path, args):
    done = _tracker(*args, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == "error: no watchlist at watchlist.toml: add a source with tracker add URL …\n"


@pytest.mark.parametrize(
    "args, said",
    [
        (["--watchlist", ".", "list"], "error: Is a directory: ."),
        (["build", "--out", "taken"], "error: File exists: taken"),
        (["--archive", "ftp://host/archive", "build", "--out", "site"],
         "error: unknown archive ftp:// address: give a folder or a postgresql:// URL"),
        (["--watchlist", "missing/w.toml", "add", "http://127.0.0.1:9/p", "--service", "a", "--document", "b"],
         "error: No such file or directory: missing/.w.toml.tmp"),
    ],
)
def test_a_path_that_cannot_be_used_is_one_line(tmp_path, args, said):
    (tmp_path / "taken").write_text("a file where the site should go")
    done = _tracker(*args, cwd=tmp_path)
    assert (done.returncode, done.stderr.strip()) == (1, said)
    assert "Traceback" not in done.stderr


def test_a_check_says_how_many_paused_sources_it_left_out(server, tmp_path):
    for name in ("alpha", "beta"):
        url = server.serve(f"/{name}", page(f"{name.title()} never sells your personal data."))
        assert _tracker("add", url, "--service", name, "--document", "privacy", cwd=tmp_path).returncode == 0
    assert _tracker("pause", "beta/privacy", cwd=tmp_path).returncode == 0
    done = _tracker("check", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "1 new, 0 changed, 0 unchanged, 0 failed; 1 paused, not checked"


def test_the_demo_refuses_a_folder_that_holds_something_else(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    done = subprocess.run([sys.executable, str(EXAMPLES / "demo.py"), str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 1 and "is not empty and holds no earlier demo" in done.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_diff_names_the_document_it_could_not_read(tmp_path):
    (tmp_path / "scripts.html").write_text("<html><body><script>render()</script></body></html>")
    done = _tracker("diff", EXAMPLES / "charte-v1.html", "scripts.html", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (1, "error: scripts.html: no text found in the document\n")


def test_a_diff_names_the_url_it_could_not_fetch(server, tmp_path):
    missing = server.url("/gone")
    done = _tracker("diff", EXAMPLES / "charte-v1.html", missing, cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.startswith(f"error: {missing}: HTTP 404")
