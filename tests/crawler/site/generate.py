"""Deterministic generator of two small local news sites for the spider tests.

"alpha" (Steppe Herald): sections with /page/N/ pagination, a robots.txt `Sitemap:` line with a
sitemap index and a news sitemap (some articles are reachable only from it), a /members/ section
forbidden by robots.txt, Open Graph metadata and <time> dates.
"beta" (Caspian Ledger): no sitemap, listing pages chained only by rel="next", a /premium/
section forbidden by robots.txt, JSON-LD NewsArticle dates, two Russian articles.
Both carry nav, tag, author, about and search clutter. All text is written for this test.

Usage: python generate.py OUTDIR BASE_URL {alpha|beta}
"""

from __future__ import annotations

import html
import json
import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

ALMATY = timezone(timedelta(hours=5))
BAKU = timezone(timedelta(hours=4))

PLACES = ["Astana", "Baku", "Bishkek", "Tashkent", "Ankara", "Almaty", "Samarkand", "Budapest",
          "Shusha", "Osh", "Ganja", "Turkistan", "Bukhara", "Izmir", "Aktau",
          "Karakol"]  # fmt: skip
TOPICS = [
    ("rail freight", "container trains", "transit times"),
    ("digital customs", "electronic permits", "border queues"),
    ("youth exchange", "student grants", "summer schools"),
    ("power trading", "grid links", "winter demand"),
    ("tourism", "visitor numbers", "hotel bookings"),
    ("water management", "irrigation canals", "spring floods"),
    ("small business lending", "credit lines", "loan rates"),
    ("archive digitisation", "manuscript scans", "library catalogues"),
    ("road safety", "highway upgrades", "accident figures"),
    ("wheat harvest", "grain exports", "storage capacity"),
    ("film co-production", "festival screenings", "cinema audiences"),
    ("port expansion", "ferry capacity", "cargo volumes"),
]
VERBS = ["expand", "review", "back", "test", "plan", "debate", "double", "speed up",
         "open talks on", "publish data on", "set targets for", "pilot"]  # fmt: skip
ACTORS = ["ministers", "city officials", "regional planners", "a parliamentary committee",
          "industry groups", "university researchers", "customs officers",
          "local farmers"]  # fmt: skip
