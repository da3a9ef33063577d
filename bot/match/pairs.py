"""Adjacent words for phrase queries: the class pairs a story has, and the words that form them.

Phrases of two words are indexed under the pair of their words' classes. A story's pairs come
from mapping each word to its class with a C-level `map` over the word list and pairing
neighbours with `pairwise`; the few "odd" words (in several classes, or with keys other than
themselves: plurals, accents, ё) are paired explicitly at their positions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise

from bot.match.compile import WordClass
from bot.match.story import Story
from bot.match.text import keys_of


def story_classes(
    story: Story, key_cid: dict[str, int], key_cids: dict[str, list[int]]
) -> tuple[set[int], dict[str, list[int]], dict[str, int]]:
    """The classes the story has, found by C-level set algebra (most keys are in one class);
    its odd words: words in several classes, and words with other keys (plurals, accents, ё),
    which have both keys' classes; and its keys that are in one class, with the class (a small
    dict, cheaper to look every word up in than the index's big one)."""
    special_keys = story.special_keys
    keys = key_cid.keys() & story.distinct  # the view first: it iterates the story's side
    if special_keys:
        keys |= key_cid.keys() & special_keys.keys()
    local = dict(zip(keys, map(key_cid.__getitem__, keys), strict=True))
    cids = set(local.values())
    odd: dict[str, list[int]] = {}
    several = key_cids.keys() & story.distinct
    if special_keys:
        several |= key_cids.keys() & special_keys.keys()
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
    return cids, odd, local


def _cids_of_key(key: str, key_cid: dict[str, int], key_cids: dict[str, list[int]]) -> list[int]:
    found = key_cids.get(key)
    if found is not None:
        return found
    cid = key_cid.get(key)
    return [] if cid is None else [cid]


def story_pairs(
    story: Story, odd: dict[str, list[int]], get: Callable[[str], int | None]
) -> set[tuple[int | None, int | None]]:
    """Every (class, class) of adjacent words (with None for a word of no class)."""
    pairs: set[tuple[int | None, int | None]] = set()
    for field in (story.title, story.body):
        seq = list(map(get, field.words))  # each word's class (None: none, or see `odd`)
        pairs.update(pairwise(seq))
        for w in odd:
            for i in field.starts(w):
                pairs.update(_pairs_at(field.words, i, odd, get))
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
    return () if cid is None else (cid,)


def _pairs_at(
    fw: list[str], i: int, odd: dict[str, list[int]], get: Callable[[str], int | None]
) -> Iterable[tuple[int, int]]:
    """The class pairs of the word at `i` (an odd word) with its neighbours."""
    mine = _cids_of_word(fw[i], odd, get)
    if i > 0:
        for a in _cids_of_word(fw[i - 1], odd, get):
            for b in mine:
                yield a, b
    if i + 1 < len(fw):
        for b in _cids_of_word(fw[i + 1], odd, get):
            for a in mine:
                yield a, b
