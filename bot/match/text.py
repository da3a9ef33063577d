"""Text normalisation shared by stories and topics, so both sides are folded the same way.

Rules, version `NORMALISATION_VERSION` (bump it when a rule changes: saved topic keys depend on it):
- Unicode NFC; soft hyphens, zero-width characters and stress marks (combining acute/grave left
  over after NFC, as in "Ки́їв") removed; any HTML tags and character entities removed.
- Case folding (`str.casefold`); Russian "ё" read as "е" (most Russian news text writes "е").
- ' ’ ʼ ‘ ` ´ are one apostrophe. An apostrophe between letters is part of the word ("м'ясо",
  "Слов'янськ"); elsewhere it is punctuation.
- Every other run of characters that are not letters or digits (hyphens, quotes, punctuation)
  separates words: "Nagorno-Karabakh" is "nagorno karabakh".
- Accents are folded on Latin letters only ("Bürgenstock" = "burgenstock"); Cyrillic letters keep
  theirs, so "й" and "ї" stay and Київ stays київ.

Each story word gets a `raw` key (the folded word) and, for Latin words, a `derived` key: the
English singular without a possessive ("Oblast's" → "oblast", "peacekeepers" → "peacekeeper").
`=word` in a query compares raw keys only.
"""

from __future__ import annotations

import contextlib
import html
import re
import unicodedata
from itertools import compress, count
from operator import ne, not_

from bot.match import speedups

NORMALISATION_VERSION = 2

WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_TAG = re.compile(r"<[^>]*>")
_REPLACE = [(c, "") for c in "\u00ad\u200b\u200c\u200d\u2060\ufeff\u0301\u0300"] + [
    (c, "'") for c in "’ʼ‘`´\u02bb"
]

# English words ending in "s" that are not plurals (or whose singular would collide).
_NOT_PLURAL_WORDS = (
    "news series species means physics politics economics athletics always perhaps "
    "whereas has was does is this thus us gas bus plus bias chaos ethos atlas lens "
    "christmas texas paris athens brussels wales mars venus kansas arkansas los reuters "
    "barbados honduras cyprus mauritius"
)
_NOT_PLURAL = frozenset(_NOT_PLURAL_WORDS.split())


def prepare(text: str) -> str:
    """NFC, invisible characters and stress marks gone, one apostrophe, no tags or entities."""
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    for old, new in _REPLACE:  # `in` first: a scan is far cheaper than str.translate
        if old in text:
            text = text.replace(old, new)
    return text


# Latin letters that can carry a diacritic (Latin-1 Supplement to Latin Extended Additional),
# and combining marks: only words with one of these need the slow per-character fold.
_LATIN_ACCENTED = re.compile("[\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f]")


# What makes a word's raw key differ from the word: a Latin letter with a diacritic (or a bare
# combining mark), or ё, in either case.
FOLDABLE = re.compile("[ёЁ\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f]")


def _is_latin(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "")


def fold_word(word: str) -> str:
    """The raw key of one already case-folded word: Latin accents folded, ё → е."""
    if word.isascii():
        return word
    if not _LATIN_ACCENTED.search(word):  # e.g. Cyrillic: nothing to fold but ё
        return word.replace("ё", "е")
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", word):
        if unicodedata.combining(ch) and out and _is_latin(out[-1]):
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).replace("ё", "е")


def singular(word: str) -> str:
    """Fold a Latin-script English plural or possessive to its singular; other words pass."""
    if not word.isascii():
        return word
    if word.endswith("'s"):
        word = word[:-2]
    elif word.endswith("'"):
        word = word[:-1]
    if len(word) < 4 or not word.isalpha() or word in _NOT_PLURAL:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# Bounded memo: a news vocabulary repeats, so nearly every word is folded once. The matcher asks
# only about words that may have other keys (see `story.Story`); `words` (summaries, same-story
# checks) asks about every word, hence the room.
_KEYS: dict[str, tuple[str, str]] = {}
_KEYS_MAX = 500_000


def keys_of(word: str) -> tuple[str, str]:
    """(raw, derived) keys of one case-folded word; derived == raw except for English plurals."""
    found = _KEYS.get(word)
    if found is None:
        raw = fold_word(word)
        found = (raw, singular(raw))
        if len(_KEYS) >= _KEYS_MAX:
            _KEYS.clear()
        _KEYS[word] = found
    return found


def topic_keys(word: str) -> tuple[str, str]:
    """`keys_of` for a topic's word, without memoising it (stories fill the memo, topics would
    only crowd it: a million topics have hundreds of thousands of distinct words)."""
    found = _KEYS.get(word)
    if found is None:
        raw = fold_word(word)
        found = (raw, singular(raw))
    return found


# Punctuation common in news text: turned into spaces first, so most whitespace-separated tokens
# are already whole words.
_PUNCTUATION = '.,:;!?"()«»“”—–…'


def tokenise(folded: str) -> list[str]:
    """`WORD.findall(folded)`, about twice as fast on news text.

    A match never spans whitespace, and `[^\\W_]` is exactly `str.isalnum` per character: so a
    whitespace-separated token that is all letters and digits is one word, and only the other
    tokens go through the regex (located with C-level map/compress, not a Python loop)."""
    for ch in _PUNCTUATION:
        if ch in folded:
            folded = folded.replace(ch, " ")
    tokens = folded.split()
    for i in reversed(list(compress(count(), map(not_, map(str.isalnum, tokens))))):
        tokens[i : i + 1] = WORD.findall(tokens[i])
    return tokens


def may_have_other_keys(word: str) -> bool:
    """Whether `keys_of(word)` can differ from `(word, word)`: only a word that ends in "s" can
    be an English plural or possessive (no word ends in an apostrophe: see `tokenise`), and only
    a word with a `FOLDABLE` character has accents or ё to fold."""
    return word.endswith("s") or FOLDABLE.search(word) is not None


def scan_reference(text: str) -> tuple[list[str], dict[str, str], list[str]]:
    """The case-folded words of prepared `text` in order; each folded word that was written
    otherwise mapped to its first such occurrence (first in the text, so a title's capitalised
    word is shown as written there); and the words that `may_have_other_keys`, in order.

    The specification of `_speedups.scan`, which does the same in one C pass."""
    written = tokenise(text)
    words = list(map(str.casefold, written))
    # C-level passes, reversed so that the first occurrence is the one kept
    differ = list(map(ne, words, written))
    differ.reverse()
    shown = dict(
        zip(compress(reversed(words), differ), compress(reversed(written), differ), strict=True)
    )
    return words, shown, list(filter(may_have_other_keys, words))


scan = scan_reference
if speedups.wanted():
    # built without a C compiler: the same, slower
    with contextlib.suppress(ImportError):
        from bot.match._speedups import scan as scan  # type: ignore[assignment]


def folded_words(text: str) -> list[str]:
    """The case-folded words of prepared `text`, in order (not yet accent-folded: see keys_of).

    Split first, then each word folded: so a word keeps its written form beside it (see
    `story.Field`), and a letter whose folded form carries a combining mark (İ → i̇) stays in its
    word, where `fold_word` drops the mark."""
    return scan(text)[0]


def words(text: str) -> list[str]:
    """The derived keys of `text`'s words, in order: what a plain topic is compared on."""
    return [keys_of(w)[1] for w in folded_words(prepare(text))]
