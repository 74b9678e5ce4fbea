"""People lists, script variants and the explicit level steps of a watch."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from alerts.matching.classifier import Classifier
from alerts.matching.explain import explain
from alerts.matching.levels import DEFAULT_DECIDE, STEPS
from alerts.matching.translit import name_variants, other_scripts
from alerts.matching.types import Document
from alerts.matching.watchlist import parse_watchlist
from alerts.matching.watchspec import StepName

WATCH: dict[str, Any] = {
    "name": "club",
    "rules": [
        {"id": "club.name", "phrases": {"en": ["Organization of Turkic States"]}},
        {"id": "club.body", "level": "related", "phrases": {"en": ["Turkic Academy"]}},
    ],
    "people": {
        "window": 5,
        "context": "turkic OR tdt",
        "persons": [
            {"name": "A. Person", "spellings": ["Omuraliev"]},
            {
                "name": "B. Person",
                "spellings": ["Binali Yildirim"],
                "context": '"council of elders"',
            },
        ],
    },
    "levels": {"event": "summit*"},
}


def classifier(**changes: Any) -> Classifier:
    watch = {**WATCH, **changes}
    return Classifier(parse_watchlist({"watches": [watch]}))


def judge(clf: Classifier, title: str, summary: str = "", text: str = "") -> Any:
    return clf.classify(Document("t", title, summary, text))


def test_a_name_counts_as_related_evidence_next_to_its_context() -> None:
    clf = classifier()
    v = judge(clf, "Omuraliev opens Turkic youth forum")
    assert v.flagged and v.level == "related" and v.evidence[0].rule == "club.people"
    # the headline and its lead are read together
    assert judge(clf, "Omuraliev opens youth forum", "Students from Turkic countries came.").flagged


def test_a_name_without_its_context_or_far_from_it_is_ignored() -> None:
    clf = classifier()
    assert not judge(clf, "Omuraliev opens youth forum", "Students came from far away.").flagged
    far = "Omuraliev spoke. " + "Many words follow here about other things. " * 5 + "Turkic"
    assert not judge(clf, "Youth forum", "", far).flagged
    assert judge(clf, "Youth forum", "", "Omuraliev spoke at the Turkic forum.").flagged


def test_a_person_may_have_a_context_of_their_own() -> None:
    clf = classifier()
    assert not judge(clf, "Binali Yildirim opens metro line", "A Turkic tram follows.").flagged
    assert judge(clf, "Binali Yildirim chairs the council of elders").flagged


def test_names_take_each_transliteration_of_their_ending() -> None:
    assert "Omuraliyev" in name_variants("Omuraliev")
    assert {"Omuralijev", "Omuraliew", "Omuraliýew"} <= set(name_variants("Omuraliev"))
    assert "Baghdad Amrejew" in name_variants("Baghdad Amreyev")
    assert name_variants("Binali Yıldırım") == ["Binali Yıldırım"]
    assert judge(classifier(), "Omuraliýew at the Turkic forum").flagged  # Turkmen spelling


@pytest.mark.parametrize(
    ("phrase", "lang", "other"),
    [
        ("Халықаралық Түркі академиясы", "kk", "Halyqaralyq Túrkı akademiiasy"),
        ("Türk Dövlətləri Təşkilatı", "az", "Түрк Дөвләтләри Тәшкилаты"),
        ("Türki döwletleriň guramasy", "tk", "Түрки дөвлетлериң гурамасы"),
        ("Xalqaro turkiy akademiya", "uz", "Халқаро туркий академия"),
        ("Туркий маданият ва мерос жамғармаси", "uz", "Turkiy madaniyat va meros jamgʻarmasi"),
        ("Эл аралык Түрк академиясы", "ky", "El aralyk Türk akademiyasy"),
    ],
)
def test_phrases_get_their_other_script(phrase: str, lang: str, other: str) -> None:
    assert other in other_scripts(phrase, lang)


def test_other_languages_get_no_script_variants() -> None:
    assert other_scripts("Организация тюркских государств", "ru") == []
    assert other_scripts("Organization of Turkic States", "en") == []


def test_shipped_phrases_match_in_the_other_script() -> None:
    import yaml

    from tests.alerts.test_classifier import ROOT

    data = yaml.safe_load((ROOT / "config" / "watchlist.yaml").read_text(encoding="utf-8"))
    clf = Classifier(parse_watchlist(data))
    for title in (
        "Түрк Дөвләтләри Тәшкилатынын саммити",  # Azerbaijani in Soviet Cyrillic
        "Түрки дөвлетлериң гурамасының мейлиси",  # Turkmen in Cyrillic
        "Halyqaralyq Túrkı akademiiasy jańa kitap şyǵardy",  # Kazakh 2021 Latin
    ):
        assert clf.classify(Document("t", title)).flagged, explain(clf, Document("t", title))


def test_level_steps_are_the_config_vocabulary() -> None:
    assert set(STEPS) == set(StepName.__args__)  # type: ignore[attr-defined]
    assert DEFAULT_DECIDE[-1] == ("any", "related")


def test_explain_shows_the_level_steps_tried() -> None:
    clf = classifier()
    text = explain(
        clf, Document("t", "Turkic Academy hosts summit", "Organization of Turkic States")
    )
    assert "level steps: no-core-evidence: no; name-in-title: no; own-event" in text


def test_the_decide_order_of_the_config_is_followed() -> None:
    item = ("Summit of the Organization of Turkic States", "")
    assert judge(classifier(), *item).level == "core"
    flipped = classifier(levels={"decide": [{"related": "name-in-title"}, {"core": "any"}]})
    v = judge(flipped, *item)
    assert v.level == "related"
    assert "name-in-title -> related" in explain(flipped, Document("t", *item))


def test_bad_decide_steps_are_reported_with_their_place() -> None:
    for bad in ([{"core": "headline"}], [{"core": "any", "related": "any"}], [{"major": "any"}]):
        with pytest.raises(ValidationError) as info:
            classifier(levels={"decide": bad})
        assert info.value.errors()[0]["loc"][:3] == ("watches", 0, "levels")


def test_a_people_list_needs_its_context_and_persons() -> None:
    with pytest.raises(ValidationError) as info:
        classifier(people={"persons": []})
    fields = {e["loc"][-1] for e in info.value.errors()}
    assert {"context", "persons"} <= fields


@pytest.fixture(scope="module")
def shipped() -> Classifier:
    import yaml

    from tests.alerts.test_classifier import ROOT

    data = yaml.safe_load((ROOT / "config" / "watchlist.yaml").read_text(encoding="utf-8"))
    return Classifier(parse_watchlist(data))


@pytest.mark.parametrize(
    ("title", "summary", "level"),
    [
        (
            "Bei den Turkstaaten wächst das Interesse",
            "Beim Treffen in Gabala sprach Orbán.",
            "core",
        ),
        ("Turkic states back rail link", "Their leaders met at the summit in Gabala.", "core"),
        ("Turkic states' wheat imports rise", "", None),  # no meeting, observer or secretariat
        ("SCO summit: Turkic states and China sign deal", "", None),  # another grouping
        ("Parliamentary Assembly of Turkic States meets at summit", "", "related"),  # its name
        ("Turkic states of Central Asia face drought, observers say", "", None),  # not status
        ("Caspian summit: Turkic states and Iran argue over pipeline", "", None),
        ("Japan hosts Central Asia leaders' summit", "The Turkic states signed a pact.", None),
    ],
)
def test_short_names_need_the_organizations_business(
    shipped: Classifier, title: str, summary: str, level: str | None
) -> None:
    d = Document("t", title, summary)
    assert shipped.classify(d).level == level, explain(shipped, d)


def test_a_name_inside_a_longer_name_is_set_aside(shipped: Classifier) -> None:
    d = Document("t", "Parliamentary Assembly of Turkic States meets before the summit")
    assert "overlaps the longer name 'Parliamentary Assembly of Turkic States'" in explain(
        shipped, d
    )


@pytest.mark.parametrize(
    ("title", "summary", "text", "level"),
    [
        # a meeting on the sidelines, said in the title, is the two leaders' story
        (
            "Japarov, Aliyev hold talks on sidelines of OTS summit",
            "Trade was discussed.",
            "",
            "related",
        ),
        ("Жапаров и Алиев встретились на полях саммита ОТГ", "", "", "related"),
        ("أردوغان يلتقي ميرضيائيف على هامش قمة منظمة الدول التركية", "", "", "related"),
        # a summit story whose body mentions side meetings stays the summit's
        (
            "Erdoğan Azerbaycan'a gitti",
            "Erdoğan Türk Devletleri Teşkilatı Zirvesi'ne katılacak.",
            "Zirve marjında Aliyev ile görüşmesi bekleniyor.",
            "core",
        ),
    ],
)
def test_sidelines_in_the_title_make_a_two_party_story(
    shipped: Classifier, title: str, summary: str, text: str, level: str
) -> None:
    d = Document("t", title, summary, text=text)
    assert shipped.classify(d).level == level, explain(shipped, d)


@pytest.mark.parametrize(
    "text",
    [
        "قمة غير رسمية للدول التركية في بودابست",  # li + al- contracts: للدول
        "بالدول التركية والعالم التركي",
        "وللدول التركية",
    ],
)
def test_arabic_prefixes_before_the_article(text: str) -> None:
    from alerts.matching.phrases import compile_phrase
    from alerts.matching.textnorm import normalize

    p = compile_phrase("r", "ar", "الدول التركية")
    folded = normalize(text).text
    assert p.regex.search(folded) and p.anchor in folded  # the prefilter's literal is there too
    assert not p.regex.search(normalize("مالدول التركية").text)


def test_an_elided_article_inside_a_phrase_is_a_word_of_its_own() -> None:
    from alerts.matching.phrases import compile_phrase
    from alerts.matching.textnorm import normalize

    p = compile_phrase("r", "fr", "Fonds d'investissement turcique")
    assert p.regex.search(normalize("l'accord sur le Fonds d’investissement turcique").text)
    uz = compile_phrase("r", "uz", "Mustaqil Davlatlar Hamdo'stligi")  # a letter sign, not elision
    assert uz.regex.search(normalize("Mustaqil Davlatlar Hamdostligi").text)


def test_english_plurals_match_either_way() -> None:
    from alerts.matching.phrases import compile_phrase
    from alerts.matching.textnorm import normalize

    p = compile_phrase("r", "en", "Organization of Turkic States")
    assert p.regex.search(normalize("Tokayev to attend Organization of Turkic State summit").text)
    assert p.regex.search(normalize("the Organization of Turkic States' summit").text)
