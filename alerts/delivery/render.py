"""Turn a Digest into what each channel shows: email (text + HTML), Slack, JSON, console text.

Pure: no network, no database; templates are read from ``alerts/delivery/templates``. Titles,
summaries, evidence and footer notes come from the open web and are treated as hostile:
HTML is autoescaped, Slack mrkdwn is escaped and defused (links, mentions, formatting),
URLs are only linked when they are http(s).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from alerts.delivery.types import Digest, DigestEntry
from alerts.matching.types import Evidence, Level

TEMPLATES_DIR = Path(__file__).parent / "templates"
JSON_SCHEMA = "otswatch.digest/1"

# Slack Block Kit limits (docs.slack.dev block reference): 50 blocks per message, section
# text 3000 chars, header plain_text 150 chars. Slack also rejects messages whose blocks
# are long in total ("msg_blocks_too_long", seen from about 13,000 chars), so we keep a
# conservative overall budget for the story sections.
SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION = 3000
SLACK_MAX_HEADER = 150
SLACK_MAX_TOTAL = 12_000

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_LEVEL_LABELS: dict[Level, str] = {"core": "Core stories", "related": "Related stories"}
_SPACE_RE = re.compile(r"\s+")
_MENTION_RE = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
# Lookalikes that stop Slack from reading untrusted text as *bold*, _italic_, ~strike~, `code`.
_MRKDWN_DEFUSE = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_PARTIAL_ENTITY_RE = re.compile(r"&[a-z]{0,3}$")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


# --- view model shared by the templates and the Slack/JSON builders -------------------------


@dataclass(frozen=True)
class EvidenceView:
    text: str
    field: str
    rule: str


@dataclass(frozen=True)
class OutletView:
    name: str
    url: str | None


@dataclass(frozen=True)
class EntryView:
    title: str
    url: str | None
    source: str
    published_human: str
    published_iso: str
    lang: str
    level: Level
    score: str
    watch: str
    summary: str
    evidence: tuple[EvidenceView, ...]
    also: tuple[OutletView, ...]

    @property
    def also_names(self) -> str:
        return ", ".join(o.name for o in self.also)


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


def _utc(dt: datetime) -> datetime:
    """Naive datetimes are taken as UTC (the store keeps UTC)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _iso(dt: datetime) -> str:
    return _utc(dt).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _day(dt: datetime) -> str:
    d = _utc(dt)
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _human(dt: datetime) -> str:
    return f"{_day(dt)}, {_utc(dt):%H:%M} UTC"


