"""Classifier throughput on generated items: `python benchmarks/bench_classify.py [N]`.

Items (title + summary) come from templates in several languages and scripts; about one in
eight mentions the OTS (by name, acronym or former name), the rest are ordinary or
near-neighbour news, roughly the mix a news feed gives. Measured on one core (CPU time of this
process, so other load on the machine counts little), three ways:
- `classify_many`, batches of 500: what the daemon runs on stored items, which carry the
  language their feed declared;
- the same with no declared language (every flagged item's language is identified);
- `classify` item by item, the language of every item identified (the API before batching).
Then the daemon's path on the flagged and the unflagged items apart (what a flagged item costs
sets what a feed with more OTS news costs). The load average is printed with the figures, and
a peer in the same run: one regex of the watch's phrases as written over the casefolded title
and summary (no folding, no inflection, no evidence), to tell the machine's speed at the time.
Target: 20,000 items/s for the daemon's path.
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alerts.matching.classifier import Classifier  # noqa: E402
from alerts.matching.types import Document  # noqa: E402
from alerts.matching.watchlist import parse_watchlist  # noqa: E402

PLACES = ["Astana", "Baku", "Bishkek", "Tashkent", "Ankara", "Budapest", "Gabala", "Almaty"]
PEOPLE = ["Tokayev", "Aliyev", "Mirziyoyev", "Japarov", "Erdogan", "Orban", "the minister"]
TOPICS = ["transport", "energy", "customs", "digital trade", "tourism", "education", "water"]
NEWS = [
    (
        "{p} visits {c} to discuss {t}",
        "Talks in {c} covered {t} and investment, officials said.",
        "en",
    ),
    ("Parliament in {c} approves {t} budget", "Lawmakers backed spending on {t} next year.", "en"),
    ("SCO ministers meet in {c}", "The Shanghai Cooperation Organisation discussed {t}.", "en"),
    (
        "ECO summit opens in {c}",
        "Leaders of the Economic Cooperation Organization focus on {t}.",
        "en",
    ),
    ("В {c} обсудили вопросы {t}", "{p} провел встречу с представителями бизнеса.", "ru"),
    ("{c}: жаңа {t} жобасы іске қосылды", "Жоба аясында жүздеген жұмыс орны ашылады.", "kk"),
    ("{c}'da {t} zirvesi yapıldı", "Türkiye ve Azerbaycan heyetleri {t} konusunu görüştü.", "tr"),
    ("ОТГ на Полтавщині: {t}", "Об'єднана територіальна громада отримала кошти на {t}.", "uk"),
    ("{p} meets investors in {c}", "The meeting focused on {t} and the Middle Corridor.", "en"),
    ("{c} hosts Turkic poetry festival", "Poets recited verses about {t} and the steppe.", "en"),
]
OTS = [
    (
        "Organization of Turkic States ministers meet in {c}",
        "They agreed on {t} cooperation.",
        "en",
    ),
    ("{p} attends OTS summit in {c}", "Leaders of the Turkic states discussed {t}.", "en"),
    (
        "Türk Devletleri Teşkilatı'nın {t} toplantısı {c}'da",
        "Bakanlar ortak bildiri imzaladı.",
        "tr",
    ),
    ("Саммит Организации тюркских государств в {c}", "{p} выступил по вопросам {t}.", "ru"),
    ("Түркі мемлекеттері ұйымының отырысы {c} қаласында өтті", "{t} мәселелері талқыланды.", "kk"),
    ("{p} and the Turkic Council: a look back", "Cooperation on {t} began in {c}.", "en"),
]


def make_items(n: int, seed: int = 7, *, declared: bool = False) -> list[Document]:
    """`declared`: each item carries its feed's language, as the crawler stores it."""
    rng = random.Random(seed)
    items = []
    for i in range(n):
        title, summary, lang = rng.choice(OTS) if rng.random() < 0.125 else rng.choice(NEWS)
        fill = {"p": rng.choice(PEOPLE), "c": rng.choice(PLACES), "t": rng.choice(TOPICS)}
        tail = f" Report {i} by staff correspondent, updated {rng.randint(1, 28)} May."
        text = summary.format(**fill) + tail
        items.append(Document(str(i), title.format(**fill), text, lang=lang if declared else None))
    return items


BATCH = 500  # what classify_pending hands the classifier at once


def timed(label: str, n: int, work: Callable[[], int]) -> None:
    cpu, wall = time.process_time(), time.perf_counter()
    flagged = work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"{label:<44} {n / cpu:>9,.0f} items/s on one core, {cpu / n * 1e6:.0f} us an item "
        f"({n / wall:,.0f}/s wall, {flagged} flagged)"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data = yaml.safe_load((ROOT / "config" / "watchlist.yaml").read_text(encoding="utf-8"))
    classifier = Classifier(parse_watchlist(data))
    declared, bare = make_items(n, declared=True), make_items(n)
    classifier.classify_many(bare[:BATCH])  # load the language model outside the timing
    classifier.classify(bare[0])

    def batched(items: list[Document]) -> Callable[[], int]:
        return lambda: sum(
            bool(verdicts)
            for start in range(0, len(items), BATCH)
            for verdicts in classifier.classify_many(items[start : start + BATCH])
        )

    print(
        f"{n} items, title + summary; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    phrases = sorted(
        {p.source.casefold() for w in classifier.watches for r in w.rules for p in r.patterns},
        key=len,
        reverse=True,
    )
    peer = re.compile("|".join(map(re.escape, phrases)))
    timed(
        "peer: one regex of the phrases, casefolded",
        n,
        lambda: sum(bool(peer.search(f"{d.title}\n{d.summary}".casefold())) for d in declared),
    )
    timed("daemon: classify_many, declared language", n, batched(declared))
    timed("daemon: classify_many, no declared language", n, batched(bare))
    timed(
        "classify() item by item, no declared language",
        n,
        lambda: sum(classifier.classify(d).flagged for d in bare),
    )
    verdicts = [
        v
        for start in range(0, n, BATCH)
        for v in classifier.classify_many(declared[start : start + BATCH])
    ]
    for kind, group in (
        ("flagged", [d for d, v in zip(declared, verdicts, strict=True) if v]),
        ("unflagged", [d for d, v in zip(declared, verdicts, strict=True) if not v]),
    ):
        timed(f"daemon, declared language: {kind} items only", len(group), batched(group))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
