"""The docs stay true to the code: every relative link resolves (file and heading), every
`newsbot …` command in a fenced block parses with that subcommand's own argument parser, and every
config key the docs name is one the config loader knows."""

from __future__ import annotations

import re
import shlex
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import _parser
from bot.config import load_config
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
# A config key as prose names it: `polling.tick_seconds`, `[slack] client_id`, `[delivery.rates]`.
KEY_REF = re.compile(r"^\[?([a-z_]+(?:\.[a-z_]+)*)\]?(?:[ .]([a-z_]+(?:\.[a-z_]+)*))?$")
FILE_SUFFIXES = {"py", "md", "txt", "toml", "json", "c", "h", "pyi", "xml", "rss", "sqlite3"}


def _text(doc: Path) -> str:
    return doc.read_text(encoding="utf-8")


def _prose(text: str) -> str:
    """The text outside fenced blocks."""
    return FENCE.sub("", text)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for line in _prose(_text(doc)).splitlines():
        if match := re.match(r"^#{1,6}\s+(.*)$", line):
            slug = _slug(match.group(1))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def broken_links(doc: Path) -> list[str]:
    broken = []
    for target in LINK.findall(_prose(_text(doc))):
        if re.match(r"^[a-z]+:", target):  # https:, mailto: …
            continue
        path_part, _, anchor = target.partition("#")
        path = (doc.parent / path_part).resolve() if path_part else doc
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            broken.append(f"{target}: no heading #{anchor} in {path.name}")
    return broken


def _shell_lines(block: str) -> Iterator[str]:
    """Logical lines of a shell block: continuations joined, a `$ ` prompt dropped, output lines
    (those after a prompt that have none) skipped."""
    lines = block.replace("\\\n", " ").splitlines()
    prompted = any(line.startswith("$ ") for line in lines)
    for line in lines:
        if prompted and not line.startswith("$ "):
            continue
        yield line.removeprefix("$ ")


def newsbot_commands(text: str) -> list[list[str]]:
    """The argument lists of every `newsbot …` command in the text's fenced blocks."""
    commands = []
    for lang, block in FENCE.findall(text):
        if lang not in ("", "sh", "console", "bash", "shell"):
            continue
        for line in _shell_lines(block):
            line = re.sub(r"\$\([^)]*\)", "VALUE", line)  # $(openssl rand -hex 32)
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            words: list[str] = []
            for token in [*lexer, ";"]:
                if token in (";", "&&", "||", "|", "&"):
                    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
                        words.pop(0)  # VAR=value before the command
                    if words and words[0] == "newsbot":
                        commands.append(words[1:])
                    words = []
                else:
                    words.append(token)
    return commands


def _parse_error(args: list[str]) -> str | None:
    try:
        _parser().parse_args(args)
    except SystemExit as exit_:
        return None if exit_.code == 0 else f"exit {exit_.code}"
    return None


def config_key_refs(text: str) -> set[str]:
    """Dotted config keys named in the text: in prose as `section.key` or `[section] key` (when
    the first part is a section the loader knows), and every key of its TOML blocks."""
    keys: set[str] = set()
    for lang, block in FENCE.findall(text):
        if lang == "toml":
            keys.update(_flatten(tomllib.loads(block)))
    for code in INLINE_CODE.findall(_prose(text)):
        match = KEY_REF.match(code.strip())
        if match is None:
            continue
        key = ".".join(part for part in match.groups() if part)
        parts = key.split(".")
        if parts[-1] in FILE_SUFFIXES:
            continue
        if ("." in key or code.startswith("[")) and not missing_key(parts[0]):
            keys.add(key)
    return keys


def _flatten(table: dict[str, object], prefix: str = "") -> Iterator[str]:
    for key, value in table.items():
        name = f"{prefix}{key}"
        yield name
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                yield from _flatten(item, f"{name}.")


def missing_key(key: str) -> bool:
    """Whether the config loader rejects `key` (dotted) as unknown. The key is given a string
    value: a wrong value is a different error, which means the key exists."""
    first, _, rest = key.partition(".")
    if first == "sources":
        body = "[[sources]]\n" + (f'{rest} = "probe"\n' if rest else "")
    else:
        body = f'{key} = "probe"\n'
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.toml"
        path.write_text(body, encoding="utf-8")
        try:
            load_config(path, {})
        except ConfigError as e:
            return "unknown key" in e.message
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_resolves(doc: Path) -> None:
    assert broken_links(doc) == []


def test_the_link_check_catches_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Here\n\n[ok](#here) [x](b.md) [y](a.md#nowhere)\n")
    assert broken_links(tmp_path / "a.md") == [
        "b.md: no such file",
        "a.md#nowhere: no heading #nowhere in a.md",
    ]


def test_every_newsbot_command_in_the_docs_parses() -> None:
    commands = [(doc.name, args) for doc in DOCS for args in newsbot_commands(_text(doc))]
    assert len(commands) >= 10  # the docs show many: finding none would mean the scan is broken
    assert ("README.md", ["run"]) in commands
    bad = [(name, args, err) for name, args in commands if (err := _parse_error(args))]
    assert bad == []


def test_the_command_scan_finds_chained_prefixed_and_prompted_commands() -> None:
    text = (
        "```sh\n"
        "pip install . && newsbot run   # comment\n"
        "X=1 Y=$(echo a b) newsbot check a.xml \\\n  --topic 'Sumy Oblast'\n"
        "docker run newsbot\n"
        "```\n"
        "```console\n$ newsbot run --no-such-option\nnewsbot: error\n```\n"
    )
    found = newsbot_commands(text)
    assert found == [
        ["run"],
        ["check", "a.xml", "--topic", "Sumy Oblast"],
        ["run", "--no-such-option"],
    ]
    assert _parse_error(found[1]) is None
    assert _parse_error(found[2]) is not None


def test_every_config_key_named_in_the_docs_exists() -> None:
    keys = {key for doc in DOCS for key in config_key_refs(_text(doc))}
    assert {"polling.tick_seconds", "chats.max_sources", "telegram.webhook_url"} <= keys
    assert sorted(k for k in keys if missing_key(k)) == []


def test_the_key_check_catches_an_unknown_key() -> None:
    text = "Set `polling.tick_second` and `[slack] port`.\n```toml\n[chats]\nmax_source = 1\n```\n"
    keys = config_key_refs(text)
    assert keys == {"polling.tick_second", "slack.port", "chats", "chats.max_source"}
    assert sorted(k for k in keys if missing_key(k)) == [
        "chats.max_source",
        "polling.tick_second",
    ]
