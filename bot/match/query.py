"""The topic language: text → syntax tree, with errors that say where the problem is.

    topic   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary | "NOT" unary)*        juxtaposition means AND
    unary   := "NOT" unary | "-" atom | atom
    atom    := "(" or ")" | "title:" atom | phrase
    phrase  := "\"words\"" | run of bare words (each may be "=word")

A run of bare words is ONE phrase ("Sumy Oblast"); operators are only AND, OR, NOT in capitals,
so "Bosnia and Herzegovina" stays a phrase. "-word" negates that single word (or a quoted phrase
or a group). Parsing is a single left-to-right pass with bounded nesting: linear in the topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import TopicError
from bot.match.text import folded_words, prepare

MAX_TOPIC_LENGTH = 200
NO_WORDS = "A topic needs at least one word to look for."
EXAMPLE_TOPIC = "Sumy Oblast"
MAX_DEPTH = 8

_QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»", "”": "”"}
_OPERATORS = ("AND", "OR", "NOT")


@dataclass(frozen=True, slots=True)
class Word:
    folded: str  # case-folded, as the story side is before keys_of
    exact: bool


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[Word, ...]
    title_only: bool
    position: int


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    position: int


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


Node = Phrase | Not | And | Or


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "(" ")" AND OR NOT "-" "title" "quoted" "word"
    text: str
    position: int
    exact: bool = False


_CHUNK = re.compile("[^\\s()" + re.escape("".join(_QUOTES)) + "]+")


def _split(topic: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(topic)
    while i < n:
        ch = topic[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            toks.append(_Tok(ch, ch, i))
            i += 1
        elif ch in _QUOTES:
            end = topic.find(_QUOTES[ch], i + 1)
            if end < 0:
                raise TopicError("This quote is never closed.", position=i)
            toks.append(_Tok("quoted", topic[i + 1 : end], i))
            i = end + 1
        else:  # a run up to a space, a bracket or a quote (one regex step, not a char loop)
            found = _CHUNK.match(topic, i)
            assert found is not None  # `ch` itself is none of those
            start, i = i, found.end()
            toks.extend(_chunk(topic[start:i], start))
    return toks


def _chunk(chunk: str, at: int) -> list[_Tok]:
    if chunk in _OPERATORS:
        return [_Tok(chunk, chunk, at)]
    if chunk.startswith("-") and len(chunk) > 1 and chunk[1] not in "-":
        return [_Tok("-", "-", at), *_chunk(chunk[1:], at + 1)]
    if chunk.lower().startswith("title:"):
        rest = chunk[len("title:") :]
        return [_Tok("title", "title:", at), *(_chunk(rest, at + 6) if rest else [])]
    if chunk.startswith("=") and len(chunk) > 1:
        return [_Tok("word", chunk[1:], at, exact=True)]
    return [_Tok("word", chunk, at)]


def _check_brackets_closed(toks: list[_Tok]) -> None:
    """An unclosed bracket is named as such, before whatever else it left incomplete ("(Kyiv OR"
    is missing a word only because the bracket was never closed)."""
    opened: list[int] = []
    for tok in toks:
        if tok.kind == "(":
            opened.append(tok.position)
        elif tok.kind == ")" and opened:
            opened.pop()
    if opened:
        raise TopicError("This bracket is never closed.", position=opened[-1])


class _Parser:
    def __init__(self, topic: str) -> None:
        self.toks = _split(topic)
        self.i = 0
        self.depth = 0
        _check_brackets_closed(self.toks)

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def parse(self) -> Node:
        node = self.or_()
        tok = self.peek()
        if tok is not None:
            raise TopicError("This closing bracket has no opening one.", position=tok.position)
        return node

    def or_(self) -> Node:
        children = [self.and_()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.i += 1
            children.append(self.and_(after=tok))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_(self, after: _Tok | None = None) -> Node:
        children = [self.unary(after)]
        while (tok := self.peek()) is not None and tok.kind not in ("OR", ")"):
            if tok.kind == "AND":
                self.i += 1
                children.append(self.unary(tok))
            elif tok.kind == "NOT":
                self.i += 1
                children.append(Not(self.unary(tok), tok.position))
            else:
                children.append(self.unary(None))
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self, after: _Tok | None) -> Node:
        tok = self.peek()
        if tok is None or tok.kind in (")", "AND", "OR"):
            where = tok.position if tok else (after.position if after else 0)
            what = f"after {after.text}" if after else "here"
            raise TopicError(f"A word or phrase is missing {what}.", position=where)
        if tok.kind in ("NOT", "-"):
            self.i += 1
            return Not(self.unary(tok) if tok.kind == "NOT" else self.atom(tok), tok.position)
        return self.atom(after)

    def atom(self, after: _Tok | None) -> Node:
        tok = self.peek()
        if tok is None or tok.kind not in ("(", "title", "quoted", "word"):
            where = tok.position if tok else (after.position if after else 0)
            what = f"after {after.text}" if after else "here"
            raise TopicError(f"A word or phrase is missing {what}.", position=where)
        self.i += 1
        if tok.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise TopicError(f"Brackets nest at most {MAX_DEPTH} deep.", position=tok.position)
            node = self.or_()
            close = self.peek()
            if close is None or close.kind != ")":
                raise TopicError("This bracket is never closed.", position=tok.position)
            self.i += 1
            self.depth -= 1
            return node
        if tok.kind == "title":
            return _title_only(self.atom(tok))
        if tok.kind == "quoted":
            return _phrase([(tok.text, False)], tok.position)
        run = [(tok.text, tok.exact)]
        # "-word" negates one word; otherwise consecutive bare words are one phrase.
        while (
            not (after and after.kind == "-")
            and (nxt := self.peek()) is not None
            and nxt.kind == "word"
        ):
            run.append((nxt.text, nxt.exact))
            self.i += 1
        return _phrase(run, tok.position)


def _phrase(parts: list[tuple[str, bool]], position: int) -> Phrase:
    words = tuple(Word(w, exact) for text, exact in parts for w in folded_words(prepare(text)))
    if not words:
        raise TopicError(NO_WORDS, example=EXAMPLE_TOPIC, position=position)
    return Phrase(words, title_only=False, position=position)


def _title_only(node: Node) -> Node:
    if isinstance(node, Phrase):
        return Phrase(node.words, title_only=True, position=node.position)
    if isinstance(node, Not):
        return Not(_title_only(node.child), node.position)
    if isinstance(node, And):
        return And(tuple(_title_only(c) for c in node.children))
    return Or(tuple(_title_only(c) for c in node.children))


def parse_topic(topic: str) -> Node:
    """Raises TopicError with the character position of the problem."""
    if len(topic) > MAX_TOPIC_LENGTH:
        raise TopicError(
            f"A topic can be at most {MAX_TOPIC_LENGTH} characters; this one has {len(topic)}.",
            position=MAX_TOPIC_LENGTH,
        )
    return _Parser(topic).parse()


def show_error(topic: str, error: TopicError, *, example: str = "{}") -> str:
    """The message, and when the error has a position, the topic with a caret under it.
    `example` writes an example topic the way the front end takes one: "/subscribe {}" in chat,
    '--topic "{}"' on the command line."""
    message = error.message
    if error.example:
        message = f"{message.removesuffix('.')}, e.g. {example.format(error.example)}."
    if error.position is None or len(topic) > MAX_TOPIC_LENGTH:
        return message
    return f"{message}\n{topic}\n{' ' * error.position}^"
