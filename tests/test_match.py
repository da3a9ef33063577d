"""The topic language, forms of words and place names, on real-looking news text."""

from __future__ import annotations

import pytest

from bot.errors import TopicError
from bot.match.base import Document, Hits
from bot.match.engine import QueryMatcher
from bot.match.places import load_places
from bot.match.query import show_error
from bot.match.story import Story
from bot.match.text import keys_of, prepare, words

M = QueryMatcher()


def hit(topic: str, title: str, body: str = "") -> tuple[str, ...] | None:
    """Matched words via the index, checked against direct evaluation."""
    query = M.parse(topic)
    hits = M.index([(1, query)]).match(Document(title, body))
    direct = query.evaluate(Story(Document(title, body)))
    assert (hits[0].terms if hits else None) == direct
    return direct


@pytest.mark.parametrize(
    ("topic", "title", "body"),
    [
        ("peacekeepers", "Kremlin confirms Russian 'peacekeepers' withdrawing", ""),
        ("peacekeepers", "Russia's ‘peacekeeper’ act crumbles", ""),
        ("peacekeeper", "Several thousand Russian “peacekeepers” were deployed", ""),
        ("Sumy Oblast", "Russia attacks 13 communities in Sumy Oblast, injuring 1.", ""),
        ("sumy oblast", "SUMY OBLAST", ""),
        ("Sumy Oblast", "Sumy Oblast's governor said", ""),
        ('"Sumy Oblast"', "", "Shelling hit two villages in Sumy Oblast overnight."),
        ("Nagorno Karabakh", "withdrawing from Nagorno-Karabakh", ""),
        ("Nagorno-Karabakh", "the Nagorno Karabakh region", ""),
        ("Burgenstock", "the Bürgenstock summit", ""),
        ("Bürgenstock", "the Burgenstock summit", ""),
        ("communities", "one community was hit", ""),
        # Ukrainian and Russian forms
        ("Сумська область", "Ворог атакував громади Сумської області", ""),
        ("Суми", "Вибухи у Сумах: що відомо", ""),
        ("Київ", "Дрони над Києвом збили сили ППО", ""),
        ("миротворці", "Кремль відводить «миротворців» з Карабаху", ""),
        ("Киев", "Беспилотники над Киевом", ""),
        # place names across scripts and spellings
        ("Sumy Oblast", "Обстріл Сумщини: поранено двох людей", ""),
        ("Sumy Oblast", "", "Ворог обстріляв прикордоння Сумської області."),
        ("Sumy Oblast", "Россия атаковала Сумскую область", ""),
        ("Сумщина", "Russian drones struck Sumy Oblast", ""),
        ("Kyiv", "Вибухи в Києві", ""),
        ("Kyiv", "Взрывы в Киеве", ""),
        ("Київ", "Explosions in Kyiv", ""),
        ("Kyiv", "Explosions in Kiev", ""),
        # normalisation
        ("Київ", "Ки\u0301їв під атакою", ""),  # stress mark
        ("Слов'янськ", "Обстріл Слов’янська", ""),  # apostrophes
        ("Zaporizhzhia", "Zaporizh\u00adzhia nuclear plant", ""),  # soft hyphen
        ("Kyiv", "<b>Kyiv</b> &amp; Lviv", ""),  # tags and entities
    ],
)
def test_topic_matches(topic: str, title: str, body: str) -> None:
    assert hit(topic, title, body)


@pytest.mark.parametrize(
    ("topic", "text"),
    [
        ("peace", "Russian peacekeepers withdraw"),
        ("peacekeepers", "peace talks resume"),
        # decided: the activity is a different word from the people who do it
        ("peacekeepers", "UN peacekeeping budget cut"),
        ("peacekeeping", "Russian peacekeepers withdraw"),
        ("Sumy Oblast", "Sumy residents and the oblast council"),
        ("Sumy", "Sumyland opens"),
        ("Суми", "Сума збитків зросла"),  # a sum, not the city
        ("Київ", "Кий для більярду"),  # a cue, whose genitive plural is spelt "київ"
        ("=peacekeeper", "Russian peacekeepers withdraw"),
        ("=Суми", "Вибухи у Сумах"),
        ("title:Sumy", "Weather today"),
    ],
)
def test_topic_does_not_match(topic: str, text: str) -> None:
    assert hit(topic, text, "Weather report." if topic.startswith("title:") else "") is None


