"""The README documents every command and option (after sqlite-utils' tests/test_docs.py)."""

from __future__ import annotations

import argparse

import pytest

from tests.conftest import REPO
from therapytimer.cli import build_parser

README = (REPO / "README.md").read_text()
PARSER, COMMANDS = build_parser()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_is_documented(command: str) -> None:
    assert f"therapytimer {command}" in README


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (name, option)
        for name, parser in sorted(COMMANDS.items())
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction)
        for option in action.option_strings
    ],
)
def test_option_is_documented(command: str, option: str) -> None:
    assert option in README


def test_readme_commands_are_the_ones_ci_runs() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    test_command = next(line for line in README.splitlines() if line.startswith("sh ") and "pytest" in line)
    assert test_command in ci.splitlines()
