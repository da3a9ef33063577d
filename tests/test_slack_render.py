"""Block Kit rendering: escaping, bold terms, Slack's size limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.adapters.slack.render import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    alert_blocks,
    digest_blocks,
    escape,
    fallback_text,
    linked_title,
    reply_message,
)
from bot.commands.core import Reply
from bot.domain import AlertMessage

WHEN = datetime(2024, 4, 17, 9, 10, tzinfo=UTC)


def alert(**kw: object) -> AlertMessage:
    base: dict[str, object] = {
        "title": "Russia attacks 13 communities in Sumy Oblast",
        "url": "https://kyivindependent.example/sumy/",
        "source": "Kyiv Independent",
        "published": WHEN,
        "summary": "Russian forces struck 13 communities in Sumy Oblast.",
        "topic": "Sumy Oblast",
        "terms": ("Sumy", "Oblast"),
        "subscription_id": 7,
    }
    base.update(kw)
    return AlertMessage(**base)  # type: ignore[arg-type]


def test_escape_only_the_three_characters_slack_asks_for() -> None:
    assert escape("<!channel> & <@U1> \"'") == "&lt;!channel&gt; &amp; &lt;@U1&gt; \"'"


def test_hostile_title_and_summary_cannot_mention_or_link() -> None:
    hostile = alert(
        title="<!channel> <http://evil.example|click> | <@U123>",
        summary="<!here> & <!subteam^S1>",
        source="<!everyone>",
        topic="<@U9>",
    )
    out = json.dumps([fallback_text(hostile), alert_blocks(hostile)])
    for ping in ("<!channel>", "<!here>", "<@U123>", "<!subteam", "<!everyone>", "<@U9>"):
        assert ping not in out
    assert "<http://evil" not in out
    # The only link is ours, and the title's `|` cannot start a second label inside it.
    title = linked_title(hostile)
    assert title.startswith("<https://kyivindependent.example/sumy/|")
    assert title.count("|") == 1 and title.count("<") == 1 and title.endswith(">")


def test_a_url_cannot_break_out_of_its_link() -> None:
    tricky = alert(url="https://x.example/a>b|c<d")
    url = linked_title(tricky).split("|")[0]
    assert url == "<https://x.example/a%3Eb%7Cc%3Cd"
    assert linked_title(alert(url="javascript:alert(1)")).startswith("Russia")  # no link at all


def test_matched_terms_are_bold_in_title_and_summary() -> None:
    section = alert_blocks(alert())[0]["text"]["text"]
    assert "*Sumy* *Oblast*" in section
    assert "communities in *Sumy* *Oblast*." in section


def test_alert_has_context_and_buttons_only_with_a_subscription() -> None:
    blocks = alert_blocks(alert())
    assert [b["type"] for b in blocks] == ["section", "context", "actions"]
    assert blocks[1]["elements"][0]["text"] == (
        "Kyiv Independent · 2024-04-17 09:10 UTC · topic: Sumy Oblast"
    )
    assert [b["type"] for b in alert_blocks(alert(subscription_id=None))] == ["section", "context"]


def test_a_huge_summary_is_cut_to_fit_a_section() -> None:
    for summary in ("word " * 1200, "&" * 5000, "<" * 5000):
        section = alert_blocks(alert(summary=summary))[0]["text"]["text"]
        assert len(section) <= SECTION_LIMIT
        assert "&am…" not in section and section.endswith("…")


def test_a_digest_of_many_alerts_stays_within_fifty_blocks() -> None:
    many = [alert(title=f"Story {i} & more", subscription_id=i) for i in range(120)]
    text, blocks = digest_blocks("Your hourly digest", many)
    assert len(blocks) == MAX_BLOCKS
    assert blocks[-1]["elements"][0]["text"] == "…and 72 more."
    assert all(len(b.get("text", {}).get("text", "")) <= SECTION_LIMIT for b in blocks)
    assert "120 stories" in text
    _, exact = digest_blocks("Digest", many[:49])
    assert len(exact) == MAX_BLOCKS and exact[-1]["type"] == "section"


def test_reply_lists_stories_under_the_text() -> None:
    text, blocks = reply_message(Reply("Latest <stories>:", stories=(alert(), alert())))
    assert text == "Latest &lt;stories&gt;:"
    assert len(blocks) == 3 and "Kyiv Independent" in blocks[1]["text"]["text"]