def _one_line(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def _clip(text: str, limit: int) -> str:
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


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _grouped(entries: Iterable[DigestEntry]) -> tuple[list[DigestEntry], list[DigestEntry]]:
    """Core first, then related; the builder's order is kept inside each level."""
    items = list(entries)
    return [e for e in items if e.level == "core"], [e for e in items if e.level != "core"]


def _entry_view(entry: DigestEntry) -> EntryView:
    return EntryView(
        title=_one_line(entry.title) or "(untitled)",
        url=safe_url(entry.url),
        source=_one_line(entry.source),
        published_human=_human(entry.published),
        published_iso=_iso(entry.published),
        lang=entry.lang or "und",
        level=entry.level,
        score=f"{entry.score:.2f}",
        watch=_one_line(entry.watch),
        summary=_clip(_one_line(entry.summary), 600),
        evidence=tuple(
            EvidenceView(text=_one_line(ev.text), field=ev.field, rule=_one_line(ev.rule))
            for ev in strongest_evidence(entry.evidence)
        ),
        also=tuple(
            OutletView(name=_one_line(ref.name), url=safe_url(ref.url))
            for ref in entry.also_reported_by
        ),
    )


def _subject(digest: Digest) -> str:
    if not digest.entries and digest.footer_notes:  # an operations notice, not news
        return _clip(_one_line(digest.title) or "otswatch notice", 180)
    if digest.kind == "instant" and digest.entries:
        title = _one_line(digest.entries[0].title) or "(untitled)"
        extra = len(digest.entries) - 1
        suffix = f" (+{extra} more)" if extra else ""
        return _clip(f"[OTS] {title}", 180 - len(suffix)) + suffix
    core, _ = _grouped(digest.entries)
    n = len(digest.entries)
    day = _day(digest.generated_at)
    return f"OTS watch: {_plural(n, 'story', 'stories')} ({len(core)} core) — {day}"


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
    """The digest as the templates see it: grouped, formatted, URLs checked."""
    core, related = _grouped(digest.entries)
    levels: tuple[tuple[Level, list[DigestEntry]], ...] = (("core", core), ("related", related))
    groups = tuple(
        GroupView(level=level, label=_LEVEL_LABELS[level], entries=tuple(map(_entry_view, es)))
        for level, es in levels
        if es
    )
    n = len(digest.entries)
    return DigestView(
        kind=digest.kind,
        title=_one_line(digest.title) or "OTS watch",
        subject=_subject(digest),
        summary_line=f"{_plural(n, 'story', 'stories')} ({len(core)} core, {len(related)} related)",
        generated_human=_human(digest.generated_at),
        generated_iso=_iso(digest.generated_at),
        window_human=_human(digest.window_start) if digest.window_start else None,
        groups=groups,
        notes=tuple(_one_line(note) for note in digest.footer_notes if note.strip()),
        total=n,
        core=len(core),
    )


_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _template_base(digest: Digest) -> str:
    return "instant" if digest.kind == "instant" and digest.entries else "digest"


def render_email(digest: Digest) -> RenderedEmail:
    view = build_view(digest)
    base = _template_base(digest)
    return RenderedEmail(
        subject=view.subject,
        text=_ENV.get_template(f"{base}.txt.j2").render(d=view).rstrip() + "\n",
        html=_ENV.get_template(f"{base}.html.j2").render(d=view),
    )


def render_text(digest: Digest) -> str:
    """What the console shows: the plain-text email part (subject line included)."""
    view = build_view(digest)
    return _ENV.get_template(f"{_template_base(digest)}.txt.j2").render(d=view).rstrip() + "\n"


# --- Slack ------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Make untrusted text inert in Slack mrkdwn.

    Escapes Slack's control characters (& < >), which defuses <http://x|y> links and
    <!channel>/<@U123> mentions; breaks bare @channel/@here/@everyone with a zero-width
    space; replaces * _ ~ ` by lookalikes so titles cannot bold, italicise or strike text.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MENTION_RE.sub(lambda m: "@\u200b" + m.group(1), text)
    return text.translate(_MRKDWN_DEFUSE)


def _clip_escaped(text: str, limit: int) -> str:
    """Clip already-escaped mrkdwn without leaving half an entity such as '&am'."""
    if len(text) <= limit:
        return text
    return _PARTIAL_ENTITY_RE.sub("", text[: limit - 1]).rstrip() + "…"


def _slack_url(url: str) -> str | None:
    """URLs go inside <url|label>: '|' and '>' would end the link early, so encode them."""
    if len(url) > 1000:
        return None
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")


def _mrkdwn(text: str) -> dict[str, object]:
    # verbatim: Slack must not auto-link channel names or parse mentions in our text.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _slack_entry_text(e: EntryView) -> str:
    title = _clip_escaped(slack_escape(e.title), 250)
    link = _slack_url(e.url) if e.url else None
    lines = [f"*<{link}|{title}>*" if link else f"*{title}*"]
    meta = " · ".join(
        (
            _clip_escaped(slack_escape(e.source), 80),
            e.published_human,
            slack_escape(e.lang),
            e.level,
            f"score {e.score}",
        )
    )
    lines.append(meta)
    if e.summary:
        lines.append(_clip_escaped(slack_escape(e.summary), 400))
    for ev in e.evidence[:5]:
        text = _clip_escaped(slack_escape(ev.text), 150)
        # Rule names come from our watch-list (snake_case is common): a code span keeps them
        # literal; only Slack's control characters need escaping there.
        rule = ev.rule.replace("`", "'").replace("&", "&amp;").replace("<", "&lt;")
        rule = _clip_escaped(rule.replace(">", "&gt;"), 60)
        lines.append(f"• “{text}” in {ev.field} (rule `{rule}`)")
    if len(e.evidence) > 5:
        lines.append(f"• …and {len(e.evidence) - 5} more matches")
    if e.also:
        names = [_clip_escaped(slack_escape(o.name), 40) for o in e.also[:10]]
        more = f" and {len(e.also) - 10} more" if len(e.also) > 10 else ""
        lines.append("Also reported by: " + ", ".join(names) + more)
    return _clip_escaped("\n".join(lines), SLACK_MAX_SECTION)


def render_slack(digest: Digest) -> dict[str, object]:
    """Incoming-webhook payload: {"text": notification fallback, "blocks": [...]}.

    Stays inside Block Kit limits: at most 50 blocks, section text <= 3000 chars, header
    <= 150 chars, and about 12,000 chars of story text; stories that do not fit are
    counted in an "…and N more stories" context block (core stories are placed first).
    """
    view = build_view(digest)
    header = view.subject if view.kind == "instant" else view.title
    blocks: list[dict[str, object]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(header, SLACK_MAX_HEADER)},
        }
    ]
    context = f"{view.summary_line} · {view.generated_human}"
    if view.window_human:
        context += f" · since {view.window_human}"
    blocks.append({"type": "context", "elements": [_mrkdwn(context)]})

    tail: list[dict[str, object]] = []
    if view.notes:
        notes = "\n".join(f"⚠ {slack_escape(n)}" for n in view.notes)
        tail = [{"type": "divider"}, {"type": "context", "elements": [_mrkdwn(
            _clip_escaped(notes, SLACK_MAX_SECTION))]}]  # fmt: skip
    reserve = len(tail) + 1  # +1 for the "and N more" note

    shown = shown_core = chars = 0
    full = False
    for group in view.groups:
        started = False
        for entry in group.entries:
            text = _slack_entry_text(entry)
            needed = 1 if started else (2 if len(blocks) <= 2 else 3)
            full = len(blocks) + needed + reserve > SLACK_MAX_BLOCKS
            full = full or chars + len(text) > SLACK_MAX_TOTAL
            if full:
                break
            if not started:
                if len(blocks) > 2:
                    blocks.append({"type": "divider"})
                label = f"*{group.label}* ({len(group.entries)})"
                blocks.append({"type": "section", "text": _mrkdwn(label)})
                started = True
            blocks.append({"type": "section", "text": _mrkdwn(text)})
            chars += len(text)
            shown += 1
            shown_core += group.level == "core"
        if full:
            break
    hidden = view.total - shown
    if hidden:
        hidden_core = view.core - shown_core
        note = f"…and {_plural(hidden, 'more story', 'more stories')}"
        note += f" ({hidden_core} core)" if hidden_core else ""
        note += " not shown here."
        blocks.append({"type": "context", "elements": [_mrkdwn(note)]})
    if not view.total:
        blocks.append({"type": "section", "text": _mrkdwn("No new stories in this window.")})
    blocks.extend(tail)
    return {"text": _clip_escaped(slack_escape(view.subject), SLACK_MAX_SECTION), "blocks": blocks}


