"""A local farm of news feeds for the poll benchmark: `python benchmarks/feed_farm.py --feeds N`.

Feeds are RSS 2.0 (even numbers) and Atom 1.0 (odd), in English, Russian, Turkish and Kazakh,
20 items each, newest first, served gzipped with ETag and Last-Modified (304 on a match), on
25 loopback addresses (127.0.1.1 to 127.0.1.25, one port) so that per-host limits apply as on
the real web. One item in ten is a wire story carried, reworded at the edges, by ten outlets;
one in eight mentions the Organization of Turkic States. `POST /__advance?fraction=0.1` makes
that share of feeds publish two new items (the two oldest drop off); `GET /__stats` counts
requests and 304s since `POST /__reset`. `--latency-ms` delays every response, without
blocking the others. Asyncio streams, no dependency: the farm must cost little CPU itself.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from urllib.parse import parse_qs, urlsplit

HOSTS = 25
ITEMS = 20
NEW_PER_CHANGE = 2
LANGS = ("en", "ru", "tr", "kk")
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)

PLACES = ["Astana", "Baku", "Bishkek", "Tashkent", "Ankara", "Budapest", "Gabala", "Almaty"]
PEOPLE = ["Tokayev", "Aliyev", "Mirziyoyev", "Japarov", "Erdogan", "Orban", "Omuraliev"]
TOPICS = ["transport", "energy", "customs", "digital trade", "tourism", "education", "water"]
NEWS = {
    "en": (
        "{p} discusses {t} with partners in {c}",
        "Officials in {c} said talks on {t} and investment would continue next month, after a "
        "day of meetings with regional delegations, business groups and development banks.",
    ),
    "ru": (
        "В {c} обсудили вопросы {t}",
        "{p} провел встречу с представителями бизнеса и международных организаций; стороны "
        "договорились продолжить переговоры о развитии {t} и новых инвестициях в регионе.",
    ),
    "tr": (
        "{c}'da {t} toplantısı yapıldı",
        "Türkiye ve Azerbaycan heyetleri {t} konusunu görüştü; bakanlar ortak projelerin "
        "hızlandırılması ve yeni yatırımlar için bir yol haritası üzerinde anlaştı.",
    ),
    "kk": (
        "{c}: жаңа {t} жобасы іске қосылды",
        "Жоба аясында жүздеген жұмыс орны ашылады; {p} өңірдегі инвестиция мен {t} саласын "
        "дамытуға арналған келісімдерге қол қойылғанын атап өтті.",
    ),
}
OTS = {
    "en": "Ministers of the Organization of Turkic States met in {c} to agree on {t}.",
    "ru": "Министры Организации тюркских государств встретились в {c} и обсудили {t}.",
    "tr": "Türk Devletleri Teşkilatı bakanları {c}'da {t} konusunda bir araya geldi.",
    "kk": "Түркі мемлекеттері ұйымының министрлері {c} қаласында {t} мәселесін талқылады.",
}


_SYLLABLES = {
    "latin": "ka ra ta la ma na sa ba da ga ko ro to lo mo no so bo do go ki ri ti li mi ni si",
    "cyrillic": "ка ра та ла ма на са ба да га ко ро то ло мо но со бо до го ки ри ти ли ми ни си",
}


def _lexicon(script: str) -> list[str]:
    """600 made-up words per script: news vocabulary is wide, and texts built from a few dozen
    words would all sit a dozen SimHash bits apart, which real unrelated stories never do."""
    rng = random.Random(script)
    syllables = _SYLLABLES[script].split()
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(600)]


LEXICON = {"en": _lexicon("latin"), "tr": _lexicon("latin"), "ru": _lexicon("cyrillic")}
LEXICON["kk"] = LEXICON["ru"]


def _rng(*key: object) -> random.Random:
    return random.Random(hashlib.blake2b(repr(key).encode(), digest_size=8).digest())


def item(feed: int, number: int) -> tuple[str, str, str, datetime]:
    """Link, title, summary and date of a feed's item `number` (higher is newer)."""
    lang = LANGS[feed % len(LANGS)]
    wire = number % 10 == 0
    rng = _rng("wire", number, feed // 10, lang) if wire else _rng(feed, number)
    fill = {"p": rng.choice(PEOPLE), "c": rng.choice(PLACES), "t": rng.choice(TOPICS)}
    title, lead = (s.format(**fill) for s in NEWS[lang])
    words = [rng.choice(LEXICON[lang]) for _ in range(40)]
    words[rng.randrange(40)] = fill["c"]
    # Half the items open with their language's stock sentence, as agency copy does; the rest
    # is the story's own wording.
    summary = " ".join(words) + "."
    if rng.random() < 0.5:
        summary = f"{lead} {summary}"
    if rng.random() < 0.125:
        summary = OTS[lang].format(**fill) + " " + summary
    if wire:
        summary += f" (outlet {feed})"  # the same wire story, each outlet's own credit line
    else:
        title += f" ({number})"
    published = START + timedelta(minutes=7 * number + feed % 60)
    return f"https://news{feed}.example/{lang}/{number}", title, summary, published


def document(feed: int, version: int) -> bytes:
    newest = ITEMS + NEW_PER_CHANGE * version
    entries = [item(feed, n) for n in range(newest - 1, newest - 1 - ITEMS, -1)]
    lang = LANGS[feed % len(LANGS)]
    if feed % 2 == 0:
        body = "".join(
            f"<item><title>{escape(t)}</title><link>{link}</link><guid>{link}</guid>"
            f"<description>{escape(s)}</description><pubDate>{format_datetime(d)}</pubDate></item>"
            for link, t, s, d in entries
        )
        xml = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Outlet {feed}</title><link>https://news{feed}.example/</link>"
            f"<description>News</description><language>{lang}</language>{body}</channel></rss>"
        )
    else:
        body = "".join(
            f'<entry><title>{escape(t)}</title><link href="{link}"/><id>{link}</id>'
            f"<updated>{d.isoformat()}</updated><summary>{escape(s)}</summary></entry>"
            for link, t, s, d in entries
        )
        xml = (
            f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            f'xml:lang="{lang}"><title>Outlet {feed}</title><id>urn:outlet:{feed}</id>'
            f"<updated>{entries[0][3].isoformat()}</updated>{body}</feed>"
        )
    return xml.encode()


