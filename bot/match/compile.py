"""Syntax tree → a compiled query: OR of AND-groups of terms, each term a phrase of word classes.

A word class is the set of keys a story word may have to count as that topic word (its forms, see
`forms.py`). A term is one or more alternative phrases (a place name and its other names, see
`places.py`), optionally restricted to the title. `CompiledQuery.evaluate` is the reference
semantics; the index (`engine.py`) only decides which queries are worth evaluating.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from bot.errors import TopicError
from bot.match.forms import Forms, forms_of
from bot.match.places import alternatives, places_generation
from bot.match.query import (
    EXAMPLE_TOPIC,
    MAX_TOPIC_LENGTH,
    NO_WORDS,
    Node,
    Not,
    Or,
    Phrase,
    parse_topic,
)
from bot.match.story import Field, Story
from bot.match.text import folded_words, keys_of, prepare, topic_keys

MAX_GROUPS = 32
MAX_TERMS = 16

_STOP_WORDS = (
    # English
    "a an the of in on at to for from by with and or not but is are was were be been it its this "
    "that these those as into about over after before new say said has have had will would "
    # Ukrainian
    "і й та в у на з із зі до від по за про для що як це не але чи або його її їх він вона "
    # Russian
    "и в во на с со к ко от по за о об про для что как это не но или его ее их он она"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())


# The parts of a compiled topic are named tuples, not frozen dataclasses: as immutable and as
# comparable, and several times cheaper to make (a frozen dataclass sets each field through
# object.__setattr__), which counts when a million topics are compiled at start.


class WordClass(NamedTuple):
    # A one-form class (most words: names, English) holds a 1-tuple, 170 bytes smaller than a
    # frozenset, which adds up at a million topics; `in` and iteration work on both.
    forms: Forms
    exact: bool  # compare the story word's raw key only (no plural folding)


class Term(NamedTuple):
    alternatives: tuple[tuple[WordClass, ...], ...]
    title_only: bool
    key: str
    position: int


class Group(NamedTuple):
    positive: tuple[Term, ...]
    negative: tuple[Term, ...]


def _word_class(folded: str, exact: bool) -> WordClass:
    # Not memoised (memory at a million topics): equal classes are merged by the index, and the
    # costly part, a Cyrillic word's forms, is memoised in forms.py.
    raw, derived = topic_keys(folded)
    return WordClass(forms_of(raw, derived, exact=exact), exact)


def _term(phrase: Phrase) -> Term:
    return _make_term(
        tuple(w.folded for w in phrase.words),
        tuple(w.exact for w in phrase.words),
        phrase.title_only,
        phrase.position,
    )


def _check_not_only_stop_words(derived: list[str], position: int) -> None:
    if all(d in STOP_WORDS for d in derived):
        raise TopicError(
            "This part has only very common words, so it would match almost every story.",
            position=position,
        )


def _make_term(
    folded: tuple[str, ...], exact: tuple[bool, ...], title_only: bool, position: int
) -> Term:
    keys = [topic_keys(w) for w in folded]
    _check_not_only_stop_words([derived for _, derived in keys], position)
    shown = " ".join(
        ("=" + raw) if ex else derived for ex, (raw, derived) in zip(exact, keys, strict=True)
    )
    key = ("title:" if title_only else "") + (f'"{shown}"' if " " in shown else shown)
    alts: list[tuple[WordClass, ...]] = [
        tuple(
            WordClass(forms_of(raw, derived, exact=ex), ex)
            for (raw, derived), ex in zip(keys, exact, strict=True)
        )
    ]
    if not any(exact):
        for other in alternatives(tuple(derived for _, derived in keys)):
            alts.append(tuple(_word_class(w, False) for w in other))
    return Term(tuple(dict.fromkeys(alts)), title_only, key, position)


_Conj = tuple[tuple[Phrase, ...], tuple[Phrase, ...]]


def _dnf(node: Node, negated: bool = False) -> list[_Conj]:
    if isinstance(node, Phrase):
        return [((), (node,))] if negated else [((node,), ())]
    if isinstance(node, Not):
        return _dnf(node.child, not negated)
    children = [_dnf(c, negated) for c in node.children]
    if isinstance(node, Or) != negated:  # OR, or NOT over AND (De Morgan): alternatives
        return [g for c in children for g in c][: MAX_GROUPS + 1]
    groups: list[_Conj] = [((), ())]
    for child in children:
        groups = [(p1 + p2, n1 + n2) for p1, n1 in groups for p2, n2 in child]
        if len(groups) > MAX_GROUPS:
            break
    return groups


class CompiledQuery:
    """A parsed topic: its text, its key (identity), and its groups.

    A plain phrase's groups are made the first time they are asked for: the key alone tells
    whether the index already has the query, and at a million topics most are repeats (a
    popular topic is typed by many people), so most are never made."""

    __slots__ = ("_groups", "_words", "key", "text")

    def __init__(
        self,
        text: str,
        key: str,
        groups: tuple[Group, ...] | None = None,
        words: tuple[str, ...] = (),
    ) -> None:
        self.text = text
        self.key = key
        self._groups = groups
        self._words = words  # a plain phrase's case-folded words, while its groups are not made

    @property
    def groups(self) -> tuple[Group, ...]:
        if self._groups is None:
            words = self._words
            term = _make_term(words, (False,) * len(words), False, 0)
            self._groups = (Group((term,), ()),)
            self._words = ()
        return self._groups

    def __repr__(self) -> str:
        return f"CompiledQuery(text={self.text!r}, key={self.key!r})"

    def evaluate(self, story: Story) -> tuple[str, ...] | None:
        """The words of `story` that made it match (as written), or None when it does not."""
        found: set[str] = set()
        matched = False
        for group in self.groups:
            if any(_occurrences(t, story) for t in group.negative):
                continue
            words: set[str] = set()
            for term in group.positive:
                hit = _occurrences(term, story)
                if not hit:
                    break
                words |= hit
            else:
                matched = True
                found |= words
        if not matched:
            return None
        return tuple(sorted(story.written(w) for w in found))


def _occurrences(term: Term, story: Story) -> set[str]:
    """The case-folded story words of every occurrence of `term` (empty when it does not occur)."""
    out: set[str] = set()
    for field in (story.title,) if term.title_only else (story.title, story.body):
        for alt in term.alternatives:
            _find(alt, field, story, out)
    return out


def _find(alt: tuple[WordClass, ...], field: Field, story: Story, out: set[str]) -> None:
    first = alt[0]
    starts: set[str] = set()  # story words that can begin the phrase
    for form in first.forms:
        if story.has(form):
            starts.update(story.words_with(form, exact=first.exact))
    words = field.words
    n = len(alt)
    for start in starts:
        for i in field.starts(start):
            if i + n > len(words):
                break
            matched: list[str] = []
            for j in range(n):
                raw, derived = keys_of(words[i + j])
                c = alt[j]
                if raw in c.forms:
                    matched.append(story.surface(raw))
                elif not c.exact and derived in c.forms:
                    matched.append(story.surface(derived))
                else:
                    break
            else:
                # The story word that stands for each key, so every path reports the same words.
                out.update(matched)


def compile_topic(topic: str) -> CompiledQuery:
    """Raises TopicError (with a position) for a topic that cannot be used.

    Popular topics are typed by many people: the same text is read once."""
    text = " ".join(topic.split())
    if len(text) <= MAX_TOPIC_LENGTH and not _has_syntax(text):
        # Nine topics in ten are a plain phrase: skip the parser and the boolean algebra.
        key, words = _plain(text)
        return CompiledQuery(text=text, key=key, words=words)
    return _compile(text, places_generation())


# Holds a plain topic's key and words only (~250 bytes), not its compiled groups: room for the
# popular topics of a large install.
@functools.lru_cache(maxsize=50_000)
def _plain(text: str) -> tuple[str, tuple[str, ...]]:
    words = tuple(folded_words(prepare(text)))
    if not words:
        raise TopicError(NO_WORDS, example=EXAMPLE_TOPIC)
    derived = [topic_keys(w)[1] for w in words]
    _check_not_only_stop_words(derived, 0)
    return " ".join(derived), words  # the key `_query_key` gives a plain phrase


# Anything that makes a topic more than a plain run of words.
_SYNTAX = re.compile(r"""[()"“”„«»=]|(?:^|\s)-|[Tt][Ii][Tt][Ll][Ee]:|\b(?:AND|OR|NOT)\b""")


