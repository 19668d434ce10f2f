"""Extract: raw bytes of a fetched document to normalized, Markdown-like text.

Recognizing the kind of a document from its bytes as well as its declared type
matters because servers lie: a PDF served as text/html, junk served as HTML.
"""

import codecs
import re

from tracker.errors import ExtractError
from tracker.normalize import normalize

HTML, PDF, TEXT = "html", "pdf", "text"

_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype html|html|head|body|meta|title|div|p\b)", re.I | re.S)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_SUFFIX_KINDS = {".html": HTML, ".htm": HTML, ".pdf": PDF, ".md": TEXT, ".txt": TEXT}


def sniff(content: bytes, content_type: str = "", name: str = "") -> str:
    """The kind of a document (html, pdf or text): magic bytes first, then type, then name."""
    head = content[:1024]
    if head.lstrip().startswith(b"%PDF-"):
        return PDF
    if _HTML_START.match(head):
        return HTML
    content_type = content_type.lower()
    if "pdf" in content_type:
        return PDF
    if "html" in content_type or "xml" in content_type:
        return HTML
    for suffix, kind in _SUFFIX_KINDS.items():
        if name.lower().endswith(suffix):
            return kind
    return TEXT


def decode(content: bytes, declared: str | None = None) -> str:
    """Bytes to text with the declared charset, else a <meta> one, else UTF-8, else a guess."""
    candidates = [declared]
    meta = _META_CHARSET.search(content[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "ignore"))
    for charset in filter(None, candidates):
        try:
            codecs.lookup(charset)
            return content.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(content[:200_000]).best()
        return content.decode(best.encoding if best else "latin-1", errors="replace")


# Control characters other than tab and line breaks, and the replacement character.
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


def _check_is_text(text: str) -> None:
    sample = text[:20_000]
    junk = len(_JUNK.findall(sample))
    if junk > max(8, len(sample) // 50):
        raise ExtractError("the document is binary data, not text")


def extract(
    content: bytes,
    kind: str,
    charset: str | None = None,
    select: tuple[str, ...] = (),
    remove: tuple[str, ...] = (),
) -> str:
    """Normalized text of a document; ExtractError when it holds no readable text."""
    if kind == PDF:
        from tracker.extract.pdf import pdf_to_text

        text = pdf_to_text(content)
    else:
        decoded = decode(content, charset)
        _check_is_text(decoded)
        if kind == HTML:
            from tracker.extract.html import html_to_text

            text = html_to_text(decoded, select, remove)
        else:
            text = decoded
    text = normalize(text)
    if not text.strip():
        raise ExtractError("no text found in the document" + (" with the select rules" if select else ""),
                           no_text=True)
    return text
