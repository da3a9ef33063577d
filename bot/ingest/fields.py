"""Field values every feed format shares: dates, links, non-empty strings."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

__all__ = ["absolute", "from_struct", "nonempty", "parse_date"]


def parse_date(value: object) -> datetime | None:
    """ISO 8601 / RFC 3339 or RFC 822 → aware UTC; a date without a zone is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def from_struct(stamp: object) -> datetime | None:
    """feedparser's parsed date (a struct_time, already UTC) → aware UTC."""
    if not isinstance(stamp, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def absolute(base: str, link: str | None) -> str | None:
    if not link or not link.strip():
        return None
    try:
        return urljoin(base, link.strip())
    except ValueError:
        return link.strip()


def nonempty(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