# --- generic JSON webhook ---------------------------------------------------------------------


def render_json(digest: Digest) -> dict[str, object]:
    """Generic webhook payload, schema "otswatch.digest/1" (add fields, never rename)::

        {"schema": "otswatch.digest/1", "delivery_id": str|null (same on every attempt),
         "kind": "instant"|"digest", "title": str,
         "subject": str, "generated_at": ISO 8601 UTC ("...Z"), "window_start": ISO|null,
         "counts": {"stories": int, "core": int, "related": int},
         "entries": [{"item_id": int, "story": str, "title": str, "url": str,
                      "source": str, "published": ISO, "lang": str, "watch": str,
                      "level": "core"|"related", "score": float, "summary": str,
                      "evidence": [{"text", "field", "rule", "weight"}],
                      "also_reported_by": [{"name", "url"}]}],   # core entries first
         "footer_notes": [str]}

    Values are raw (not escaped): receivers must escape for their own medium.
    """
    core, related = _grouped(digest.entries)
    return {
        "schema": JSON_SCHEMA,
        "delivery_id": digest.identity,
        "kind": digest.kind,
        "title": digest.title,
        "subject": _subject(digest),
        "generated_at": _iso(digest.generated_at),
        "window_start": _iso(digest.window_start) if digest.window_start else None,
        "counts": {"stories": len(digest.entries), "core": len(core), "related": len(related)},
        "entries": [
            {
                "item_id": e.item_id,
                "story": e.story,
                "title": e.title,
                "url": e.url,
                "source": e.source,
                "published": _iso(e.published),
                "lang": e.lang,
                "watch": e.watch,
                "level": e.level,
                "score": e.score,
                "summary": e.summary,
                "evidence": [
                    {"text": ev.text, "field": ev.field, "rule": ev.rule, "weight": ev.weight}
                    for ev in e.evidence
                ],
                "also_reported_by": [{"name": r.name, "url": r.url} for r in e.also_reported_by],
            }
            for e in (*core, *related)
        ],
        "footer_notes": list(digest.footer_notes),
    }
