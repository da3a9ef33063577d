"""Adjacent words for phrase queries: the class pairs a story has, and the words that form them.

Phrases of two words are indexed under the pair of their words' classes. A story's pairs come
from mapping each word to its class with a C-level `map` over the word list and pairing
neighbours with `pairwise`; the few "odd" words (in several classes, or with keys other than
themselves: plurals, accents, ё) are paired explicitly at their positions.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from itertools import compress, count

from bot.match.compile import WordClass
from bot.match.keytable import KeyTable
from bot.match.story import Story
from bot.match.text import keys_of


def story_classes(
    story: Story, key_cid: KeyTable, key_cids: dict[str, list[int]]
) -> tuple[set[int], dict[str, list[int]], dict[str, int]]:
    """The classes the story has, found by C-level set algebra (most keys are in one class);
    its odd words: words in several classes, and words with other keys (plurals, accents, ё),
    which have both keys' classes; and each of its keys with its class if it is in one, else -1
    (a small dict, cheaper to look every word up in than the index's big one, made with one
    C-level pass over the big one)."""
    special_keys = story.special_keys
    keys = [*story.distinct, *special_keys]
    local = dict(zip(keys, key_cid.get_many(keys, -1), strict=True))
    cids = set(local.values())
    cids.discard(-1)
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
    story: Story, odd: dict[str, list[int]], local: dict[str, int], firsts: Container[int]
) -> set[int]:
    """The `pair_key` of every two adjacent words whose first word's class begins a phrase in
    `firsts` (a few dozen places in a story: found with C-level passes, then paired one by one)."""
    distinct = list(story.distinct)
    starters = set(compress(distinct, map(firsts.__contains__, map(local.__getitem__, distinct))))
    starters.update(w for w, cids in odd.items() if any(c in firsts for c in cids))
    pairs: set[int] = set()
    get = local.get
    for field in (story.title, story.body):
        words = field.words
        last = len(words) - 1
        for i in compress(count(), map(starters.__contains__, words)):
            if i == last:
                continue
            word, after = words[i], words[i + 1]
            if word in odd or after in odd:
                for a in _cids_of_word(word, odd, get):
                    for b in _cids_of_word(after, odd, get):
                        pairs.add(a << PAIR_SHIFT | b)
            else:  # a word of no class is -1: its key is never a pair's
                pairs.add(local[word] << PAIR_SHIFT | local[after])
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
