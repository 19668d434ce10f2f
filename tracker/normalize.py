"""Text normalization: the same words always give the same characters.

Versions are compared on normalized text, so that a change of encoding, of
space or quote style, or of invisible characters is never reported as a change.
"""

import re
import unicodedata

# Every space-like character (NBSP and the narrow NBSP French puts before : ; ! ?,
# thin spaces, ideographic space…) becomes a plain space.
_SPACES = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Soft hyphen, zero-width space/joiners, word joiner, BOM: invisible, so dropped.
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")
_QUOTES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
        "\u2033": '"', "\u2039": "'", "\u203a": "'",
        "\u2010": "-", "\u2011": "-",
    }
)
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_BLANK_LINES = re.compile(r"\n{3,}")
# Guillemets become straight quotes; the spaces French sets inside them go too.
_OPENING_GUILLEMET = re.compile(r"\u00ab[ \u00a0\u202f]*")
_CLOSING_GUILLEMET = re.compile(r"[ \u00a0\u202f]*\u00bb")


def normalize(text: str) -> str:
    """Unify Unicode, spaces, quotes and line breaks; normalizing twice changes nothing."""
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    if "\u00ab" in text or "\u00bb" in text:
        text = _CLOSING_GUILLEMET.sub('"', _OPENING_GUILLEMET.sub('"', text))
    text = _SPACES.sub(" ", text)
    text = text.translate(_QUOTES)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")
    return text + "\n" if text else ""
