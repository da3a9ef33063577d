"""Adjacent words for phrase queries: the class pairs a story has, and the words that form them.

Phrases of two words are indexed under the pair of their words' classes. A story's pairs come
from the key table, which maps each word to its class and pairs neighbours in one call (see
`classes.py`); the few "odd" words (in several classes, or with keys other than themselves:
plurals, accents, ё) are paired explicitly at their positions here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import compress, count

from bot.match.compile import WordClass
from bot.match.story import Story

PAIR_SHIFT = 32  # a pair of class ids (a, b) is the int a << 32 | b: hashed and compared cheaply


def pair_key(a: int, b: int) -> int:
    return a << PAIR_SHIFT | b


def story_pairs(
    story: Story, odd: dict[str, list[int]], get: Callable[[str], int | None], pairs: set[int]
) -> set[int]:
    """Add to `pairs` (those of the words that are not odd, from `StoryClasses`) the pairs at
    the few places where an odd word stands, with every class of each word."""
    if not odd:
        return pairs
    for field in (story.title, story.body):
        words = field.words
        last = len(words) - 1
        for i in compress(count(), map(odd.__contains__, words)):
            for at in (i - 1, i):  # the pair the odd word ends, and the one it begins
                if at < 0 or at == last:
                    continue
                for a in _cids_of_word(words[at], odd, get):
                    for b in _cids_of_word(words[at + 1], odd, get):
                        pairs.add(a << PAIR_SHIFT | b)
    return pairs


def adjacent_words(
    story: Story,
    odd: dict[str, list[int]],
    get: Callable[[str], int | None],
    classes: Sequence[WordClass],
    pair: tuple[int, int],
    found: set[str],
) -> None:
    """Add to `found` the story words of every place where class a stands right before class b."""
    a, b = pair
    first = classes[a]
    # the story words in class a: its forms that are words, and odd words with such keys
    starts = {f for f in first.forms if f in story.distinct}
    starts.update(w for w in odd if a in odd[w])
    for field in (story.title, story.body):
        fw = field.words
        for w in starts:
            for i in field.starts(w):
                if i + 1 >= len(fw) or a not in _cids_of_word(w, odd, get):
                    continue
                if b not in _cids_of_word(fw[i + 1], odd, get):
                    continue
                for word, c in ((w, a), (fw[i + 1], b)):
                    raw, derived = story.keys(word)
                    key = raw if raw in classes[c].forms else derived
                    found.add(story.surface(key))


def _cids_of_word(
    word: str, odd: dict[str, list[int]], get: Callable[[str], int | None]
) -> Sequence[int]:
    found = odd.get(word)
    if found is not None:
        return found
    cid = get(word)
    return () if cid is None or cid < 0 else (cid,)
