"""Mark the words that matched (`AlertMessage.terms`) in an alert's text, for bold rendering.

Pure and platform-neutral: each renderer passes its own `mark` (Telegram HTML `<b>…</b>` with the
text escaped first, Slack `*…*`, ANSI bold in a terminal). Terms are story words as written, so
they are found literally (escaped, never a user pattern), as whole words, longest first.
"""

from __future__ import annotations

import re
from collections.abc import Callable


def highlight(text: str, terms: tuple[str, ...], mark: Callable[[str], str]) -> str:
    """`text` with every whole-word occurrence of a term replaced by `mark(occurrence)`."""
    if not terms or not text:
        return text
    alternatives = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True) if t)
    if not alternatives:
        return text
    pattern = re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])")
    return pattern.sub(lambda m: mark(m.group()), text)
