"""HTML to Markdown-like text with lxml: headings, paragraphs, numbered items, tables.

lxml is used directly rather than through BeautifulSoup, for speed (decision record 1).
"""

import re
from functools import lru_cache

import lxml.html
from cssselect import SelectorError
from lxml.cssselect import CSSSelector

from tracker.errors import ExtractError, WatchlistError

# Never part of a document's text, whatever the page.
_DROPPED = {"script", "style", "noscript", "template", "svg", "canvas", "iframe", "object",
            "embed", "button", "select", "input", "textarea", "form", "head", "title", "meta", "link"}
# Boilerplate around the text (navigation, header, footer, hidden elements), dropped before
# the select rules are applied: a select rule cannot pick it.
_DEFAULT_REMOVE = (
    "nav, header, footer, [role=navigation], [role=banner], [role=contentinfo], [hidden], [aria-hidden=true]"
)
_BANNER = re.compile(
    r"(cookie|consent|gdpr|rgpd)[-_]?(banner|bar|notice|popup|modal|dialog|wall|box)"
    r"|onetrust|didomi|cookiebot|axeptio|tarteaucitron|cc-window",
    re.I,
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = {"p", "div", "section", "article", "main", "body", "blockquote", "pre", "ul", "ol",
           "dl", "dt", "dd", "figure", "figcaption", "address", "details", "summary", "hr",
           "aside", "center", "fieldset", "legend", "caption"}
_PARSER = lxml.html.HTMLParser(huge_tree=True)


@lru_cache(maxsize=256)
def compile_selector(css: str) -> CSSSelector:
    """A CSS selector, or a WatchlistError saying why it is not one."""
    try:
        return CSSSelector(css)
    except (SelectorError, SyntaxError) as error:
        raise WatchlistError(f"invalid CSS selector {css!r}: {error}") from None


def html_to_text(html: str, select: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> str:
    """The readable text of a page, keeping its structure as Markdown-like lines."""
    try:
        # huge_tree: a 10 MB paragraph is text too; depth is bounded by the walk below
        root = lxml.html.document_fromstring(html, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError) as error:
        raise ExtractError(f"unreadable HTML: {error}") from None
    try:
        return _text(root, select, remove)
    except RecursionError:
        raise ExtractError("the page is nested too deeply to be read") from None


def _text(root, select: tuple[str, ...], remove: tuple[str, ...]) -> str:
    for css in (*remove, _DEFAULT_REMOVE):
        for element in compile_selector(css)(root):
            _drop(element)
    # Listed before any is dropped: an iterator over the tree ends inside the first element
    # taken out of it, which let every banner after the first through.
    banners = [element for element in root.xpath("//*[@id or @class]")
               if _BANNER.search(f"{element.get('id', '')} {element.get('class', '')}")]
    for element in banners:
        _drop(element)
    parts = [root]
    if select:
        matched = [el for css in select for el in compile_selector(css)(root)]
        order = {el: i for i, el in enumerate(root.iter())}
        parts = sorted(set(matched), key=order.__getitem__)
        if not parts:
            raise ExtractError("the select rules match nothing on the page", no_text=True)
    writer = _Writer()
    for part in parts:
        _walk(part, writer)
        writer.end_block()
    return "\n\n".join(writer.blocks)


def _drop(element) -> None:
    """Remove an element but keep the text that follows it."""
    if element.getparent() is not None:
        element.drop_tree()


class _Writer:
    """Collects inline text into blocks; a block is one paragraph, heading, item or row."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self._inline: list[str] = []
        self._prefix = ""

    def text(self, text: str | None) -> None:
        if text:
            self._inline.append(text)

    def line_break(self) -> None:
        self._inline.append("\n")

    def start_block(self, prefix: str = "") -> None:
        self.end_block()
        self._prefix = prefix

    def end_block(self) -> None:
        lines = (" ".join(line.split()) for line in "".join(self._inline).split("\n"))
        text = "\n".join(filter(None, lines))
        if text:
            self.blocks.append(self._prefix + text)
            self._prefix = ""
        self._inline = []


def _inline_text(element) -> str:
    return " ".join(element.text_content().split())


def _walk(element, out: _Writer) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _DROPPED or not tag:
        return
    if tag in _HEADINGS:
        out.start_block("#" * _HEADINGS[tag] + " ")
        out.text(_inline_text(element))
        out.end_block()
    elif tag == "li":
        out.start_block(_item_marker(element))
        _walk_children(element, out)
        out.end_block()
    elif tag == "table":
        out.end_block()
        for row in element.iter("tr"):
            cells = [_inline_text(cell) for cell in row if cell.tag in ("td", "th")]
            if any(cells):
                out.blocks.append("| " + " | ".join(cells) + " |")
    elif tag == "br":
        out.line_break()
    elif tag in _BLOCKS:
        out.end_block()
        _walk_children(element, out)
        out.end_block()
    else:
        _walk_children(element, out)


def _walk_children(element, out: _Writer) -> None:
    out.text(element.text)
    for child in element:
        _walk(child, out)
        out.text(child.tail)


def _item_marker(item) -> str:
    """'- ' in a bullet list; '3. ' for the third item of a numbered one (honouring start=)."""
    parent = item.getparent()
    if parent is None or parent.tag != "ol":
        return "- "
    try:
        start = int(parent.get("start", "1"))
    except ValueError:
        start = 1
    siblings = [child for child in parent if child.tag == "li"]
    return f"{start + siblings.index(item)}. "
