"""The digest as every channel sees it: grouped (core first), formatted, URLs checked.

Pure: no network, no database. Titles, summaries and names come from the open web and are
treated as hostile by each renderer (render: HTML autoescape; slack_blocks: mrkdwn escaping);
here only URLs are checked, so that nothing but http(s) ever becomes a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from alerts.delivery.excerpt import split_at_match
from alerts.delivery.types import Digest, DigestEntry
from alerts.delivery.wording import ENGLISH, Wording, wording_for
from alerts.matching.types import Evidence, Level

_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class EvidenceView:
    text: str
    field: str
    rule: str
    where: str  # the field in the digest's language: "in title", "в заголовке"
    # the sentence around the match, cut as alerts.delivery.excerpt says, in three parts so a
    # template can highlight the match after escaping; all empty when it was not found
    before: str = ""
    match: str = ""
    after: str = ""

    @property
    def sentence(self) -> str:
        return self.before + self.match + self.after


@dataclass(frozen=True)
class OutletView:
    """Another report of the event; `label` is its outlet and language: "wire-b (ru)"."""

    name: str
    url: str | None
    lang: str = ""
    title: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} ({self.lang})" if self.lang else self.name


@dataclass(frozen=True)
class EntryView:
    title: str
    url: str | None
    source: str
    published_human: str
    published_iso: str
    lang: str
    level: Level
    level_label: str  # the level in the digest's language
    score: str
    watch: str
    summary: str
    evidence: tuple[EvidenceView, ...]
    also: tuple[OutletView, ...]
    story_url: str | None = None  # the story on the web page, when OTSWATCH_PUBLIC_URL is set
    feedback_url: str | None = None  # its report, where "not relevant" is one click

    @property
    def also_names(self) -> str:
        return ", ".join(o.label for o in self.also)


@dataclass(frozen=True)
class GroupView:
    level: Level
    label: str
    entries: tuple[EntryView, ...]


@dataclass(frozen=True)
class DigestView:
    kind: str
    title: str
    subject: str
    summary_line: str
    generated_human: str
    generated_iso: str
    window_human: str | None
    groups: tuple[GroupView, ...]
    notes: tuple[str, ...]
    total: int
    core: int
    w: Wording = ENGLISH  # what the digest itself says, in the route's language


def utc(dt: datetime) -> datetime:
    """Naive datetimes are taken as UTC (the store keeps UTC)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso(dt: datetime) -> str:
    return utc(dt).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def day(dt: datetime, w: Wording = ENGLISH) -> str:
    """ "3 December 2026", "3 декабря 2026", "3 Aralık 2026": day-first in every language."""
    d = utc(dt)
    return f"{d.day} {w.months[d.month - 1]} {d.year}"


def human(dt: datetime, w: Wording = ENGLISH) -> str:
    return f"{day(dt, w)}, {utc(dt):%H:%M} UTC"


# C0/C1 controls and the bidirectional overrides: they could ring terminals, break headers,
# or reorder what a reader sees ("moc.elgoog" shown as "google.com").
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_FIELD = 500  # characters of any one untrusted field (a title, a name, evidence)
MAX_NOTE = 3000  # an operations notice explains a problem with figures: longer, still bounded


def one_line(text: str, limit: int = MAX_FIELD) -> str:
    """Untrusted text on one line: controls removed, whitespace collapsed, length capped."""
    return clip(_SPACE_RE.sub(" ", _CONTROL_RE.sub("", text)).strip(), limit)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_url(url: str | None) -> str | None:
    """Only absolute http(s) URLs become links; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    return url


def grouped(entries: Iterable[DigestEntry]) -> tuple[list[DigestEntry], list[DigestEntry]]:
    """Core first, then related; the builder's order is kept inside each level."""
    items = list(entries)
    return [e for e in items if e.level == "core"], [e for e in items if e.level != "core"]


