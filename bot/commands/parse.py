"""Split a chat line into a command name and its arguments."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommandLine:
    name: str  # lower-case, without "/" and without "@botname"
    args: str  # the rest, whitespace-trimmed


def parse_command_line(text: str) -> CommandLine | None:
    """`/subscribe@NewsBot Sumy Oblast` → CommandLine("subscribe", "Sumy Oblast"); None if the
    text is not a command."""
    text = text.strip()
    if not text.startswith("/") or len(text) == 1:
        return None
    head, *rest = text[1:].split(maxsplit=1)
    name = head.split("@", 1)[0].lower()
    if not name:
        return None
    return CommandLine(name=name, args=rest[0].strip() if rest else "")