def test_title_only_looks_at_the_title() -> None:
    assert hit("title:Sumy", "Sumy under fire", "")
    assert hit("title:Sumy", "Border news", "Sumy under fire") is None
    assert hit('title:"Sumy Oblast"', "Sumy Oblast shelled", "")


def test_accents_are_folded_on_latin_letters_only() -> None:
    assert keys_of("київ")[0] == "київ"  # й and ї keep their marks
    assert keys_of("bürgenstock")[0] == "burgenstock"
    assert words("Ки\u0301їв") == ["київ"]
    assert prepare("a\u00adb") == "ab"


@pytest.mark.parametrize(
    ("topic", "yes", "no"),
    [
        ("drone AND Kyiv NOT exercise", "Drone shot down over Kyiv", "Kyiv drone exercise held"),
        ("(Armenia OR Azerbaijan) -Aliyev", "Armenia and Azerbaijan talk", "Aliyev visits Armenia"),
        ("Kyiv OR Kharkiv", "Blackout in Kharkiv", "Blackout in Lviv"),
        ("drone Kyiv", "Drone Kyiv attack", "Kyiv says drone attack"),  # one phrase
        ("drone AND NOT (Kyiv OR Lviv)", "Drone over Odesa", "Drone over Lviv"),
        ("Bosnia and Herzegovina", "Bosnia and Herzegovina votes", "Bosnia votes; Herzegovina"),
    ],
)
def test_boolean_queries(topic: str, yes: str, no: str) -> None:
    assert hit(topic, yes)
    assert hit(topic, no) is None


@pytest.mark.parametrize(
    ("topic", "message", "position"),
    [
        ("-Aliyev", "not only words to leave out", 1),
        ("NOT drone", "not only words to leave out", 4),
        ("Kyiv OR -drone", "not only words to leave out", 9),
        ("the", "only very common words", 0),
        ("Kyiv OR (the)", "only very common words", 9),
        ("(Armenia OR Azerbaijan", "never closed", 0),
        ("(Armenia OR", "never closed", 0),  # the bracket, not the word it left missing
        ("Kyiv (", "never closed", 5),
        ("(Kyiv) AND (Sumy NOT", "never closed", 11),
        ("Armenia)", "no opening one", 7),
        ("Kyiv AND", "missing after AND", 5),
        ("OR Kyiv", "missing", 0),
        ('"Sumy Oblast', "never closed", 0),
        ("---", "at least one word", 0),
        ("x" * 201, "at most 200", 200),
    ],
)
def test_bad_topics_say_where(topic: str, message: str, position: int) -> None:
    with pytest.raises(TopicError) as e:
        M.parse(topic)
    assert message in e.value.message
    assert e.value.position == position
    if len(topic) <= 200:
        assert show_error(topic, e.value).endswith("\n" + " " * position + "^")


def test_identical_topics_have_one_key() -> None:
    assert M.parse("Sumy  Oblast").key == M.parse("sumy-oblast").key == "sumy oblast"
    assert M.parse("a1 OR b2").key == M.parse("(b2 OR a1)").key
    assert M.parse("Kyiv -drone").key == M.parse("Kyiv AND NOT drone").key
    assert M.parse("=Kyiv").key != M.parse("Kyiv").key
    assert M.parse("title:Kyiv").key != M.parse("Kyiv").key


def test_the_index_updates_in_place_and_fans_out_identical_queries() -> None:
    index = M.index([(1, M.parse("Kyiv")), (2, M.parse("kyiv")), (3, M.parse("Lviv -rain"))])
    doc = Document("Kyiv and Lviv", "")
    assert {h.query_id for h in index.match(doc)} == {1, 2, 3}
    assert index.distinct_queries == 2
    index.remove(1)
    index.remove(3)
    index.remove(99)  # unknown: ignored
    assert {h.query_id for h in index.match(doc)} == {2}
    index.add(2, M.parse("Lviv"))  # re-indexing an id replaces its query
    index.add(4, M.parse("drone AND Lviv"))
    assert [(h.query_id, h.terms) for h in index.match(doc)] == [(2, ("Lviv",))]
    assert {h.query_id for h in index.match(Document("Drone over Lviv", ""))} == {2, 4}
    assert index.distinct_queries == 2


