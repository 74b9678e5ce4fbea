"""Slack Block Kit for a digest: untrusted text made inert, inside Slack's size limits.

Pure: no network. Titles, summaries and names from the open web are escaped and defused
(links, mentions, formatting); only http(s) URLs are linked.
"""

from __future__ import annotations

import re

from alerts.delivery.types import Digest
from alerts.delivery.view import EntryView, build_view, clip
from alerts.delivery.wording import Wording

# Slack Block Kit limits (docs.slack.dev block reference): 50 blocks per message, section
# text 3000 chars, header plain_text 150 chars. Slack also rejects messages whose blocks
# are long in total ("msg_blocks_too_long", seen from about 13,000 chars), so we keep a
# conservative overall budget for the story sections.
SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION = 3000
SLACK_MAX_HEADER = 150
SLACK_MAX_TOTAL = 12_000
SLACK_MAX_REPORTS = 12  # other reports linked per event (each line about 170 characters)

_MENTION_RE = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
# Lookalikes that stop Slack from reading untrusted text as *bold*, _italic_, ~strike~, `code`.
_MRKDWN_DEFUSE = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_PARTIAL_ENTITY_RE = re.compile(r"&[a-z]{0,3}$")


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


def _slack_entry_text(e: EntryView, w: Wording) -> str:
    title = _clip_escaped(slack_escape(e.title), 250)
    link = _slack_url(e.url) if e.url else None
    lines = [f"*<{link}|{title}>*" if link else f"*{title}*"]
    meta = " · ".join(
        (
            _clip_escaped(slack_escape(e.source), 80),
            e.published_human,
            slack_escape(e.lang),
            e.level_label,
            f"{w.score} {e.score}",
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
        lines.append(f"• “{text}” {slack_escape(ev.where)} ({w.rule} `{rule}`)")
        if ev.sentence:  # the same excerpt as the email's (alerts.delivery.excerpt)
            lines.append(f"    ↳ {_clip_escaped(slack_escape(ev.sentence), 240)}")
    if len(e.evidence) > 5:
        lines.append("• " + w.more_matches.format(n=len(e.evidence) - 5))
    if e.also:
        lines.append(f"{w.also_reported} ({len(e.also)}):")
        for o in e.also[:SLACK_MAX_REPORTS]:
            label = _clip_escaped(slack_escape(o.label), 40)
            headline = _clip_escaped(slack_escape(o.title), 50) if o.title else ""
            link = _slack_url(o.url) if o.url else None
            text = f"{label}: {headline}" if headline else label
            lines.append(f"◦ <{link}|{text}>" if link else f"◦ {text}")
        if len(e.also) > SLACK_MAX_REPORTS:
            lines.append("◦ " + w.more_reports.format(n=len(e.also) - SLACK_MAX_REPORTS))
    story, feedback = (_slack_url(u) if u else None for u in (e.story_url, e.feedback_url))
    if story and feedback:
        lines.append(f"<{story}|{w.story_link}> · <{feedback}|{w.not_relevant}>")
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
            "text": {"type": "plain_text", "text": clip(header, SLACK_MAX_HEADER)},
        }
    ]
    context = f"{view.summary_line} · {view.generated_human}"
    if view.window_human:
        context += " · " + view.w.since.format(when=view.window_human)
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
            text = _slack_entry_text(entry, view.w)
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
        core_part = view.w.hidden_core.format(core=hidden_core) if hidden_core else ""
        note = view.w.hidden.format(
            more=view.w.count(hidden, view.w.more_story), core_part=core_part
        )
        blocks.append({"type": "context", "elements": [_mrkdwn(note)]})
    if not view.total:
        blocks.append({"type": "section", "text": _mrkdwn(view.w.no_stories)})
    blocks.extend(tail)
    return {"text": _clip_escaped(slack_escape(view.subject), SLACK_MAX_SECTION), "blocks": blocks}
