import pytest

from bot.errors import TopicError
from bot.match.base import Document
from bot.match.phrase import PhraseMatcher
from bot.match.text import fold, words

M = PhraseMatcher()


def matches(topic: str, title: str, body: str = "") -> bool:
    return bool(M.index([(1, M.parse(topic))]).match(Document(title, body)))


@pytest.mark.parametrize(
    ("topic", "text"),
    [
        ("peacekeepers", "Kremlin confirms Russian 'peacekeepers' withdrawing"),
        ("peacekeepers", "Russia's ‘peacekeeper’ act crumbles"),
        ("peacekeeper", "Several thousand Russian “peacekeepers” were deployed"),
        ("Sumy Oblast", "Russia attacks 13 communities in Sumy Oblast, injuring 1."),
        ("sumy oblast", "SUMY OBLAST"),
        ("Sumy Oblast", "Sumy Oblast's governor said"),
        ("Nagorno Karabakh", "withdrawing from Nagorno-Karabakh"),
        ("Nagorno-Karabakh", "the Nagorno Karabakh region"),
        ("Burgenstock", "the Bürgenstock summit"),
        ("Bürgenstock", "the Burgenstock summit"),
        ("Київ", "Дрони над Київ вночі"),
        ("communities", "one community was hit"),
    ],
)
def test_topic_matches(topic: str, text: str) -> None:
    assert matches(topic, text)


@pytest.mark.parametrize(
    ("topic", "text"),
    [
        ("peace", "Russian peacekeepers withdraw"),
        ("peacekeepers", "peace talks resume"),
        ("Sumy Oblast", "Sumy city and Kharkiv Oblast"),  # not consecutive
        ("Sumy", "Sumyska street"),  # whole words only
        ("Oblast Sumy", "Sumy Oblast"),  # order matters in a phrase
        ("Київ", "Києві"),  # Ukrainian inflection is the query-language issue's job, not v1's
    ],
)
def test_topic_does_not_match(topic: str, text: str) -> None:
    assert not matches(topic, text)


def test_body_matches_too_and_terms_are_reported_as_written() -> None:
    index = M.index([(7, M.parse("nagorno karabakh")), (8, M.parse("Odesa"))])
    hits = index.match(Document("A title", "Forces left Nagorno-Karabakh on Monday."))
    assert [(h.query_id, h.terms) for h in hits] == [(7, ("Nagorno-Karabakh",))]


def test_latin_accents_fold_but_cyrillic_letters_keep_their_marks() -> None:
    assert fold("Bürgenstock Café") == "burgenstock cafe"
    assert fold("Київ Йосип") == "київ йосип"
    assert words("soft\u00adhyphen") == ["softhyphen"]


def test_same_topic_written_differently_has_one_key() -> None:
    assert M.parse("Sumy  Oblast").key == M.parse("sumy-oblast").key
    assert M.parse("peacekeepers").key == M.parse("Peacekeeper").key
    assert M.parse("  Sumy   Oblast ").text == "Sumy Oblast"


@pytest.mark.parametrize("topic", ["", "   ", "!!! ---", "x" * 201])
def test_unusable_topics_are_refused(topic: str) -> None:
    with pytest.raises(TopicError):
        M.parse(topic)
