"""What a digest itself says (headings, labels, dates, plurals), one small table per language.

A route picks its language in config/destinations.yaml (`language: ru`); the news text is never
translated. Month names and plural rules are written here by hand rather than taken from Babel:
three languages need 36 month names and three one-line rules, and Babel's CLDR data (some 30 MB)
would be a dependency for that alone. Add a language by adding one `Wording` to WORDINGS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alerts.matching.types import Level


def _plural_en(n: int) -> int:
    return 0 if n == 1 else 1


def _plural_ru(n: int) -> int:
    """CLDR's rule: 1, 21, 101 сюжет; 2-4, 22-24 сюжета; 0, 5-20, 25-30 сюжетов."""
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def _plural_tr(n: int) -> int:
    """A Turkish noun after a numeral stays singular: 1 haber, 5 haber."""
    return 0


@dataclass(frozen=True)
class Wording:
    """Every string the digest writes in one language; `{placeholders}` are filled by view.py.

    Forms of a counted noun (`story`, `new_core_story`, `more_story`) are indexed by `plural`.
    """

    code: str
    name: str
    months: tuple[str, ...]  # the form that follows a day number ("3 декабря")
    plural: Callable[[int], int]
    story: tuple[str, ...]
    new_core_story: tuple[str, ...]
    more_story: tuple[str, ...]
    subject: str  # {news} {stories} {day}
    digest_title: str  # {day}
    instant_more: str  # {n}
    summary_line: str  # {stories} {core} {related}
    levels: dict[Level, str]  # a story's level in its meta line
    headings: dict[Level, str]  # group headings
    fields: dict[str, str]  # where the evidence was found: "in title"
    field_other: str  # {field}, for a field with no entry in `fields`
    evidence: str
    rule: str
    score: str
    no_link: str
    untitled: str
    also_reported: str
    story_link: str
    not_relevant: str
    notes: str
    generated: str  # {when}
    sent_by: str  # {when}
    since: str  # {when}
    stories_since: str  # {when}
    no_stories: str
    instant_generated: str  # {when}
    instant_banner: str
    more_matches: str  # {n}
    more_reports: str  # {n}
    hidden: str  # {more} {core_part}
    hidden_core: str  # {core}

    def count(self, n: int, forms: tuple[str, ...]) -> str:
        """`n` and the form of the noun that goes with it: "5 сюжетов"."""
        return f"{n} {forms[min(self.plural(n), len(forms) - 1)]}"

    def where(self, field_name: str) -> str:
        return self.fields.get(field_name) or self.field_other.format(field=field_name)


