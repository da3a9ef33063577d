import pytest

from bot.commands.parse import CommandLine, parse_command_line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/subscribe Sumy Oblast", CommandLine("subscribe", "Sumy Oblast")),
        ("/Subscribe@NewsBot   Sumy Oblast ", CommandLine("subscribe", "Sumy Oblast")),
        ("/topics", CommandLine("topics", "")),
        ("  /latest\tKyiv", CommandLine("latest", "Kyiv")),
    ],
)
def test_commands_are_parsed(text: str, expected: CommandLine) -> None:
    assert parse_command_line(text) == expected


@pytest.mark.parametrize("text", ["hello", "", "/", "/@bot", "subscribe x"])
def test_non_commands(text: str) -> None:
    assert parse_command_line(text) is None
