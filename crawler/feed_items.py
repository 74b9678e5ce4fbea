"""From a feed's bytes to the items to store: parse, normalize, identify the language, and
fingerprint for story clustering. Pure CPU work with no shared state, so that it can run in a
worker process (crawler.parsing) as well as in the daemon's own."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from crawler import stories
from crawler.clock import now_utc
from crawler.errors import ParseError
from crawler.feed_trim import without_known
from crawler.feeds import FeedEntry, ParsedFeed, parse_feed
from crawler.language import detect_language
from crawler.types import Item, Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedItems:
    """A parsed feed (its entries dropped: `items` carries them, normalized) and its items."""

    feed: ParsedFeed
    items: tuple[Item, ...]  # the new ones: taken entries whose URL was not known
    entries: int  # entries the feed had, before `limit`
    seen: int  # entries taken (at most `limit`), known ones included


def feed_items(
    content: bytes,
    url: str,
    headers: Mapping[str, str],
    source: Source,
    limit: int,
    known: frozenset[str] = frozenset(),
) -> FeedItems:
    """Parse a fetched feed into at most `limit` items (feeds list the newest first), each with
    its SimHash. Entries whose canonical URL is in `known` (stored already) are counted but
    not made into items: their language and SimHash would be computed for nothing, as the
    store drops them. Raises the crawler.errors ParseError family, as parse_feed does."""
    trimmed = without_known(content, headers, url, known, limit)
    feed, removed = None, 0
    if trimmed is not None:  # stored entries cut out before parsing (crawler.feed_trim)
        try:
            feed, removed = parse_feed(trimmed.document, url, dict(headers)), trimmed.removed
        except ParseError as exc:  # never seen; the whole document decides, as without a cut
            log.warning("feed %s: parsing without its stored entries failed (%s)", url, exc)
    if feed is None:
        feed = parse_feed(content, url, dict(headers))
    taken = feed.entries[:limit]
    normalized = [
        _fingerprinted(_to_item(entry, feed, source)) for entry in taken if entry.url not in known
    ]
    return FeedItems(
        replace(feed, entries=()),
        tuple(normalized),
        len(feed.entries) + removed,
        len(taken) + removed,
    )


def items_from_feed(feed: ParsedFeed, source: Source) -> list[Item]:
    """Normalized items of a parsed feed, whether polled or pushed (WebSub)."""
    return [_to_item(entry, feed, source) for entry in feed.entries]


def _to_item(entry: FeedEntry, feed: ParsedFeed, source: Source) -> Item:
    declared = entry.lang or feed.lang or source.lang
    lang, confidence = detect_language(f"{entry.title}. {entry.summary}", declared=declared)
    return Item(
        url=entry.url,
        title=entry.title,
        summary=entry.summary,
        source=source.name,
        published=_plausible(entry.published),
        lang=lang,
        lang_confidence=confidence,
        author=entry.author,
    )


def _fingerprinted(item: Item) -> Item:
    text = stories.fingerprint_text(item.title, item.summary, item.text)
    return replace(item, simhash=stories.simhash(text))


MAX_FUTURE = timedelta(days=1)  # time zones and clock skew; beyond that a date is a lie


def _plausible(published: datetime | None) -> datetime:
    """A missing date or one far in the future (a year 9999 would top every digest for
    ever) becomes the time we first saw the item."""
    now = now_utc()
    if published is None or published > now + MAX_FUTURE:
        return now
    return published
