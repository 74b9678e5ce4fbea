"""Turn a Digest into email (text + HTML), console text and the generic JSON payload.

Pure: no network, no database; templates are read from ``alerts/delivery/templates`` and see
the view of alerts.delivery.view. HTML is autoescaped; JSON values stay raw. Slack's Block
Kit lives in alerts.delivery.slack_blocks (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from alerts.delivery.slack_blocks import (
    SLACK_MAX_BLOCKS,
    SLACK_MAX_HEADER,
    SLACK_MAX_SECTION,
    SLACK_MAX_TOTAL,
    render_slack,
    slack_escape,
)
from alerts.delivery.types import Digest
from alerts.delivery.view import build_view, grouped, iso, safe_url, strongest_evidence, subject

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = [
    "SLACK_MAX_BLOCKS",
    "SLACK_MAX_HEADER",
    "SLACK_MAX_SECTION",
    "SLACK_MAX_TOTAL",
    "RenderedEmail",
    "render_email",
    "render_json",
    "render_slack",
    "render_text",
    "safe_url",
    "slack_escape",
    "strongest_evidence",
]

TEMPLATES_DIR = Path(__file__).parent / "templates"
JSON_SCHEMA = "otswatch.digest/1"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@cache
def _templates() -> Environment:
    """The template environment, made when the first message is rendered: a process that
    delivers nothing (most `run --once` rounds, the CLI) does not import Jinja2."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
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
        text=_templates().get_template(f"{base}.txt.j2").render(d=view).rstrip() + "\n",
        html=_templates().get_template(f"{base}.html.j2").render(d=view),
    )


def render_text(digest: Digest) -> str:
    """What the console shows: the plain-text email part (subject line included)."""
    view = build_view(digest)
    return (
        _templates().get_template(f"{_template_base(digest)}.txt.j2").render(d=view).rstrip() + "\n"
    )


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
                      "also_reported_by": [{"name", "url", "lang", "title"}]}],  # core first
         "footer_notes": [str]}

    Values are raw (not escaped): receivers must escape for their own medium.
    """
    core, related = grouped(digest.entries)
    return {
        "schema": JSON_SCHEMA,
        "delivery_id": digest.identity,
        "kind": digest.kind,
        "title": digest.title,
        "subject": subject(digest),
        "generated_at": iso(digest.generated_at),
        "window_start": iso(digest.window_start) if digest.window_start else None,
        "counts": {"stories": len(digest.entries), "core": len(core), "related": len(related)},
        "entries": [
            {
                "item_id": e.item_id,
                "story": e.story,
                "title": e.title,
                "url": e.url,
                "source": e.source,
                "published": iso(e.published),
                "lang": e.lang,
                "watch": e.watch,
                "level": e.level,
                "score": e.score,
                "summary": e.summary,
                "evidence": [
                    {"text": ev.text, "field": ev.field, "rule": ev.rule, "weight": ev.weight}
                    for ev in e.evidence
                ],
                "also_reported_by": [
                    {"name": r.name, "url": r.url, "lang": r.lang, "title": r.title}
                    for r in e.also_reported_by
                ],
            }
            for e in (*core, *related)
        ],
        "footer_notes": list(digest.footer_notes),
    }
