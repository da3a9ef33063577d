"""Adjacent words for phrase queries: the class pairs a story has, and the words that form them.

Phrases of two words are indexed under the pair of their words' classes. A story's pairs come
from the key table, which maps each word to its class and pairs neighbours in one call (see
`classes.py`); the few "odd" words (in several classes, or with keys other than themselves:
plurals, accents, ё) are paired at their positions by a second call (`KeyTable.odd_pairs`).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.match.compile import WordClass
from bot.match.keytable import KeyTable
from bot.match.story import Story

PAIR_SHIFT = 32  # a pair of class ids (a, b) is the int a << 32 | b: hashed and compared cheaply


def pair_key(a: int, b: int) -> int:
    return a << PAIR_SHIFT | b


def adjacent_words(
    story: Story,
    table: KeyTable,
    odd: dict[str, list[int]],
    classes: Sequence[WordClass],
    pair: tuple[int, int],
    words_of_a: set[str],
    found: set[str],
) -> None:
    """Add to `found` the story words of every place where class a stands right before class b.

    `words_of_a`: the story's words in class a (`StoryClasses.words`); the odd words in it are
    added here."""
    a, b = pair
    starts = words_of_a | {w for w, in_classes in odd.items() if a in in_classes}
    fields = (story.title.words, story.body.words)
    for w, after in table.adjacent(fields, starts, odd, a, b):
        for word, c in ((w, a), (after, b)):
            raw, derived = story.keys(word)
            key = raw if raw in classes[c].forms else derived
            found.add(story.surface(key))
