"""Property: for random topics and stories, the index finds exactly what direct evaluation finds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import Article
from bot.errors import TopicError
from bot.match.base import Document
from bot.match.compile import CompiledQuery
from bot.match.engine import QueryMatcher
from bot.match.recent import RecentStories
from bot.match.story import Story
from bot.match.text import WORD, tokenise

M = QueryMatcher()
# Few words, so topics and stories share them often; forms, places, plurals and stop-words mixed.
VOCAB = [
    "Kyiv", "Київ", "Києві", "Киеве", "Kiev", "drone", "drones", "Sumy", "Oblast", "Сумської",
    "області", "Сумщина", "peacekeepers", "peacekeeping", "peace", "the", "Lviv", "Львові",
    "exercise", "Armenia", "Aliyev", "у", "Сумах",
]  # fmt: skip

word = st.sampled_from(VOCAB)
phrase = st.lists(word, min_size=1, max_size=3).map(" ".join)
atom = st.one_of(
    phrase,
    phrase.map(lambda p: f'"{p}"'),
    word.map(lambda w: f"={w}"),
    word.map(lambda w: f"title:{w}"),
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, children).map(lambda t: f"({t[0]}) AND ({t[1]})"),
        st.tuples(children, children).map(lambda t: f"({t[0]}) OR ({t[1]})"),
        st.tuples(children, children).map(lambda t: f"({t[0]}) NOT ({t[1]})"),
        st.tuples(children, word).map(lambda t: f"({t[0]}) -{t[1]}"),
    )


topic = st.recursive(atom, _combine, max_leaves=5)
text = st.lists(st.one_of(word, st.sampled_from([",", "-", "«", "»", "'s"])), max_size=25).map(
    " ".join
)


def _compile(topics: list[str]) -> list[tuple[int, CompiledQuery]]:
    out = []
    for i, t in enumerate(topics):
        try:
            out.append((i, M.parse(t)))
        except TopicError:
            continue  # the property is about topics that parse
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topics=st.lists(topic, min_size=1, max_size=8), title=text, body=text)
def test_index_equals_direct_evaluation(topics: list[str], title: str, body: str) -> None:
    queries = _compile(topics)
    doc = Document(title, body)
    index = M.index(queries)
    found = {h.query_id: h.terms for h in index.match(doc)}
    expected = {i: terms for i, q in queries if (terms := q.evaluate(Story(doc))) is not None}
    assert found == expected


@settings(max_examples=100, deadline=None)
@given(topics=st.lists(topic, min_size=2, max_size=8), title=text, remove=st.data())
def test_removing_is_the_same_as_never_adding(
    topics: list[str], title: str, remove: st.DataObject
) -> None:
    queries = _compile(topics)
    gone = set(remove.draw(st.sets(st.sampled_from(range(len(topics))))))
    index = M.index(queries)
    for i in gone:
        index.remove(i)
    fresh = M.index([(i, q) for i, q in queries if i not in gone])
    doc = Document(title, "")
    assert sorted(index.match(doc), key=str) == sorted(fresh.match(doc), key=str)


@settings(max_examples=200, deadline=None)
@given(words=st.lists(word, min_size=1, max_size=4), title=text)
def test_plain_topics_take_a_shortcut_to_the_same_query(words: list[str], title: str) -> None:
    plain = " ".join(words)
    try:
        fast = M.parse(plain)
    except TopicError:
        return  # only stop-words: refused on both paths (checked in test_match.py)
    parsed = M.parse(f'"{plain}"')  # quotes go through the full parser
    assert fast.key == parsed.key
    story = Story(Document(title, ""))
    assert fast.evaluate(story) == parsed.evaluate(story)


@settings(max_examples=150, deadline=None)
@given(topics=st.lists(topic, min_size=1, max_size=4), titles=st.lists(text, max_size=12))
def test_recent_stories_search_equals_direct_evaluation(
    topics: list[str], titles: list[str]
) -> None:
    articles = [
        Article(
            key=f"k{n}",
            source_url="https://ex.example/feed",
            source_name="Example",
            guid=None,
            url=f"https://ex.example/{n}",
            title=title,
            summary=titles[n - 1] if n else "",
            published=datetime(2024, 4, 1, tzinfo=UTC) + timedelta(hours=n),
        )
        for n, title in enumerate(titles)
    ]
    recent = RecentStories()
    recent.add(articles)
    for _, query in _compile(topics):
        result = recent.search(query, limit=3, count=True)
        matching = [
            (a, terms)
            for a in reversed(articles)
            if (terms := query.evaluate(Story(Document(a.title, a.summary)))) is not None
        ]
        assert result.count == len(matching)
        assert [(f.article.key, f.terms) for f in result.newest] == [
            (a.key, terms) for a, terms in matching[:3]
        ]


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(list("ab'’ ,.«»—_-\t\n\u00a0\u0301ʼ1²")), st.characters()
        ),
        max_size=40,
    )
)
def test_tokenise_is_the_word_pattern(text: str) -> None:
    folded = text.casefold()
    assert tokenise(folded) == WORD.findall(folded)
