"""Evidence highlighted in a text, built so it cannot inject markup.

The text is cut into pieces around the matched spans and every piece is escaped on its own;
the only markup in the result is the <mark> we add. Evidence text comes from the same
untrusted article, so it is used only to find spans (as a literal, never as a pattern).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

MAX_TERMS = 40
MAX_CHARS = 2000  # a summary or text excerpt longer than this is clipped before highlighting


def highlight(text: str, terms: Iterable[str], limit: int = MAX_CHARS) -> Markup:
    clipped = text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
    wanted = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)[:MAX_TERMS]
    if not wanted:
        return escape(clipped)
    pattern = re.compile("|".join(re.escape(t) for t in wanted), re.IGNORECASE)
    pieces: list[str] = []
    position = 0
    for match in pattern.finditer(clipped):
        pieces.append(str(escape(clipped[position : match.start()])))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    pieces.append(str(escape(clipped[position:])))
    return Markup("".join(pieces))
