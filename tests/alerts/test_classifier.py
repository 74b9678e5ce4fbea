"""The classifier on the hard cases of DOMAIN.md, with the shipped watch-list."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alerts.classifier import Classifier
from alerts.types import Document
from alerts.watchlist import parse_watchlist

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
        ("Omuraliev meets Hungarian foreign minister", "", "core", "ots.secgen"),
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
    assert v.flagged and v.watch == "ots" and v.level == level, clf.explain(doc(title, summary))
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
    assert not v.flagged, clf.explain(doc(title, summary))
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
    text = clf.explain(doc("ОТГ отримала кошти", "Сільська рада громади затвердила бюджет"))
    assert "watch ots: not flagged" in text
    assert "vetoed by exclusion ua.municipality" in text
    text = clf.explain(doc("OTS summit in Astana"))
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
    assert "skipped" in clf.explain(doc("Middle corridor news", source="kazinform-en"))