class Farm:
    def __init__(self, feeds: int, latency: float) -> None:
        self.feeds = feeds
        self.latency = latency
        self.versions = [0] * feeds
        self.cache: dict[tuple[int, int], bytes] = {}
        self.stats = {"requests": 0, "not_modified": 0, "bytes": 0, "robots": 0}

    def advance(self, fraction: float, seed: int) -> int:
        changed = _rng("round", seed).sample(range(self.feeds), round(self.feeds * fraction))
        for feed in changed:
            self.versions[feed] += 1
        return len(changed)

    def respond(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path == "/robots.txt":
            self.stats["robots"] += 1
            return 404, {}, b""
        if not path.startswith("/feeds/") or not path.endswith(".xml"):
            return 404, {}, b""
        feed = int(path[7:-4])
        version = self.versions[feed]
        etag = f'"{feed}-{version}"'
        modified = format_datetime(START + timedelta(hours=version), usegmt=True)
        self.stats["requests"] += 1
        if headers.get("if-none-match") == etag or (
            "if-none-match" not in headers and headers.get("if-modified-since") == modified
        ):
            self.stats["not_modified"] += 1
            return 304, {"ETag": etag, "Last-Modified": modified}, b""
        key = (feed, version)
        if key not in self.cache:
            self.cache[key] = gzip.compress(document(feed, version), 5)
        body = self.cache[key]
        kind = "rss" if feed % 2 == 0 else "atom"
        out = {
            "Content-Type": f"application/{kind}+xml; charset=utf-8",
            "ETag": etag,
            "Last-Modified": modified,
        }
        if "gzip" in headers.get("accept-encoding", ""):
            out["Content-Encoding"] = "gzip"
        else:
            body = gzip.decompress(body)
        self.stats["bytes"] += len(body)
        return 200, out, body

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = raw.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                url = urlsplit(target)
                if url.path.startswith("/__"):
                    status, out, body = self.control(method, url.path, parse_qs(url.query))
                else:
                    if self.latency:
                        await asyncio.sleep(self.latency)
                    status, out, body = self.respond(url.path, headers)
                head = f"HTTP/1.1 {status} {'OK' if status == 200 else 'X'}\r\n"
                head += "".join(f"{k}: {v}\r\n" for k, v in out.items())
                head += f"Content-Length: {len(body)}\r\n\r\n"
                writer.write(head.encode("latin-1") + body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, ValueError):
            return
        finally:
            writer.close()

    def control(
        self, method: str, path: str, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, str], bytes]:
        if path == "/__advance" and method == "POST":
            changed = self.advance(float(query["fraction"][0]), int(query["seed"][0]))
            return 200, {}, json.dumps({"changed": changed}).encode()
        if path == "/__reset" and method == "POST":
            self.stats = dict.fromkeys(self.stats, 0)
        return 200, {"Content-Type": "application/json"}, json.dumps(self.stats).encode()


def feed_urls(feeds: int, port: int) -> list[str]:
    return [f"http://127.0.1.{1 + n % HOSTS}:{port}/feeds/{n}.xml" for n in range(feeds)]


async def serve(feeds: int, port: int, latency: float) -> None:
    farm = Farm(feeds, latency)
    hosts = [f"127.0.1.{n}" for n in range(1, HOSTS + 1)]
    server = await asyncio.start_server(farm.handle, hosts, port, backlog=1024)
    print(f"farm ready on {port}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(serve(args.feeds, args.port, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
