"""Classifier throughput on generated items: `python benchmarks/bench_classify.py [N]`.

Items come from templates in several languages and scripts; about one in eight mentions the
OTS (by name, acronym or former name), the rest are ordinary or near-neighbour news, roughly
the mix a news feed gives. Prints items/s on one core.
"""

from __future__ import annotations

import random
import sys
import time
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
    ("{p} visits {c} to discuss {t}", "Talks in {c} covered {t} and investment, officials said."),
    ("Parliament in {c} approves {t} budget", "Lawmakers backed spending on {t} next year."),
    ("SCO ministers meet in {c}", "The Shanghai Cooperation Organisation discussed {t}."),
    ("ECO summit opens in {c}", "Leaders of the Economic Cooperation Organization focus on {t}."),
    ("В {c} обсудили вопросы {t}", "{p} провел встречу с представителями бизнеса."),
    ("{c}: жаңа {t} жобасы іске қосылды", "Жоба аясында жүздеген жұмыс орны ашылады."),
    ("{c}'da {t} zirvesi yapıldı", "Türkiye ve Azerbaycan heyetleri {t} konusunu görüştü."),
    ("ОТГ на Полтавщині: {t}", "Об'єднана територіальна громада отримала кошти на {t}."),
    ("{p} meets investors in {c}", "The meeting focused on {t} and the Middle Corridor."),
    ("{c} hosts Turkic poetry festival", "Poets recited verses about {t} and the steppe."),
]
OTS = [
    ("Organization of Turkic States ministers meet in {c}", "They agreed on {t} cooperation."),
    ("{p} attends OTS summit in {c}", "Leaders of the Turkic states discussed {t}."),
    ("Türk Devletleri Teşkilatı'nın {t} toplantısı {c}'da", "Bakanlar ortak bildiri imzaladı."),
    ("Саммит Организации тюркских государств в {c}", "{p} выступил по вопросам {t}."),
    ("Түркі мемлекеттері ұйымының отырысы {c} қаласында өтті", "{t} мәселелері талқыланды."),
    ("{p} and the Turkic Council: a look back", "Cooperation on {t} began in {c}."),
]


def make_items(n: int, seed: int = 7) -> list[Document]:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        title, summary = rng.choice(OTS) if rng.random() < 0.125 else rng.choice(NEWS)
        fill = {"p": rng.choice(PEOPLE), "c": rng.choice(PLACES), "t": rng.choice(TOPICS)}
        tail = f" Report {i} by staff correspondent, updated {rng.randint(1, 28)} May."
        items.append(Document(str(i), title.format(**fill), summary.format(**fill) + tail))
    return items


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data = yaml.safe_load((ROOT / "config" / "watchlist.yaml").read_text(encoding="utf-8"))
    classifier = Classifier(parse_watchlist(data))
    items = make_items(n)
    classifier.classify(items[0])  # load the language model outside the timing
    start = time.perf_counter()
    flagged = sum(classifier.classify(doc).flagged for doc in items)
    elapsed = time.perf_counter() - start
    print(f"{n} items in {elapsed:.2f} s: {n / elapsed:,.0f} items/s ({flagged} flagged)")


if __name__ == "__main__":
    main()
