"""Every `parkgraph` command has help with an example and is documented in README.md (sqlite-utils' habit).

Commands are discovered from the click group, so a command added later is covered without editing
this file.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from graph.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def walk(command: click.Command, path: tuple[str, ...] = ("parkgraph",)):
    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from walk(command.commands[name], (*path, name))


COMMANDS = list(walk(main))


def test_the_command_tree_is_discovered() -> None:
    names = [" ".join(p) for p, _ in COMMANDS]
    assert "parkgraph build" in names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_help_has_an_example(path: tuple[str, ...], command: click.Command) -> None:
    result = CliRunner().invoke(main, [*path[1:], "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"`{' '.join(path)} --help` has no Example:"
    example = result.output.split("Example:", 1)[1]
    assert " ".join(path) in example, f"the example of `{' '.join(path)}` does not use the command"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=[" ".join(p) for p, _ in COMMANDS])
def test_documented_in_readme(path: tuple[str, ...]) -> None:
    text = README.read_text(encoding="utf-8")
    name = " ".join(path)
    assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), f"README.md never mentions `{name}`"


def readme_command(heading: str) -> str:
    """The single command in the README code block right after the line that contains `heading`."""
    text = README.read_text(encoding="utf-8")
    after = text.split(heading, 1)[1]
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", after, flags=re.DOTALL)
    assert block, f"no code block after {heading!r} in README.md"
    lines = [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) == 1, f"README's {heading!r} block must hold exactly one command, not {lines!r}"
    return lines[0].strip()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    command = readme_command("Install and run the tests")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"TEST_COMMAND='{command}'" in ci, "the README's test command and .ci/run's TEST_COMMAND differ"


def test_readme_install_command_builds_the_bundled_corpus() -> None:
    command = readme_command("Install and build the bundled corpus")
    assert "pip install" in command and "parkgraph build" in command
