from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.ingest.retry_after import parse_retry_after

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Mon, 05 Jan 2026 09:02:00 GMT", 120.0),
        ("Mon, 05 Jan 2026 08:00:00 GMT", 0.0),  # already past: no wait, never negative
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),  # delta-seconds is a whole number
    ],
)
def test_retry_after_as_seconds_or_http_date(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds
