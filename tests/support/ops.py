"""Read the running bot's ops server the way Prometheus and a probe do: over HTTP, the metrics
parsed back with prometheus_client's own parser."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    families: frozenset[str]  # metric family names (counters without their _total)
    samples: Mapping[tuple[str, frozenset[tuple[str, str]]], float]

    def value(self, name: str, **labels: str) -> float:
        """A sample's value; 0 when absent (a labelled counter before its first event)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def label_values(self) -> set[str]:
        return {v for _, labels in self.samples for _, v in labels}


def parse(text: str) -> Scrape:
    families: set[str] = set()
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        families.add(family.name)
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return Scrape(frozenset(families), samples)


async def scrape(port: int, token: str | None = None) -> Scrape:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.get(f"http://127.0.0.1:{port}/metrics", headers=headers)
    response.raise_for_status()
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


async def scrape_until(
    port: int, token: str | None, condition: Callable[[Scrape], bool], *, within: float = 10.0
) -> Scrape:
    """Scrape until `condition` holds (delivery runs in the bot's own tasks)."""
    async with asyncio.timeout(within):
        # The bot works in its own tasks; asking again is how a scraper sees it too.
        while not condition(result := await scrape(port, token)):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    return result
