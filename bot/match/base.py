"""The matcher seam. The whole matching engine can be swapped by providing another `Matcher`.

A matcher turns a topic the user typed into a `Query` (or refuses it with `TopicError`), and turns
a set of saved queries into an index that answers, for one story, which of them match and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple, Protocol


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    body: str


class Hit(NamedTuple):
    """Query `query_id` matched; `terms` are the words of the story that made it match.

    A named tuple rather than a dataclass: a popular topic fans out to thousands of hits per
    story, and a tuple is several times cheaper to make."""

    query_id: int
    terms: tuple[str, ...]


class Query(Protocol):
    @property
    def text(self) -> str:
        """The topic as it should be shown back to the user."""
        ...

    @property
    def key(self) -> str:
        """Identity: two topics with the same key are the same subscription."""
        ...


class TopicIndex(Protocol):
    """Long-lived: built once from the saved topics, then updated as chats (un)subscribe."""

    def match(self, doc: Document) -> list[Hit]: ...

    def add(self, query_id: int, query: Query) -> None:
        """Index `query` under `query_id`, replacing what that id was indexed as before."""
        ...

    def remove(self, query_id: int) -> None:
        """Forget `query_id`; unknown ids are ignored."""
        ...


class Matcher(Protocol):
    def parse(self, topic: str) -> Query:
        """Raises TopicError when the topic cannot be used."""
        ...

    def index(self, queries: Iterable[tuple[int, Query]]) -> TopicIndex: ...
