"""PDF to text with pdfminer.six, without what repeats on every page.

Running headers, footers and page numbers would otherwise split pledges that
cross a page break and show up as changes whenever the page count moves.
"""

import io
import re
from collections import Counter

from tracker.errors import ExtractError

_PAGE_NUMBER = re.compile(r"^(page\s*)?[-–—(\[]?\s*\d{1,4}\s*([/|]|sur|of|von|de)?\s*\d{0,4}\s*[-–—)\]]?$", re.I)
_DIGITS = re.compile(r"\d+")
_HYPHENATED = re.compile(r"(\w)-\n(?=[a-zà-öø-ÿß])")
_EDGE_LINES = 3  # how many lines at the top and the bottom of a page may be furniture


def pdf_to_text(content: bytes) -> str:
    """Paragraphs of a PDF separated by blank lines; ExtractError on a broken file."""
    pages = _pages(content)
    furniture = _repeated_edge_lines(pages)
    paragraphs = []
    for page in pages:
        for block in page:
            lines = [line for line in block if not _is_furniture(line, furniture)]
            if lines:
                paragraphs.append(_HYPHENATED.sub(r"\1", "\n".join(lines)).replace("\n", " "))
    return "\n\n".join(paragraphs)


def _pages(content: bytes) -> list[list[list[str]]]:
    """Each page as its text blocks, each block as its stripped lines."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer

    try:
        pages = []
        for layout in extract_pages(io.BytesIO(content), laparams=LAParams()):
            blocks = []
            for element in layout:
                if isinstance(element, LTTextContainer):
                    lines = [line.strip() for line in element.get_text().splitlines()]
                    blocks.append([line for line in lines if line])
            pages.append([block for block in blocks if block])
        return pages
    except Exception as error:  # pdfminer raises many unrelated types on malformed files
        raise ExtractError(f"broken PDF: {type(error).__name__}: {error}") from None


def _shape(line: str) -> str:
    return _DIGITS.sub("#", line.lower())


def _repeated_edge_lines(pages: list[list[list[str]]]) -> set[str]:
    """Shapes of the lines found near the top or bottom of most pages."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [line for block in page for line in block]
        edges = lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]
        counts.update({_shape(line) for line in edges})
    return {shape for shape, n in counts.items() if n >= max(2, len(pages) * 0.6)}


def _is_furniture(line: str, furniture: set[str]) -> bool:
    return bool(_PAGE_NUMBER.match(line)) or _shape(line) in furniture
