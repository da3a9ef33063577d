"""Per-chat delivery settings: /settings, /timezone, /digest, /quiet, /mute, /pause, /resume.

Changing a setting is for a group's administrators (admin=True); /settings is for everyone.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.commands.core import Commands, Incoming, Reply, command
from bot.delivery.localtime import format_hhmm, next_digest, parse_hhmm, valid_zone, zone
from bot.domain import ChatSettings
from bot.errors import TopicError

MAX_MUTE = timedelta(days=30)
_DURATION = re.compile(r"^(\d{1,4})(m|min|h|d)$")
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta | None:
    """ "30m", "2h", "1d" → the timedelta; None if it is not one."""
    m = _DURATION.match(text.strip().lower())
    if not m or int(m.group(1)) == 0:
        return None
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def _local(when: datetime, tz: str) -> str:
    return when.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M")


def describe(settings: ChatSettings) -> str:
    tz = settings.timezone
    if settings.digest == "hourly":
        digest = "hourly"
    elif settings.digest == "daily":
        digest = f"daily at {format_hhmm(settings.digest_at or 0)}"
    else:
        digest = "off (each alert as it comes)"
    if settings.digest and settings.digest_due:
        digest += f", next {_local(settings.digest_due, tz)}"
    quiet = "off"
    if settings.quiet:
        quiet = f"{format_hhmm(settings.quiet[0])}-{format_hhmm(settings.quiet[1])}"
    if settings.paused:
        state = "stopped (the chat was unreachable); /start to resume"
    elif settings.on_hold:
        state = "paused: alerts are kept and arrive after /resume"
    else:
        state = "on"
    lines = [
        "Delivery settings here:",
        f"• Alerts: {state}",
        f"• Time zone: {tz}",
        f"• Digest: {digest}",
        f"• Quiet hours: {quiet}",
        f"• Link previews: {'on' if settings.link_preview else 'off'}",
    ]
    if settings.muted:
        muted = ", ".join(f"{m.topic} (until {_local(m.until, tz)})" for m in settings.muted)
        lines.append(f"• Muted: {muted}")
    else:
        lines.append("• Muted: none")
    return "\n".join(lines)


@command("settings")
async def _settings(self: Commands, msg: Incoming, args: str) -> Reply:
    """/settings
    Show how and when alerts arrive here."""
    return Reply(describe(await self._store.chat_settings(msg.chat, now=self._clock())))


@command("timezone", admin=True)
async def _timezone(self: Commands, msg: Incoming, args: str) -> Reply:
    """/timezone ZONE
    Set this chat's time zone for digests and quiet hours, e.g. /timezone Europe/Kyiv."""
    name = args.strip()
    if not name:
        current = await self._store.chat_settings(msg.chat, now=self._clock())
        return Reply(f"The time zone here is {current.timezone}. Change it: /timezone Europe/Kyiv")
    if not valid_zone(name):
        return Reply(f"I don't know the time zone “{name}”. Use a name like Europe/Kyiv or UTC.")
    await self._store.set_timezone(msg.chat, name)
    settings = await self._store.chat_settings(msg.chat, now=self._clock())
    if settings.digest:
        # The next digest moves with the zone.
        due = next_digest(settings.digest, settings.digest_at, name, self._clock())
        await self._store.set_digest(msg.chat, settings.digest, at=settings.digest_at, due=due)
    local = self._clock().astimezone(zone(name)).strftime("%H:%M")
    return Reply(f"Time zone set to {name} (it is {local} there now).")


