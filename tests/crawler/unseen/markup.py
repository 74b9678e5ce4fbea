"""Markup of the generated sites: furniture (menus, footer, boxes), articles and listings.

The site builders (sites.py) choose what goes where; this module only writes the HTML.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from tests.crawler.unseen.texts import LANGUAGES, Language, headline, paragraphs


@dataclass(frozen=True)
class Truth:
    url: str  # the canonical address the article must be stored under
    title: str
    published: datetime  # UTC, to the minute
    lang: str


@dataclass
class Site:
    name: str
    base: str
    pages: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    truth: list[Truth] = field(default_factory=list)
    forbidden: tuple[str, ...] = ("/private/",)
    source: dict[str, object] = field(default_factory=dict)  # extra sources.yaml fields

    def page(self, path: str, body: str, content_type: str = "text/html; charset=utf-8") -> None:
        self.pages[path] = (200, {"Content-Type": content_type}, body.encode("utf-8"))

    def redirect(self, path: str, target: str) -> None:
        self.pages[path] = (301, {"Location": target}, b"")


@dataclass(frozen=True)
class Story:
    path: str
    title: str
    published: datetime  # UTC
    lang: str
    body: list[str]
    tags: tuple[str, ...]


class Style:
    """Markup choices one seed makes for one site (class names, order, furniture)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.prefix = rng.choice(["", "b-", "site-", "x"])
        self.date_first = rng.random() < 0.4
        self.wrap = rng.randint(1, 3)
        self.views = rng.random() < 0.6
        self.breadcrumbs = rng.random() < 0.5
        self.share = rng.random() < 0.7
        # Flat layouts: the story's paragraphs and its "read also" links side by side in one
        # container; a listing's headlines and summaries as siblings in one list.
        self.flat_article = rng.random() < 0.4
        self.flat_list = rng.random() < 0.4

    def cls(self, name: str) -> str:
        return self.prefix + name


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def local_date(when: datetime, zone: tzinfo, lang: Language, form: int, now: datetime) -> str:
    """The visible date as the site prints it, in its local time."""
    local = when.astimezone(zone)
    month = lang.months[local.month - 1]
    hm = f"{local:%H:%M}"
    if lang.today and local.date() == now.astimezone(zone).date() and form % 3 == 0:
        return f"{lang.today}, {hm}"
    forms = {
        "ru": [f"{local.day} {month} {local.year}, {hm}", f"{local:%d.%m.%Y} {hm}"],
        "kk": [f"{local.year} жылғы {local.day} {month}, {hm}", f"{local.day} {month} {local.year}, {hm}"],
        "ky": [f"{local.day}-{month} {local.year}, {hm}", f"{local:%d.%m.%Y} {hm}"],
        "uz": [f"{local.day}-{month} {local.year}, {hm}", f"{local:%d.%m.%Y}, {hm}"],
        "tr": [f"{local.day} {month} {local.year} {hm}", f"{local:%d.%m.%Y} - {hm}"],
        "az": [f"{local.day} {month} {local.year}, {hm}", f"{hm} | {local:%d.%m.%Y}"],
        "hu": [f"{local.year}. {month} {local.day}. {hm}", f"{local:%Y-%m-%d} {hm}"],
        "en": [f"{month} {local.day}, {local.year} {local:%I:%M %p}".replace(" 0", " "),
               f"{local.day} {month[:3]} {local.year}, {hm}"],
    }  # fmt: skip
    options = forms[lang.code]
    return options[form % len(options)]


def make_stories(
    rng: random.Random, langs: list[str], count: int, now: datetime, path_of: object
) -> list[Story]:
    stories: list[Story] = []
    seen: set[str] = set()
    for i in range(count):
        lang = LANGUAGES[langs[i % len(langs)]]
        title = headline(lang, rng, i)
        while title in seen:
            title = headline(lang, rng, i + rng.randint(1, 9))
        seen.add(title)
        published = (now - timedelta(hours=3 + i * 7, minutes=rng.randint(0, 59))).replace(
            second=0, microsecond=0
        )
        body = paragraphs(lang, rng, rng.randint(3, 6))
        body[0] = title + ". " + body[0]
        tags = tuple(rng.sample(["tds", "transit", "energy", "culture", "youth"], k=2))
        path = path_of(i, lang, title, published)  # type: ignore[operator]
        stories.append(Story(path, title, published, lang.code, body, tags))
    return stories


