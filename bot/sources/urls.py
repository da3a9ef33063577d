"""Checking and tidying a URL a person typed in chat. Pure (no HTTP)."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000


def tidy_url(text: str) -> str:
    """What people paste: `<https://x|x>` (Slack), surrounding quotes, or no scheme at all."""
    url = text.strip().strip("\"'").strip()
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1].split("|", 1)[0].strip()
    if "://" not in url and not url.lower().startswith(("file:", "mailto:", "javascript:")):
        url = "https://" + url
    return url


def web_url_problem(url: str) -> str | None:
    """Why `url` cannot be a chat-added source, or None if it is an absolute http(s) URL."""
    if len(url) > MAX_URL_LENGTH:
        return f"that address is longer than {MAX_URL_LENGTH} characters"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "a web address has no spaces or control characters in it"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "that is not a valid web address"
    if parts.scheme.lower() not in ("http", "https"):
        return "only http:// and https:// addresses can be added"
    if not parts.hostname:
        return "the address has no host name"
    return None
