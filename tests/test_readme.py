"""The README documents every command and option, so the docs cannot rot.

Options are documented in tables: a row "| `--opt VALUE` | meaning |" under a heading that
names its commands ("### `tracker build`, `tracker run`"). A table whose first header cell
names commands ("| option (`import-history`) |") is about those only, and so is a row whose
meaning starts with them ("| `--workers 4` | (`run`) checks that run at once |"). Global
options are written in the paragraph that starts "Global options".
"""

import re
from pathlib import Path

import click

from tracker.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text()
_HEADING = re.compile(r"^#+ ")
_COMMAND = re.compile(r"`tracker ([a-z][a-z-]*)")
_NAMED = re.compile(r"^\(`([a-z][a-z-]*)`\)")
_OPTION = re.compile(r"`(--[a-z][a-z-]*)")


def options(command: click.Command) -> set[str]:
    """The long options of a command, as its own --help lists them (but --help)."""
    found = set()
    for param in command.params:
        if isinstance(param, click.Option):
            found.update(opt for opt in (*param.opts, *param.secondary_opts) if opt.startswith("--"))
    return found


def documented(readme: str) -> dict[str, set[str]]:
    """The options documented in the README's option tables, by command."""
    by_command: dict[str, set[str]] = {}
    commands: list[str] = []
    table: list[str] | None = None  # the commands of the table being read; None outside option tables
    previous = ""
    for line in readme.splitlines():
        if _HEADING.match(line):
            commands = _COMMAND.findall(line)
        if not line.startswith("|"):
            table, previous = None, line
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not previous.startswith("|"):  # a header row
            table = None
            if cells[0].startswith("option"):
                table = re.findall(r"`([a-z][a-z-]*)`", cells[0]) or commands
                assert table, f"an option table under a heading that names no command: {line}"
        elif table is not None and not set(cells[0]) <= {"-", " "}:
            named = _NAMED.match(cells[1]) if len(cells) > 1 else None
            for command in [named.group(1)] if named else table:
                by_command.setdefault(command, set()).update(_OPTION.findall(cells[0]))
        previous = line
    return by_command


def test_every_command_is_named_in_the_readme():
    assert not [name for name in cli.commands if f"tracker {name}" not in README]


def test_every_option_of_every_command_is_in_its_table_and_no_table_names_one_that_is_not():
    tables = documented(README)
    undocumented = [f"tracker {name} {opt}" for name, command in sorted(cli.commands.items())
                    for opt in sorted(options(command) - tables.get(name, set()))]
    unknown = [f"tracker {name} {opt}" for name, opts in sorted(tables.items())
               for opt in sorted(opts - (options(cli.commands[name]) if name in cli.commands else set()))]
    assert not undocumented, f"options missing from README.md's tables: {undocumented}"
    assert not unknown, f"README.md's tables document options that do not exist: {unknown}"


def test_the_global_options_are_the_ones_documented():
    paragraph = README[README.index("Global options"):].split("\n\n", 1)[0]
    assert set(_OPTION.findall(paragraph)) == options(cli)


def test_the_table_reader_sees_a_missing_and_a_made_up_option():
    """The test above would pass on a README it cannot read; this one says it can."""
    readme = README.replace("| `--dry-run` |", "| `--try-it` |")
    tables = documented(readme)
    assert "--dry-run" not in tables["add"] and "--try-it" in tables["add"]
    assert tables["run"] >= {"--workers", "--allow-file", "--out"} and "--workers" not in tables["build"]
    assert tables["import-history"] == {"--service", "--workers"} and "import-declarations" not in tables


def test_every_watchlist_key_is_in_the_readme():
    from tracker.watchlist import KEYS

    assert all(f"\n{key} = " in README for key in KEYS)
