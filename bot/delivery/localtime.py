"""Wall-clock rules in a chat's own time zone: quiet hours and digest times. Pure.

Times of day are minutes after local midnight. Every "next time" is computed afresh from the
zone's rules, so a DST change moves the UTC instant and never the local time: a daily digest at
08:00 in Europe/Kyiv goes out at 05:00 UTC in summer and 06:00 UTC in winter. A local time that
occurs twice (fall-back) means its first occurrence; one that a spring-forward skips (03:30 that
night in Kyiv) is read with the old offset, so it happens an hour late (04:30), never not at all.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str) -> int | None:
    """ "08:00" → 480; None if it is not a 24-hour time."""
    m = _HHMM.match(text.strip())
    return int(m.group(1)) * 60 + int(m.group(2)) if m else None


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def zone(name: str) -> ZoneInfo:
    """The zone, or UTC for a name this system no longer knows (it was valid when stored)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_minute(now: datetime, tz: str) -> int:
    local = now.astimezone(zone(tz))
    return local.hour * 60 + local.minute


def in_quiet(quiet: tuple[int, int] | None, tz: str, now: datetime) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    minute = local_minute(now, tz)
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end  # wraps past midnight (23:00-07:00)


def next_local(minutes: int, tz: str, after: datetime) -> datetime:
    """The first instant strictly after `after` when the local clock shows `minutes`, in UTC."""
    info = zone(tz)
    day = after.astimezone(info).date()
    wall = time(minutes // 60, minutes % 60)
    for offset in range(3):
        # Built from the wall time each day (not by adding 24 h), so DST shifts the UTC instant.
        candidate = datetime.combine(day + timedelta(days=offset), wall, tzinfo=info)
        # Compared in UTC: aware datetimes sharing a tzinfo compare by wall time, DST-blind.
        # fold=0: a repeated (fall-back) wall time means its first occurrence.
        candidate_utc = candidate.astimezone(UTC)
        if candidate_utc > after:
            return candidate_utc
    raise AssertionError("a local time recurs within three days")


def quiet_end(quiet: tuple[int, int], tz: str, now: datetime) -> datetime:
    return next_local(quiet[1], tz, now)


def next_digest(mode: str, at: int | None, tz: str, after: datetime) -> datetime:
    """When the next digest is due after `after`: the next local top of the hour, or the next
    local `at` for a daily one."""
    if mode == "daily":
        return next_local(at or 0, tz, after)
    local = after.astimezone(zone(tz)).replace(minute=0, second=0, microsecond=0)
    candidate = local.astimezone(UTC)
    while candidate <= after:
        candidate += timedelta(hours=1)
    return candidate
