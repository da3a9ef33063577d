from bot.alerts.highlight import highlight


def bold(s: str) -> str:
    return f"**{s}**"


def test_matched_words_are_marked_as_whole_words() -> None:
    text = "Drones over Kyiv; Kyivstar down. Сумської області"
    assert highlight(text, ("Kyiv", "Сумської", "області"), bold) == (
        "Drones over **Kyiv**; Kyivstar down. **Сумської** **області**"
    )


def test_longest_term_first_and_nothing_to_mark() -> None:
    assert highlight("Oblast's governor", ("Oblast", "Oblast's"), bold) == "**Oblast's** governor"
    assert highlight("a (b) c", ("(b)",), bold) == "a **(b)** c"  # literal, never a pattern
    assert highlight("text", (), bold) == "text"
