"""URL templates a site uses, learned from the addresses seen in one crawl.

`/en/article/48213` and `/en/article/48377` are two members of `/en/article/{n}`;
`/2026/11/summit-in-astana/` belongs to `/{yyyy}/{mm}/{slug}/`. Segments are generalized by
their shape (digits, a year, an id-slug, a worded slug); a literal position where many sibling
addresses differ (`/2026/11/summit/`, `/2026/11/talks/`...) becomes `{word}`. Templates are
evidence for the site judge, which weighs what their members look like.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

MIN_VARIANTS = 6  # distinct values before a literal position counts as variable

_EXT = re.compile(r"\.(s?html?|php|aspx?|jsp)$", re.IGNORECASE)
_YEAR = re.compile(r"(?:19|20)\d{2}")
_ID_SLUG = re.compile(r"\d+[-_][^/]*[^\W\d_][^/]*")
_SLUG_ID = re.compile(r"[^/]*[^\W\d_][^/]*[-_]\d{3,}")
_WORDS = re.compile(r"[-_+]+")
_DATE_SEGMENT = re.compile(r"\d{4}-\d{2}-\d{2}|\d{8}")


def segment_shape(segment: str, previous: str | None) -> str:
    """The shape of one path segment: `{n}`, `{yyyy}`, `{mm}`, `{n}-{slug}`, `{slug}`, or itself."""
    stem, ext = segment, ""
    if match := _EXT.search(segment):
        stem, ext = segment[: match.start()], match.group(0).lower()
    if stem.isdigit():
        if previous == "{yyyy}" and len(stem) <= 2:
            shape = "{mm}"
        elif previous == "{mm}" and len(stem) <= 2:
            shape = "{dd}"
        elif _YEAR.fullmatch(stem):
            shape = "{yyyy}"
        else:
            shape = "{n}"
    elif _DATE_SEGMENT.fullmatch(stem):
        shape = "{date}"
    elif _ID_SLUG.fullmatch(stem):
        shape = "{n}-{slug}"
    elif _SLUG_ID.fullmatch(stem):
        shape = "{slug}-{n}"
    elif len([w for w in _WORDS.split(stem) if w]) >= 2:
        shape = "{slug}"
    else:
        shape = stem.lower()
    return shape + ext


def url_shape(url: str) -> tuple[str, ...]:
    """Path segment shapes, then `key={n}` / `key=` for query parameters; trailing slash kept."""
    parts = urlsplit(url)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    shapes: list[str] = []
    for segment in segments:
        shapes.append(segment_shape(segment, shapes[-1] if shapes else None))
    if parts.path.endswith("/") and segments:
        shapes.append("")
    for key, value in sorted(parse_qsl(parts.query, keep_blank_values=True)):
        shapes.append(f"?{key}={'{n}' if value.isdigit() else ''}")
    return tuple(shapes)


def render(shape: tuple[str, ...]) -> str:
    path = [s for s in shape if not s.startswith("?")]
    query = [s[1:] for s in shape if s.startswith("?")]
    text = "/" + "/".join(path)
    return text + ("?" + "&".join(query) if query else "")


class TemplateBook:
    """The templates of one site's addresses, and which addresses belong to each."""

    def __init__(self, urls: Iterable[str]) -> None:
        shapes = {url: url_shape(url) for url in dict.fromkeys(urls)}
        shapes = _merge_variable_literals(shapes)
        self._template = {url: render(shape) for url, shape in shapes.items()}
        self._members: dict[str, set[str]] = defaultdict(set)
        for url, template in self._template.items():
            self._members[template].add(url)

    def template_of(self, url: str) -> str:
        return self._template.get(url) or render(url_shape(url))

    def members(self, template: str) -> set[str]:
        return self._members.get(template, set())

    def templates(self) -> dict[str, set[str]]:
        return dict(self._members)


def _merge_variable_literals(
    shapes: dict[str, tuple[str, ...]],
) -> dict[str, tuple[str, ...]]:
    """Literal segments that vary among otherwise equal addresses become `{word}`."""
    for _ in range(2):  # twice: a second variable position can show after the first merge
        siblings: dict[tuple[int, tuple[str, ...]], set[str]] = defaultdict(set)
        for shape in shapes.values():
            for i, part in enumerate(shape):
                if _is_literal(part):
                    siblings[(i, _blank(shape, i))].add(part)
        variable = {key for key, values in siblings.items() if len(values) >= MIN_VARIANTS}
        if not variable:
            break
        merged = {}
        for url, shape in shapes.items():
            parts = list(shape)
            for i, part in enumerate(shape):
                if _is_literal(part) and (i, _blank(shape, i)) in variable:
                    ext = _EXT.search(part)
                    parts[i] = "{word}" + (ext.group(0) if ext else "")
            merged[url] = tuple(parts)
        shapes = merged
    return shapes


def _blank(shape: tuple[str, ...], i: int) -> tuple[str, ...]:
    return (*shape[:i], "*", *shape[i + 1 :])


def _is_literal(part: str) -> bool:
    return bool(part) and not part.startswith(("{", "?"))
