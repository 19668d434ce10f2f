"""The README documents every command and option, so the docs cannot rot."""

from pathlib import Path

from tracker.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_command_and_option_is_in_the_readme():
    missing = []
    for name, command in cli.commands.items():
        if f"tracker {name}" not in README:
            missing.append(f"tracker {name}")
        for param in command.params:
            missing += [opt for opt in param.opts if opt.startswith("--") and f"`{opt}" not in README]
    missing += [opt for param in cli.params for opt in param.opts if opt.startswith("--") and f"`{opt}" not in README]
    assert not missing, f"undocumented in README.md: {missing}"


def test_every_watchlist_key_is_in_the_readme():
    from tracker.watchlist import KEYS

    assert all(f"\n{key} = " in README for key in KEYS)
