"""Build small RSS 2.0 feeds for tests, and the stories of the seed article as feed items.

The seed stories quote only titles and a first sentence of the Kyiv Independent page of
17 April 2024 (publisher's copyright; small quotes for testing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Item:
    guid: str
    title: str
    link: str
    description: str
    published: datetime


def rss(items: list[Item], *, title: str = "Test feed") -> str:
    body = "".join(
        f'<item><guid isPermaLink="false">{escape(i.guid)}</guid>'
        f"<title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f"<description>{escape(i.description)}</description>"
        f"<pubDate>{format_datetime(i.published)}</pubDate></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://kyivindependent.example/</link>"
        f"<description>test</description>{body}</channel></rss>"
    )


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 4, 17, hour, minute, tzinfo=UTC)


KI = "https://kyivindependent.example/"

PEACEKEEPERS = Item(
    "ki-1001",
    "Kremlin confirms Russian 'peacekeepers' withdrawing from Nagorno-Karabakh",
    KI + "kremlin-confirms-russian-peacekeepers-withdrawing/",
    "<p>Russia has begun withdrawing its &quot;peacekeeping&quot; contingent from "
    "Nagorno-Karabakh, Kremlin spokesperson Dmitry Peskov confirmed on April 17.</p>",
    _at(15, 48),
)
SUMY = Item(
    "ki-1002",
    "Russia attacks 13 communities in Sumy Oblast, injuring 1.",
    KI + "news-feed/russia-attacks-13-communities-in-sumy-oblast/",
    "Russian forces struck 13 communities in Ukraine's northeastern Sumy Oblast in 35 separate "
    "attacks throughout the day, the regional administration reported on April 16.",
    _at(9, 10),
)
ODESA = Item(
    "ki-1003",
    "Norwegian foreign minister visits Odesa.",
    KI + "news-feed/norwegian-foreign-minister-visits-odesa/",
    "Barth Eide visited Odesa's port.",
    _at(11, 30),
)
ALIYEV = Item(
    "ki-0990",
    "Aliyev wins presidential election in Azerbaijan, secures 5th term in office",
    KI + "aliyev-wins-presidential-election/",
    "The election, which Aliyev was widely expected to win, was seen as a referendum.",
    _at(8, 0),
)
CRUMBLES = Item(
    "ki-0980",
    "Russia’s ‘peacekeeper’ act crumbles as Azerbaijan overwhelms Nagorno-Karabakh",
    KI + "russias-peacekeeper-act-crumbles/",
    "On Sept. 19, Baku moved decisively to finish what it started in 2020.",
    _at(7, 0),
)
