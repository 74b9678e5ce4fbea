"""Render a classifier judgement for people: what matched, by which rule, and why it counted."""

from __future__ import annotations

from collections.abc import Sequence

from alerts.matching.classifier import Classifier
from alerts.matching.judgement import Judgement
from alerts.matching.types import Document


def explain(classifier: Classifier, doc: Document) -> str:
    """Human-readable: every match, rule, weight, and why the item was (not) flagged."""
    lang, judgements = classifier.judge_all(doc)
    return render_explanation(doc, lang, judgements)


def render_explanation(doc: Document, lang: str, judgements: Sequence[Judgement]) -> str:
    """Plain text, one block per watch; stable enough to paste into an issue."""
    declared = f" (declared {doc.lang})" if doc.lang else ""
    lines = [f"item {doc.id!r}: language {lang}{declared}"]
    for j in judgements:
        w = j.watch
        if j.skipped:
            lines.append(f"watch {w.name}: skipped, {j.skipped}")
            continue
        state = f"FLAGGED {j.level}" if j.flagged else "not flagged"
        lines.append(f"watch {w.name}: {state}, score {j.score:.3f} (threshold {w.threshold})")
        if not j.hits and not j.dropped:
            lines.append("  no evidence: none of the watch's phrases, acronyms or queries matched")
        for h in j.hits:
            lines.append(
                f"  + {h.rule_name:<24} {h.field:<7} {h.text!r}  "
                f"weight {h.rule.weight:.2f} x {h.field} = {h.weight:.3f} ({h.rule.level})"
            )
        for h, why in j.dropped:
            lines.append(f"  - {h.rule_name:<24} {h.field:<7} {h.text!r}  ignored: {why}")
        if j.flagged:
            lines.append(f"  level {j.level}: {j.level_reason}")
            if j.level_steps:
                lines.append(f"  level steps: {'; '.join(j.level_steps)}")
        elif j.hits:
            lines.append(f"  below threshold: combined evidence {j.score:.3f} < {w.threshold}")
    return "\n".join(lines)
