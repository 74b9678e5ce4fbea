"""Generated news sites of the kinds issue 8 names, none with the metadata otswatch relied on.

- portal: a div-only multilingual portal, dates only in the visible text, local time;
- blog: a WordPress-like Cyrillic blog, /yyyy/mm/slug/, paginated and monthly archives;
- agency: numeric ids, listings link short links that redirect to slugged addresses;
- jsfeed: listings built by JavaScript, plain-HTML articles listed only in an RSS feed.
Every site carries menus, a footer, a "most read" box, related articles, tag pages, static
pages and a robots.txt section that must never be fetched. A seed varies markup and wording.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from tests.crawler.unseen.markup import (
    Site,
    Story,
    Style,
    Truth,
    article_html,
    document,
    esc,
    listing_html,
    local_date,
    make_stories,
    most_read,
    paged_listings,
    site_chrome,
    site_footer,
    slug,
    static_pages,
    teasers,
)
from tests.crawler.unseen.texts import LANGUAGES, Language, paragraphs

__all__ = ["BUILDERS", "Site", "Story", "Truth", "wire_story"]


def build_portal(
    base: str, seed: int, now: datetime, count: int = 24, wire: Story | None = None
) -> Site:
    """Div-only multilingual portal (kk/ru), numeric ids, text dates in Almaty time.
    `wire`: an agency story this portal also runs (in Russian), newest first."""
    rng = random.Random(seed)
    style = Style(rng)
    zone = ZoneInfo("Asia/Almaty")
    site = Site("portal", base, source={"country": "KZ"})
    langs = ["kk", "ru"]
    stories = make_stories(
        rng, langs, count, now, lambda i, lang, t, p: f"/{lang.code}/news/{40210 + i * 17 + seed}"
    )
    if wire is not None:
        stories.insert(1, replace(wire, path=f"/ru/news/{39000 + seed}"))
    title = "Dala Aqparat"
    href = lambda s: s.path  # noqa: E731
    for code in langs:
        lang = LANGUAGES[code]
        mine = [s for s in stories if s.lang == code]
        links = (
            [(f"/{code}/", lang.menu[0])]
            + [
                (f"/{code}/{w}", m)
                for w, m in zip(("politics", "economy", "society"), lang.menu[1:4], strict=True)
            ]
            + [("/kk/" if code == "ru" else "/ru/", "Қаз" if code == "ru" else "Рус")]
        )
        chrome = site_chrome(title, lang, style, links)
        side = most_read(lang, mine, style, href)
        footer = site_footer(lang, style)
        kw = dict(site_title=title, style=style, chrome=chrome, side=side, footer=footer)
        paged_listings(
            site,
            f"/{code}/",
            f"/{code}/?page={{n}}",
            lang.menu[0],
            lang,
            mine,
            8,
            href,
            zone,
            now,
            **kw,
        )
        for j, section in enumerate(("politics", "economy", "society")):
            part = mine[j::3]
            site.page(
                f"/{code}/{section}",
                listing_html(
                    lang.menu[1 + j], lang, teasers(part, href, zone, now), next_href=None, **kw
                ),
            )  # type: ignore[arg-type]
        for tag in ("tds", "transit", "energy", "culture", "youth"):
            tagged = [s for s in mine if tag in s.tags]
            site.page(
                f"/{code}/tema/{tag}",
                listing_html(
                    f"#{tag}", lang, teasers(tagged, href, zone, now), next_href=None, **kw
                ),
            )  # type: ignore[arg-type]
        for k, story in enumerate(mine):
            related = [(s.path, s.title) for s in rng.sample(mine, k=4) if s is not story][:3]
            page = article_html(
                story,
                site_title=title,
                date_text=local_date(story.published, zone, lang, k, now),
                style=style,
                chrome=chrome,
                side=side,
                footer=footer,
                related=related,
                tag_href=lambda t, c=code: f"/{c}/tema/{t}",
            )
            site.page(story.path, page)
            site.truth.append(Truth(base + story.path, story.title, story.published, code))
    home_lang = LANGUAGES["kk"]
    site.page(
        "/",
        document(
            title,
            "kk",
            "",
            site_chrome(title, home_lang, style, [("/kk/", "Қазақша"), ("/ru/", "Русский")])
            + "".join(
                f'<div><a href="/{c}/tema/{t}">#{t}</a></div>'
                for c in langs
                for t in ("tds", "transit")
            )
            + listing_html(
                home_lang.menu[0],
                home_lang,
                teasers(stories[:10], href, zone, now),
                site_title=title,
                style=style,
                chrome="",
                side="",
                footer="",
                next_href=None,
            )
            .split("<body>")[1]
            .split("</body>")[0]
            + site_footer(home_lang, style),
        ),
    )
    static_pages(
        site,
        home_lang,
        style,
        site_chrome(title, home_lang, style, [("/kk/", "Қазақша")]),
        site_footer(home_lang, style),
        title,
    )
    return site


def build_blog(base: str, seed: int, now: datetime, count: int = 22) -> Site:
    """WordPress-like Cyrillic blog (ky/ru): /yyyy/mm/slug/, /page/N/ and monthly archives."""
    rng = random.Random(seed + 100)
    style = Style(rng)
    zone = ZoneInfo("Asia/Bishkek")
    site = Site("blog", base, source={"timezone": "Asia/Bishkek", "lang": "ky"})
    langs = rng.choice([["ky"], ["ky", "ru"], ["ru"]])

    def path_of(i: int, lang: Language, title: str, published: datetime) -> str:
        local = published.astimezone(zone)
        return f"/{local:%Y}/{local:%m}/{slug(title, i)}-{i}/"

    stories = make_stories(rng, langs, count, now, path_of)
    lang = LANGUAGES[langs[0]]
    title = "Ala-Too Kabarlary"
    href = lambda s: s.path  # noqa: E731
    months = sorted({s.path[:9] for s in stories}, reverse=True)
    links = (
        [("/", lang.menu[0])]
        + [(m, m.strip("/").replace("/", "-")) for m in months[:3]]
        + [("/about", "About")]
    )
    chrome = site_chrome(title, lang, style, links)
    side = most_read(lang, stories, style, href)
    footer = site_footer(lang, style)
    kw = dict(site_title=title, style=style, chrome=chrome, side=side, footer=footer)
    paged_listings(site, "/", "/page/{n}/", lang.menu[0], lang, stories, 6, href, zone, now, **kw)
    for month in months:
        part = [s for s in stories if s.path.startswith(month)]
        site.page(
            month,
            listing_html(
                month.strip("/"), lang, teasers(part, href, zone, now), next_href=None, **kw
            ),
        )  # type: ignore[arg-type]
    for tag in ("tds", "transit", "energy", "culture", "youth"):
        tagged = [s for s in stories if tag in s.tags]
        site.page(
            f"/tema/{tag}/",
            listing_html(f"#{tag}", lang, teasers(tagged, href, zone, now), next_href=None, **kw),
        )  # type: ignore[arg-type]
    for k, story in enumerate(stories):
        mine = LANGUAGES[story.lang]
        related = [(s.path, s.title) for s in rng.sample(stories, k=4) if s is not story][:3]
        page = article_html(
            story,
            site_title=title,
            date_text=local_date(story.published, zone, mine, k, now),
            style=style,
            chrome=chrome,
            side=side,
            footer=footer,
            related=related,
            tag_href=lambda t: f"/tema/{t}/",
        )
        site.page(story.path, page)
        site.truth.append(Truth(base + story.path, story.title, story.published, story.lang))
    static_pages(site, lang, style, chrome, footer, title)
    return site


def build_agency(base: str, seed: int, now: datetime, count: int = 24) -> Site:
    """Agency (tr/az/en/uz): listings link /a/{id} short links redirecting to slugged pages;
    dates print their zone (GMT+3 or GMT+4)."""
    rng = random.Random(seed + 200)
    style = Style(rng)
    langs = rng.sample(["tr", "az", "en", "uz"], k=3)
    zones = {
        "tr": ZoneInfo("Europe/Istanbul"),
        "az": ZoneInfo("Asia/Baku"),
        "en": ZoneInfo("Europe/Istanbul"),
        "uz": ZoneInfo("Asia/Tashkent"),
    }
    words = {"tr": "haber", "az": "xeber", "en": "article", "uz": "yangilik"}
    site = Site("agency", base)
    ids = {}

    def path_of(i: int, lang: Language, title: str, published: datetime) -> str:
        ids[i] = 51000 + i * 13
        return f"/{lang.code}/{words[lang.code]}/{ids[i]}-{slug(title, i)}"

    stories = make_stories(rng, langs, count, now, path_of)
    short = {s.path: f"/a/{s.path.split('/')[3].split('-')[0]}" for s in stories}
    title = "Turan Haber Ajansı"
    href = lambda s: short[s.path]  # noqa: E731
    for code in langs:
        lang = LANGUAGES[code]
        zone = zones[code]
        offset = int(datetime.now(zone).utcoffset().total_seconds() // 3600)  # type: ignore[union-attr]
        mine = [s for s in stories if s.lang == code]
        links = [(f"/{code}/", lang.menu[0])] + [(f"/{c}/", c.upper()) for c in langs if c != code]
        chrome = site_chrome(title, lang, style, links)
        side = most_read(lang, mine, style, href)
        footer = site_footer(lang, style)
        kw = dict(site_title=title, style=style, chrome=chrome, side=side, footer=footer)
        paged_listings(
            site,
            f"/{code}/",
            f"/{code}/?p={{n}}",
            lang.menu[0],
            lang,
            mine,
            8,
            href,
            zone,
            now,
            **kw,
        )
        for k, story in enumerate(mine):
            related = [(short[s.path], s.title) for s in rng.sample(mine, k=4) if s is not story][
                :3
            ]
            shown = local_date(story.published, zone, lang, k, now) + f" (GMT+{offset})"
            page = article_html(
                story,
                site_title=title,
                date_text=shown,
                style=style,
                chrome=chrome,
                side=side,
                footer=footer,
                related=related,
                tag_href=lambda t, c=code: f"/{c}/etiket/{t}",
            )
            site.page(story.path, page)
            site.redirect(short[story.path], story.path)
            site.truth.append(Truth(base + story.path, story.title, story.published, code))
        for tag in ("tds", "transit"):
            tagged = [s for s in mine if tag in s.tags]
            site.page(
                f"/{code}/etiket/{tag}",
                listing_html(
                    f"#{tag}", lang, teasers(tagged, href, zone, now), next_href=None, **kw
                ),
            )  # type: ignore[arg-type]
    first = LANGUAGES[langs[0]]
    site.redirect("/", f"/{langs[0]}/")
    static_pages(
        site,
        first,
        style,
        site_chrome(title, first, style, [("/", "Home")]),
        site_footer(first, style),
        title,
    )
    return site


def build_jsfeed(
    base: str, seed: int, now: datetime, count: int = 20, with_feed: bool = True
) -> Site:
    """Hungarian/English site whose listings are drawn by JavaScript; articles in RSS only.
    Without its feed, nothing on the site links an article: a crawl can find none."""
    rng = random.Random(seed + 300)
    style = Style(rng)
    zone = ZoneInfo("Europe/Budapest")
    site = Site("jsfeed", base, source={"country": "HU"})
    langs = rng.choice([["hu"], ["hu", "en"]])
    stories = make_stories(
        rng,
        langs,
        count,
        now,
        lambda i, lang, t, p: f"/hirek/{p.astimezone(zone):%Y%m%d}/{slug(t, i)}.html",
    )
    lang = LANGUAGES["hu"]
    title = "Kárpát Hírek"
    app = (
        '<div id="app">Loading…</div><noscript>Enable JavaScript to read the news.</noscript>'
        '<script>fetch("/api/list.json").then(r=>r.json()).then(d=>{document.getElementById("app")'
        '.innerHTML=d.items.map(i=>`<a href="${i.u}">${i.t}</a>`).join("")})</script>'
    )
    head = (
        '<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">'
        if with_feed
        else ""
    )
    chrome = site_chrome(
        title,
        lang,
        style,
        [("/", lang.menu[0]), ("/rovat/kulfold", lang.menu[2]), ("/about", "Impresszum")],
    )
    footer = site_footer(lang, style)
    site.page("/", document(title, "hu", head, chrome + app + footer))
    site.page(
        "/rovat/kulfold",
        document(
            f"{lang.menu[2]} | {title}", "hu", head, chrome + "<h1>Külföld</h1>" + app + footer
        ),
    )
    side = most_read(lang, stories, style, lambda s: s.path)
    for k, story in enumerate(stories):
        mine = LANGUAGES[story.lang]
        page = article_html(
            story,
            site_title=title,
            date_text=local_date(story.published, zone, mine, k, now),
            style=style,
            chrome=chrome,
            side=side,
            footer=footer,
            related=[],
            tag_href=lambda t: f"/cimke/{t}",
        )
        site.page(story.path, page)
        site.truth.append(Truth(base + story.path, story.title, story.published, story.lang))
    items = "".join(
        f"<item><title>{esc(s.title)}</title><link>{base}{s.path}</link>"
        f"<guid>{base}{s.path}</guid><pubDate>{format_datetime(s.published.astimezone(UTC))}</pubDate></item>"
        for s in stories
    )
    site.page(
        "/rss.xml",
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title><link>{base}/</link><description>Hírek</description>{items}</channel></rss>',
        "application/rss+xml",
    )
    static_pages(site, lang, style, chrome, footer, title)
    return site


def wire_story(now: datetime) -> Story:
    """One agency story two Russian-language sites both carry."""
    rng = random.Random(7)
    lang = LANGUAGES["ru"]
    title = "Министры ОТГ обсудили в Астане единый транзитный коридор"
    body = [title + ". " + " ".join(paragraphs(lang, rng, 1)), *paragraphs(lang, rng, 4)]
    published = (now - timedelta(hours=2, minutes=13)).replace(second=0, microsecond=0)
    return Story("", title, published, "ru", body, ("tds", "transit"))


BUILDERS = {
    "portal": build_portal,
    "blog": build_blog,
    "agency": build_agency,
    "jsfeed": build_jsfeed,
}