_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщыэюяқғүұөһәіңşğıöüçə",
        "abvgdeejzijklmnoprstufhccsyeuaqguuohaingsgiouce",
        strict=True,
    )
)


def slug(title: str, i: int) -> str:
    latin = "".join(_TRANSLIT.get(c, c) for c in title.lower())
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in latin).split()
    return "-".join(words)[:60].strip("-") or f"story-{i}"


def site_chrome(site_title: str, lang: Language, style: Style, links: list[tuple[str, str]]) -> str:
    menu = "".join(f'<a href="{h}">{esc(t)}</a> ' for h, t in links)
    return (
        f'<div class="{style.cls("top")}"><div class="{style.cls("logo")}">'
        f'<a href="/">{esc(site_title)}</a></div><div class="{style.cls("menu")}">{menu}</div></div>'
    )


def site_footer(lang: Language, style: Style) -> str:
    return (
        f'<div class="{style.cls("bottom")}"><p>{esc(lang.about)}</p>'
        '<div><a href="/about">About</a> · <a href="/contacts">Contacts</a> · '
        '<a href="/advertising">Advertising</a> · <a href="/private/panel">Staff</a></div>'
        "<div>© 2009–2026. 18+</div></div>"
    )


def most_read(lang: Language, stories: list[Story], style: Style, href: object) -> str:
    top = stories[1:6]
    items = "".join(f'<div><a href="{href(s)}">{esc(s.title)}</a></div>' for s in top)  # type: ignore[operator]
    return f'<div class="{style.cls("side")}"><div>{esc(lang.most_read)}</div>{items}</div>'


def wrap(style: Style, inner: str) -> str:
    for depth in range(style.wrap):
        inner = f'<div class="{style.cls("w" + str(depth))}">{inner}</div>'
    return inner


def document(title: str, lang: str, head: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title>{head}</head><body>{body}</body></html>"
    )


def article_html(
    story: Story,
    *,
    site_title: str,
    date_text: str,
    style: Style,
    chrome: str,
    side: str,
    footer: str,
    related: list[tuple[str, str]],
    tag_href: object,
) -> str:
    lang = LANGUAGES[story.lang]
    rng = style.rng
    date = f'<div class="{style.cls("date")}">{esc(date_text)}</div>'
    if style.views:
        date = f'<div class="{style.cls("meta")}">{date}<span>{esc(lang.views)}: {rng.randint(40, 9000)}</span></div>'
    crumbs = (
        f'<div class="{style.cls("crumbs")}"><a href="/">{esc(lang.menu[0])}</a> / '
        f'<a href="/{story.lang}/">{esc(lang.menu[1])}</a></div>'
        if style.breadcrumbs
        else ""
    )
    heading = f"<h1>{esc(story.title)}</h1>"
    top = date + heading if style.date_first else heading + date
    body = "".join(f"<p>{esc(p)}</p>" for p in story.body)
    tags = "".join(f'<a href="{tag_href(t)}">#{t}</a> ' for t in story.tags)  # type: ignore[operator]
    share = '<div class="share">Facebook · Telegram · WhatsApp · X</div>' if style.share else ""
    rel = "".join(f'<div><a href="{h}">{esc(t)}</a></div>' for h, t in related)
    if style.flat_article:
        main = f"{crumbs}{top}{body}<p>{tags}</p>{share}<h3>{esc(lang.read_also)}</h3>{rel}"
    else:
        main = (
            f'{crumbs}{top}<div class="{style.cls("text")}">{body}</div>'
            f'<div class="{style.cls("tags")}">{tags}</div>{share}'
            f'<div class="{style.cls("related")}"><div>{esc(lang.read_also)}</div>{rel}</div>'
        )
    page = chrome + wrap(style, f'<div class="{style.cls("main")}">{main}</div>{side}') + footer
    return document(f"{story.title} | {site_title}", story.lang, "", page)


