"""Build the platform-neutral alert for a queued (chat, story, topic)."""

from __future__ import annotations

from bot.alerts.summary import summarise_about
from bot.domain import AlertMessage, Article


def compose_alert(article: Article, *, topic: str, terms: tuple[str, ...] = ()) -> AlertMessage:
    return AlertMessage(
        title=article.title or article.url,
        url=article.url,
        source=article.source_name,
        published=article.published,
        summary=summarise_about(article.title, article.body or article.summary, terms),
        topic=topic,
        terms=terms,
    )
