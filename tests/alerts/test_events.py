"""One event across outlets and languages: one digest entry, one instant alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from alerts.delivery.events import anchors, group_events
from alerts.flagging.store import FlaggedItem
from alerts.matching.types import Evidence, Flag
from crawler.types import Item

T0 = datetime(2025, 5, 21, 12, tzinfo=UTC)
_ids = count(1)


def flagged(
    title: str, summary: str, *, hours: float = 0, source: str = "wire", evidence: str = "OTS"
) -> FlaggedItem:
    n = next(_ids)
    item = Item(
        url=f"https://{source}.example.org/{n}",
        title=title,
        summary=summary,
        source=source,
        published=T0 + timedelta(hours=hours),
        id=n,
        story=f"s{n}",
    )
    flag = Flag(n, "ots", "core", 0.9, (Evidence(evidence, "title", "ots.name", 0.95),), T0)
    return FlaggedItem(item, flag)


BUDAPEST = [
    flagged(
        "Turkic leaders meet in Budapest for informal OTS summit",
        "Viktor Orbán hosted the heads of state; Kassym-Jomart Tokayev announced a permanent mission.",
        source="wire-en",
    ),
    flagged(
        "Лидеры ОТГ провели неформальный саммит в Будапеште",
        "Виктор Орбан принял глав государств, Токаев объявил об открытии постоянного представительства.",
        hours=3,
        source="novosti",
        evidence="ОТГ",
    ),
    flagged(
        "Budapeşte'de TDT gayriresmi zirvesi yapıldı",
        "Viktor Orban'ın ev sahipliğinde toplanan liderler arasında Tokayev de vardı.",
        hours=5,
        source="haber",
        evidence="TDT",
    ),
]


def test_reports_of_one_summit_in_three_languages_are_one_event() -> None:
    [event] = group_events(BUDAPEST)
    assert len(event) == 3 and event[0] is BUDAPEST[0]
    assert {"bdpst", "orbn"} <= anchors(BUDAPEST[0]) & anchors(BUDAPEST[1])


def test_different_events_on_the_same_day_stay_apart() -> None:
    other = flagged(
        "OTS transport ministers meet in Tashkent",
        "Ministers discussed the Trans-Caspian route and faster rail transit with Uzbek officials.",
        hours=1,
        source="wire-en",
    )
    assert len(group_events([*BUDAPEST, other])) == 2


def test_the_same_place_a_week_later_is_another_event() -> None:
    later = flagged(
        "OTS economy ministers meet in Budapest",
        "Viktor Orbán opened the meeting; Tokayev sent a message.",
        hours=24 * 7,
    )
    assert len(group_events([BUDAPEST[0], later])) == 2


def test_the_organizations_own_names_do_not_make_an_event() -> None:
    a = flagged(
        "Organization of Turkic States Secretary General Visits Baku",
        "Talks on digital cooperation.",
        evidence="Organization of Turkic States",
    )
    b = flagged(
        "Organization of Turkic States Youth Forum Opens In Bishkek",
        "Students from five countries.",
        hours=2,
        evidence="Organization of Turkic States",
    )
    assert len(group_events([a, b])) == 2