def listing_html(
    title: str,
    lang: Language,
    teasers: list[tuple[str, Story, str]],
    *,
    site_title: str,
    style: Style,
    chrome: str,
    side: str,
    footer: str,
    next_href: str | None,
) -> str:
    blocks = []
    for href, story, date_text in teasers:
        summary = story.body[0][len(story.title) + 2 :][:180]
        if style.flat_list:
            blocks.append(
                f'<h3><a href="{href}">{esc(story.title)}</a></h3>'
                f"<span>{esc(date_text)}</span><p>{esc(summary)}…</p>"
            )
            continue
        blocks.append(
            f'<div class="{style.cls("item")}"><div class="{style.cls("item-date")}">{esc(date_text)}</div>'
            f'<div class="{style.cls("item-title")}"><a href="{href}">{esc(story.title)}</a></div>'
            f"<div>{esc(summary)}…</div></div>"
        )
    more = f'<div class="pager"><a href="{next_href}">»</a></div>' if next_href else ""
    main = f"<h1>{esc(title)}</h1>" + "".join(blocks) + more
    page = chrome + wrap(style, f'<div class="{style.cls("list")}">{main}</div>{side}') + footer
    return document(f"{title} | {site_title}", lang.code, "", page)


def static_pages(
    site: Site, lang: Language, style: Style, chrome: str, footer: str, title: str
) -> None:
    rng = style.rng
    about = " ".join(paragraphs(lang, rng, 2)) + " " + lang.about
    site.page(
        "/about",
        document(
            f"About | {title}",
            lang.code,
            "",
            chrome
            + wrap(style, f"<h1>About {title}</h1><p>{esc(about)}</p><p>{esc(lang.about)}</p>")
            + footer,
        ),
    )
    site.page(
        "/contacts",
        document(
            f"Contacts | {title}",
            lang.code,
            "",
            chrome
            + wrap(
                style,
                "<h1>Contacts and editorial office</h1><p>Editorial office: 12 Abay avenue, office 404. Phone +7 727 000 00 00. E-mail desk@example.org. Open 09:00–18:00, Monday to Friday.</p>",
            )
            + footer,
        ),
    )
    site.page(
        "/advertising",
        document(
            f"Advertising | {title}",
            lang.code,
            "",
            chrome
            + wrap(
                style,
                f"<h1>Advertising on {title}</h1><p>{esc(' '.join(paragraphs(lang, rng, 2)))}</p><p>Price list 2026: banner 300x250 from 15 000 per week; sponsored article from 60 000.</p>",
            )
            + footer,
        ),
    )
    site.page("/private/panel", document("Staff", lang.code, "", "<h1>Staff only</h1>"))
    site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")


def teasers(
    stories: list[Story], href: object, zone: tzinfo, now: datetime
) -> list[tuple[str, Story, str]]:
    return [
        (href(s), s, local_date(s.published, zone, LANGUAGES[s.lang], 1, now))  # type: ignore[operator]
        for s in stories
    ]


def paged_listings(
    site: Site,
    first: str,
    paged: str,
    title: str,
    lang: Language,
    stories: list[Story],
    per_page: int,
    href: object,
    zone: tzinfo,
    now: datetime,
    **kw: object,
) -> None:
    chunks = [stories[i : i + per_page] for i in range(0, len(stories), per_page)]
    for n, chunk in enumerate(chunks, start=1):
        path = first if n == 1 else paged.format(n=n)
        nxt = paged.format(n=n + 1) if n < len(chunks) else None
        site.page(
            path, listing_html(title, lang, teasers(chunk, href, zone, now), next_href=nxt, **kw)
        )  # type: ignore[arg-type]
