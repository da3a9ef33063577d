"""The C speed-ups agree with their pure-Python twins, which are the specification.

The test environment builds the extension (the README's test command installs the package, and
setup.py compiles it where a C compiler exists); these tests fail, rather than skip, when it is
missing, so a broken build cannot pass unnoticed."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.match import _speedups, text
from bot.match.text import scan_reference

# Characters that exercise every branch: ASCII in both cases, digits, the underscore (not a word
# character), apostrophes in and between words, Cyrillic with й ї ґ ё, accented Latin, combining
# marks (stress, a dot above), letters whose case fold is longer (ß, İ) or differs from lower()
# (ς), punctuation, spaces, and anything else Unicode has.
_CHARS = st.one_of(
    st.sampled_from(list("aZz09_' ’-.,«»\n\tAbcXyz")),
    st.sampled_from(list("київКИЇВйґҐёЁщЩ")),
    st.sampled_from(list("éÉüÜñçŁłßİıςΣ\u0301\u0307\u00ad")),
    st.characters(),
)


@given(st.text(_CHARS, max_size=80))
@settings(max_examples=2000)
@example("İSTANBUL Drone’s and drone's Київ Ки\u0301їв ß Straße naïve")
@example("rock'n'roll 'quoted' ends' 'starts o''clock _under_score_")
@example("")
def test_scan_is_its_python_twin(s: str) -> None:
    assert _speedups.scan(s) == scan_reference(s)


def test_the_package_uses_the_c_scan() -> None:
    assert text.scan is _speedups.scan


def test_scan_rejects_what_is_not_text() -> None:
    import pytest

    with pytest.raises(TypeError):
        _speedups.scan(b"bytes")  # type: ignore[arg-type]
