"""feedparser against fastfeedparser on ../shared/corpora/feedparser and on the farm's feeds.

`pip install fastfeedparser; python benchmarks/compare_parsers.py`. For each corpus file both
go through the same normalization (canonical URL, clean text, our date parser) and the entries
(url, title, summary, published, author) are compared; then both parse 1,000 of the poll
benchmark's 20-item feeds. Prints how many files give equal results, how many differ or fail,
and the time of each. Issue 12 asked to keep whichever is faster at equal results.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import fastfeedparser  # noqa: E402

from benchmarks.feed_farm import document  # noqa: E402
from crawler import feeds  # noqa: E402
from crawler.errors import CrawlerError  # noqa: E402
from crawler.normalize import canonical_url, clean_text, parse_date  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "feedparser"
Entry = tuple[str, str, str, Any, str | None]


def with_feedparser(data: bytes, url: str, headers: dict[str, str]) -> list[Entry] | None:
    try:
        parsed = feeds.parse_feed(data, url, headers)
    except CrawlerError:
        return None
    return [(e.url, e.title, e.summary, e.published, e.author) for e in parsed.entries]


def with_fastfeedparser(data: bytes, url: str, headers: dict[str, str]) -> list[Entry] | None:
    try:
        parsed = fastfeedparser.parse(data)
    except Exception:  # noqa: BLE001  (ValueError, lxml errors...: all mean "cannot parse")
        return None
    out: list[Entry] = []
    for entry in parsed.entries:
        link, title = entry.get("link") or "", clean_text(entry.get("title") or "")
        if not link or not title:
            continue
        try:
            canonical = canonical_url(link, base=url)
        except ValueError:
            continue
        summary = entry.get("description") or ""
        if not summary and entry.get("content"):
            summary = entry["content"][0].get("value", "")
        raw_date = entry.get("published") or entry.get("updated")
        author = clean_text(entry.get("author") or "") or None
        published = parse_date(raw_date) if raw_date else None
        out.append((canonical, title, clean_text(summary), published, author))
    return out


def corpus_headers(data: bytes) -> dict[str, str]:
    head = data[:2000].decode("latin-1")
    return {
        m.group(1).strip().lower(): m.group(2).strip()
        for m in re.finditer(r"^Header:\s*([^:]+):\s*(.*)$", head, re.M)
    }


def main() -> None:
    if not CORPUS.is_dir():
        raise SystemExit(f"{CORPUS} is absent")
    counts = dict.fromkeys(("equal", "differ", "fast fails", "feedparser fails", "both"), 0)
    spent = {"feedparser": 0.0, "fastfeedparser": 0.0}
    differing: list[str] = []
    for path in sorted(CORPUS.rglob("*.xml")):
        data, url = path.read_bytes(), f"http://example.com/{path.name}"
        headers = corpus_headers(data)
        began = time.perf_counter()
        slow = with_feedparser(data, url, headers)
        spent["feedparser"] += time.perf_counter() - began
        began = time.perf_counter()
        fast = with_fastfeedparser(data, url, headers)
        spent["fastfeedparser"] += time.perf_counter() - began
        if slow is None and fast is None:
            counts["both"] += 1
        elif slow is None:
            counts["feedparser fails"] += 1
        elif fast is None:
            counts["fast fails"] += 1
        elif slow == fast:
            counts["equal"] += 1
        else:
            counts["differ"] += 1
            differing.append(str(path.relative_to(CORPUS)))
    print(f"corpus ({sum(counts.values())} files): {counts}")
    print("  time: " + ", ".join(f"{k} {v:.2f} s" for k, v in spent.items()))
    print("  differing: " + ", ".join(differing))
    farm = [document(n, 0) for n in range(1000)]
    for name, parse in (("feedparser", with_feedparser), ("fastfeedparser", with_fastfeedparser)):
        began = time.perf_counter()
        total = sum(len(parse(doc, "http://farm/", {}) or []) for doc in farm)
        print(f"farm, 1,000 feeds: {name} {time.perf_counter() - began:.2f} s, {total} entries")


if __name__ == "__main__":
    main()
