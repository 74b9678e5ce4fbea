"""How results look on a terminal and as JSON Lines (the DESIGN.md contracts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from alerts.delivery.types import Delivery
from alerts.flagging.backtest import BacktestChange, BacktestReport
from alerts.matching.types import Flag, Verdict
from crawler.check import CheckResult
from crawler.types import Item, SourceHealth


def verdict_json(doc_id: object, verdict: Verdict) -> dict[str, Any]:
    return {
        "id": doc_id,
        "flagged": verdict.flagged,
        "level": verdict.level,
        "score": round(verdict.score, 4),
        "watch": verdict.watch,
        "lang": verdict.lang,
        "evidence": [{"text": e.text, "field": e.field, "rule": e.rule} for e in verdict.evidence],
    }


def error_json(line: int, cause: str, doc_id: object = None) -> dict[str, Any]:
    """The classify contract's keys for a line that could not be judged, and why."""
    return {
        "id": doc_id,
        "flagged": False,
        "level": None,
        "score": 0.0,
        "watch": None,
        "lang": "und",
        "evidence": [],
        "error": f"line {line}: {cause}",
    }


def item_json(item: Item, flags: Sequence[Flag]) -> dict[str, Any]:
    best = max(flags, key=lambda f: f.score) if flags else None
    return {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "summary": item.summary,
        "published": item.published.isoformat(),
        "fetched": item.fetched_at.isoformat() if item.fetched_at else None,
        "lang": item.lang,
        "lang_confidence": round(item.lang_confidence, 3),
        "source": item.source,
        "story": item.story,
        "flagged": best is not None,
        "level": best.level if best else None,
        "score": round(best.score, 4) if best else 0.0,
        "watch": best.watch if best else None,
        "evidence": [
            {"text": e.text, "field": e.field, "rule": e.rule}
            for e in (best.evidence if best else ())
        ],
    }


def _ago(when: datetime | None) -> str:
    if when is None:
        return "never"
    seconds = (datetime.now(UTC) - when).total_seconds()
    if seconds < 0:
        return f"in {_span(-seconds)}"
    return f"{_span(seconds)} ago"


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def health_table(health: Sequence[SourceHealth]) -> str:
    rows = [
        [
            h.name,
            h.type,
            (h.problem or "failing").upper()
            if h.problem or h.consecutive_failures
            else ("ok" if h.last_success else "pending"),
            _ago(h.last_success),
            str(h.consecutive_failures),
            f"{h.items_last_7d / 7:.1f}",
            _ago(h.newest_item),
            _ago(h.next_poll),
            (h.last_error or "")[:90] if h.consecutive_failures else "",
        ]
        for h in health
    ]
    return table(
        ["source", "type", "state", "last ok", "fails", "per day", "newest", "next", "error"],
        rows,
    )


def check_table(results: Sequence[CheckResult]) -> str:
    rows = [[r.source, "ok" if r.ok else "BROKEN", r.kind, r.message[:110]] for r in results]
    return table(["source", "result", "kind", "detail"], rows)


def backtest_text(report: BacktestReport, limit: int = 30) -> str:
    lines = [
        f"{report.items} stored items re-classified: {report.flagged_before} flagged now, "
        f"{report.flagged_after} with the edited watch-list "
        f"(+{len(report.added)} added, -{len(report.dropped)} dropped, "
        f"{len(report.level_changed)} level changes)"
    ]
    for label, changes in (
        ("ADDED", report.added),
        ("DROPPED", report.dropped),
        ("LEVEL", report.level_changed),
    ):
        for change in changes[:limit]:
            lines.append(f"{label:8} {_change(change)}")
        if len(changes) > limit:
            lines.append(f"{label:8} ... and {len(changes) - limit} more")
    return "\n".join(lines)


def _change(change: BacktestChange) -> str:
    before = f"{change.before.level} {change.before.score:.2f}" if change.before else "-"
    after = f"{change.after.level} {change.after.score:.2f}" if change.after.flagged else "-"
    evidence = ", ".join(f"{e.text!r}" for e in change.after.evidence[:3])
    return f"[{before} -> {after}] #{change.item.id} {change.item.title[:80]}  {evidence}"


def next_try(delivery: Delivery) -> str:
    """When a pending delivery is tried next, or that an attempt is running now."""
    if delivery.status != "pending" or delivery.next_attempt_at is None:
        return ""
    if delivery.lease_owner:
        return f"sending (pid {delivery.lease_owner.split(':')[1]})"
    return f"{delivery.next_attempt_at:%H:%M:%S}"
