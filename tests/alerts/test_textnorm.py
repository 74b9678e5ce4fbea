"""Folding: one canonical form for every spelling, and an exact way back to the original."""

from __future__ import annotations

import pytest

from alerts.matching.textnorm import clean_markup, fold, fold_pattern, is_upper_text, normalize


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("TÜRK DEVLETLERİ TEŞKİLATI", "Türk Devletleri Teşkilatı"),  # dotted/dotless i
        ("Түркі мемлекеттері ұйымы", "Türki memleketteri uıymy"),  # Kazakh Cyrillic vs 2021 Latin
        ("Түркі мемлекеттері ұйымы", "Turki memleketteri uiymy"),  # informal Latin
        ("Туркий давлатлар ташкилоти", "Turkiy davlatlar tashkiloti"),  # Uzbek both scripts
        ("Ўзбекистон", "Oʻzbekiston"),  # ў and oʻ
        ("Ўзбекистон", "O'zbekiston"),  # ASCII apostrophe variant
        ("Түрк мамлекеттеринин уюму", "Türk mamleketterinin uyumu"),  # Kyrgyz
        ("Кыргызстан", "Kyrgyzstan"),
        ("Organisation des États turciques", "ORGANISATION DES ETATS TURCIQUES"),
        ("ﬁnal", "final"),  # NFKC ligature
        ("منظمة الدول الترکیة", "منظمة الدول التركية"),  # Persian keheh and yeh in Arabic copy
        ("منظمـة الـدول", "منظمة الدول"),  # tatweel
    ],
)
def test_spellings_fold_to_the_same_string(a: str, b: str) -> None:
    assert fold_pattern(a) == fold_pattern(b)


def test_apostrophes_and_dashes_are_unified() -> None:
    variants = ["Teşkilatı'nın", "Teşkilatı’nın", "Teşkilatıʼnın", "Teşkilatı`nın"]
    assert len({fold(v) for v in variants}) == 1
    assert fold("ТМҰ-ның") == fold("ТМҰ—ның") == "tmu nin"


def test_offsets_map_back_to_original_characters() -> None:
    original = "Саммит Организации тюркских государств — в Бишкеке"
    folded = normalize(original)
    start = folded.text.index("organizatsii")
    end = folded.text.index("gosudarstv") + len("gosudarstv")
    assert folded.original_text(start, end) == "Организации тюркских государств"


def test_offsets_survive_length_changing_folds() -> None:
    # İ expands under lower(), щ becomes four letters, oʻ loses its sign, soft hyphen vanishes
    original = "İŞ щука Oʻzbekiston bir\u00adlik TDT"
    folded = normalize(original)
    i = folded.text.index("tdt")
    assert folded.original_text(i, i + 3) == "TDT"
    j = folded.text.index("ozbekiston")
    assert folded.original_text(j, j + len("ozbekiston")) == "Oʻzbekiston"


def test_distinct_words_stay_distinct() -> None:
    assert fold("Turkic") != fold("Turkish")
    assert fold("OTS") != fold("OET")


def test_markup_left_by_feeds_is_undone() -> None:
    assert (
        clean_markup("TDT&#039;nin &quot;zirvesi&quot; &amp; forum") == 'TDT\'nin "zirvesi" & forum'
    )
    assert clean_markup("<p>Turkic <b>Council</b></p>").split() == ["Turkic", "Council"]
    assert clean_markup("a < b and c > d") == "a < b and c > d"  # not a tag: left alone
    plain = "Организация тюркских государств"
    assert clean_markup(plain) is plain


def test_words_hyphenated_at_a_line_end_are_joined() -> None:
    assert clean_markup("Organiza-\ntion of Turkic States") == "Organization of Turkic States"
    assert clean_markup("Türk Devletleri Teşki-\n  latı") == "Türk Devletleri Teşkilatı"
    # a capital after the break starts a new word: a real hyphenated compound stays apart
    assert clean_markup("Kazakh-\nTurkish talks") == "Kazakh-\nTurkish talks"


def test_all_caps_headlines_are_recognised() -> None:
    assert is_upper_text("TDTGA A'ZO DAVLATLAR VAZIRLARI YIG'ILDI")
    assert not is_upper_text("OTS ministers meet in Baku")
    assert not is_upper_text("OTS")  # too short to tell