# Boolean topics seldom repeat word for word, and a compiled one holds all its parts: a small memo.
@functools.lru_cache(maxsize=1_024)
def _compile(text: str, generation: int) -> CompiledQuery:
    if not text:
        raise TopicError(NO_WORDS, example=EXAMPLE_TOPIC)
    conjunctions = _dnf(parse_topic(text))
    if len(conjunctions) > MAX_GROUPS:
        raise TopicError(
            f"This topic expands to more than {MAX_GROUPS} alternatives; simplify it.", position=0
        )
    terms: dict[int, Term] = {}  # one Term per phrase node, compiled once

    def term(p: Phrase) -> Term:
        if id(p) not in terms:
            terms[id(p)] = _term(p)
        return terms[id(p)]

    groups: list[Group] = []
    for positive, negative in conjunctions:
        if not positive:
            raise TopicError(
                "A topic needs a word to look for, not only words to leave out "
                "(it would match every other story).",
                position=negative[0].position,
            )
        if len(positive) + len(negative) > MAX_TERMS:
            raise TopicError(f"A topic can have at most {MAX_TERMS} phrases.", position=0)
        pos = tuple(dict.fromkeys(term(p) for p in positive))
        neg = tuple(dict.fromkeys(term(p) for p in negative))
        groups.append(Group(tuple(sorted(pos, key=_k)), tuple(sorted(neg, key=_k))))
    unique = {_group_key(g): g for g in groups}
    ordered = tuple(unique[k] for k in sorted(unique))
    return CompiledQuery(text=text, key=_query_key(ordered), groups=ordered)


def _has_syntax(text: str) -> bool:
    return _SYNTAX.search(text) is not None


def _k(t: Term) -> str:
    return t.key


def _group_key(g: Group) -> str:
    return " & ".join([t.key for t in g.positive] + ["-" + t.key for t in g.negative])


def _query_key(groups: tuple[Group, ...]) -> str:
    """Identity of a topic: equal keys mean the same query (stored once, fanned out)."""
    only = groups[0]
    if len(groups) == 1 and len(only.positive) == 1 and not only.negative:
        term = only.positive[0]
        if not term.title_only and "=" not in term.key:
            return term.key.strip('"')  # a plain phrase keeps the first matcher's keys
    return " | ".join(_group_key(g) for g in groups)