@command("digest", admin=True)
async def _digest(self: Commands, msg: Incoming, args: str) -> Reply:
    """/digest hourly|daily HH:MM|off
    Collect alerts and send them as one digest every hour or once a day (in this chat's time
    zone), or turn digests off."""
    words = args.lower().split()
    settings = await self._store.chat_settings(msg.chat, now=self._clock())
    tz = settings.timezone
    if words == ["off"]:
        await self._store.set_digest(msg.chat, None, at=None, due=None)
        return Reply("Digest off: alerts arrive one by one again (anything collected comes now).")
    if words == ["hourly"]:
        due = next_digest("hourly", None, tz, self._clock())
        await self._store.set_digest(msg.chat, "hourly", at=None, due=due)
        return Reply(f"Hourly digest on. The next one: {_local(due, tz)} ({tz}).")
    if len(words) == 2 and words[0] == "daily":
        at = parse_hhmm(words[1])
        if at is None:
            return Reply(
                f"“{words[1]}” is not a time of day: give a 24-hour time from 00:00 to 23:59, "
                "e.g. /digest daily 08:00."
            )
        due = next_digest("daily", at, tz, self._clock())
        await self._store.set_digest(msg.chat, "daily", at=at, due=due)
        return Reply(
            f"Daily digest at {format_hhmm(at)} ({tz}). The next one: {_local(due, tz)}. "
            "Set the time zone with /timezone."
        )
    return Reply("Use /digest hourly, /digest daily 08:00 or /digest off.")


@command("quiet", admin=True)
async def _quiet(self: Commands, msg: Incoming, args: str) -> Reply:
    """/quiet HH:MM-HH:MM|off
    Hold alerts during these hours (this chat's time zone) and deliver them after."""
    text = args.strip().lower()
    if text == "off":
        await self._store.set_quiet(msg.chat, None)
        return Reply("Quiet hours off.")
    start_text, dash, end_text = text.partition("-")
    start, end = parse_hhmm(start_text), parse_hhmm(end_text)
    if dash and start_text.strip() and end_text.strip() and (start is None or end is None):
        bad = start_text if start is None else end_text
        return Reply(
            f"“{bad.strip()}” is not a time of day: give 24-hour times from 00:00 to 23:59, "
            "e.g. /quiet 23:00-07:00."
        )
    if start is None or end is None or start == end:
        return Reply("Use /quiet 23:00-07:00 (two different times, 24-hour) or /quiet off.")
    await self._store.set_quiet(msg.chat, (start, end))
    tz = (await self._store.chat_settings(msg.chat, now=self._clock())).timezone
    return Reply(
        f"Quiet hours {format_hhmm(start)}-{format_hhmm(end)} ({tz}): alerts wait and arrive "
        "when they end."
    )


@command("mute", admin=True)
async def _mute(self: Commands, msg: Incoming, args: str) -> Reply:
    """/mute TOPIC DURATION|off
    No alerts about TOPIC for a while (30m, 2h, 1d; at most 30d), or unmute it with off."""
    topic, _, last = args.strip().rpartition(" ")
    if not topic:
        return Reply("Use /mute TOPIC 2h (30m, 2h, 1d) or /mute TOPIC off.")
    try:
        query = self._matcher.parse(topic)
    except TopicError as e:
        return Reply(f"Can't use that topic: {e.message}")
    if last.lower() == "off":
        if await self._store.mute(msg.chat, query.key, None):
            return Reply(f"“{query.text}” is no longer muted.")
        return Reply(f"This chat does not follow “{query.text}”. /topics lists what it follows.")
    duration = parse_duration(last)
    if duration is None or duration > MAX_MUTE:
        return Reply("Give how long: 30m, 2h or 1d (at most 30d), e.g. /mute Sumy Oblast 2h.")
    until = self._clock() + duration
    if not await self._store.mute(msg.chat, query.key, until):
        return Reply(f"This chat does not follow “{query.text}”. /topics lists what it follows.")
    tz = (await self._store.chat_settings(msg.chat, now=self._clock())).timezone
    return Reply(f"“{query.text}” is muted until {_local(until, tz)} ({tz}).")


@command("pause", admin=True)
async def _pause(self: Commands, msg: Incoming, args: str) -> Reply:
    """/pause
    Stop sending alerts here for now; they are kept and arrive after /resume."""
    await self._store.set_on_hold(msg.chat, True)
    return Reply("Paused. New alerts are kept (nothing is lost); /resume sends them.")


@command("resume", admin=True)
async def _resume(self: Commands, msg: Incoming, args: str) -> Reply:
    """/resume
    Send alerts again, starting with those kept while paused."""
    await self._store.set_on_hold(msg.chat, False)
    return Reply("Resumed. Alerts kept while paused arrive now (many at once come as one list).")
