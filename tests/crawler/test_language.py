"""Language identification on short news titles, Turkic languages in both scripts."""

from __future__ import annotations

import pytest

from crawler.language import detect_language

TITLES = [
    ("en", "Turkic leaders gather in Gabala for annual summit"),
    ("en", "Omuraliev meets Hungarian foreign minister"),
    ("ru", "Саммит Организации тюркских государств открылся в Бишкеке"),
    ("uk", "Громада отримала нове обладнання для школи"),
    ("tr", "Türk Devletleri Teşkilatı zirvesi Budapeşte’de başladı"),
    ("tr", "Dışişleri Bakanı Fidan, Macar mevkidaşıyla görüştü"),
    ("az", "Türk Dövlətləri Təşkilatının zirvə görüşü Qəbələdə keçirilib"),
    ("kk", "Түркі мемлекеттері ұйымының саммиті Астанада өтті"),
    ("kk", "Тоқаев Әлиевпен кездесті"),
    ("kk", "Túrki memleketteri uıymynyń sammıti Astanada ótti"),
    ("kk", "Qazaqstan men Ózbekstan shekara máselelerin talqylady"),
    ("uz", "Turkiy davlatlar tashkiloti sammiti Samarqandda boʻlib oʻtdi"),
    ("uz", "Туркий давлатлар ташкилоти саммити Самарқандда бўлиб ўтди"),
    ("uz", "Mirziyoyev Qozogʻiston prezidenti bilan gaplashdi"),
    ("ky", "Түрк мамлекеттеринин уюмунун саммити Бишкекте өттү"),
    ("ky", "Жапаров Ташкентке иш сапары менен барат"),
    ("tk", "Türkmenistanyň Prezidenti Türki döwletleriň guramasynyň sammitine gatnaşdy"),
    ("hu", "Budapesten tartják a Türk Államok Szervezetének csúcstalálkozóját"),
    ("fr", "Le sommet informel de l’Organisation des États turciques s’ouvre à Budapest"),
    ("de", "Orbán empfängt die Staatschefs der Organisation Türkischer Staaten"),
    ("es", "La Organización de Estados Túrquicos celebra su cumbre en Bishkek"),
    ("zh", "突厥国家组织峰会在比什凯克举行"),
    ("ar", "قمة منظمة الدول التركية في باكو"),
]


@pytest.mark.parametrize(("expected", "title"), TITLES)
def test_short_titles(expected: str, title: str) -> None:
    lang, confidence = detect_language(title)
    assert lang == expected
    assert 0.0 < confidence <= 1.0


def test_declared_trusted_when_script_agrees() -> None:
    assert detect_language("Turkic summit", declared="kk")[0] == "kk"  # Kazakh is also Latin
    assert detect_language("Turkic summit", declared="kk-KZ")[0] == "kk"
    assert detect_language("Саммит ОТГ", declared="kz")[0] == "kk"  # common alias


def test_declared_overruled_by_script_or_strong_cue() -> None:
    assert detect_language("Саммит ОТГ в Баку", declared="en")[0] == "ru"
    assert detect_language("Түркі мемлекеттері ұйымының саммиті", declared="ru")[0] == "kk"


def test_nothing_to_judge() -> None:
    assert detect_language("") == ("und", 0.0)
    assert detect_language("2025 — 12:30") == ("und", 0.0)


@pytest.mark.parametrize(
    "title",
    [
        "Japarov and Tashiev visit Kyrgyzstan's new Naryn hydropower station",
        "Sadyr Japarov meets Kamchybek Tashiev in Bishkek",
        "Mirziyoyev and Tokayev open border crossing",
    ],
)
def test_latin_text_naming_people_is_not_their_language(title: str) -> None:
    assert detect_language(title)[0] == "en"


def test_kyrgyz_is_never_latin() -> None:
    assert detect_language("Kyrgyzstan joins new transit corridor", declared="ky")[0] != "ky"
    assert detect_language("Кыргызстан жаңы транзиттик коридорго кошулду", declared="ky")[0] == "ky"
