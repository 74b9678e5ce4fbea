"""The issue-10 targets on the rounds written last (tests/data/blind6.jsonl to blind14.jsonl).

Both were written from real reporting (Gabala 2025, Budapest 2025, Bishkek and Shusha 2024,
Ankara and Astana 2023, Samarkand 2022, the 2021 renaming; the Secretaries-General; TURKSOY,
TURKPA, the Academy, the Heritage Foundation, the Investment Fund, the Council of Elders) in
the 13 languages of the domain brief, with hard negatives in each (ECO, SCO, CSTO, CIS, C5+1,
Central Asia with China, Japan, the EU or the Gulf, bilateral visits, Turkic culture,
linguistics and history, Turkish domestic politics, Ukrainian ОТГ, OTS the company), and
measured before the watch-list was changed for them: blind6 P 0.995 R 0.986 level 0.962,
blind7 (quotes, capitals, hyphenated compounds, apostrophe variants, sidelines meetings)
P 0.992 R 0.984 level 0.928; blind8, written after their fixes (election observers, sectoral
ministers, Cooperation Day, the Universities Union, offices, statements), P 1.000 R 0.929
level 0.923; blind9, written after those (summit titles without the name, statements, old
names in case forms, youth capitals, variants), P 1.000 R 0.963 level 0.872 (0.974 once its
youth-capital items took the earlier sets' grading: the OTS's own title is core); blind10
(the 2020 video summit, the honorary chairman, the TRNC leader, education, adversarial
histories) P 0.958 R 0.986 level 0.957; blind11 (the OTS only in the body, declarations titled
by their city, ASCII-only Turkish and Azerbaijani) P 1.000 R 0.963 level 0.769; blind12
(typos, HTML entities, capitals, mixed-language items, ombudsmen) P 0.970 R 0.941 level 1.000;
blind13 (statements, the EU memorandum, TURKSOY with the OTS) P 1.000 R 1.000 level 0.867;
blind14, adversarial negatives for the rules those rounds added (the WHO warns "the Turkic
states", a Turkish minister tours them), P 0.500: "the organisation" as short-name context was
taken back. From round 15 on a round comes in two halves written by two people, each in
its own languages: blind15b (tr, az, kk, uz, ky, tk in each script they use: Kazakh 2021 and
2018 Latin, Uzbek Cyrillic, ASCII-only Turkish and Azerbaijani, romanized Kyrgyz) P 0.991
R 0.991 level 0.991 (a miss: Kyrgyz "Түрк дүйнөсүнүн лидерлери"; a false alarm: the
American-Turkish Council, "Amerikan-Türk Konseyi"); blind15a (en, fr, de, hu, ru, ar, zh:
agency abbreviations, dotted acronyms, names "of Turkic language", affiliates in other word
orders; TASZ, APA-OTS, one-time-settlement OTS, الدولة التركية as negatives) P 0.884 R 0.762
level 0.967; blind16b, written after blind15b's fixes, P 0.971 R 0.944 level 0.980 (a culture
minister at a "Turkic world" evening, "türkdilli ölkələr", "Turk davlatlari yetakchilari", the
Vision 2040 reworded); blind16a, written after blind15a's fixes (all-caps and leader-led
headlines, sidelines, deputy secretaries-general, ССТГ, Turkvölker, turkophones, tatweel,
Persian kaf, 突厥语系; adversarial negatives for blind15a's rules) P 0.917 R 0.786 level 0.982;
blind17a (the 2020 and 2023 extraordinary summits, customs heads, bilateral signings with no
cue word, press variants, OTS glued to Chinese) P 0.981 R 0.825 level 0.923; blind17b, written
after blind16b's fixes with negatives aimed at them, P 0.895 R 0.955 level 0.965 (a 2040
population forecast for "the Turkic world" flagged in all six languages, heads of two states at
a Turkic-heritage site, a nationalist congress on the common alphabet); blind18b, written after
those fixes, P 1.000 R 1.000 level 0.944 (a title naming only "the organization's member
countries", a party leader's message to the summit); blind18a (the 2019 summit, question
headlines, two leaders arriving for the summit, two capitals signing) P 1.000 R 1.000 level
0.860; blind19a (long crawled bodies with the OTS only deep in them, feed noise, long-bodied
negatives) P 0.941 R 1.000 level 0.781, 1.000 / 1.000 / 1.000 after its fixes (a bank's OTS;
two-party cues read in the title and summary only; a body's own-event evidence needs a lead
about such business).
Each round's misses were then fixed by class, so these figures are fitted. The README has the
per-language figures as first measured; this test keeps the targets on them now.
`pytest -s` prints the table by set, language and class.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from alerts.matching.classifier import Classifier
from alerts.matching.types import Document
from alerts.matching.watchlist import parse_watchlist
from tests.alerts.test_devset import Counts, print_table
from tests.alerts.test_recall_eval import LANG_RECALL, LANGUAGES, LEVEL, PRECISION, RECALL

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
# From round 15 on, every half-round in the folder (blind15a, blind15b, blind16a...)
HALVES = sorted(DATA.glob("blind[1-9][0-9][ab].jsonl"))
SETS = [DATA / f"blind{n}.jsonl" for n in range(6, 15)] + HALVES
TURKIC = {"tr", "az", "kk", "uz", "ky", "tk"}
# A half-round (blind15a, blind15b...) holds one writer's languages only.
HALF_LANGUAGES = {"a": LANGUAGES - TURKIC, "b": TURKIC}
# Adversarial sets (mostly negatives, one control per language) count in the totals and per
# language; a per-set precision over 13 positives says little.
ADVERSARIAL = {"blind14"}
# A language's precision rests on 15 to 30 flags: one false alarm in a small slice is 0.96.
LANG_PRECISION = 0.90


def rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def counts() -> dict[str, Counts]:
    data = yaml.safe_load((ROOT / "config" / "watchlist.yaml").read_text(encoding="utf-8"))
    clf = Classifier(parse_watchlist(data))
    out: dict[str, Counts] = defaultdict(Counts)
    for path in SETS:
        for row in rows(path):
            summary, text = str(row.get("summary") or ""), str(row.get("text") or "")
            doc = Document(str(row["id"]), str(row["title"]), summary, text=text)
            verdict = next((v for v in clf.classify_all(doc) if v.watch == "ots"), None)
            level = verdict.level if verdict else None
            keys = ("all", f"set {path.stem}", f"lang {row['lang']}", f"class {row['class']}")
            for key in keys:
                out[key].add(level, bool(row["label"]), row["level"])  # type: ignore[arg-type]
    print_table(out, width=16)
    return out


@pytest.mark.parametrize("path", SETS, ids=[p.stem for p in SETS])
def test_set_covers_every_language(path: Path) -> None:
    items = rows(path)
    assert len({r["id"] for r in items}) == len(items)
    langs = HALF_LANGUAGES.get(path.stem[-1], LANGUAGES)
    assert {str(r["lang"]) for r in items if r["label"]} == langs
    assert {str(r["lang"]) for r in items if not r["label"]} == langs
    assert all(r["level"] in ("core", "related") for r in items if r["label"])
    assert all(r["level"] is None and r["class"] == "neg" for r in items if not r["label"])


def test_targets_overall_and_per_set(counts: dict[str, Counts]) -> None:
    for key in ("all", *(f"set {p.stem}" for p in SETS if p.stem not in ADVERSARIAL)):
        c = counts[key]
        assert c.recall >= RECALL and c.precision >= PRECISION, key
        assert c.level_ok / c.tp >= LEVEL, key


def test_every_language(counts: dict[str, Counts]) -> None:
    langs = {k: c for k, c in counts.items() if k.startswith("lang ")}
    assert len(langs) == len(LANGUAGES)
    weak = {k: round(c.recall, 3) for k, c in langs.items() if c.recall < LANG_RECALL}
    assert not weak, f"recall under {LANG_RECALL}: {weak}"
    noisy = {k: round(c.precision, 3) for k, c in langs.items() if c.precision < LANG_PRECISION}
    assert not noisy, f"precision under {LANG_PRECISION}: {noisy}"
    misgraded = {
        k: round(c.level_ok / c.tp, 3) for k, c in langs.items() if c.level_ok < 0.85 * c.tp
    }
    assert not misgraded, f"level under 0.85: {misgraded}"
