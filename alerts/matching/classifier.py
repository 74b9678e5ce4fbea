"""The classifier: which watches an item matches, how strongly, at which level, and why.

One Aho-Corasick automaton holds an anchor literal of every phrase of every watch; only the
phrases whose anchor occurs in an item's folded text are verified with their regex (word
boundaries, allowed suffixes). Queries run only when their literals occur. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import ahocorasick

from alerts.matching.judgement import Hit, Judgement
from alerts.matching.levels import decide
from alerts.matching.phrases import Pattern
from alerts.matching.query import Query
from alerts.matching.textnorm import Folded, clean_markup, is_upper_text, normalize
from alerts.matching.tokens import Result, TokenStream, haystack_of
from alerts.matching.types import Document, Evidence, Field, Verdict
from alerts.matching.watchlist import Exclusion, Rule, Watch
from crawler.language import detect_language, detect_languages

FIELD_FACTOR: dict[Field, float] = {"title": 1.0, "summary": 0.95, "text": 0.8}
_FIELDS: tuple[Field, ...] = ("title", "summary", "text")


@dataclass
class _Item:
    """A document folded once, shared by all watches."""

    doc: Document
    sample: tuple[str, str | None]  # what language identification reads, and the declared code
    fields: dict[Field, Folded]
    candidates: dict[Field, set[Pattern]]
    haystack: str = ""
    cut: dict[Field, str] = field(default_factory=dict)  # tails of fields ending in "..."
    places: dict[int, dict[Field, list[int]]] = field(default_factory=dict)
    _stream: TokenStream | None = None
    _title_stream: TokenStream | None = None
    _lang: str | None = None

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


def _plausible(declared: str | None) -> str | None:
    if declared is None:
        return None
    code = declared.strip().lower().replace("_", "-").split("-")[0]
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


class Classifier:
    """Classify documents against compiled watches."""

    def __init__(self, watches: Sequence[Watch]) -> None:
        self.watches = tuple(watches)
        self._automaton = ahocorasick.Automaton()
        anchors: dict[str, list[Pattern]] = {}
        for w in self.watches:
            for p in [p for r in w.rules for p in r.patterns] + [
                p for e in w.exclusions for p in e.patterns
            ]:
                anchors.setdefault(p.anchor, []).append(p)
        for anchor, pats in anchors.items():
            self._automaton.add_word(anchor, tuple(pats))
        self._empty = not anchors
        # which rules or exclusions hold each phrase, and where (their order is the evidence's)
        self._owners: dict[Pattern, list[tuple[int, int]]] = {}
        for w in self.watches:
            owners: list[Rule | Exclusion] = [*w.rules, *w.exclusions]
            for owner in owners:
                for i, p in enumerate(owner.patterns):
                    self._owners.setdefault(p, []).append((id(owner), i))
        if not self._empty:
            self._automaton.make_automaton()

    # ------------------------------------------------------------------ public API

    def classify(self, doc: Document) -> Verdict:
        """The best verdict across watches; not flagged gives watch=None, level=None."""
        item = self._prepare(doc)
        judgements = [self._judge(w, item) for w in self.watches]
        flagged = [j for j in judgements if j.flagged]
        if not flagged:
            best = max((j.score for j in judgements), default=0.0)
            return Verdict(None, False, None, best, (), item.lang)
        return self._verdict(max(flagged, key=lambda j: j.score), item)

    def classify_all(self, doc: Document) -> list[Verdict]:
        """One flagged verdict per matching watch, in watch-list order."""
        item = self._prepare(doc)
        return [
            self._verdict(j, item)
            for j in (self._judge(w, item) for w in self.watches)
            if j.flagged
        ]

    def classify_many(self, docs: Sequence[Document]) -> list[list[Verdict]]:
        """`classify_all` for a batch: the languages of the items that need one (flagged, or
        judged by a watch with a language filter) are identified together, which is faster."""
        items = [self._prepare(doc) for doc in docs]
        if any(w.languages for w in self.watches):  # the filter asks every item's language
            _identify(items)
        judged = [
            [j for j in (self._judge(w, i) for w in self.watches) if j.flagged] for i in items
        ]
        _identify([i for i, flagged in zip(items, judged, strict=True) if flagged])
        return [
            [self._verdict(j, item) for j in flagged]
            for item, flagged in zip(items, judged, strict=True)
        ]

    def judge_all(self, doc: Document) -> tuple[str, list[Judgement]]:
        """The detected language and the full judgement per watch (for `explain`)."""
        item = self._prepare(doc)
        return item.lang, [self._judge(w, item) for w in self.watches]

    # ------------------------------------------------------------------ internals

    def _prepare(self, doc: Document) -> _Item:
        sample = f"{doc.title}\n{doc.summary}"[:600]
        if len(sample) < 60 and doc.text:
            sample = f"{sample}\n{doc.text[:600]}"
        fields: dict[Field, Folded] = {}
        candidates: dict[Field, set[Pattern]] = {}
        cut: dict[Field, str] = {}
        for name, raw in zip(_FIELDS, (doc.title, doc.summary, doc.text), strict=True):
            folded = normalize(clean_markup((raw or "")[: _FIELD_LIMITS[name]]))
            fields[name] = folded
            found: set[Pattern] = set()
            if not self._empty and folded.text:
                for _end, pats in self._automaton.iter(folded.text):
                    found.update(pats)
            candidates[name] = found
            end = folded.text.rstrip(" ])")
            if end.endswith(".."):
                cut[name] = folded.text[-_CUT_TAIL:]
        haystack = haystack_of(list(fields.items()))
        # per rule or exclusion, per field, where its candidate phrases sit in it: a rule with
        # none (most rules, for most items) costs one dictionary look-up
        places: dict[int, dict[Field, list[int]]] = {}
        for name, found in candidates.items():
            for p in found:
                for owner, i in self._owners[p]:
                    places.setdefault(owner, {}).setdefault(name, []).append(i)
        item = _Item(doc, (sample, _plausible(doc.lang)), fields, candidates, haystack, cut)
        item.places = places
        return item

    def _pattern_hits(self, rule_or_ex: Rule | Exclusion, item: _Item) -> list[Hit]:
        out: list[Hit] = []
        for fname, places in item.places.get(id(rule_or_ex), {}).items():
            folded = item.fields[fname]
            for p in [rule_or_ex.patterns[i] for i in sorted(places)]:
                for m in p.regex.finditer(folded.text):
                    if p.acronym and not _acronym_shape(folded, m, p.source):
                        continue
                    a, b = m.span()
                    if isinstance(rule_or_ex, Rule):
                        name = rule_or_ex.id if p.lang == "any" else f"{rule_or_ex.id}.{p.lang}"
                        if p.acronym and rule_or_ex.context is not None:
                            name = f"{rule_or_ex.id}+context"
                        w = rule_or_ex.weight * FIELD_FACTOR[fname]
                        out.append(
                            Hit(rule_or_ex, name, fname, a, b, folded.original_text(a, b), w)
                        )
                    else:
                        out.append(
                            Hit(
                                _EXCL_RULE,
                                rule_or_ex.id,
                                fname,
                                a,
                                b,
                                folded.original_text(a, b),
                                0.0,
                            )
                        )
        return out

    def _cut_hits(self, rule: Rule, item: _Item) -> list[Hit]:
        """A name cut off by a truncated title or summary ("...within the Organization of
        Turkic..."): matched on the tail of the field when it holds one of the rule's stems."""
        out: list[Hit] = []
        for fname, tail in item.cut.items():
            if not any(st in tail for st in rule.cut_stems):
                continue
            folded = item.fields[fname]
            offset = len(folded.text) - len(tail)
            for p in rule.patterns:
                m = p.cut.search(tail) if p.cut is not None else None
                if m is None:
                    continue
                a, b = m.start(1) + offset, m.end(1) + offset
                name = (
                    f"{rule.id}+truncated" if p.lang == "any" else f"{rule.id}.{p.lang}+truncated"
                )
                w = rule.weight * FIELD_FACTOR[fname]
                out.append(Hit(rule, name, fname, a, b, folded.original_text(a, b), w))
                break
        return out

    def _query_hits(self, rule: Rule, result: Result, item: _Item) -> list[Hit]:
        toks = item.stream.tokens
        out = []
        for h in result.hits:
            first, last = toks[h.first], toks[h.last]
            fname: Field = first.field  # type: ignore[assignment]
            folded = item.fields[fname]
            text = folded.original_text(first.start, last.end)
            w = rule.weight * FIELD_FACTOR[fname]
            out.append(Hit(rule, rule.id, fname, first.start, last.end, text, w))
        return out

    def _rule_hits(self, rule: Rule, item: _Item) -> list[Hit]:
        hits = self._pattern_hits(rule, item)
        if item.cut and rule.cut_stems:
            hits.extend(self._cut_hits(rule, item))
        for rx in rule.regexes:
            for fname, folded in item.fields.items():
                for m in rx.finditer(folded.original):
                    w = rule.weight * FIELD_FACTOR[fname]
                    # regexes run on original text; spans are kept only for display
                    hits.append(Hit(rule, rule.id, fname, -1, -1, m.group(), w))
        if rule.query is not None and rule.query.may_match(item.haystack):
            result = rule.query.evaluate(item.stream)
            if result.matched:
                hits.extend(self._query_hits(rule, result, item))
        return hits

    def _judge(self, watch: Watch, item: _Item) -> Judgement:
        j = Judgement(watch)
        lang = item.lang if watch.languages else "und"  # no filter: no need to identify it
        if not watch.accepts(lang, item.doc.source):
            j.skipped = f"filters exclude lang={item.lang} source={item.doc.source}"
            return j
        hits = [h for r in watch.rules for h in self._rule_hits(r, item)]
        if not hits:
            return j
        vetoes = self._vetoes(watch, item)
        for h in hits:
            veto = next((v for v in vetoes if v[0].vetoes(h.rule.id)), None)
            ctx = h.rule.context
            if veto is not None:
                j.dropped.append((h, f"vetoed by exclusion {veto[0].id} ({veto[1]!r})"))
            elif ctx is not None and not ctx.matches(item.stream):
                j.dropped.append((h, "required context not found in the item"))
            elif ctx is not None and h.rule.context_window and not _context_next_to(ctx, h, item):
                j.dropped.append((h, f"context not within {h.rule.context_window} words"))
            else:
                j.hits.append(h)
        j.hits, inside = _outside_longer_names(j.hits)
        j.dropped.extend(inside)
        best: dict[str, float] = {}
        for h in j.hits:
            best[h.rule.id] = max(best.get(h.rule.id, 0.0), h.weight)
        miss = 1.0
        for w in best.values():
            miss *= 1.0 - w
        j.score = round(1.0 - miss, 4)
        j.flagged = j.score >= watch.threshold
        if j.flagged:
            decision = decide(watch, j.hits, item)
            j.level, j.level_reason, j.level_steps = decision.level, decision.reason, decision.tried
        return j

    def _vetoes(self, watch: Watch, item: _Item) -> list[tuple[Exclusion, str]]:
        out = []
        for ex in watch.exclusions:
            found = self._pattern_hits(ex, item)
            if found:
                out.append((ex, found[0].text))
            elif ex.query is not None and ex.query.matches(item.stream):
                out.append((ex, ex.query.source))
        return out

    def _verdict(self, j: Judgement, item: _Item) -> Verdict:
        seen: set[tuple[str, str, str]] = set()
        evidence = []
        for h in sorted(j.hits, key=lambda h: (_FIELDS.index(h.field), -h.weight)):
            key = (h.text, h.field, h.rule_name)
            if key not in seen:
                seen.add(key)
                evidence.append(Evidence(h.text, h.field, h.rule_name, round(h.weight, 4)))
        return Verdict(j.watch.name, True, j.level, j.score, tuple(evidence), item.lang)


def _outside_longer_names(hits: list[Hit]) -> tuple[list[Hit], list[tuple[Hit, str]]]:
    """The longest name wins: "Turkic States" inside "Parliamentary Assembly of Turkic
    States" is the assembly's name, not the member states', and so is a query match that
    starts inside it ("...Turkic States meets at summit"). Only a name of the other level
    hides a match (a related body's name hides core evidence, not the organization's own
    name); a query match that holds a whole name ("summit of the Organization...") keeps it."""
    names = [h for h in hits if h.rule.patterns and h.rule.query is None and h.start >= 0]
    kept: list[Hit] = []
    dropped: list[tuple[Hit, str]] = []
    for h in hits:
        outer = next(
            (
                o
                for o in names
                if o.rule.level != h.rule.level
                and o.field == h.field
                and o.start < h.end
                and h.start < o.end
                and not (h.start <= o.start and o.end <= h.end)
            ),
            None,
        )
        if outer is None or h.start < 0:
            kept.append(h)
        else:
            dropped.append((h, f"overlaps the longer name {outer.text!r} ({outer.rule_name})"))
    return kept, dropped


def _context_next_to(ctx: Query, hit: Hit, item: _Item) -> bool:
    """Whether the rule's context sits within its window of the match, in the same field, or
    across the title and the summary (a headline and its lead are read together)."""
    window = hit.rule.context_window or 0
    stream = item.stream
    toks = stream.tokens
    mine = [t.pos for t in toks if t.field == hit.field and t.start < hit.end and t.end > hit.start]
    short = {"title", "summary"}
    for c in ctx.evaluate(stream).hits:
        there = toks[c.first]
        if there.field != hit.field:
            if hit.field in short and there.field in short:
                return True
        elif mine and min(mine) - window <= there.pos <= max(mine) + window:
            return True
    return False


def _identify(items: Sequence[_Item]) -> None:
    """Identify the languages of these items in one batch (crawler.language.detect_languages)."""
    todo = [i for i in items if i._lang is None]
    for item, (lang, _confidence) in zip(
        todo, detect_languages([i.sample for i in todo]), strict=True
    ):
        item._lang = lang


def _acronym_shape(folded: Folded, m: re.Match[str], acronym: str) -> bool:
    """Capitals in the acronym's own script (Latin TMU is not Kyrgyz ТМУ), and a suffix glued
    on only after an apostrophe or in lower case (ТМУнун), or in capitals too when the whole
    headline is (TDTGA ÜYE ÜLKELER)."""
    written = folded.original_text(*m.span(1))
    if not written.isupper() or _is_cyrillic(written) != _is_cyrillic(acronym):
        return False
    if m.group(2) is None or m.group(2).startswith("'"):
        return True
    suffix = folded.original_text(*m.span(2))
    return suffix.islower() or (suffix.isupper() and is_upper_text(folded.original))


def _is_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


# How much of each field is judged: a news article says what it is about early, and a bound
# keeps one enormous page from costing seconds (NEAR queries grow with the matches in a field).
_FIELD_LIMITS: dict[str, int] = {"title": 1_000, "summary": 5_000, "text": 20_000}

_CUT_TAIL = 160  # characters at the end of a truncated field searched for a cut-off name


_EXCL_RULE = Rule("exclusion", "related", 0.0, (), (), None, None)
