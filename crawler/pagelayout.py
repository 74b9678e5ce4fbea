"""A page as text blocks, and the blocks a site repeats on its pages (menus, footers, boxes).

Link density and main-text length (trafilatura's and jusText's measures) mean nothing on a page
whose menu, footer and "most read" box are longer than its story. Those repeat across the
site's pages, so they are learned from the crawl and removed before measuring, the way
news-please and newspaper compare a page with its siblings rather than read class names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lxml.html import HtmlElement

_INLINE = frozenset(
    {"a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "dfn", "em", "font", "i",
     "img", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
     "time", "tt", "u", "var", "wbr", "br", "nobr"}
)  # fmt: skip
_SKIPPED = frozenset(
    {"script", "style", "noscript", "template", "svg", "iframe", "select", "option", "button",
     "head", "form", "input", "textarea", "canvas", "video", "audio", "object", "embed"}
)  # fmt: skip
_CHROME = frozenset({"nav", "header", "footer", "aside", "menu"})
SHARED_MIN_PAGES = 3
SHARED_SHARE = 0.3  # a block on this share of the site's pages is the site's, not the page's


@dataclass(frozen=True)
class Block:
    """One block element's own text (nested blocks are blocks of their own)."""

    element: HtmlElement
    text: str
    link_chars: int
    tag: str
    links: tuple[tuple[str, str], ...]  # (href, anchor text) of the links inside it

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


def page_blocks(root: HtmlElement) -> list[Block]:
    """The page's text blocks in document order."""
    body = root.find("body")
    return list(_blocks(body if body is not None else root))


def _blocks(element: HtmlElement) -> Iterator[Block]:
    parts: list[str] = []
    link_parts: list[str] = []
    links: list[tuple[str, str]] = []
    nested: list[HtmlElement] = []
    _inline_text(element, parts, link_parts, links, nested, in_link=False)
    text = " ".join(" ".join(parts).split())
    if text or links:
        link_chars = min(len(text), len(" ".join(" ".join(link_parts).split())))
        yield Block(element, text, link_chars, str(element.tag), tuple(links))
    for child in nested:
        yield from _blocks(child)


def _inline_text(
    element: HtmlElement,
    parts: list[str],
    link_parts: list[str],
    links: list[tuple[str, str]],
    nested: list[HtmlElement],
    *,
    in_link: bool,
) -> None:
    if element.text:
        parts.append(element.text)
        if in_link:
            link_parts.append(element.text)
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag and tag not in _SKIPPED:
            if tag in _INLINE:
                if tag == "a" and not in_link:
                    anchor = " ".join(child.text_content().split())
                    if href := (child.get("href") or "").strip():
                        links.append((href, anchor))
                _inline_text(child, parts, link_parts, links, nested, in_link=in_link or tag == "a")
            else:
                nested.append(child)
        if child.tail:
            parts.append(child.tail)
            if in_link:
                link_parts.append(child.tail)


def in_chrome(block: Block) -> bool:
    """Inside <nav>, <header>, <footer>, <aside>: chrome by the page's own markup."""
    node: HtmlElement | None = block.element
    while node is not None:
        if node.tag in _CHROME:
            return True
        node = node.getparent()
    return False


class SiteLayout:
    """The block texts one site repeats on many of its pages."""

    def __init__(self, shared: frozenset[str]) -> None:
        self.shared = shared

    @classmethod
    def learn(cls, pages: Sequence[Sequence[Block]]) -> SiteLayout:
        counts: Counter[str] = Counter()
        for blocks in pages:
            counts.update({_key(b) for b in blocks if b.text})
        needed = max(SHARED_MIN_PAGES, round(SHARED_SHARE * len(pages)))
        return cls(frozenset(text for text, n in counts.items() if n >= needed))

    def is_boilerplate(self, block: Block) -> bool:
        return _key(block) in self.shared or in_chrome(block)

    def content(self, blocks: Sequence[Block]) -> list[Block]:
        return [b for b in blocks if not self.is_boilerplate(b)]


def _key(block: Block) -> str:
    """A headline in an <h1> is the page's; the same words as a link in a box are the site's."""
    kind = "link" if block.link_density >= LINK_HEAVY_BLOCK else block.tag
    return f"{kind}|{block.text.casefold()}"


@dataclass(frozen=True)
class PageMeasure:
    """Main text and links of one page once the site's boilerplate is gone."""

    main_chars: int  # characters of low-link-density blocks (link text excluded)
    link_chars: int
    content_links: int  # distinct link targets outside the boilerplate
    longest_block: int
    body_chars: int  # own text of the one container holding the most of it (the story body)
    teasers: int  # link blocks beside the text in that container (a listing's headlines)

    @property
    def link_density(self) -> float:
        total = self.main_chars + self.link_chars
        return self.link_chars / total if total else 1.0


LINK_HEAVY_BLOCK = 0.5  # trafilatura's link-density test: mostly-link blocks are not text


def measure(content: Sequence[Block], page: Sequence[Block] = ()) -> PageMeasure:
    """Totals, and the container with the most own text: an article's body holds paragraphs,
    a listing's holds headlines interleaved with summaries. Headlines are counted among all
    the page's blocks (`page`): a teaser's headline may be the site's boilerplate elsewhere."""
    main = link = longest = 0
    targets: set[str] = set()
    by_parent: dict[HtmlElement | None, list[Block]] = {}  # keys keep lxml's proxies alive
    for block in content:
        targets.update(href for href, _ in block.links)
        link += block.link_chars
        if block.link_density < LINK_HEAVY_BLOCK:
            own = len(block.text) - block.link_chars
            main += own
            longest = max(longest, own)
        by_parent.setdefault(block.element.getparent(), []).append(block)
    body, container = 0, None
    for parent, blocks in by_parent.items():
        own = sum(len(b.text) - b.link_chars for b in blocks if b.link_density < LINK_HEAVY_BLOCK)
        if own > body:
            body, container = own, parent
    siblings = [b for b in (page or content) if b.element.getparent() is container]
    return PageMeasure(main, link, len(targets), longest, body, _interleaved(siblings))


TEASER_TEXT = 60  # characters of own text after a headline link that make it a teaser


def _interleaved(blocks: Sequence[Block]) -> int:
    """Headline links followed by text in the same container: a listing's teasers. The
    "read also" links after a story's last paragraph are not followed by text."""
    count, text_after = 0, False
    for block in reversed(blocks):
        if block.link_density < LINK_HEAVY_BLOCK:
            text_after = text_after or len(block.text) - block.link_chars >= TEASER_TEXT
        elif len(block.text) >= 15 and text_after:
            count += 1
    return count
