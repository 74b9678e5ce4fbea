"""The naive peer of the poll benchmark: one feed after another with feedparser, as a script.

`python benchmarks/peers.py URLS_FILE DATABASE`: conditional GET (ETag, Last-Modified) with
gzip through urllib, feedparser on the body, new entries (by link) into SQLite, one commit per
feed. What a developer writes in an afternoon; the benchmark's baseline.
"""

from __future__ import annotations

import gzip
import sqlite3
import sys
import urllib.error
import urllib.request
from pathlib import Path

import feedparser


def main() -> None:
    urls = Path(sys.argv[1]).read_text().split()
    db = sqlite3.connect(sys.argv[2])
    db.execute("CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, etag TEXT, modified TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS items (link TEXT PRIMARY KEY, title TEXT, summary TEXT)")
    for url in urls:
        row = db.execute("SELECT etag, modified FROM feeds WHERE url = ?", (url,)).fetchone()
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        if row and row[0]:
            request.add_header("If-None-Match", row[0])
        if row and row[1]:
            request.add_header("If-Modified-Since", row[1])
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
                if response.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                continue
            raise
        parsed = feedparser.parse(body)
        db.executemany(
            "INSERT OR IGNORE INTO items VALUES (?, ?, ?)",
            [(e.get("link"), e.get("title"), e.get("summary")) for e in parsed.entries],
        )
        db.execute("INSERT OR REPLACE INTO feeds VALUES (?, ?, ?)", (url, etag, modified))
        db.commit()


if __name__ == "__main__":
    main()
