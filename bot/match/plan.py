"""How a query is filed in the index: its kind, and the word classes it is found under.

Pure functions of a compiled query, shared by the percolator (`engine.py`) and the recent-stories
index (`recent.py`). Kinds, cheapest to decide first:

- ONE: one word (or place name of single words) and nothing else: having it is the match;
- PRESENCE: every term is one word (or a place name whose names are single words), not `=exact`:
  decided by which classes the story has;
- PHRASE: one plain two-word phrase: finding the pair of classes side by side is the match;
- EVALUATE: anything else, evaluated on the story (`CompiledQuery.evaluate`).
"""

from __future__ import annotations

from bot.match.base import Query
from bot.match.compile import STOP_WORDS, CompiledQuery, Group, Term, WordClass, compile_topic

ONE, PRESENCE, PHRASE, EVALUATE = 0, 1, 2, 3


def class_cost(c: WordClass) -> int:
    """Static rarity estimate: stop-words are everywhere, short words are common, long are rare."""
    if not STOP_WORDS.isdisjoint(c.forms):
        return 1000
    return 40 - min(map(len, c.forms))


def anchors(term: Term) -> list[WordClass]:
    """One class per alternative: a story that has the term has one of these."""
    return [alt[0] if len(alt) == 1 else min(alt, key=class_cost) for alt in term.alternatives]


def term_cost(term: Term) -> int:
    return sum(class_cost(c) for c in anchors(term))


def anchor_term_of(group: Group) -> Term:
    """The group's rarest required term: the group is indexed under it."""
    if len(group.positive) == 1:
        return group.positive[0]
    return min(group.positive, key=lambda t: (term_cost(t), t.key))


def single_words(term: Term) -> bool:
    return not term.title_only and all(
        len(alt) == 1 and not alt[0].exact for alt in term.alternatives
    )


def kind_of(query: CompiledQuery) -> int:
    if is_one_term(query):
        return ONE
    if all(all(single_words(t) for t in (*g.positive, *g.negative)) for g in query.groups):
        return PRESENCE
    if len(query.groups) == 1:
        group = query.groups[0]
        if not group.negative and len(group.positive) == 1:
            term = group.positive[0]
            alts = term.alternatives
            plain = not term.title_only and not any(c.exact for c in alts[0])
            if plain and len(alts) == 1 and len(alts[0]) == 2:
                return PHRASE
    return EVALUATE


def is_one_term(query: CompiledQuery) -> bool:
    """One term of single words, nothing else: a story with one of its words matches."""
    if len(query.groups) != 1 or query.groups[0].negative or len(query.groups[0].positive) != 1:
        return False
    return single_words(query.groups[0].positive[0])


def one_word_class(query: CompiledQuery) -> WordClass | None:
    """The class of a topic that is one word (not `=exact`, not `title:`, no place names' other
    names), else None."""
    groups = query.groups
    if len(groups) != 1 or groups[0].negative or len(groups[0].positive) != 1:
        return None
    term = groups[0].positive[0]
    if term.title_only or len(term.alternatives) != 1 or len(term.alternatives[0]) != 1:
        return None
    (word,) = term.alternatives[0]
    return None if word.exact else word


def as_compiled(query: Query) -> CompiledQuery:
    return query if isinstance(query, CompiledQuery) else compile_topic(query.text)
