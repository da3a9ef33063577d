"""Whether the matcher uses its C speed-ups or their pure-Python twins.

The C module (`_speedups`, built from `speedups_c/`) is optional: setup.py builds it where a C
compiler exists. Each twin gives the same results (the tests compare them); the C ones are
several times faster at a million topics. `NEWSBOT_PURE_PYTHON=1` turns them off, to rule them
out when something looks wrong (and so the tests can run the matcher both ways)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any


def wanted() -> bool:
    """False when the environment asks for the pure-Python twins."""
    return os.environ.get("NEWSBOT_PURE_PYTHON", "") not in ("1", "true", "yes")


def in_use() -> bool:
    """Whether the C twins are in use (`bench/match.py` reports it beside its figures)."""
    from bot.match import groups, keytable, text

    return (
        text.scan is not text.scan_reference
        and groups.match_groups is not groups.match_groups_reference
        and keytable.KeyTable is not keytable.KeyTableReference
        and warm is not warm_reference
    )


def implementation() -> str:
    """Which twins the matcher uses, and why: for the log at start."""
    if in_use():
        return "the C speed-ups"
    if not wanted():
        return "the pure-Python twins (NEWSBOT_PURE_PYTHON is set)"
    try:
        import bot.match._speedups  # noqa: F401
    except ImportError as e:
        return f"the pure-Python twins (the C speed-ups are not built: {e})"
    return "the pure-Python twins"


def warm_reference(table: list[Any], ids: Sequence[int], /) -> None:
    """The twin of `_speedups.warm`, which prefetches `table[i]` for each i in `ids` into the
    CPU cache before a loop over them: a hint with no effect on results, so here nothing."""


warm = warm_reference
if wanted():
    # ImportError: built without a C compiler
    with contextlib.suppress(ImportError):
        from bot.match._speedups import warm as warm
