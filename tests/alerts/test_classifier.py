"""The classifier on the hard cases of DOMAIN.md, with the shipped watch-list."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alerts.matching.classifier import Classifier
from alerts.matching.explain import explain
from alerts.matching.types import Document
from alerts.matching.watchlist import parse_watchlist

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed" / "budapest-summit-2025-fr.txt"


@pytest.fixture(scope="module")
def clf() -> Classifier:
    data = yaml.safe_load((ROOT / "config" / "watchlist.yaml").read_text(encoding="utf-8"))
    for watch in data["watches"]:
        watch["enabled"] = True  # include the example watch the shipped file leaves off
    return Classifier(parse_watchlist(data))


def doc(title: str, summary: str = "", lang: str | None = None, **kw: str) -> Document:
    return Document(id="t", title=title, summary=summary, lang=lang, **kw)


def test_french_seed_article_is_core(clf: Classifier) -> None:
    if not SEED.exists():
        pytest.skip("shared seed folder absent")
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    v = clf.classify(Document(id="seed", title=title, text=body))
    assert (v.flagged, v.level, v.watch, v.lang) == (True, "core", "ots", "fr")
    assert any(e.field == "title" and e.rule == "ots.name.fr" for e in v.evidence)
    assert any(e.text == "OET" and e.rule == "ots.acronym+context" for e in v.evidence)


@pytest.mark.parametrize(
    ("title", "summary", "level", "rule"),
    [
        ("Türk Devletleri Teşkilatı'nın zirvesi Gebele'de", "", "core", "ots.name.tr"),
        ("Туркий давлатлар ташкилотига раислик ўтди", "", "core", "ots.name.uz"),
        ("Türki memleketteri uıymynyń sammıti", "", "core", "ots.name.kk"),
        ("Саммит Организации тюркских государств", "", "core", "ots.name.ru"),
        ("Türk Konseyi Gençlik Forumu yapıldı", "", "core", "ots.former.tr"),
        (
            "Саммит ОТГ пройдет в Габале",
            "Лидеры соберутся в Азербайджане",
            "core",
            "ots.acronym+context",
        ),
        ("Omuraliev meets Hungarian foreign minister", "", "related", "ots.people"),
        ("Secretary-General Omuraliev meets Hungarian minister", "", "core", "ots.secgen"),
        ("TURKSOY opens culture year in Aktau", "", "related", "ots.affiliate"),
        (
            "Tokayev and Mirziyoyev hold talks",
            "They also discussed cooperation within the Organization of Turkic States.",
            "related",
            "ots.name.en",
        ),
        ("Leaders gather for summit of Turkic states", "", "core", "ots.query"),
    ],
)
def test_positives(clf: Classifier, title: str, summary: str, level: str, rule: str) -> None:
    v = clf.classify(doc(title, summary))
    assert v.flagged and v.watch == "ots" and v.level == level, explain(clf, doc(title, summary))
    assert rule in {e.rule for e in v.evidence}
    assert 0.5 <= v.score <= 1.0


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("ОТГ на Полтавщині отримала кошти", "Об'єднана територіальна громада відремонтує дороги."),
        ("ОТГ «Хортиця» відбила атаки", "Оперативно-тактичне угруповання повідомило про бої."),
        ("OTS fined thrift in 2008", "The Office of Thrift Supervision cited weak underwriting."),
        ("OTS Logistics wins Baku port contract", "The company will run warehouses."),
        ("ECO summit opens in Khankendi", "Leaders of Turkey, Iran and Azerbaijan discuss trade."),
        ("SCO summit in Tianjin", "Kazakhstan, Kyrgyzstan and Uzbekistan leaders attend."),
        ("C5+1 leaders meet in Washington", "Central Asian presidents discuss minerals."),
        ("Linguists map roots of Turkic languages", "A dictionary of Kazakh and Turkish words."),
        ("Turkey and Azerbaijan sign gas deal", "Ministers met in Ankara."),
        ("OET results for nurses", "The Occupational English Test opens doors in Australia."),
        ("APA-OTS: Gemeinde veröffentlicht Richtlinie", "Presseaussendung der Stadt."),
    ],
)
def test_hard_negatives(clf: Classifier, title: str, summary: str) -> None:
    v = clf.classify(doc(title, summary))
    assert not v.flagged, explain(clf, doc(title, summary))
    assert v.watch is None and v.level is None and v.evidence == ()


def test_acronym_needs_context(clf: Classifier) -> None:
    assert not clf.classify(doc("OTS announces new schedule")).flagged
    assert clf.classify(doc("OTS announces new schedule", "Kazakhstan will host it.")).flagged


def test_lower_case_acronym_is_not_an_acronym(clf: Classifier) -> None:
    assert not clf.classify(doc("ots in kazakhstan summit")).flagged


def test_evidence_shows_original_text_and_field(clf: Classifier) -> None:
    v = clf.classify(doc("News", "Саммит Организации тюркских государств открылся"))
    (ev,) = [e for e in v.evidence if e.rule == "ots.name.ru"]
    assert (ev.text, ev.field) == ("Организации тюркских государств", "summary")


def test_language_uses_declared_when_plausible(clf: Classifier) -> None:
    assert clf.classify(doc("Turkic summit", lang="kk")).lang == "kk"
    assert clf.classify(doc("Саммит ОТГ в Баку", lang="en")).lang == "ru"  # script disagrees


def test_classify_all_and_middle_corridor(clf: Classifier) -> None:
    d = doc("OTS ministers back the Middle Corridor", "Kazakhstan and Azerbaijan sign deal.")
    assert {v.watch for v in clf.classify_all(d)} == {"ots", "middle-corridor"}
    assert clf.classify_all(doc("Weather in Paris")) == []


def test_explain_mentions_matches_and_drops(clf: Classifier) -> None:
    text = explain(clf, doc("ОТГ отримала кошти", "Сільська рада громади затвердила бюджет"))
    assert "watch ots: not flagged" in text
    assert "vetoed by exclusion ua.municipality" in text
    text = explain(clf, doc("OTS summit in Astana"))
    assert "FLAGGED core" in text and "ots.acronym+context" in text and "level core" in text


def test_watch_filters() -> None:
    data = {
        "watches": [
            {"name": "w", "query": "corridor", "languages": ["ru"], "sources": ["kazinform*"]}
        ]
    }
    clf = Classifier(parse_watchlist(data))
    assert clf.classify(doc("Новый средний corridor", lang="ru", source="kazinform-ru")).flagged
    assert not clf.classify(doc("Новый средний corridor", lang="ru", source="trend")).flagged
    assert not clf.classify(doc("Middle corridor news", source="kazinform-en")).flagged
    assert "skipped" in explain(clf, doc("Middle corridor news", source="kazinform-en"))


@pytest.mark.parametrize(
    ("title", "summary", "rule"),
    [
        # names the Western press gets wrong or turns around
        ("Organisation of Turkish States ministers back a transit pact", "", "ots.name.en"),
        ("Turkic States Organisation opens office in Brussels", "", "ots.name.en"),
        ("Türk Devletleri Örgütü dışişleri bakanları toplandı", "", "ots.name.tr"),
        # a feed summary cut off inside the name
        (
            "Ankara hosts Kazakh delegation",
            "Both sides backed closer ties inside the Organization of Turkic…",
            "ots.name.en+truncated",
        ),
        (
            "Baku and Astana sign a rail deal",
            "The ministers also talked about the Cooperation Council of Turkic Sp...",
            "ots.former.en+truncated",
        ),
        (
            "Новости недели",
            "Делегации обсудили повестку заседания Организации тюркск...",
            "ots.name.ru+truncated",
        ),
        # the grouping named by the press without the organization's name
        ("Turkic bloc eyes a common digital market", "", "ots.query"),
        ("Turkic summit 2027 to be held in Turkistan", "", "ots.query"),
        ("Heads of Turkic-speaking nations meet in Cholpon-Ata", "", "ots.query"),
        # affiliates under their native names
        ("Turkiy investitsiya jamg'armasi Andijonda zavod quradi", "", "ots.affiliate.uz"),
        ("Türk Yatırım Fonu'ndan Kırgızistan'a kredi", "", "ots.affiliate.tr"),
        ("Тюркская торгово-промышленная палата открыла офис", "", "ots.affiliate.ru"),
        ("A Türk Kulturális és Örökség Alapítvány kiállítást nyitott", "", "ots.affiliate.hu"),
        ("Türk Mədəniyyəti və İrsi Fondu yeni layihəyə start verib", "", "ots.affiliate.az"),
        ("Халықаралық Түркі академиясы жаңа кітап шығарды", "", "ots.affiliate.kk"),
        ("ТҮРКПА-нын сессиясы Бакуда өттү", "", "ots.affiliate"),
        # feed markup, all-caps headlines, hyphenated line breaks, other transliterations
        ("Türk Devletleri Teşkilatı&#8217;nın gençlik forumu", "", "ots.name.tr"),
        ("&lt;b&gt;Organization of Turkic States&lt;/b&gt; backs rail link", "", "ots.name.en"),
        ("TÜRK DEVLETLERİ TEŞKİLATI'NIN ZİRVESİ BAŞLADI", "", "ots.name.tr"),
        ("Organization of Tur-\nkic States digital forum", "", "ots.name.en"),
        (
            "Omouraliev reçu par le ministre",
            "Le secrétaire général a parlé du commerce.",
            "ots.secgen",
        ),
    ],
)
def test_general_name_forms(clf: Classifier, title: str, summary: str, rule: str) -> None:
    d = doc(title, summary)
    v = clf.classify(d)
    assert v.flagged and v.watch == "ots", explain(clf, d)
    assert rule in {e.rule for e in v.evidence}, explain(clf, d)


@pytest.mark.parametrize(
    "title",
    [
        "TDT'ye üye ülkelerin ulaştırma bakanları Ankara'da",  # üye ülkeler
        "TDT-nin sədrliyi Qazaxıstana keçdi",  # sədrlik, hyphen suffix
        "TDTning bojxona xizmatlari rahbarlari uchrashdi",  # bojxona, glued suffix
        "ТМУга мүчө өлкөлөрдүн жогорку кызмат адамдары чогулду",  # мүчө, senior officials
        "ТМҰ-ның төрағалығы Әзірбайжанға өтті",  # төрағалық
        "ОТГ: государства-члены договорились о таможенном транзите",  # государства-члены
        "A TÁSZ tagállamai közös vámügyi portált indítanak",  # tagállamok, vám
        "OTS senior officials draft Shusha agenda",  # senior officials, Shusha
        "TDTGA A'ZO DAVLATLAR YIG'ILISHI",  # all caps: suffix in capitals
    ],
)
def test_acronym_context_in_every_language(clf: Classifier, title: str) -> None:
    v = clf.classify(doc(title))
    assert v.flagged and "ots.acronym+context" in {e.rule for e in v.evidence}, explain(
        clf, doc(title)
    )


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        # Ukrainian municipalities keep vetoing ОТГ whatever else the item says
        ("Голова ОТГ звітує про таможенні збори", "Сільська рада затвердила кошторис громади."),
        ("Бюджет ОТГ на Волині: государства-члены ЄС дали гранти", "Громада отримала кошти."),
        # a cut-off generic phrase is not a cut-off name
        ("Tarih kitabı çıktı", "Kitap bozkırdan Anadolu'ya uzanan Türk devletleri..."),
        ("A new atlas", "The maps trace the Turkic states..."),
        ("Museum news", "The exhibition shows the Organization of..."),
        # other things that start like an affiliate or sit next to the Turkic words
        ("Türkiye Yatırım Fonu halka arz edildi", ""),
        ("Alman-Türk Ticaret ve Sanayi Odası yeni başkanını seçti", ""),
        ("Leaders of Turkic-speaking diaspora meet in Berlin", ""),
        ("C5+1 summit: Turkic states and the US discuss minerals", ""),
        ("OTS shares fall after customs probe", "Off-the-shelf software maker OTS Inc. said."),
    ],
)
def test_general_hard_negatives(clf: Classifier, title: str, summary: str) -> None:
    d = doc(title, summary)
    assert not clf.classify(d).flagged, explain(clf, d)


@pytest.mark.parametrize(
    ("title", "summary", "level"),
    [
        # a name next to a summit word is the organization's own event, in any language
        (
            "Orbán fordert mehr Handel mit Zentralasien",
            "Auf dem Gipfel der Organisation der Turkstaaten in Budapest sprach er über Energie.",
            "core",
        ),
        (
            "Eröffnung in Schuscha",
            "Beim Gipfeltreffen der Organisation Türkischer Staaten "
            "wurden zwei Abkommen unterzeichnet.",
            "core",
        ),
        # ... unless it is a summit still to come, discussed by two parties
        (
            "Tokayev and Aliyev talk energy",
            "The sides also discussed preparations for the summit "
            "of the Organization of Turkic States.",
            "related",
        ),
        (
            "Садыр Жапаров принял посла Турции",
            "Стороны обсудили подготовку к саммиту Организации тюркских государств.",
            "related",
        ),
        # a two-party title keeps a name in it from making the item core
        (
            "Erdoğan ve Mirziyoyev telefonda görüştü: Türk Devletleri Teşkilatı gündemde",
            "",
            "related",
        ),
        ("哈萨克斯坦与阿塞拜疆讨论突厥国家组织框架内合作", "", "related"),
        # the organization's own label in the title, its name in the summary
        (
            "Ortak Türk alfabesi okullarda denenecek",
            "Türk Devletleri Teşkilatı bünyesindeki komisyon takvimi açıkladı.",
            "core",
        ),
        # an affiliate in the title stays related
        (
            "Türk Yatırım Fonu Bişkek'te ofis açtı",
            "Fon, Türk Devletleri Teşkilatı üyelerinin ortak kuruluşudur.",
            "related",
        ),
    ],
)
def test_levels(clf: Classifier, title: str, summary: str, level: str) -> None:
    d = doc(title, summary)
    v = clf.classify(d)
    assert v.flagged and v.level == level, explain(clf, d)


def test_english_item_naming_kyrgyz_leaders_is_english(clf: Classifier) -> None:
    d = doc("Japarov and Tashiev review Kyrgyzstan's preparations", "Sadyr Japarov spoke.", "en")
    assert clf.classify(d).lang == "en"
    assert clf.classify(doc("Japarov and Tashiev review Kyrgyzstan's preparations")).lang == "en"


def test_names_in_more_languages_and_descriptive_references(clf: Classifier) -> None:
    # Polish declension, Georgian, the old Turkmen name with an ending, descriptive references
    for title in (
        "Minister spraw zagranicznych na posiedzeniu Organizacji Państw Tureckich w Astanie",
        "თურქულ სახელმწიფოთა ორგანიზაციის მინისტრები შეიკრიბნენ",
        "Gazagystan Türki Geňeşiniň mejlisini kabul etdi",
        "Түрк саммити Бишкекте өттү",
        "Turkic organisation names new secretary for youth",
    ):
        verdict = clf.classify(doc(title))
        assert verdict.flagged and verdict.watch == "ots", title
    for title in (
        "A Turkic organisation of linguists gathers in Kazan to discuss runic inscriptions",
        "Turkic languages festival opens in Kazan",
    ):
        assert not clf.classify(doc(title)).flagged, title


def test_chinese_in_both_scripts_arabic_old_name_and_latin_acronyms_beside_cjk(
    clf: Classifier,
) -> None:
    for title in (
        "突厥國家組織外長理事會在伊斯坦布爾舉行",  # Traditional characters
        "突厥语国家合作委员会第八届峰会",  # the old name
        "阿塞拜疆议员出席TURKPA全会",  # a Latin acronym touching Chinese characters
        "المجلس التركي يعقد اجتماعا لوزراء الخارجية",
    ):
        assert clf.classify(doc(title)).flagged, title
    assert not clf.classify(doc("上海合作组织峰会在天津举行")).flagged


def test_an_acronym_counts_only_in_its_own_script(clf: Classifier) -> None:
    assert not clf.classify(doc("Кыргыз студенттери TMU университетинде окушат")).flagged
    assert clf.classify(doc("ТМУга мүчө өлкөлөрдүн лидерлери Габалада чогулушту")).flagged
    assert clf.classify(doc("ТДТга аъзо давлатлар вазирлари Бишкекда учрашди")).flagged
    assert clf.classify(doc("TDT'ye üye ülkelerin dışişleri bakanları Bakü'de toplandı")).flagged


def test_only_the_start_of_a_huge_page_is_judged(clf: Classifier) -> None:
    """An enormous page costs no more than its first 20,000 characters (the lede is there)."""
    filler = "Grain harvest figures from the northern regions were published today. " * 400
    late = clf.classify(doc("Regional news", text=filler + "Organization of Turkic States"))
    early = clf.classify(doc("Regional news", text="Organization of Turkic States. " + filler))
    assert len(filler) > 20_000
    assert not late.flagged and early.flagged


def test_acronyms_with_dots_and_accents(clf: Classifier) -> None:
    """Agency copy dots acronyms (O.T.S.); an acronym listed only with its accents needs them
    (TASZ is Hungary's civil-liberties union, TÁSZ the organization)."""
    assert clf.classify(doc("O.T.S. foreign ministers meet in Baku")).flagged
    assert clf.classify(doc("L'O.E.T. réunit ses ministres à Tachkent")).flagged
    assert not clf.classify(doc("O.T.S. weekend sale opens downtown")).flagged
    assert clf.classify(doc("TÁSZ-csúcs Budapesten: Orbán fogadja a vezetőket")).flagged
    assert not clf.classify(doc("A TASZ bírálja az Orbán-kormány törvényét")).flagged


def test_arabic_singular_state_is_not_the_states(clf: Classifier) -> None:
    """الدولة التركية is "the Turkish state" (Türkiye), الدول التركية "the Turkic states"."""
    assert clf.classify(doc("قمة الدول التركية في باكو")).flagged
    assert not clf.classify(doc("الدولة التركية تشارك في قمة الناتو")).flagged


def test_an_acronym_spelled_out_by_other_words_is_theirs(clf: Classifier) -> None:
    """ "Ozturk Transport Services (OTS)" defines another OTS; the organization's own name in
    front of its acronym is matched by the name rule."""
    assert not clf.classify(doc("Ozturk Transport Services (OTS) opens Baku depot")).flagged
    spelled = clf.classify(doc("Organization of Turkic States (OTS) meets in Baku"))
    assert spelled.flagged and {e.rule for e in spelled.evidence} == {"ots.name.en"}
    assert clf.classify(doc("Azerbaijan (OTS chair) hosts ministers in Baku")).flagged
    # a Latin acronym glued to Chinese takes no Chinese "suffix"
    glued = clf.classify(doc("OTS峰会在比什凯克举行", "各成员国元首签署了宪章。"))
    assert glued.flagged and glued.level == "core"
