from datetime import UTC, datetime
from pathlib import Path

from bot.alerts.compose import compose_alert
from bot.alerts.summary import SUMMARY_LIMIT, summarise, summarise_about
from bot.ingest.normalise import to_article
from bot.ingest.parse import parse_feed

LEAD = (
    'Russia has begun withdrawing its "peacekeeping" contingent from Nagorno-Karabakh, Kremlin '
    "spokesperson Dmitry Peskov confirmed on April 17, according to Russian independent media "
    "outlet Meduza."
)
SECOND = (
    'Several thousand Russian "peacekeepers" were deployed to Nagorno-Karabakh in the fall of '
    "2020 following another escalation of the years-long Armenian-Azerbaijani conflict."
)


def test_short_text_is_kept_whole() -> None:
    assert summarise("One sentence.  Two \t sentences.") == "One sentence. Two sentences."


def test_paragraph_breaks_are_kept() -> None:
    # A line is a paragraph: one without a full stop ends its sentence, and stays apart.
    text = "The charge sheet was filed in document\n\nThe FBI said it found the files. It left."
    assert summarise(text) == (
        "The charge sheet was filed in document\nThe FBI said it found the files. It left."
    )


def test_a_feed_summary_in_paragraphs_keeps_them_and_whole_sentences() -> None:
    # The feed's <p>…filed in document</p><p>The FBI said…: read as one line, the paragraphs ran
    # together into one 310-character "sentence" ("…in document The FBI said…"), which was cut.
    feed = Path(__file__).parent / "fixtures/feeds/newsbot/rss-paragraphs.rss"
    entry = parse_feed(feed.read_bytes(), source="https://courts.example.com/feed").entries[0]
    article = to_article(
        entry,
        source_url="https://courts.example.com/feed",
        source_name="Courts",
        fetched_at=datetime(2024, 4, 17, tzinfo=UTC),
    )
    assert article is not None
    assert article.summary.endswith(
        "filed in document\nThe FBI said it had found the files during a search in March. "
        "The defence has not commented."
    )
    alert = compose_alert(article, topic="official", terms=("official",))
    assert alert.summary == (
        "Prosecutors say the former deputy director of the regional administration kept paper "
        "copies of the city's evacuation plans at home for two years and shared parts of them "
        "with a journalist and a business partner, according to the charge sheet filed in document"
    )
    about_fbi = compose_alert(article, topic="FBI", terms=("FBI",))
    assert about_fbi.summary == (
        "The FBI said it had found the files during a search in March. "
        "The defence has not commented."
    )


def test_whole_sentences_up_to_the_limit() -> None:
    summary = summarise(f"{LEAD} {SECOND} {LEAD}")
    assert summary == LEAD  # LEAD + SECOND would exceed 300 characters
    assert len(summary) <= SUMMARY_LIMIT


def test_a_single_long_sentence_is_cut_on_a_word_with_an_ellipsis() -> None:
    text = "word " * 200
    summary = summarise(text)
    assert len(summary) <= SUMMARY_LIMIT
    assert summary.endswith("word…")


def test_sentence_ending_with_a_quote_is_split_after_the_quote() -> None:
    text = 'He said "enough." Then he left. ' + "x " * 200
    assert summarise(text) == 'He said "enough." Then he left.'


def test_empty_text_gives_empty_summary() -> None:
    assert summarise("   ") == ""


# --- about the topic (bot.alerts.summary.summarise_about) ---

SEED_TITLE = "Kremlin confirms Russian 'peacekeepers' withdrawing from Nagorno-Karabakh"
SEED_BODY = "\n".join(
    [
        "This audio is created with AI assistance",  # page furniture an extractor may leave in
        LEAD,
        SECOND,
        'Armenia has experienced heightened tensions with Russia after Russian "peacekeepers" '
        "did nothing to prevent Azerbaijan's September 2023 offensive into Nagorno-Karabakh.",
        "Help us serve you better. Take a survey now.",
        'In March, Armenia asked Russian "peacekeepers" who have been stationed at Yerevan\'s '
        "international airport since the country's independence to leave.",
        'Armenian Prime Minister Pashinyan said in February that Armenia had "frozen" its '
        "participation in the Russian-led Collective Security Treaty Organization (CSTO) because "
        "it failed to uphold its objectives regarding Armenia.",
        "The CSTO did not intervene during Azerbaijan's 2023 offensive.",
    ]
)


def test_words_in_the_title_give_the_lead() -> None:
    summary = summarise_about(SEED_TITLE, SEED_BODY, ("peacekeepers",))
    assert summary == LEAD


def test_words_only_deep_in_the_body_lead_the_summary() -> None:
    summary = summarise_about(SEED_TITLE, SEED_BODY, ("Collective Security Treaty Organization",))
    assert summary.startswith("Armenian Prime Minister Pashinyan said in February")
    assert summary.endswith("The CSTO did not intervene during Azerbaijan's 2023 offensive.")
    assert len(summary) <= SUMMARY_LIMIT


def test_matching_ignores_case_and_punctuation_like_the_matcher() -> None:
    summary = summarise_about(SEED_TITLE, SEED_BODY, ("yerevan's",))
    assert summary.startswith("In March, Armenia asked")


def test_boilerplate_never_reaches_a_summary() -> None:
    for terms in [(), ("survey",), ("AI assistance",), ("peacekeepers",)]:
        summary = summarise_about(SEED_TITLE, SEED_BODY, terms)
        assert "survey" not in summary and "AI assistance" not in summary
        assert summary.startswith("Russia has begun")


def test_terms_found_nowhere_give_the_lead() -> None:
    assert summarise_about("A title", SEED_BODY, ("Odesa",)) == LEAD
