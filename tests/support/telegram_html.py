"""Telegram's HTML parse mode as the fake Bot API applies it: the visible text, or the error.

Follows core.telegram.org/bots/api#html-style: only the listed tags, `<a href>`, the four named
entities (&lt; &gt; &amp; &quot;) and numeric ones. Anything else is refused the way Telegram
refuses it, with "can't parse entities: ..." (a bare `&` is refused too: stricter than Telegram,
so that an unescaped ampersand in our output cannot go unnoticed).
"""

from __future__ import annotations

import re

TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "span", "blockquote", "tg-emoji",
}  # fmt: skip
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_ATTR = re.compile(r'\s*([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


class EntityError(ValueError):
    pass


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _entity(text: str, index: int) -> tuple[str, int]:
    found = _ENTITY.match(text, index)
    if found is None:
        raise EntityError(f"Character '&' at byte offset {_offset(text, index)} is not an entity")
    name = found.group(1)
    if name.startswith("#x"):
        return chr(int(name[2:], 16)), found.end()
    if name.startswith("#"):
        return chr(int(name[1:])), found.end()
    if name not in NAMED:
        raise EntityError(
            f'Unsupported HTML entity "&{name};" at byte offset {_offset(text, index)}'
        )
    return NAMED[name], found.end()


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "&":
            char, i = _entity(value, i)
            out.append(char)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def visible_text(html: str) -> str:
    """The text a reader sees; raises EntityError with Telegram's wording when it would refuse."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(html):
        char = html[i]
        if char == "&":
            decoded, i = _entity(html, i)
            out.append(decoded)
        elif char == "<":
            end = html.find(">", i)
            if end < 0:
                raise EntityError(f"Unclosed start tag at byte offset {_offset(html, i)}")
            inner = html[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack or stack[-1] != name:
                    raise EntityError(f"Unexpected end tag at byte offset {_offset(html, i)}")
                stack.pop()
            else:
                name, _, attrs = inner.partition(" ")
                name = name.lower()
                if name not in TAGS:
                    raise EntityError(
                        f'Unsupported start tag "{name}" at byte offset {_offset(html, i)}'
                    )
                if name == "a":
                    found = dict((m[0].lower(), m[1] or m[2]) for m in _ATTR.findall(attrs))
                    href = _unescape(found.get("href", ""))
                    if not href.startswith(("http://", "https://", "tg://", "mailto:")):
                        raise EntityError(f'Unsupported URL protocol in "{href}"')
                stack.append(name)
            i = end + 1
        else:
            out.append(char)
            i += 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