def _entry_view(entry: DigestEntry, w: Wording, links_base: str | None = None) -> EntryView:
    story = f"{links_base}/stories/{quote(entry.story, safe='')}" if links_base else None
    return EntryView(
        story_url=safe_url(story),
        feedback_url=safe_url(f"{story}#item-{entry.item_id}") if story else None,
        title=one_line(entry.title) or w.untitled,
        url=safe_url(entry.url),
        source=one_line(entry.source),
        published_human=human(entry.published, w),
        published_iso=iso(entry.published),
        lang=entry.lang or "und",
        level=entry.level,
        level_label=w.levels[entry.level],
        score=f"{entry.score:.2f}",
        watch=one_line(entry.watch),
        summary=one_line(entry.summary, 600),
        evidence=tuple(_evidence_view(ev, entry, w) for ev in strongest_evidence(entry.evidence)),
        also=tuple(
            OutletView(
                name=one_line(ref.name),
                url=safe_url(ref.url),
                lang=one_line(ref.lang),
                title=clip(one_line(ref.title), 200),
            )
            for ref in entry.also_reported_by
        ),
    )


def _evidence_view(ev: Evidence, entry: DigestEntry, w: Wording) -> EvidenceView:
    sentences = dict(zip(entry.evidence, entry.sentences, strict=False))
    before, match, after = split_at_match(one_line(sentences.get(ev, "")), ev.text)
    where = w.where(one_line(ev.field, 40))
    return EvidenceView(one_line(ev.text), ev.field, one_line(ev.rule), where, before, match, after)


def subject(digest: Digest) -> str:
    w = wording_for(digest.language)
    if not digest.entries and digest.footer_notes:  # an operations notice, not news
        return clip(one_line(digest.title) or "otswatch notice", 180)
    if digest.kind == "instant" and digest.entries:
        title = one_line(digest.entries[0].title) or w.untitled
        extra = len(digest.entries) - 1
        suffix = " " + w.instant_more.format(n=extra) if extra else ""
        return clip(f"[OTS] {title}", 180 - len(suffix)) + suffix
    core, _ = grouped(digest.entries)
    return w.subject.format(
        news=w.count(len(core), w.new_core_story),
        stories=w.count(len(digest.entries), w.story),
        day=day(digest.generated_at, w),
    )


_FIELD_ORDER = {"title": 0, "summary": 1, "text": 2}
EVIDENCE_SHOWN = 8


def strongest_evidence(evidence: Sequence[Evidence], limit: int = EVIDENCE_SHOWN) -> list[Evidence]:
    """What a reader needs to trust a flag: the heaviest distinct matches, title first.

    The same name found in title, summary and text is one piece of evidence, shown once.
    """
    ranked = sorted(evidence, key=lambda ev: (-ev.weight, _FIELD_ORDER.get(ev.field, 3)))
    chosen: dict[str, Evidence] = {}
    for ev in ranked:
        chosen.setdefault(ev.text.casefold(), ev)
    return list(chosen.values())[:limit]


def build_view(digest: Digest) -> DigestView:
    """The digest as the templates see it: grouped, formatted, URLs checked, in its language."""
    w = wording_for(digest.language)
    core, related = grouped(digest.entries)
    levels: tuple[tuple[Level, list[DigestEntry]], ...] = (("core", core), ("related", related))
    groups = tuple(
        GroupView(
            level=level,
            label=w.headings[level],
            entries=tuple(_entry_view(e, w, digest.links_base) for e in es),
        )
        for level, es in levels
        if es
    )
    n = len(digest.entries)
    return DigestView(
        kind=digest.kind,
        title=one_line(digest.title) or "OTS watch",
        subject=subject(digest),
        summary_line=w.summary_line.format(
            stories=w.count(n, w.story), core=len(core), related=len(related)
        ),
        generated_human=human(digest.generated_at, w),
        generated_iso=iso(digest.generated_at),
        window_human=human(digest.window_start, w) if digest.window_start else None,
        groups=groups,
        notes=tuple(one_line(note, MAX_NOTE) for note in digest.footer_notes if note.strip()),
        total=n,
        core=len(core),
        w=w,
    )
