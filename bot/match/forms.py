"""Forms of words: which story words count as the same word as a topic word.

- Latin-script (English) words are compared on their derived key (`text.singular`): plurals and
  possessives fold to the singular. "peacekeeping" is a different word from "peacekeepers" (it
  names the activity, not the people), so neither matches the other; "peace" matches neither.
- Cyrillic (Ukrainian, Russian) words are expanded when the topic is saved into every form of
  their lexeme with pymorphy3 and its uk/ru dictionaries, so matching a story stays a set lookup.
  People type topics in the dictionary form, so when the word is itself a lemma only that lexeme
  is expanded, else only its nominative readings: this keeps "Київ" from also meaning "кий" (a
  cue, genitive plural "київ") and "Суми" (the city) from also meaning "сума" (a sum, plural
  "суми"). A word the dictionaries do not know is kept as typed.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from bot.match.text import fold_word

log = logging.getLogger(__name__)

_UK_ONLY = frozenset("іїєґ")
_RU_ONLY = frozenset("ыэъё")
MAX_FORMS = 64  # a bound on one word's forms, so a topic's size is bounded too


@functools.cache
def analyzer(lang: str) -> Any:
    """The process's one pymorphy3 analyzer for `lang` ("uk" or "ru")."""
    import pymorphy3  # loaded on first Cyrillic topic: ~0.2 s and ~20 MB per language

    return pymorphy3.MorphAnalyzer(lang=lang)


def _languages(word: str) -> tuple[str, ...]:
    letters = set(word)
    if letters & _UK_ONLY:
        return ("uk",)
    if letters & _RU_ONLY:
        return ("ru",)
    return ("uk", "ru")


_CYRILLIC = re.compile("[\u0400-\u04ff]")


def is_cyrillic(word: str) -> bool:
    return _CYRILLIC.search(word) is not None


Forms = frozenset[str] | tuple[str]  # a 1-tuple for a word with no other forms (less memory)

# Words the dictionaries do not know (mostly names): a set entry costs far less than a memo.
_UNKNOWN: set[str] = set()
# Words they know → their forms; parsing is the slow part of saving a topic.
_KNOWN: dict[str, frozenset[str]] = {}
_KNOWN_MAX = 50_000


def cyrillic_forms(word: str) -> Forms:
    """Every folded form of the lexeme(s) of case-folded Cyrillic `word`, itself included."""
    found = _KNOWN.get(word)
    if found is not None:
        return found
    if word in _UNKNOWN:
        return (word,)
    # Most topic words the dictionaries lack are names: a look-up keeps them out of the slow
    # parser, and out of the memo, where they would push out the words it has parsed.
    forms = _lexeme_forms(word) if any(_knows(lang, word) for lang in _languages(word)) else None
    if forms is None or len(forms) == 1:
        _UNKNOWN.add(word)
        return (word,)
    if len(_KNOWN) >= _KNOWN_MAX:
        _KNOWN.clear()
    _KNOWN[word] = forms
    return forms


def _knows(lang: str, word: str) -> bool:
    try:
        morph = analyzer(lang)
        # strict first: it is much faster than the look-up that also tries "ё" for "е"
        return bool(
            morph.word_is_known(word, strict=True)
            or (lang == "ru" and "е" in word and morph.word_is_known(word))
        )
    except Exception:  # a dictionary problem must not stop a topic from being saved
        log.exception("pymorphy3 (%s) failed on %r", lang, word)
        return False


def _lexeme_forms(word: str) -> frozenset[str]:
    """The forms of a word a dictionary knows."""
    forms = {word}
    for lang in _languages(word):
        if not _knows(lang, word):
            continue
        try:
            parses = analyzer(lang).parse(word)
        except Exception:  # a dictionary problem must not stop a topic from being saved
            log.exception("pymorphy3 (%s) failed on %r", lang, word)
            continue
        known = [p for p in parses if p.is_known]  # guessed parses: too loose
        lemma = [p for p in known if p.normal_form == word]
        nominative = [p for p in known if "nomn" in p.tag]
        for parse in lemma or nominative or known:
            for form in parse.lexeme:
                forms.add(fold_word(form.word))
        if len(forms) > 1:
            break  # a word both languages know is read as the first (Ukrainian) one
    if len(forms) > MAX_FORMS:
        forms = set(sorted(forms, key=len)[:MAX_FORMS]) | {word}
    return frozenset(forms)


def forms_of(raw: str, derived: str, *, exact: bool) -> Forms:
    """The keys a story word may have to count as this topic word."""
    if exact:
        return (raw,)
    if is_cyrillic(raw):
        return cyrillic_forms(raw)
    return (derived,)
