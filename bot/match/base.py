"""The matcher seam. The whole matching engine can be swapped by providing another `Matcher`.

A matcher turns a topic the user typed into a `Query` (or refuses it with `TopicError`), and turns
a set of saved queries into an index that answers, for one story, which of them match and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, overload


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


class Hits(Sequence[Hit]):
    """The hits of one story, as (subscription ids, terms) per matched distinct query.

    Identical queries are stored once: a popular one matches for hundreds of subscriptions with
    the same terms, so the index hands back its ids in one array instead of making a `Hit` for
    each. Iterating (or indexing) yields one `Hit` per subscription, as a list of hits would."""

    __slots__ = ("_len", "groups")

    def __init__(self, groups: Iterable[tuple[Sequence[int], tuple[str, ...]]] = ()) -> None:
        self.groups = list(groups)
        self._len = -1

    def __len__(self) -> int:
        if self._len < 0:
            self._len = sum(len(ids) for ids, _ in self.groups)
        return self._len

    def __iter__(self) -> Iterator[Hit]:
        for ids, terms in self.groups:
            for query_id in ids:
                yield Hit(query_id, terms)

    @overload
    def __getitem__(self, i: int) -> Hit: ...

    @overload
    def __getitem__(self, i: slice) -> list[Hit]: ...

    def __getitem__(self, i: int | slice) -> Hit | list[Hit]:
        return list(self)[i]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Hits({list(self)!r})"


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

    def match(self, doc: Document) -> Sequence[Hit]: ...

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
