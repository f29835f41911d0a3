"""Every command and option of ``ledger --help`` is named in the README's command list.

As sqlite-utils' ``test_docs`` does for its CLI: the click command tree is walked, so a
command or option added later fails here until the README names it. The list is the first
code block under "## Command line"; an entry is a line starting with two spaces and what
continues it (more deeply indented lines). A command is named when it appears as a word in
an entry (the first line names the top-level options), and each of its options when it
appears in an entry that names the command.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from ledger.cli import cli, main

README = Path(__file__).resolve().parents[2] / "README.md"


def listing() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Command line\n", 1)[1]
    return re.search(r"```\n(.*?)```", section, flags=re.S).group(1)  # type: ignore[union-attr]


def entries() -> list[str]:
    """The command list's entries, each with its continuation lines."""
    found: list[str] = []
    for line in listing().splitlines():
        if line.startswith("ledger ") or re.match(r"^  \S", line):
            found.append(line)
        elif found and line.strip():
            found[-1] += "\n" + line
    return found


def commands() -> Iterator[tuple[str, click.Command]]:
    """Every command under ``ledger`` (groups walked), by its path without ``ledger``."""
    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
        main(["--help"])  # registers the commands

    def walk(prefix: str, group: click.Group) -> Iterator[tuple[str, click.Command]]:
        for name, command in sorted(group.commands.items()):
            path = f"{prefix} {name}".strip()
            yield path, command
            if isinstance(command, click.Group):
                yield from walk(path, command)

    yield "", cli
    yield from walk("", cli)


def long_options(command: click.Command) -> list[str]:
    """The option spellings a user types, ``--help`` aside (every command has it)."""
    names = []
    for param in command.params:
        if isinstance(param, click.Option):
            spelled = [o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")]
            names += [o for o in spelled if o != "--help"][:1] or param.opts[:1]
    return names


def named(entry: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", entry) is not None


COMMANDS = list(commands())


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p or "ledger" for p, _ in COMMANDS])
def test_the_readme_names_every_command_and_option(path: str, command: click.Command) -> None:
    if path:
        mine = [e for e in entries() if named(e, path.split()[-1])]
        assert mine, f"README's command list does not name `ledger {path}`"
    else:
        mine = [e for e in entries() if e.startswith("ledger ")]
    missing = [o for o in long_options(command) if not any(named(e, o) for e in mine)]
    assert missing == [], f"`ledger {path}`: options not named in the README: {missing}"


def test_the_walk_sees_the_commands() -> None:
    paths = {path for path, _ in COMMANDS}
    assert {"init", "import", "notice", "verify", "report"} <= paths
    assert "--limit" in long_options(dict(COMMANDS)["sanctions"])