def test_hits_name_the_story_words_as_written() -> None:
    (h,) = M.index([(7, M.parse("Sumy Oblast"))]).match(
        Document("Обстріл Сумської області", "Sumy Oblast's governor said")
    )
    assert h.terms == ("Oblast's", "Sumy", "Сумської", "області")


def test_hits_show_a_word_as_the_title_wrote_it_and_every_form_present() -> None:
    index = M.index(
        [
            (1, M.parse("Kyiv")),
            (2, M.parse("Kyiv OR Lviv")),
            (3, M.parse("Київ")),
            (4, M.parse("Lviv")),
        ]
    )
    doc = Document("KYIV after the night", "Kyiv and kyiv; над Києвом, у Києві, then lviv")
    kyiv = ("KYIV", "Києвом", "Києві")  # the title's way of writing it; every form present
    assert sorted(index.match(doc)) == [
        (1, kyiv),
        (2, tuple(sorted((*kyiv, "lviv")))),
        (3, kyiv),  # the same place
        (4, ("lviv",)),
    ]


def test_the_place_table_can_be_extended() -> None:
    assert hit("Okhtyrka", "Обстріл Охтирки") is None
    load_places(["Okhtyrka = Охтирка = Ахтырка"])
    assert hit("Okhtyrka", "Обстріл Охтирки")
    assert hit("Okhtyrka", "Обстрел Ахтырки")


def test_hits_come_once_per_distinct_query_and_expand_to_every_subscriber() -> None:
    topics = [(1, "Kyiv"), (2, "kyiv"), (3, "Київ"), (4, "Sumy Oblast"), (5, "Lviv")]
    index = M.index([(i, M.parse(t)) for i, t in topics])
    hits = index.match(Document("Kyiv and Sumy Oblast", ""))
    assert isinstance(hits, Hits)
    # "Kyiv" and "kyiv" are one query; "Київ" (with its other names) is another
    assert sorted((sorted(ids), terms) for ids, terms in hits.groups) == [
        ([1, 2], ("Kyiv",)),
        ([3], ("Kyiv",)),
        ([4], ("Oblast", "Sumy")),
    ]
    assert len(hits) == 4
    assert sorted(hits) == [(1, ("Kyiv",)), (2, ("Kyiv",)), (3, ("Kyiv",)), (4, ("Oblast", "Sumy"))]
    assert hits == list(hits)
    assert hits[0] in list(hits)
    index.remove(2)  # hits already handed out do not change with the index
    assert len(hits) == 4
    assert {h.query_id for h in index.match(Document("Kyiv", ""))} == {1, 3}
    assert index.match(Document("Rain", "")) == []


@pytest.mark.parametrize(
    "topic",
    ["Kyiv", "peacekeepers", "Sumy Oblast", "Сумська область", "the drone", "Kyiv's drones"],
)
def test_a_plain_topic_key_is_the_key_of_its_groups(topic: str) -> None:
    # A plain phrase's key is made without its groups (see CompiledQuery): it must be the key
    # the groups would give, or a repeated topic would not find its stored twin.
    from bot.match.compile import _query_key

    query = M.parse(topic)
    assert query.key == _query_key(query.groups)


def test_a_capital_whose_folded_form_has_a_combining_mark_stays_in_its_word() -> None:
    # "İ".casefold() is "i" plus a combining dot: the word is split first and folded after, so it
    # stays one word, and the mark (after a Latin letter) is folded away like an accent.
    assert hit("Istanbul", "Talks in İSTANBUL")
    assert hit("Istanbul", "İstanbul talks")


def test_terms_are_shown_as_written_where_written_otherwise_than_folded() -> None:
    (h,) = M.index([(1, M.parse("drone"))]).match(Document("drone strike", "A Drone fell."))
    assert h.terms == ("Drone",)
    (h,) = M.index([(1, M.parse("drone"))]).match(Document("DRONE strike", "A Drone fell."))
    assert h.terms == ("DRONE",)  # the title first
