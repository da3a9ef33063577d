"""Slack: the `/news` slash command, @-mentions, Block Kit alerts; one workspace or many."""

from bot.adapters.slack.adapter import SlackChat, SlackSettings
from bot.adapters.slack.listeners import slack_chat, split_chat

__all__ = ["SlackChat", "SlackSettings", "slack_chat", "split_chat"]
