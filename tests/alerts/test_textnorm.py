"""Folding: one canonical form for every spelling, and an exact way back to the original."""

from __future__ import annotations

import pytest

from alerts.textnorm import fold, fold_pattern, normalize


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
