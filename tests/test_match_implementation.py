"""Which twins the matcher runs on: the C speed-ups where they were built and are wanted, else
the pure-Python ones, which must pass the matcher's tests on their own (the fallback where no C
compiler exists), and the bot says at start which it uses."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.match import keytable, speedups, text
from bot.match.text import keys_of, may_have_other_keys, scan_reference

BUILT = importlib.util.find_spec("bot.match._speedups") is not None
ROOT = Path(__file__).resolve().parent.parent


def test_the_speedups_are_built_where_required() -> None:
    # CI has a C compiler and sets this: there a missing extension is a broken build.
    if not os.environ.get("NEWSBOT_REQUIRE_SPEEDUPS"):
        pytest.skip("NEWSBOT_REQUIRE_SPEEDUPS not set: the C speed-ups are optional")
    assert BUILT, "the C speed-ups were not built"


def test_the_package_uses_the_c_twins_where_built_and_wanted() -> None:
    if BUILT and speedups.wanted():
        from bot.match import _speedups

        assert text.scan is _speedups.scan
        assert keytable.KeyTable is _speedups.KeyTable
        assert speedups.in_use()
        assert speedups.implementation() == "the C speed-ups"
    else:
        assert text.scan is text.scan_reference
        assert keytable.KeyTable is keytable.KeyTableReference
        assert not speedups.in_use()
        assert speedups.implementation().startswith("the pure-Python twins (")


def test_the_implementation_says_why_it_is_pure_python() -> None:
    env = {**os.environ, "NEWSBOT_PURE_PYTHON": "1"}
    show = "from bot.match import speedups; print(speedups.implementation())"
    out = subprocess.run(
        [sys.executable, "-c", show], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "the pure-Python twins (NEWSBOT_PURE_PYTHON is set)"


def test_the_matcher_tests_pass_on_the_pure_python_twins() -> None:
    """Where the extension is not built, or NEWSBOT_PURE_PYTHON=1, the twins do the work."""
    env = {**os.environ, "NEWSBOT_PURE_PYTHON": "1"}
    tests = [f"tests/test_match{part}.py" for part in ("", "_property", "_structures")]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout


_CHARS = st.one_of(
    st.sampled_from(list("aZz09_' ’-.,«»\n\tAbcXyz")),
    st.sampled_from(list("київКИЇВйґҐёЁщЩ")),
    st.sampled_from(list("éÉüÜñçŁłßİıςΣ\u0301\u0307\u00ad")),
    st.characters(),
)


@given(st.text(_CHARS, min_size=1, max_size=12))
@example("cafés")
@example("naïve")
@example("їжачок")
@example("ёлка")
def test_only_the_words_the_scan_sets_aside_have_other_keys(s: str) -> None:
    for word in scan_reference(s)[0]:
        if keys_of(word) != (word, word):
            assert may_have_other_keys(word), word
