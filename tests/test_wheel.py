"""A regular install works as well as the editable one: a wheel built from the project,
installed in a fresh virtual environment, replays the example and builds its site."""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import EXAMPLES

PROJECT = Path(__file__).resolve().parent.parent


def _run(*args, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a new venv holding the wheel, and (no network) this environment's libraries."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"  # a copy: building writes build/ and *.egg-info beside the sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT / name, source)
    shutil.copytree(PROJECT / "tracker", source / "tracker", ignore=shutil.ignore_patterns("__pycache__"))
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", tmp / "dist", source)
    (wheel,) = (tmp / "dist").glob("pledge_tracker-*.whl")
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    # the dependencies, from this environment: a path entry, so its own .pth files (the editable
    # install's among them) are not read and the package comes from the wheel alone
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-index", "--no-deps", wheel)
    return venv / "bin"


def test_the_installed_package_is_the_wheel_not_the_clone(installed, tmp_path):
    where = _run(installed / "python", "-c", "import tracker; print(tracker.__file__)", cwd=tmp_path)
    assert where.startswith(str(installed.parent)), where


def test_a_wheel_install_replays_the_example_and_builds_its_site(installed, tmp_path):
    shown = _run(installed / "python", EXAMPLES / "demo.py", tmp_path / "demo", cwd=tmp_path)
    assert "2021-03-02 charte-v2.html: changed" in shown
    home = Path(shown.strip().splitlines()[-1])
    assert home == tmp_path / "demo" / "site" / "index.html" and "uniquement" in home.read_text()

    demo = tmp_path / "demo"
    _run(installed / "tracker", "--watchlist", demo / "watchlist.toml", "--archive", demo / "snapshots",
         "build", "--out", tmp_path / "again", cwd=tmp_path)
    assert (tmp_path / "again" / "style.css").exists() and (tmp_path / "again" / "feed.atom").exists()
    page = _run(installed / "tracker", "diff", EXAMPLES / "charte-v1.html", EXAMPLES / "charte-v2.html",
                "--format", "html", cwd=tmp_path)
    assert page.lower().startswith("<!doctype html>") and "uniquement" in page
