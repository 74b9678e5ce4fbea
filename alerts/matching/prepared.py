"""A document folded and scanned once, shared by every watch that judges it.

Its own module because preparing is the part every item pays (folding, the prefilter pass);
what only some items need (the language, the token streams) is made on first use here, so
that an item nothing matches costs neither.
"""

from __future__ import annotations

from collections.abc import Sequence

from alerts.matching.prefilter import Owner, Places, Prefilter, every_place
from alerts.matching.query import Query
from alerts.matching.textnorm import Folded, clean_markup, normalize_many
from alerts.matching.tokens import TokenStream
from alerts.matching.types import Document, Field
from crawler.language import detect_language, detect_languages

FIELDS: tuple[Field, ...] = ("title", "summary", "text")

# How much of each field is judged: a news article says what it is about early, and a bound
# keeps one enormous page from costing seconds (NEAR queries grow with the matches in a field).
_FIELD_LIMITS: dict[Field, int] = {"title": 1_000, "summary": 5_000, "text": 20_000}

_CUT_TAIL = 160  # characters at the end of a truncated field searched for a cut-off name


class Prepared:
    """An item's folded fields, where its candidate phrases sit, and what the prefilter found
    (None: no prefilter ran, every query is asked)."""

    __slots__ = (
        "_found_later",
        "_lang",
        "_prefilter",
        "_stream",
        "_title_stream",
        "cut",
        "doc",
        "fields",
        "found",
        "haystack",
        "places",
    )

    def __init__(
        self,
        doc: Document,
        fields: dict[Field, Folded],
        places: Places,
        found: set[str] | None,
        cut: dict[Field, str],
        prefilter: Prefilter | None = None,
        haystack: str = "",
    ) -> None:
        self.doc = doc
        self.fields = fields
        self.places = places
        self.found = found
        self.cut = cut  # tails of fields ending in "..."
        self._stream: TokenStream | None = None
        self._title_stream: TokenStream | None = None
        self._lang: str | None = None
        self._prefilter = prefilter
        self.haystack = haystack
        self._found_later: set[str] | None = None

    def may(self, query: Query) -> bool:
        """False only when `query` cannot match this item (its words do not all occur): asked
        before a context, exclusion or level cue builds the item's token stream."""
        prefilter, found = self._prefilter, self.found
        if prefilter is None or found is None or not prefilter.covers(query):
            return True
        if self._found_later is None:
            self._found_later = found | prefilter.later(self.haystack)
        return query.could(self._found_later)

    @property
    def sample(self) -> tuple[str, str | None]:
        """What language identification reads, and the declared code."""
        doc = self.doc
        sample = f"{doc.title}\n{doc.summary}"[:600]
        if len(sample) < 60 and doc.text:
            sample = f"{sample}\n{doc.text[:600]}"
        return sample, _plausible(doc.lang)

    @property
    def lang(self) -> str:
        """Identified on first use: an item no watch flags and no filter asks about needs none."""
        if self._lang is None:
            self._lang = detect_language(*self.sample)[0]
        return self._lang

    @property
    def stream(self) -> TokenStream:
        if self._stream is None:
            self._stream = TokenStream.build(list(self.fields.items()))
        return self._stream

    @property
    def title_stream(self) -> TokenStream:
        if self._title_stream is None:
            self._title_stream = TokenStream.build([("title", self.fields["title"])])
        return self._title_stream


def prepare(doc: Document, prefilter: Prefilter | None, owners: Sequence[Owner]) -> Prepared:
    """Fold the fields and scan them; with no prefilter, every phrase of `owners` is a
    candidate everywhere (the exhaustive reference)."""
    raws = (doc.title or "", doc.summary or "", doc.text or "")
    folded, joined = normalize_many(
        [clean_markup(raw[: _FIELD_LIMITS[name]]) for name, raw in zip(FIELDS, raws, strict=True)]
    )
    fields = dict(zip(FIELDS, folded, strict=True))
    cut: dict[Field, str] = {}
    if ".." in joined:
        for name, f in fields.items():
            if f.text.rstrip(" ])").endswith(".."):
                cut[name] = f.text[-_CUT_TAIL:]
    if prefilter is None:
        return Prepared(doc, fields, every_place(owners, FIELDS), None, cut)
    places, found, haystack = prefilter.scan(FIELDS, [f.text for f in folded], joined)
    return Prepared(doc, fields, places, found, cut, prefilter, haystack)


def _plausible(declared: str | None) -> str | None:
    if declared is None:
        return None
    code = declared.strip().lower().replace("_", "-").split("-")[0]
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


def identify(items: Sequence[Prepared]) -> None:
    """Identify the languages of these items in one batch (crawler.language.detect_languages)."""
    todo = [i for i in items if i._lang is None]
    for item, (lang, _confidence) in zip(
        todo, detect_languages([i.sample for i in todo]), strict=True
    ):
        item._lang = lang
