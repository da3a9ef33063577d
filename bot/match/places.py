"""Place names across scripts and spellings, from the bundled table `places.txt`.

A topic that is exactly one of a line's names also matches every other name on that line, each
with its own forms of words: "Sumy Oblast" finds "Сумської області" and "Сумщині".
`extra` lines (same format) can be added by an operator or a test via `load_places`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources

from bot.match.text import folded_words, keys_of, prepare

_Words = tuple[str, ...]


def _parse(lines: Iterable[str]) -> dict[_Words, tuple[_Words, ...]]:
    table: dict[_Words, list[_Words]] = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        names = [tuple(folded_words(prepare(n))) for n in line.split(" = ")]
        names = [n for n in dict.fromkeys(names) if n]
        for name in names:
            key = tuple(keys_of(w)[1] for w in name)
            table.setdefault(key, []).extend(n for n in names if n != name)
    return {k: tuple(dict.fromkeys(v)) for k, v in table.items()}


@functools.cache
def _bundled() -> dict[_Words, tuple[_Words, ...]]:
    text = resources.files("bot.match").joinpath("places.txt").read_text(encoding="utf-8")
    return _parse(text.splitlines())


_extra: dict[_Words, tuple[_Words, ...]] = {}
_generation = [0]


def places_generation() -> int:
    """Changes whenever the table does, so cached compiled topics are not reused across it."""
    return _generation[0]


def load_places(lines: Iterable[str]) -> None:
    """Add place lines to the table (affects topics compiled afterwards)."""
    for key, names in _parse(lines).items():
        _extra[key] = tuple(dict.fromkeys((*_extra.get(key, ()), *names)))
    _generation[0] += 1


def alternatives(derived: _Words) -> tuple[_Words, ...]:
    """The other names (as case-folded words) of the place whose name has these derived keys."""
    return _bundled().get(derived, ()) + _extra.get(derived, ())
