"""Alerts: summaries and platform-neutral alert messages. Pure."""
