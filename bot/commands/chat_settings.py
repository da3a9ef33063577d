"""Per-chat settings that change how alerts look: /previews."""

from __future__ import annotations

from bot.commands.core import Commands, Incoming, Reply, command

_ON = ("on", "yes", "true", "1")
_OFF = ("off", "no", "false", "0")


@command("previews", admin=True)
async def _previews(self: Commands, msg: Incoming, args: str) -> Reply:
    """/previews on|off
    Show or hide link previews under alerts (off by default)."""
    choice = args.strip().lower()
    if choice not in _ON + _OFF:
        return Reply("Please say /previews on or /previews off.")
    on = choice in _ON
    await self._store.set_link_preview(msg.chat, on)
    if on:
        return Reply("Link previews are on: alerts show a preview of the story's page.")
    return Reply("Link previews are off.")
