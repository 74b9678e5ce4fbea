"""A document folded and scanned once, shared by every watch that judges it.

Its own module because preparing is the part every item pays (folding, the prefilter pass);
what only some items need (the language, the token streams) is made on first use here, so
that an item nothing matches costs neither.
"""

from __future__ import annotations

from collections.abc import Sequence

from alerts.matching.prefilter import Owner, Places, Prefilter, every_place
from alerts.matching.query import Query
from alerts.matching.textnorm import Folded, clean_markup, fold_many
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
        "_could",
        "_fields",
        "_found_key",
        "_found_later",
        "_lang",
        "_lead_stream",
        "_may",
        "_originals",
        "_prefilter",
        "_stream",
        "_title_stream",
        "cut",
        "doc",
        "found",
        "haystack",
        "places",
        "texts",
    )

    def __init__(
        self,
        doc: Document,
        folded: tuple[list[str], list[str], list[Folded] | None],
        places: Places,
        found: set[str] | None,
        cut: dict[Field, str],
        prefilter: Prefilter | None = None,
        haystack: str = "",
    ) -> None:
        """`folded`: the fields' texts as judged, their folded texts, and their `Folded` when
        folding was not per character (textnorm.fold_many)."""
        self.doc = doc
        self._originals, self.texts, folds = folded
        self._fields = None if folds is None else dict(zip(FIELDS, folds, strict=True))
        self.places = places
        self.found = found
        self.cut = cut  # tails of fields ending in "..."
        self._stream: TokenStream | None = None
        self._title_stream: TokenStream | None = None
        self._lead_stream: TokenStream | None = None
        self._lang: str | None = None
        self._prefilter = prefilter
        self.haystack = haystack
        self._found_later: frozenset[str] | None = None
        # answers by query (id): a rule's query is asked whether it could match before the
        # watch is judged and again by the rule, a context or cue once per hit
        self._could: dict[int, bool] = {}
        self._may: dict[int, bool] = {}
        self._found_key: frozenset[str] | None = None

    @property
    def fields(self) -> dict[Field, Folded]:
        """The folded fields with their way back to the original text (made on first use)."""
        if self._fields is None:
            self._fields = {
                name: Folded(original, text)
                for name, original, text in zip(FIELDS, self._originals, self.texts, strict=True)
            }
        return self._fields

    def could(self, query: Query) -> bool:
        """`query.could(found)`, remembered (asked only when the prefilter ran)."""
        answer = self._could.get(id(query))
        if answer is None:
            assert self.found is not None and self._prefilter is not None
            if self._found_key is None:
                self._found_key = frozenset(self.found)
            answer = self._could[id(query)] = self._prefilter.could(query, self._found_key)
        return answer

    def may(self, query: Query) -> bool:
        """False only when `query` cannot match this item (its words do not all occur): asked
        before a context, exclusion or level cue builds the item's token stream."""
        answer = self._may.get(id(query))
        if answer is not None:
            return answer
        prefilter, found = self._prefilter, self.found
        if prefilter is None or found is None or not prefilter.covers(query):
            answer = True
        else:
            if self._found_later is None:
                self._found_later = frozenset(found | prefilter.later(self.haystack))
            answer = prefilter.could(query, self._found_later)
        self._may[id(query)] = answer
        return answer

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

    @property
    def lead_stream(self) -> TokenStream:
        """Title and summary: what a feed shows, without a crawled article's body."""
        if self._lead_stream is None:
            lead = [(f, self.fields[f]) for f in ("title", "summary")]
            self._lead_stream = TokenStream.build(lead)  # type: ignore[arg-type]
        return self._lead_stream


def prepare(doc: Document, prefilter: Prefilter | None, owners: Sequence[Owner]) -> Prepared:
    """Fold the fields and scan them; with no prefilter, every phrase of `owners` is a
    candidate everywhere (the exhaustive reference)."""
    raws = (doc.title or "", doc.summary or "", doc.text or "")
    originals = [
        clean_markup(raw[: _FIELD_LIMITS[name]]) for name, raw in zip(FIELDS, raws, strict=True)
    ]
    texts, joined, folds = fold_many(originals)
    cut: dict[Field, str] = {}
    if ".." in joined:
        for name, text in zip(FIELDS, texts, strict=True):
            if text.rstrip(" ])").endswith(".."):
                cut[name] = text[-_CUT_TAIL:]
    folded = (originals, texts, folds)
    if prefilter is None:
        return Prepared(doc, folded, every_place(owners, FIELDS), None, cut)
    places, found, haystack = prefilter.scan(FIELDS, texts, joined)
    return Prepared(doc, folded, places, found, cut, prefilter, haystack)


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
