"""Adjacent words for phrase queries: the class pairs a story has, and the words that form them.

Phrases of two words are indexed under the pair of their words' classes. A story's pairs come
from the key table, which maps each word to its class and pairs neighbours in one call; the few
"odd" words (in several classes, or with keys other than themselves: plurals, accents, ё) are
paired explicitly at their positions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import compress, count

from bot.match.compile import WordClass
from bot.match.keytable import SEVERAL, KeyTable
from bot.match.story import Story
from bot.match.text import keys_of


def story_classes(
    story: Story, key_cid: KeyTable, key_cids: dict[str, list[int]], firsts: bytes | bytearray
) -> tuple[set[int], dict[str, list[int]], set[int], dict[int, str]]:
    """The classes the story has; its odd words: words in several classes, and words with other
    keys (plurals, accents, ё), which have both keys' classes; the `pair_key` of every two
    adjacent words that are not odd where the first word's class begins a phrase (`firsts`, a
    flag per class); and the classes that a story word is a key of, each with its first such
    word. Most of it in one call to the key table, which overlaps its look-ups."""
    fields = (story.title.words, story.body.words)
    cids, pairs, words, several = key_cid.classes_and_pairs(fields, firsts)
    special_keys = story.special_keys
    if special_keys:
        keys = list(special_keys)
        found = key_cid.get_many(keys, -1)
        cids.update(found)
        cids.difference_update((-1, SEVERAL))
        several.update(compress(keys, map(SEVERAL.__eq__, found)))
    odd: dict[str, list[int]] = {}
    for k in several:
        cids.update(key_cids[k])
        odd[k] = key_cids[k]
    for w in story.special:
        raw, derived = keys_of(w)
        both = _cids_of_key(raw, key_cid, key_cids)
        if derived != raw:
            both = [*both, *_cids_of_key(derived, key_cid, key_cids)]
        if both:
            odd[w] = both
        else:
            odd.pop(w, None)
    return cids, odd, pairs, words


def _cids_of_key(key: str, key_cid: KeyTable, key_cids: dict[str, list[int]]) -> list[int]:
    found = key_cids.get(key)
    if found is not None:
        return found
    cid = key_cid.get(key)
    return [] if cid is None else [cid]


PAIR_SHIFT = 32  # a pair of class ids (a, b) is the int a << 32 | b: hashed and compared cheaply


def pair_key(a: int, b: int) -> int:
    return a << PAIR_SHIFT | b


def story_pairs(
    story: Story, odd: dict[str, list[int]], get: Callable[[str], int | None], pairs: set[int]
) -> set[int]:
    """Add to `pairs` (those of the words that are not odd, from `story_classes`) the pairs at
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
