"""The classifier: which watches an item matches, how strongly, at which level, and why.

Each item is folded once and scanned once (alerts.matching.prefilter): only the phrases whose
anchor occurs in a field are verified with their regex (word boundaries, allowed suffixes), and
a rule's query runs only when the words it needs occur. An item nothing could match is settled
there. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from alerts.matching.judgement import Hit, Judgement
from alerts.matching.levels import decide
from alerts.matching.prefilter import Prefilter
from alerts.matching.prepared import FIELDS, Prepared, identify, prepare
from alerts.matching.query import Query
from alerts.matching.textnorm import Folded, is_upper_text
from alerts.matching.tokens import Result
from alerts.matching.types import Document, Evidence, Field, Verdict
from alerts.matching.watchlist import Exclusion, Rule, Watch

FIELD_FACTOR: dict[Field, float] = {"title": 1.0, "summary": 0.95, "text": 0.8}


@dataclass(frozen=True)
class _Plan:
    """What can make a watch find evidence in an item at all, asked before it is judged."""

    owners: frozenset[int]  # ids of the rules that hold phrases
    queries: tuple[Query, ...]  # the rules' queries
    always: bool  # a rule the prefilter cannot rule out (regexes over the original text)


class Classifier:
    """Classify documents against compiled watches.

    `exhaustive`: no prefilter, every phrase's regex runs on every field and every query is
    evaluated; slow, it is the reference the prefiltered path is tested against."""

    def __init__(self, watches: Sequence[Watch], *, exhaustive: bool = False) -> None:
        self.watches = tuple(watches)
        owners: list[Rule | Exclusion] = []
        for w in self.watches:
            owners += [*w.rules, *w.exclusions]
        self._owners = tuple(owners)
        first = [r.query for w in self.watches for r in w.rules if r.query is not None]
        later = [
            q
            for w in self.watches
            for q in (
                *(r.context for r in w.rules),
                *(e.query for e in w.exclusions),
                w.subject,
                w.framing,
                w.event,
                w.bilateral,
                w.sidelines,
            )
            if q is not None
        ]
        self._prefilter = None if exhaustive else Prefilter(self._owners, first, later)
        self._plans = {
            id(w): _Plan(
                frozenset(id(r) for r in w.rules if r.patterns),
                tuple(r.query for r in w.rules if r.query is not None),
                any(r.regexes for r in w.rules),
            )
            for w in self.watches
        }

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
            identify(items)
        judged = [self._flagged(i) for i in items]
        identify([i for i, flagged in zip(items, judged, strict=True) if flagged])
        return [
            [self._verdict(j, item) for j in flagged]
            for item, flagged in zip(items, judged, strict=True)
        ]

    def judge_all(self, doc: Document) -> tuple[str, list[Judgement]]:
        """The detected language and the full judgement per watch (for `explain`)."""
        item = self._prepare(doc)
        return item.lang, [self._judge(w, item, explain=True) for w in self.watches]

    # ------------------------------------------------------------------ internals

    def _prepare(self, doc: Document) -> Prepared:
        return prepare(doc, self._prefilter, self._owners)

    def _flagged(self, item: Prepared) -> list[Judgement]:
        """The flagged judgements of an item; a watch that can find nothing in it (most) is
        not judged at all."""
        out = []
        for w in self.watches:
            if self._may_find(w, item):
                j = self._judge(w, item)
                if j.flagged:
                    out.append(j)
        return out

    def _may_find(self, watch: Watch, item: Prepared) -> bool:
        """Whether any rule of the watch can find evidence: False settles most items."""
        plan = self._plans[id(watch)]
        if plan.always or item.found is None or not plan.owners.isdisjoint(item.places):
            return True
        if item.cut and any(r.cut_stems for r in watch.rules):
            return True
        return any(item.could(q) for q in plan.queries)

    def _pattern_hits(self, rule_or_ex: Rule | Exclusion, item: Prepared) -> list[Hit]:
        where = item.places.get(id(rule_or_ex))
        if not where:  # most rules of most items
            return []
        out: list[Hit] = []
        for fname, places in where.items():
            folded = item.fields[fname]
            for p in [rule_or_ex.patterns[i] for i in sorted(places)]:
                for m in p.regex.finditer(folded.text):
                    if p.acronym and (
                        not _acronym_shape(folded, m, p.source) or _spelled_out(folded, m)
                    ):
                        continue
                    a, b = m.span()
                    if isinstance(rule_or_ex, Rule):
                        name = rule_or_ex.id if p.lang == "any" else f"{rule_or_ex.id}.{p.lang}"
                        if p.acronym and rule_or_ex.context is not None:
                            name = f"{rule_or_ex.id}+context"
                        w = rule_or_ex.weight * FIELD_FACTOR[fname]
                        out.append(Hit(rule_or_ex, name, fname, a, b, folded, w))
                    else:
                        out.append(
                            Hit(
                                _EXCL_RULE,
                                rule_or_ex.id,
                                fname,
                                a,
                                b,
                                folded,
                                0.0,
                            )
                        )
        return out

    def _cut_hits(self, rule: Rule, item: Prepared) -> list[Hit]:
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
                out.append(Hit(rule, name, fname, a, b, folded, w))
                break
        return out

    def _query_hits(self, rule: Rule, result: Result, item: Prepared) -> list[Hit]:
        stream = item.stream
        spans = stream.spans
        out = []
        for h in result.hits:
            start, end = spans[h.first][0], spans[h.last][1]
            fname: Field = stream.field_of(h.first)  # type: ignore[assignment]
            w = rule.weight * FIELD_FACTOR[fname]
            out.append(Hit(rule, rule.id, fname, start, end, item.fields[fname], w))
        return out

    def _rule_hits(self, rule: Rule, item: Prepared) -> list[Hit]:
        hits = self._pattern_hits(rule, item)
        if item.cut and rule.cut_stems:
            hits.extend(self._cut_hits(rule, item))
        for rx in rule.regexes:
            for fname, folded in item.fields.items():
                for m in rx.finditer(folded.original):
                    w = rule.weight * FIELD_FACTOR[fname]
                    # regexes run on original text; spans are kept only for display
                    hits.append(Hit(rule, rule.id, fname, -1, -1, m.group(), w))
        query = rule.query
        if query is not None and (item.found is None or item.could(query)):
            result = query.evaluate(item.stream)
            if result.matched:
                hits.extend(self._query_hits(rule, result, item))
        return hits

    def _judge(self, watch: Watch, item: Prepared, explain: bool = False) -> Judgement:
        """`explain`: also say which evidence was set aside and why (`judge_all`); a verdict
        does not show it, and the reasons quote the text of every hit dropped."""
        j = Judgement(watch)
        lang = item.lang if watch.languages else "und"  # no filter: no need to identify it
        if not watch.accepts(lang, item.doc.source):
            j.skipped = f"filters exclude lang={item.lang} source={item.doc.source}"
            return j
        if not self._may_find(watch, item):
            return j
        hits = [h for r in watch.rules for h in self._rule_hits(r, item)]
        if not hits:
            return j
        vetoes = self._vetoes(watch, item)
        for h in hits:
            veto = next((v for v in vetoes if v[0].vetoes(h.rule.id)), None)
            ctx = h.rule.context
            if veto is not None:
                why = f"vetoed by exclusion {veto[0].id} ({_shown(veto[1])!r})" if explain else ""
            elif ctx is not None and not (item.may(ctx) and ctx.matches(item.stream)):
                why = "required context not found in the item"
            elif ctx is not None and h.rule.context_window and not _context_next_to(ctx, h, item):
                why = f"context not within {h.rule.context_window} words"
            else:
                j.hits.append(h)
                continue
            if explain:
                j.dropped.append((h, why))
        j.hits, inside = _outside_longer_names(j.hits)
        if explain:
            j.dropped.extend(
                (h, f"overlaps the longer name {o.text!r} ({o.rule_name})") for h, o in inside
            )
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

    def _vetoes(self, watch: Watch, item: Prepared) -> list[tuple[Exclusion, Hit | str]]:
        """The exclusions that hold, each with what matched (a hit, or the query)."""
        out: list[tuple[Exclusion, Hit | str]] = []
        for ex in watch.exclusions:
            found = self._pattern_hits(ex, item)
            if found:
                out.append((ex, found[0]))
            elif ex.query is not None and item.may(ex.query) and ex.query.matches(item.stream):
                out.append((ex, ex.query.source))
        return out

    def _verdict(self, j: Judgement, item: Prepared) -> Verdict:
        seen: set[tuple[str, str, str]] = set()
        evidence = []
        for h in sorted(j.hits, key=lambda h: (FIELDS.index(h.field), -h.weight)):
            key = (h.text, h.field, h.rule_name)
            if key not in seen:
                seen.add(key)
                evidence.append(Evidence(h.text, h.field, h.rule_name, round(h.weight, 4)))
        return Verdict(j.watch.name, True, j.level, j.score, tuple(evidence), item.lang)


def _shown(what: Hit | str) -> str:
    return what if isinstance(what, str) else what.text


def _outside_longer_names(hits: list[Hit]) -> tuple[list[Hit], list[tuple[Hit, Hit]]]:
    """The longest name wins: "Turkic States" inside "Parliamentary Assembly of Turkic
    States" is the assembly's name, not the member states', and so is a query match that
    starts inside it ("...Turkic States meets at summit"). Only a name of the other level
    hides a match (a related body's name hides core evidence, not the organization's own
    name); a query match that holds a whole name ("summit of the Organization...") keeps it."""
    names = [h for h in hits if h.rule.patterns and h.rule.query is None and h.start >= 0]
    kept: list[Hit] = []
    dropped: list[tuple[Hit, Hit]] = []  # and the longer name that hides it
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
            dropped.append((h, outer))
    return kept, dropped


def _context_next_to(ctx: Query, hit: Hit, item: Prepared) -> bool:
    """Whether the rule's context sits within its window of the match, in the same field, or
    across the title and the summary (a headline and its lead are read together)."""
    window = hit.rule.context_window or 0
    stream = item.stream
    mine = stream.covering(hit.field, hit.start, hit.end)
    short = {"title", "summary"}
    for c in ctx.evaluate(stream).hits:
        there = stream.field_of(c.first)
        if there != hit.field:
            if hit.field in short and there in short:
                return True
        elif mine and min(mine) - window <= stream.pos[c.first] <= max(mine) + window:
            return True
    return False


def _acronym_shape(folded: Folded, m: re.Match[str], acronym: str) -> bool:
    """Capitals in the acronym's own script (Latin TMU is not Kyrgyz ТМУ), and a suffix glued
    on only after an apostrophe or in lower case (ТМУнун), or in capitals too when the whole
    headline is (TDTGA ÜYE ÜLKELER)."""
    written = folded.original_text(*m.span(1))
    if not written.isupper() or _is_cyrillic(written) != _is_cyrillic(acronym):
        return False
    if written.isascii() and not acronym.isascii() and not _is_cyrillic(acronym):
        return False  # listed only with its accents: Hungarian TASZ is a civil-liberties union
    if m.group(2) is None or m.group(2).startswith("'"):
        return True
    suffix = folded.original_text(*m.span(2))
    return suffix.islower() or (suffix.isupper() and is_upper_text(folded.original))


# Words an acronym skips when it is spelled out (Organization of Turkic States: OTS).
_UNLETTERED_TEXT = "of the and for de des du la le les et d l der die das fur und"
_UNLETTERED = frozenset(_UNLETTERED_TEXT.split())
_WORD = re.compile(r"[^\W\d_]+")


def _spelled_out(folded: Folded, m: re.Match[str]) -> bool:
    """An acronym in brackets after the words it stands for names them ("Ozturk Transport
    Services (OTS)"). When they are the organization's name, a name rule matches them anyway;
    when not, the acronym is some other body's."""
    head = folded.text[max(0, m.start(1) - 200) : m.start(1)].rstrip()
    if not head.endswith("("):
        return False
    letters = [c for c in m.group(1) if c.isalpha()]
    words = [w for w in _WORD.findall(head) if w not in _UNLETTERED][-len(letters) :]
    return len(words) == len(letters) and [w[0] for w in words] == letters


def _is_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


_EXCL_RULE = Rule("exclusion", "related", 0.0, (), (), None, None)
