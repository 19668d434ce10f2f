"""`tracker add --browser --dry-run`: a page whose text a script writes, read as a check would read it.

Drives Debian's Chromium through Playwright, as tests/test_browser_fetch.py does.
"""

from click.testing import CliRunner
from test_browser_fetch import PLEDGE, SCRIPTED

from tracker.cli import cli


def test_a_dry_run_that_finds_no_text_suggests_the_browser_and_the_browser_finds_it(server, workspace):
    url = server.serve("/p", SCRIPTED)
    plain = CliRunner().invoke(cli, ["add", url, "--service", "acme", "--document", "privacy",
                                     "--select", "main", "--dry-run"])
    assert plain.exit_code == 1 and "--browser" in plain.output and len(plain.output.splitlines()) == 1
    result = CliRunner().invoke(cli, ["add", url, "--service", "acme", "--document", "privacy",
                                      "--select", "main", "--browser", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"acme/privacy: {url} (via browser)"
    assert f"  - {PLEDGE}" in result.output and "dry run: nothing written" in result.output
    assert sorted(p.name for p in workspace.iterdir()) == []
