"""Text normalization: the same words always give the same characters.

Versions are compared on normalized text, so that a change of encoding, of
space or quote style, or of invisible characters is never reported as a change.
"""

import re
import unicodedata

# Character-for-character changes are made with str.translate (one pass in C instead of a
# regex per kind of character), in two tables because guillemets must be handled between them.
# First: every other line break becomes a newline; soft hyphen, zero-width space and
# joiners, word joiner and BOM are invisible, so dropped.
_BREAKS_AND_INVISIBLE = str.maketrans(
    {**dict.fromkeys("\r\u2028\u2029\x0b\x0c\x85", "\n"), **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff")}
)
# Then: every space-like character (NBSP and the narrow NBSP French puts before : ; ! ?,
# thin spaces, ideographic space…) becomes a plain space; curly quotes become straight.
_SPACES_AND_QUOTES = str.maketrans(
    {
        **dict.fromkeys("\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                        "\u2009\u200a\u202f\u205f\u3000", " "),
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
        "\u2033": '"', "\u2039": "'", "\u203a": "'",
        "\u2010": "-", "\u2011": "-",
    }
)
_BLANK_LINES = re.compile(r"\n{3,}")
# Guillemets become straight quotes; the spaces French sets inside them go too.
_OPENING_GUILLEMET = re.compile(r"\u00ab[ \u00a0\u202f]*")
_CLOSING_GUILLEMET = re.compile(r"[ \u00a0\u202f]*\u00bb")


def normalize(text: str) -> str:
    """Unify Unicode, spaces, quotes and line breaks; normalizing twice changes nothing."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").translate(_BREAKS_AND_INVISIBLE)
    if "\u00ab" in text or "\u00bb" in text:
        text = _CLOSING_GUILLEMET.sub('"', _OPENING_GUILLEMET.sub('"', text))
    text = text.translate(_SPACES_AND_QUOTES)
    text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    text = text.strip("\n")
    return text + "\n" if text else ""
