"""PDF to Markdown-like text with pdfminer.six, in reading order, without page furniture.

Running headers, footers and page numbers would otherwise split pledges that
cross a page break and show up as changes whenever the page count moves.
Text boxes on one line become a table row, as an HTML table would; larger
type becomes a heading, so pledges keep their section as context.
"""

import io
import re
import resource
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass

from tracker.errors import ExtractError

_PAGE_NUMBER = re.compile(r"^(page\s*)?[-–—(\[]?\s*\d{1,4}\s*([/|]|sur|of|von|de)?\s*\d{0,4}\s*[-–—)\]]?$", re.I)
_DIGITS = re.compile(r"\d+")
_HYPHENATED = re.compile(r"(\w)-\n(?=[a-zà-öø-ÿß])")
_SENTENCE_END = re.compile(r"[.!?:;)\]\"|]$")
_EDGE_ROWS = 2  # rows at the top and at the bottom of a page that may be furniture
_REFUSED = 3  # exit status of the child for a PDF it could not read


@dataclass(frozen=True)
class _Box:
    top: float
    bottom: float
    left: float
    text: str
    height: float  # of its lines, in points: larger type marks a heading


def pdf_to_text(content: bytes, seconds: float = 60, memory: int = 1 << 30) -> str:
    """Paragraphs, headings and table rows of a PDF, read in a child process under a time and
    memory cap: a PDF bomb kills the child, never the tracker."""
    try:
        child = subprocess.run(
            [sys.executable, "-m", "tracker.extract.pdf", str(memory)],
            input=content, capture_output=True, timeout=seconds,
        )
    except subprocess.TimeoutExpired:
        raise ExtractError(f"PDF extraction took over {seconds:g} s (a PDF bomb?)") from None
    if child.returncode == 0:
        return child.stdout.decode("utf-8")
    message = child.stderr.decode("utf-8", "replace").strip().splitlines()
    if child.returncode == _REFUSED and message:
        raise ExtractError(message[-1])
    raise ExtractError(f"PDF extraction went over its {memory >> 20} MB memory cap or crashed (a PDF bomb?)")


def _read(content: bytes) -> str:
    pages = [_rows(boxes) for boxes in _pages(content)]
    furniture = _repeated_edge_rows(pages)
    body_height = _body_height(pages)
    paragraphs: list[str] = []
    for rows in pages:
        page_start = len(paragraphs)
        for row in rows:
            text = _row_text(row, body_height)
            if _is_furniture(text, furniture):
                continue
            if page_start and len(paragraphs) == page_start and _continues(paragraphs[-1], text):
                paragraphs[-1] += " " + text
            else:
                paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _pages(content: bytes) -> list[list[_Box]]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer, LTTextLine

    try:
        pages = []
        for layout in extract_pages(io.BytesIO(content), laparams=LAParams()):
            boxes = []
            for element in layout:
                if not isinstance(element, LTTextContainer):
                    continue
                lines = [line for line in element if isinstance(line, LTTextLine)] or [element]
                text = "\n".join(t for t in (line.get_text().strip() for line in lines) if t)
                if text:
                    height = min(line.height for line in lines)
                    text = _HYPHENATED.sub(r"\1", text).replace("\n", " ")
                    boxes.append(_Box(element.y1, element.y0, element.x0, text, height))
            pages.append(boxes)
        return pages
    except Exception as error:  # pdfminer raises many unrelated types on malformed files
        raise ExtractError(f"broken PDF: {type(error).__name__}: {error}") from None


def _rows(boxes: list[_Box]) -> list[list[_Box]]:
    """Boxes grouped into rows (top to bottom), each row left to right."""
    rows: list[list[_Box]] = []
    for box in sorted(boxes, key=lambda b: (-b.top, b.left)):
        row = rows[-1] if rows else None
        if row and _overlap(row[0], box) > 0.5:
            row.append(box)
        else:
            rows.append([box])
    return [sorted(row, key=lambda b: b.left) for row in rows]


def _overlap(a: _Box, b: _Box) -> float:
    shared = min(a.top, b.top) - max(a.bottom, b.bottom)
    return shared / max(1e-6, min(a.top - a.bottom, b.top - b.bottom))


def _row_text(row: list[_Box], body_height: float) -> str:
    if len(row) > 1:
        return "| " + " | ".join(box.text for box in row) + " |"
    box = row[0]
    if body_height and len(box.text) < 150 and box.height >= 1.15 * body_height:
        return ("# " if box.height >= 1.5 * body_height else "## ") + box.text
    return box.text


def _body_height(pages: list[list[list[_Box]]]) -> float:
    """The most common height of text lines, weighted by text length."""
    heights = [round(box.height, 1) for rows in pages for row in rows for box in row for _ in box.text]
    return statistics.mode(heights) if heights else 0.0


def _shape(text: str) -> str:
    return _DIGITS.sub("#", text.lower())


def _repeated_edge_rows(pages: list[list[list[_Box]]]) -> set[str]:
    """Shapes of the rows found at the top or bottom of most pages."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for rows in pages:
        edges = rows[:_EDGE_ROWS] + rows[-_EDGE_ROWS:]
        counts.update({_shape(" ".join(box.text for box in row)) for row in edges})
    return {shape for shape, n in counts.items() if n >= max(2, len(pages) * 0.6)}


def _is_furniture(text: str, furniture: set[str]) -> bool:
    plain = text.lstrip("#| ").rstrip("| ")
    return bool(_PAGE_NUMBER.match(plain)) or _shape(plain.replace(" | ", " ")) in furniture


def _continues(previous: str, text: str) -> bool:
    """Whether a page's first paragraph carries on the previous page's last sentence."""
    return not _SENTENCE_END.search(previous) and text[:1].islower()


def _main() -> None:
    """The child process: PDF bytes on stdin, text on stdout, memory capped by argv[1]."""
    memory = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        text = _read(sys.stdin.buffer.read())
    except ExtractError as error:
        print(error, file=sys.stderr)
        sys.exit(_REFUSED)
    sys.stdout.buffer.write(text.encode("utf-8"))


if __name__ == "__main__":
    _main()
