from bot.alerts.summary import SUMMARY_LIMIT, summarise

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
    assert summarise("One sentence.  Two\n sentences.") == "One sentence. Two sentences."


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
