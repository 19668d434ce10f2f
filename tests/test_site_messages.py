"""The site's words: every language file says everything the English one says."""

import re
import tomllib

import pytest

from tracker.site.messages import FOLDER, available, load

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _keys(code: str) -> dict[str, set[str]]:
    data = tomllib.loads((FOLDER / f"{code}.toml").read_text(encoding="utf-8"))
    return {f"{section}.{key}": set(PLACEHOLDER.findall(text))
            for section, table in data.items() if isinstance(table, dict) for key, text in table.items()}


@pytest.mark.parametrize("code", [c for c in available() if c != "en"])
def test_every_language_has_every_english_key_with_the_same_placeholders(code):
    english, other = _keys("en"), _keys(code)
    assert sorted(set(english) - set(other)) == []
    assert sorted(set(other) - set(english)) == []
    assert {k: v for k, v in other.items() if v != english[k]} == {}


def test_a_count_picks_its_plural_and_a_summary_lists_kinds_in_the_readers_order():
    french = load("fr")
    assert french("service.versions", n=1) == "1 version"
    assert french.summary([("removed", 1), ("weakened", 2)]) == "1 promesse supprimée, 2 promesses affaiblies"
    assert load("de").summary([]) == "Text geändert, keine Zusage geändert"
