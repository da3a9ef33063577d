"""Telegram HTML rendering, checked by the fake Bot API's own entity parser (Telegram's rules)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.adapters.telegram.buttons import MAX_CALLBACK_DATA, alert_buttons, decode, encode
from bot.adapters.telegram.inbound import command_for_us
from bot.adapters.telegram.render import (
    MAX_LENGTH,
    render_alert,
    render_digest,
    render_reply,
    render_text,
)
from bot.commands.core import Reply
from bot.domain import AlertAction, AlertMessage
from tests.support.telegram_html import EntityError, utf16_length, visible_text

HOSTILE = 'Fake "<!channel>" alerts & <b>bold</b>'
WHEN = datetime(2024, 4, 17, 15, 48, tzinfo=UTC)


def alert(**changes: object) -> AlertMessage:
    fields: dict[str, object] = {
        "title": "Russia attacks 13 communities in Sumy Oblast",
        "url": "https://kyivindependent.example/sumy?a=1&b=2",
        "source": "Kyiv Independent",
        "published": WHEN,
        "summary": "Russian forces struck 13 communities in Sumy Oblast.",
        "topic": "Sumy Oblast",
        "terms": ("Sumy", "Oblast"),
        "subscription_id": 7,
    }
    fields.update(changes)
    return AlertMessage(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "title", [HOSTILE, "a<b & c_d*", "&amp; &lt;tag&gt; &#60;", "<a href='x'>x</a>", "</b>"]
)
def test_titles_arrive_exactly_as_written(title: str) -> None:
    html = render_alert(alert(title=title, summary=title, topic=title)).html
    lines = visible_text(html).splitlines()
    assert lines[0] == f"🔔 {title}"
    assert lines[2] == title and lines[3] == f"Topic: {title}"


def test_alert_layout_links_the_title_and_bolds_matched_words() -> None:
    rendered = render_alert(alert())
    assert rendered.html.startswith(
        '🔔 <b><a href="https://kyivindependent.example/sumy?a=1&amp;b=2">Russia attacks'
    )
    assert "in <b>Sumy</b> <b>Oblast</b>." in rendered.html
    war = render_alert(alert(summary="War moves toward the war-torn east.", terms=("war",)))
    assert "<b>War</b> moves toward the <b>war</b>-torn" in war.html
    assert visible_text(rendered.html).splitlines() == [
        "🔔 Russia attacks 13 communities in Sumy Oblast",
        "Kyiv Independent · 2024-04-17 15:48 UTC",
        "Russian forces struck 13 communities in Sumy Oblast.",
        "Topic: Sumy Oblast",
    ]
    assert "https://kyivindependent.example/sumy?a=1&b=2" in rendered.plain


def test_a_link_that_is_not_http_is_shown_not_linked() -> None:
    html = render_alert(alert(url='javascript:alert("x")')).html
    assert "<a " not in html and 'javascript:alert("x")' in visible_text(html)


def test_a_huge_emoji_and_cjk_summary_is_cut_cleanly_within_the_limit() -> None:
    summary = ("新闻 & <速報> 😀🇺🇦 " * 1000)[:10_000]
    rendered = render_alert(alert(summary=summary, also=("BBC", "Reuters")))
    text = visible_text(rendered.html)  # parses: no tag or entity was cut
    assert utf16_length(text) <= MAX_LENGTH
    assert utf16_length(rendered.plain) <= MAX_LENGTH
    assert text.startswith("🔔 Russia attacks") and text.endswith("Topic: Sumy Oblast")
    assert "…\nAlso: BBC, Reuters" in text  # the summary gave way, the rest survived
    text.encode("utf-8")  # no half of a surrogate pair left behind


def test_a_huge_title_is_cut_inside_its_link_never_through_the_tag() -> None:
    rendered = render_alert(alert(title="Ж😀&<" * 3000, summary=""))
    text = visible_text(rendered.html)
    assert utf16_length(text) <= MAX_LENGTH and text.endswith("…")
    assert rendered.html.count("<a ") == rendered.html.count("</a>") == 1


def test_replies_and_digests_escape_and_fit() -> None:
    story = alert(title=HOSTILE)
    reply = render_reply(Reply("Latest stories about “<x>”:", stories=(story,) * 3))
    text = visible_text(reply.html)
    assert text.startswith("Latest stories about “<x>”:") and text.count(HOSTILE) == 3
    digest = render_digest("3 new stories & more", [story] * 200)
    text = visible_text(digest.html)
    assert text.startswith("🗞 3 new stories & more") and utf16_length(text) <= MAX_LENGTH
    assert visible_text(render_text("a < b & c").html) == "a < b & c"


def test_the_fakes_parser_refuses_what_telegram_refuses() -> None:
    refused = ["<b>x", "a & b", "<script>x</script>", "<b><i>x</b></i>", "&foo;"]
    for bad in [*refused, "<a href='ftp://x'>y</a>"]:
        with pytest.raises(EntityError):
            visible_text(bad)


def test_buttons_carry_compact_callback_data() -> None:
    unsubscribe, mute = alert_buttons("a very long topic " * 10, 2**62)
    assert unsubscribe.label.startswith("Unsubscribe from a very long topic") and "…" in mute.label
    for button in (unsubscribe, mute):
        assert len(button.data.encode()) <= MAX_CALLBACK_DATA
    assert decode(unsubscribe.data) == AlertAction("unsubscribe", 2**62)
    assert decode(encode(AlertAction("mute", 5))) == AlertAction("mute", 5)
    for junk in [None, "", "x:1", "u:", "u:-1", "u:1.5", "m:١٢"]:
        assert decode(junk) is None


def test_commands_for_other_bots_are_recognised() -> None:
    assert command_for_us("/subscribe@NewsTestBot x", "NewsTestBot") is True
    assert command_for_us("/subscribe@newstestbot", "NewsTestBot") is True
    assert command_for_us("/subscribe x", "NewsTestBot") is True
    assert command_for_us("/subscribe@OtherBot x", "NewsTestBot") is False
    assert command_for_us("hello /subscribe", "NewsTestBot") is None