SENTENCES = [
    "{actor_cap} in {place} said on {weekday} that {topic} would get a dedicated budget line.",
    "The plan sets out {number} measures, most of them aimed at {thing2}.",
    "Officials expect {thing1} to rise by about {pct} percent over the next two years.",
    "Critics argue that earlier promises on {topic} were only partly kept.",
    "A working group will report back before the end of the {season}.",
    "Delegations from {place2} and {place3} attended the first session as observers.",
    "Several speakers pointed to {thing2} as the main bottleneck for the region.",
    "The initiative builds on an agreement signed in {place2} {years} years ago.",
    "Analysts at an institute in {place3} called the targets ambitious but reachable.",
    "Funding for {topic} has grown steadily since the pandemic years.",
    "The next meeting is scheduled to take place in {place2} in the {season}.",
    "Local media reported long discussions over how costs should be shared.",
    "{actor_cap} also asked for clearer statistics on {thing1}.",
    "Pilot projects in {place3} will be used to test the new rules first.",
    "The chair of the meeting described the talks as practical and detailed.",
    "Residents interviewed in {place} were cautiously optimistic about the changes.",
]
OTS_SENTENCES = [
    "The topic was also raised at a meeting of the Organization of Turkic States secretariat.",
    "Diplomats linked the proposal to the Turkic World Vision 2040 document.",
    "Member states of the Organization of Turkic States are expected to compare notes in {season}.",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
SEASONS = ["spring", "summer", "autumn", "winter"]
RU_TITLES = [
    "В {place} обсудили развитие {ru_topic}",
    "Эксперты из {place} предложили новый план по {ru_topic2}",
]
RU_SENTENCES = [
    "Во встрече в городе {place} приняли участие представители нескольких министерств.",
    "Участники обсудили, как ускорить работу по этому направлению в ближайшие годы.",
    "По словам организаторов, первые результаты ожидаются уже к концу года.",
    "Эксперты отметили, что без новых инвестиций добиться целей будет сложно.",
    "Следующее заседание рабочей группы планируется провести осенью.",
    "Местные журналисты подробно рассказали о ходе переговоров.",
    "Вопрос также обсуждался на площадке Организации тюркских государств.",
]
RU_TOPICS = [("грузовых перевозок", "цифровой таможне"), ("туризма", "водным ресурсам")]


@dataclass(frozen=True)
class ArticleSpec:
    site: str
    path: str  # URL path from the site root
    title: str
    published: datetime  # aware UTC
    author: str
    lang: str
    first_sentence: str
    forbidden: bool  # under a robots.txt Disallow
    linked: bool  # reachable from listing pages (else only from the sitemap)

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.path


def _slug(title: str) -> str:
    cleaned = "".join(c.lower() if c.isalnum() else "-" for c in title)
    return "-".join(part for part in cleaned.split("-") if part)[:70].strip("-")


def _paragraphs(
    rng: random.Random, place: str, topic: tuple[str, str, str], ots: bool
) -> list[str]:
    others = [p for p in PLACES if p != place]
    values = {
        "place": place,
        "place2": rng.choice(others),
        "place3": rng.choice(others),
        "topic": topic[0],
        "thing1": topic[1],
        "thing2": topic[2],
        "actor_cap": rng.choice(ACTORS).capitalize(),
        "weekday": rng.choice(WEEKDAYS),
        "number": rng.randint(4, 19),
        "pct": rng.randint(5, 40),
        "season": rng.choice(SEASONS),
        "years": rng.randint(2, 9),
    }
    pool = SENTENCES[:]
    rng.shuffle(pool)
    first = SENTENCES[0]
    pool.remove(first)
    pool.insert(0, first)
    if ots:
        pool.insert(3, rng.choice(OTS_SENTENCES))
    sentences = [s.format(**values) for s in pool[:12]]
    return [" ".join(sentences[i : i + 3]) for i in range(0, 12, 3)]


def _ru_paragraphs(rng: random.Random, place: str) -> list[str]:
    sentences = [s.format(place=place) for s in RU_SENTENCES]
    rest = sentences[1:]
    rng.shuffle(rest)
    sentences = [sentences[0], *rest]
    return [" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)]


@dataclass(frozen=True)
class _Article:
    spec: ArticleSpec
    section: str
    tags: tuple[str, ...]
    paragraphs: tuple[str, ...]
    local_time: datetime


def _articles(site: str, extra: int) -> list[_Article]:
    """The site's articles, newest first; `extra` adds that many newer ones on top."""
    if site == "alpha":
        plan = [("world", True)] * 10 + [("economy", True)] * 8 + [("world", False)] * 4
        plan += [("members", True)] * 3
        tz, start = ALMATY, datetime(2025, 5, 21, 18, 40, tzinfo=ALMATY)
    else:
        plan = [("news", True)] * 22 + [("premium", True)] * 3
        tz, start = BAKU, datetime(2025, 6, 2, 16, 15, tzinfo=BAKU)
    plan = [(plan[0][0], True)] * extra + plan
    titles: set[str] = set()
    out: list[_Article] = []
    for index, (section, linked) in enumerate(plan):
        k = index - extra  # stable per article: extra articles get negative numbers
        rng = random.Random(f"otswatch-{site}-{k}")
        local = start - timedelta(hours=7 * k, minutes=13 * k)
        place = PLACES[(k * 5 + len(site)) % len(PLACES)]
        topic = TOPICS[(k * 7 + (3 if site == "beta" else 0)) % len(TOPICS)]
        russian = site == "beta" and section == "news" and k in (4, 11)
        if russian:
            ru_topic, ru_topic2 = RU_TOPICS[k % 2]
            title = RU_TITLES[k % 2].format(place=place, ru_topic=ru_topic, ru_topic2=ru_topic2)
            paragraphs = _ru_paragraphs(rng, place)
        else:
            actor = rng.choice(ACTORS).replace("a parliamentary committee", "lawmakers")
            title = f"{place} {actor} {VERBS[k % len(VERBS)]} {topic[0]}"
            paragraphs = _paragraphs(rng, place, topic, ots=k % 3 == 0)
        if title in titles:
            title = f"{title} ({k})"
        titles.add(title)
        if site == "alpha":
            path = f"/{section}/{local:%Y/%m/%d}/{_slug(title)}/"
        else:
            path = f"/{section}/{40100 + k * 37}-{_slug(title)}.html"
        spec = ArticleSpec(
            site=site,
            path=path,
            title=title,
            published=local.astimezone(UTC),
            author=rng.choice(
                [
                    "Aigerim Sadykova",
                    "Rauf Mammadli",
                    "Dilnoza Karimova",
                    "Emre Kaya",
                    "Nurlan Abenov",
                ]
            ),
            lang="ru" if russian else "en",
            first_sentence=paragraphs[0].split(". ")[0],
            forbidden=section in ("members", "premium"),
            linked=linked,
        )
        tags = tuple(sorted({topic[0].split()[0], place.lower()}))
        out.append(_Article(spec, section, tags, tuple(paragraphs), local.astimezone(tz)))
    return out


def build_site(root: Path, site: str, base_url: str, *, extra: int = 0) -> list[ArticleSpec]:
    """Write the site under `root` (overwriting) and return its articles, newest first."""
    articles = _articles(site, extra)
    writer = _AlphaWriter(root, base_url) if site == "alpha" else _BetaWriter(root, base_url)
    writer.write(articles)
    return [a.spec for a in articles]


class _Writer:
    name = ""
    lang = "en"

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base = base_url.rstrip("/")

    def put(self, path: str, content: str) -> None:
        target = self.root / path.lstrip("/")
        if path.endswith("/"):
            target = target / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")

    def page(self, title: str, body: str, *, head: str = "", lang: str | None = None) -> str:
        return (
            f'<!DOCTYPE html>\n<html lang="{lang or self.lang}"><head><meta charset="utf-8">\n'
            f"<title>{html.escape(title)} | {self.name}</title>\n{head}\n"
            '<link rel="stylesheet" href="/static/site.css"></head>\n<body>\n'
            f"{self.nav()}\n{body}\n{self.footer()}\n</body></html>\n"
        )

    def nav(self) -> str:
        raise NotImplementedError

    def footer(self) -> str:
        return (
            "<footer><p>Subscribe to our newsletter for a weekly round-up of regional news.</p>"
            f"<p>© 2025 {self.name}. All rights reserved. Reproduction without permission is "
            'prohibited.</p><a href="/about/">About</a> <a href="mailto:desk@example.org">'
            "Contact</a></footer>"
        )

    def teaser(self, article: _Article) -> str:
        a = article.spec
        return (
            f'<article class="teaser"><h2><a href="{a.path}">{html.escape(a.title)}</a></h2>'
            f"<p>{html.escape(article.paragraphs[0][:160])}…</p></article>"
        )

    def static_pages(self) -> None:
        about = (
            f"{self.name} is an independent newsroom covering transport, trade, culture and "
            "politics across Central Asia, the Caucasus and Anatolia. Our reporters work from "
            "five bureaus and publish in English with occasional pieces in Russian. "
        ) * 3
        policy = (
            "We correct errors promptly and note every correction at the foot of the article. "
            "Readers can reach the editors through the contact form or by post. "
        ) * 4
        self.put(
            self.about_path,
            self.page(
                "About us",
                f"<main><h1>About {self.name}</h1><p>{about}</p><p>{policy}</p></main>",
                head='<meta property="og:type" content="website">',
            ),
        )

    about_path = "/about/"

    def write(self, articles: list[_Article]) -> None:
        raise NotImplementedError


class _AlphaWriter(_Writer):
    name = "Steppe Herald"
    per_page = 5

    def nav(self) -> str:
        return (
            '<header><nav><a href="/">Home</a> <a href="/world/">World</a> '
            '<a href="/economy/">Economy</a> <a href="/about/">About</a> '
            '<a href="/tag/summit/">Summit</a> <a href="/search?q=turkic">Search</a> '
            '<a href="/feed/">RSS</a> <a href="/login/">Sign in</a></nav></header>'
        )

    def write(self, articles: list[_Article]) -> None:
        public = [a for a in articles if not a.spec.forbidden]
        linked = [a for a in public if a.spec.linked]
        members = [a for a in articles if a.spec.forbidden]
        for article in articles:
            self.put(article.spec.path, self.article_page(article, linked))
        teasers = "".join(self.teaser(a) for a in linked[:6])
        member_links = "".join(
            f'<li><a href="{a.spec.path}">{html.escape(a.spec.title)}</a></li>' for a in members
        )
        self.put(
            "/",
            self.page(
                "Latest news",
                f"<main><h1>Latest</h1>{teasers}<aside><h3>For members</h3><ul>{member_links}"
                "</ul></aside></main>",
                head='<meta property="og:type" content="website">',
            ),
        )
        for section in ("world", "economy"):
            items = [a for a in linked if a.section == section]
            pages = [items[i : i + self.per_page] for i in range(0, len(items), self.per_page)]
            for number, chunk in enumerate(pages, start=1):
                path = f"/{section}/" if number == 1 else f"/{section}/page/{number}/"
                links = " ".join(
                    f'<a href="/{section}/page/{n}/">{n}</a>'
                    if n > 1
                    else f'<a href="/{section}/">1</a>'
                    for n in range(1, len(pages) + 1)
                )
                nxt = (
                    f'<a rel="next" href="/{section}/page/{number + 1}/">Next</a>'
                    if number < len(pages)
                    else ""
                )
                body = "".join(self.teaser(a) for a in chunk)
                self.put(
                    path,
                    self.page(
                        section.title(),
                        f"<main><h1>{section.title()}</h1>{body}<div class='pager'>{links} {nxt}"
                        "</div></main>",
                    ),
                )
        tags = sorted({t for a in public for t in a.tags} | {"summit"})
        for tag in tags:
            tagged = [a for a in public if tag in a.tags][:8]
            self.put(
                f"/tag/{tag}/", self.page(f"Tag: {tag}", "".join(self.teaser(a) for a in tagged))
            )
        for author in sorted({a.spec.author for a in articles}):
            bio = f"{author} writes about regional economies and infrastructure. " * 12
            self.put(
                f"/author/{_slug(author)}/",
                self.page(
                    author,
                    f"<main><h1>{author}</h1><p>{bio}</p></main>",
                    head='<meta property="og:type" content="profile">',
                ),
            )
        self.static_pages()
        self.put(
            "/robots.txt",
            "User-agent: *\nDisallow: /members/\nDisallow: /search\n\n"
            f"Sitemap: {self.base}/sitemap_index.xml\n",
        )
        self.put(
            "/sitemap_index.xml",
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{self.base}/sitemaps/pages.xml</loc></sitemap>"
            f"<sitemap><loc>{self.base}/sitemaps/news.xml</loc>"
            f"<lastmod>{articles[0].local_time.isoformat()}</lastmod></sitemap>"
            "</sitemapindex>\n",
        )
        news_entries = "".join(
            f"<url><loc>{self.base}{a.spec.path}</loc><news:news><news:publication>"
            f"<news:name>{self.name}</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{a.local_time.isoformat()}"
            f"</news:publication_date><news:title>{html.escape(a.spec.title)}</news:title>"
            "</news:news></url>"
            for a in [*public, members[0]]
        )
        self.put(
            "/sitemaps/news.xml",
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{news_entries}</urlset>\n",
        )
        page_entries = "".join(
            f"<url><loc>{self.base}{p}</loc></url>"
            for p in ("/", "/world/", "/economy/", "/about/", "/tag/summit/")
        )
        self.put(
            "/sitemaps/pages.xml",
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{page_entries}</urlset>\n",
        )

    def article_page(self, article: _Article, linked: list[_Article]) -> str:
        a = article.spec
        related = [r for r in linked if r.spec.path != a.path][:3]
        head = (
            f'<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{html.escape(a.title)}">\n'
            f'<meta property="og:url" content="{self.base}{a.path}">\n'
            f'<meta name="description" content="{html.escape(article.paragraphs[0][:150])}">\n'
            f'<link rel="canonical" href="{self.base}{a.path}?utm_source=canonical">'
        )
        tags = " ".join(f'<a href="/tag/{t}/">{t}</a>' for t in article.tags)
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
        rel = "".join(
            f'<li><a href="{r.spec.path}">{html.escape(r.spec.title)}</a></li>' for r in related
        )
        body = (
            f"<main><article><h1>{html.escape(a.title)}</h1>"
            f'<p class="byline">By <a href="/author/{_slug(a.author)}/">{a.author}</a>, '
            f'<time datetime="{article.local_time.isoformat()}">'
            f"{article.local_time:%d %B %Y, %H:%M}</time></p>"
            f"{paragraphs}<p class='tags'>Tags: {tags}</p></article>"
            f"<aside><h3>Related</h3><ul>{rel}</ul></aside>"
            '<section class="comments"><h3>Comments</h3><form action="/comment" method="post">'
            '<textarea name="c"></textarea><button>Post</button></form></section></main>'
        )
        return self.page(a.title, body, head=head)


class _BetaWriter(_Writer):
    name = "Caspian Ledger"
    lang = "en-GB"
    per_page = 6
    about_path = "/about.html"

    def nav(self) -> str:
        return (
            '<div class="top"><a href="/">Front page</a> | <a href="/news/">News</a> | '
            '<a href="/about.html">About</a> | <a href="/tags/energy.html">Energy</a> | '
            '<a href="/authors/emre-kaya.html">Columnists</a> | '
            '<a href="/news/rss.xml">RSS</a></div>'
        )

    def write(self, articles: list[_Article]) -> None:
        public = [a for a in articles if not a.spec.forbidden]
        premium = [a for a in articles if a.spec.forbidden]
        for article in articles:
            self.put(article.spec.path, self.article_page(article, public))
        pages = [public[i : i + self.per_page] for i in range(0, len(public), self.per_page)]
        for number, chunk in enumerate(pages, start=1):
            path = "/news/" if number == 1 else f"/news/list-{number}.html"
            items = "".join(
                f'<div class="item"><a href="{a.spec.path}">{html.escape(a.spec.title)}</a>'
                f"<span>{a.local_time:%d.%m.%Y}</span></div>"
                for a in chunk
            )
            if number <= len(premium):
                p = premium[number - 1].spec
                items += (
                    f'<div class="item paid"><a href="{p.path}">{html.escape(p.title)}</a></div>'
                )
            numbers = " ".join(
                f'<a href="{"/news/" if n == 1 else f"/news/list-{n}.html"}">{n}</a>'
                for n in range(1, len(pages) + 1)
            )
            nxt = (
                f'<a rel="next" href="/news/list-{number + 1}.html">Older stories</a>'
                if number < len(pages)
                else ""
            )
            self.put(
                path,
                self.page("News", f"<div class='list'>{items}</div><p>{numbers} {nxt}</p>"),
            )
        top = "".join(
            f'<div class="lead"><a href="{a.spec.path}">{html.escape(a.spec.title)}</a></div>'
            for a in public[:3]
        )
        self.put("/", self.page("Front page", f"{top}<p><a href='/news/'>All news</a></p>"))
        self.put("/tags/energy.html", self.page("Energy", top))
        self.put(
            "/authors/emre-kaya.html",
            self.page("Emre Kaya", "<p>" + "Emre Kaya covers energy and shipping. " * 20 + "</p>"),
        )
        self.static_pages()
        self.put("/robots.txt", "User-agent: *\nDisallow: /premium/\n")

    def article_page(self, article: _Article, public: list[_Article]) -> str:
        a = article.spec
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "datePublished": article.local_time.isoformat(),
            "author": {"@type": "Person", "name": a.author},
            "inLanguage": a.lang,
        }
        head = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
        most_read = "".join(
            f'<li><a href="{r.spec.path}">{html.escape(r.spec.title)}</a></li>'
            for r in public[:4]
            if r.spec.path != a.path
        )
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
        body = (
            f'<div class="story"><h1>{html.escape(a.title)}</h1>'
            f'<div class="byline">{a.author} · {article.local_time:%d.%m.%Y %H:%M} (AZT)</div>'
            f'<div class="story-body" itemprop="articleBody">{paragraphs}</div></div>'
            f'<div class="sidebar"><h4>Most read</h4><ul>{most_read}</ul></div>'
        )
        return self.page(a.title, body, head=head, lang=a.lang)


if __name__ == "__main__":
    out, base, which = sys.argv[1:4]
    specs = build_site(Path(out), which, base)
    print(f"wrote {len(specs)} articles to {out}")