ENGLISH = Wording(
    code="en",
    name="English",
    months=(
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    plural=_plural_en,
    story=("story", "stories"),
    new_core_story=("new core story", "new core stories"),
    more_story=("more story", "more stories"),
    subject="OTS watch: {news}, {stories} in all — {day}",
    digest_title="OTS watch digest, {day}",
    instant_more="(+{n} more)",
    summary_line="{stories} ({core} core, {related} related)",
    levels={"core": "core", "related": "related"},
    headings={"core": "Core stories", "related": "Related stories"},
    fields={"title": "in title", "summary": "in summary", "text": "in text"},
    field_other="in {field}",
    evidence="Evidence",
    rule="rule",
    score="score",
    no_link="(no link)",
    untitled="(untitled)",
    also_reported="Also reported",
    story_link="Story and deliveries",
    not_relevant="Not relevant?",
    notes="Notes",
    generated="Generated {when}",
    sent_by="Sent by otswatch · generated {when}",
    since="since {when}",
    stories_since="Stories since {when}",
    no_stories="No new stories in this window.",
    instant_generated="Instant alert, generated {when}",
    instant_banner="OTS instant alert",
    more_matches="…and {n} more matches",
    more_reports="…and {n} more reports",
    hidden="…and {more}{core_part} not shown here.",
    hidden_core=" ({core} core)",
)

RUSSIAN = Wording(
    code="ru",
    name="Russian",
    months=(
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ),
    plural=_plural_ru,
    story=("сюжет", "сюжета", "сюжетов"),
    new_core_story=("новый главный сюжет", "новых главных сюжета", "новых главных сюжетов"),
    more_story=("сюжет", "сюжета", "сюжетов"),
    subject="OTS watch: {news}, всего {stories} — {day}",
    digest_title="Дайджест OTS watch, {day}",
    instant_more="(+ещё {n})",
    summary_line="{stories} (главных: {core}, связанных: {related})",
    levels={"core": "главный", "related": "связанный"},
    headings={"core": "Главные сюжеты", "related": "Связанные сюжеты"},
    fields={"title": "в заголовке", "summary": "в аннотации", "text": "в тексте"},
    field_other="в поле {field}",
    evidence="Совпадения",
    rule="правило",
    score="оценка",
    no_link="(без ссылки)",
    untitled="(без заголовка)",
    also_reported="Также сообщают",
    story_link="Сюжет и доставки",
    not_relevant="Не по теме?",
    notes="Примечания",
    generated="Создано {when}",
    sent_by="Отправлено otswatch · создано {when}",
    since="с {when}",
    stories_since="Сюжеты с {when}",
    no_stories="Новых сюжетов за этот период нет.",
    instant_generated="Срочное оповещение, создано {when}",
    instant_banner="Срочное оповещение OTS",
    more_matches="…и ещё совпадений: {n}",
    more_reports="…и ещё сообщений: {n}",
    hidden="Не показано здесь: ещё {more}{core_part}.",
    hidden_core=" (главных: {core})",
)

TURKISH = Wording(
    code="tr",
    name="Turkish",
    months=(
        "Ocak",
        "Şubat",
        "Mart",
        "Nisan",
        "Mayıs",
        "Haziran",
        "Temmuz",
        "Ağustos",
        "Eylül",
        "Ekim",
        "Kasım",
        "Aralık",
    ),
    plural=_plural_tr,
    story=("haber",),
    new_core_story=("yeni ana haber",),
    more_story=("haber",),
    subject="OTS watch: {news}, toplam {stories} — {day}",
    digest_title="OTS watch özeti, {day}",
    instant_more="(+{n} daha)",
    summary_line="{stories} (ana: {core}, ilgili: {related})",
    levels={"core": "ana", "related": "ilgili"},
    headings={"core": "Ana haberler", "related": "İlgili haberler"},
    fields={"title": "başlıkta", "summary": "özette", "text": "metinde"},
    field_other="{field} alanında",
    evidence="Kanıt",
    rule="kural",
    score="puan",
    no_link="(bağlantı yok)",
    untitled="(başlıksız)",
    also_reported="Diğer kaynaklar",
    story_link="Haber ve gönderimler",
    not_relevant="İlgisiz mi?",
    notes="Notlar",
    generated="Oluşturuldu: {when}",
    sent_by="otswatch tarafından gönderildi · oluşturuldu: {when}",
    since="{when} tarihinden beri",
    stories_since="{when} tarihinden beri haberler",
    no_stories="Bu dönemde yeni haber yok.",
    instant_generated="Anlık uyarı, oluşturuldu: {when}",
    instant_banner="OTS anlık uyarı",
    more_matches="…ve {n} eşleşme daha",
    more_reports="…ve {n} kaynak daha",
    hidden="…ve {more} daha{core_part} burada gösterilmiyor.",
    hidden_core=" (ana: {core})",
)

WORDINGS: dict[str, Wording] = {w.code: w for w in (ENGLISH, RUSSIAN, TURKISH)}
DEFAULT_LANGUAGE = ENGLISH.code


def supported() -> str:
    """For error messages: "en (English), ru (Russian), tr (Turkish)"."""
    return ", ".join(f"{w.code} ({w.name})" for w in WORDINGS.values())


def wording_for(code: str | None) -> Wording:
    """The table for a language code; English for none (operations notices, old rows).

    Routes are validated against WORDINGS when the config loads, so an unknown code here can
    only be a row planned under a config that has since dropped it: English is then right.
    """
    return WORDINGS.get((code or DEFAULT_LANGUAGE).lower(), ENGLISH)
