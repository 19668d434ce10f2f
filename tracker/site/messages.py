"""The site's own words in one language, read from tracker/lang/site/<code>.toml.

A site speaks one language, chosen at build time; the reasons quoted in it keep the
document's language (tracker/lang/<code>.toml, decision record 15). Decision record 18.
"""

import tomllib
from functools import cache
from pathlib import Path

from tracker.errors import TrackerError

FOLDER = Path(__file__).resolve().parent.parent / "lang" / "site"
DEFAULT = "en"


def available() -> tuple[str, ...]:
    """Codes of the languages the site can speak, sorted."""
    return tuple(sorted(path.stem for path in FOLDER.glob("*.toml")))


class Messages:
    """The words of one language: t("home.title"), t("counts.removed", n=2) (the key's _one or
    _other form, when it has them)."""

    def __init__(self, code: str, words: dict[str, str]):
        self.code = code
        self.words = words

    def __call__(self, key: str, n: int | None = None, **values: object) -> str:
        if n is not None:
            values["n"] = n
            plural = f"{key}_{'one' if n == 1 else 'other'}"
            key = plural if plural in self.words else key
        return self.words[key].format(**values) if values else self.words[key]

    def summary(self, counts: list[tuple[str, int]]) -> str:
        """"2 weakened, 1 added": a change's counts of pledge changes, in the reader's order."""
        return ", ".join(self(f"counts.{kind}", n=n) for kind, n in counts) or self("counts.none")


@cache
def load(code: str = DEFAULT) -> Messages:
    """The site's words in `code`; an English word stands in for one a file lacks."""
    if code not in available():
        raise TrackerError(f"no site language {code!r}: expected one of {', '.join(available())}")
    words = _flat(_read(DEFAULT))
    if code != DEFAULT:
        words.update(_flat(_read(code)))
    return Messages(code, words)


def _read(code: str) -> dict:
    return tomllib.loads((FOLDER / f"{code}.toml").read_text(encoding="utf-8"))


def _flat(data: dict) -> dict[str, str]:
    return {f"{section}.{key}": text for section, table in data.items() if isinstance(table, dict)
            for key, text in table.items()}
