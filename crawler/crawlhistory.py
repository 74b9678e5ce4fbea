"""Each site crawl's figures, kept per source, so a crawl is compared with the site's own past.

A crawl that fetched pages but found no article, or far fewer than the source usually gives,
is a `no articles` problem with the figures that explain it: pages fetched, pages that looked
like listings, pages refused and why, and the `site.*` override that would fix the most
common refusal. `otswatch sources check NAME` prints the same explanation.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from crawler.crawl import CrawlReport
from crawler.schema import site_crawls

KEPT_PER_SOURCE = 30
USUAL_OVER = 5  # ok crawls the usual yield is the median of
MIN_USUAL = 8  # below this a drop is noise, not a collapse
COLLAPSE_SHARE = 0.25  # fewer than this share of the usual yield is a collapse


@dataclass(frozen=True)
class SiteCrawl:
    source: str
    finished_at: datetime
    ok: bool
    pages: int
    listing_like: int
    articles: int
    items_new: int
    figures: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


def crawl_of(report: CrawlReport, finished_at: datetime) -> SiteCrawl:
    """A crawl child's report as a history row."""
    figures = report.figures
    return SiteCrawl(
        source=report.source,
        finished_at=finished_at,
        ok=report.ok,
        pages=int(figures.get("pages", report.pages)),
        listing_like=int(figures.get("listing_like", 0)),
        articles=report.articles_seen,
        items_new=report.items_new,
        figures=figures,
        error=report.error,
    )


class CrawlHistory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, crawl: SiteCrawl) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(site_crawls).values(
                    source=crawl.source,
                    finished_at=crawl.finished_at,
                    ok=crawl.ok,
                    pages=crawl.pages,
                    listing_like=crawl.listing_like,
                    articles=crawl.articles,
                    items_new=crawl.items_new,
                    figures=json.dumps(dict(crawl.figures), ensure_ascii=False),
                    error=crawl.error,
                )
            )
            old = (
                select(site_crawls.c.id)
                .where(site_crawls.c.source == crawl.source)
                .order_by(site_crawls.c.id.desc())
                .offset(KEPT_PER_SOURCE)
            )
            conn.execute(delete(site_crawls).where(site_crawls.c.id.in_(old.scalar_subquery())))

    def recent(self, source: str, limit: int = USUAL_OVER + 1) -> list[SiteCrawl]:
        query = (
            select(site_crawls)
            .where(site_crawls.c.source == source)
            .order_by(site_crawls.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_crawl(row) for row in conn.execute(query)]

    def shortfall(self, source: str) -> str | None:
        """Why the source's last ok crawl is a `no articles` problem, or None when it is not."""
        crawls = [c for c in self.recent(source) if c.ok]
        if not crawls:
            return None
        last, earlier = crawls[0], crawls[1:]
        if last.articles == 0:
            return "no article found: " + "; ".join(explain(last))
        usual = statistics.median(c.articles for c in earlier) if earlier else 0
        if usual >= MIN_USUAL and last.articles < COLLAPSE_SHARE * usual:
            return (
                f"{last.articles} articles found, against about {usual:g} in its usual crawl: "
                + "; ".join(explain(last))
            )
        return None


def explain(crawl: SiteCrawl) -> list[str]:
    """The figures of one crawl in words, ending with the override to set."""
    figures = crawl.figures
    refused: dict[str, int] = dict(figures.get("refused") or {})
    lines = [
        f"{crawl.pages} pages fetched, {crawl.listing_like} looked like listings, "
        f"{crawl.articles} articles ({crawl.items_new} new)"
    ]
    if known := figures.get("skipped_known"):
        lines.append(f"{known} known articles not fetched again")
    if refused:
        ranked = sorted(refused.items(), key=lambda kv: -kv[1])
        lines.append("refused: " + ", ".join(f"{reason} ({n})" for reason, n in ranked))
    templates = figures.get("templates") or []
    if templates:
        lines.append(
            "address templates: "
            + ", ".join(
                f"{t} ({members} pages, {ok} article-like)" for t, members, ok in templates[:4]
            )
        )
    lines.append(suggestion(crawl))
    return lines


def suggestion(crawl: SiteCrawl) -> str:
    """The `site.*` override that answers the most common refusal."""
    refused: dict[str, int] = dict(crawl.figures.get("refused") or {})
    templates = [t for t in crawl.figures.get("templates") or [] if t[1] >= 3]
    pattern = f" (e.g. allow: ['{template_regex(templates[0][0])}'])" if templates else ""
    if crawl.pages <= 3 or not templates:
        return (
            "no address on the site belongs to a series of pages (an article template): its "
            "listings may be drawn by JavaScript; add the site's RSS feed as a feed source, or "
            "set site.start_urls to pages that link the articles"
        )
    top = max(refused.items(), key=lambda kv: kv[1])[0] if refused else ""
    if top.startswith("no date"):
        return "set site.date_css to the element holding the date, or site.allow" + pattern
    if top.startswith(("too short", "no main text")):
        return "set site.text_css to the element holding the article text"
    if top.startswith("no title"):
        return "set site.title_css to the element holding the headline"
    if top.startswith(("listing", "not linked", "template")) or templates:
        return "set site.allow to the article address pattern" + pattern
    return "set site.start_urls to listing pages that link the articles"


_PLACEHOLDERS = {
    "{n}": r"\d+", "{yyyy}": r"\d{4}", "{mm}": r"\d{1,2}", "{dd}": r"\d{1,2}",
    "{date}": r"[\d-]+", "{slug}": r"[^/]+", "{word}": r"[^/]+",
}  # fmt: skip


def template_regex(template: str) -> str:
    """`/en/article/{n}-{slug}` as the regex `site.allow` takes: `/en/article/\\d+-[^/]+$`."""
    parts = re.split(r"(\{[a-z]+\})", template.split("?")[0])
    return "".join(_PLACEHOLDERS.get(p, re.escape(p).replace("\\-", "-")) for p in parts) + "$"


def _crawl(row: Any) -> SiteCrawl:
    try:
        figures = json.loads(row.figures or "{}")
    except ValueError:
        figures = {}
    return SiteCrawl(
        source=row.source,
        finished_at=row.finished_at,
        ok=bool(row.ok),
        pages=int(row.pages),
        listing_like=int(row.listing_like),
        articles=int(row.articles),
        items_new=int(row.items_new),
        figures=figures if isinstance(figures, dict) else {},
        error=row.error,
    )
