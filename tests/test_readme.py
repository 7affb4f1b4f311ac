"""The README's command table and examples name commands and flags that exist.

A renamed command or flag fails here, in CI, instead of in a newcomer's terminal. Commands are
resolved against the real Typer app (its command group; Typer vendors its own click, so
groups are recognised by their `commands`); `make` targets against the Makefile.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main

from papersift.cli import app

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text("utf-8")
ROOT = typer.main.get_command(app)
FLAG = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def table_commands() -> list[str]:
    """Every `papersift ...` usage in the README's command table (cells may hold several, split by ·)."""
    found = []
    for line in README.splitlines():
        if not line.startswith("| `papersift"):
            continue
        cell = re.split(r"(?<!\\)\|", line)[1].replace("\\|", "|")
        parts = [part.strip().strip("`") for part in cell.split("·")]  # `users list` is short for papersift users list
        found += [part if part.startswith("papersift") else f"papersift {part}" for part in parts if part]
    return found


def example_commands() -> list[str]:
    """Indented example lines that run papersift (code blocks of the README)."""
    return [line.strip() for line in README.splitlines() if re.match(r"^ {4}(\S*/)?papersift\s", line)]


def resolve(words: list[str]) -> tuple[list[Any], list[str]]:
    """Walk subcommands from the root; returns the chain of commands and the remaining words."""
    chain: list[Any] = [ROOT]
    rest = list(words)
    while rest and _is_group(chain[-1]):
        word = rest[0]
        if word.startswith("-"):  # a global option before the subcommand, e.g. --home DIR
            rest = rest[2:] if not _is_flag(chain[-1], word) else rest[1:]
            continue
        sub = chain[-1].commands.get(word)
        if sub is None:
            break
        chain.append(sub)
        rest = rest[1:]
    return chain, rest


def _is_group(command: Any) -> bool:
    return hasattr(command, "commands")


def _is_flag(command: Any, opt: str) -> bool:
    return any(opt in p.opts and getattr(p, "is_flag", False) for p in command.params)


def _options(chain: list[Any]) -> set[str]:
    return {opt for command in chain for p in command.params for opt in (*p.opts, *p.secondary_opts)}


def check(usage: str) -> None:
    words = shlex.split(re.sub(r"[\[\]]|\|(?=[a-z-])", " ", usage))
    assert words[0].endswith("papersift"), usage
    chain, _ = resolve(words[1:])
    assert len(chain) > 1 or words[1:] == ["--help"], f"no such command in {usage!r}"
    leaf = chain[-1]
    assert not _is_group(leaf), f"{usage!r} names a command group, not a command"
    flags = {w.split("=")[0] for w in words if FLAG.fullmatch(w.split("=")[0])}  # quoted queries are one word
    unknown = {f for f in flags if f not in _options(chain) and f != "--help"}
    assert not unknown, f"{usage!r}: {sorted(unknown)} not options of `{' '.join(c.name or '' for c in chain)}`"


def test_the_readme_lists_commands_and_examples() -> None:
    assert len(table_commands()) >= 12 and len(example_commands()) >= 3


@pytest.mark.parametrize("usage", table_commands())
def test_table_command_exists_with_its_flags(usage: str) -> None:
    check(usage)


@pytest.mark.parametrize("usage", example_commands())
def test_example_parses(usage: str) -> None:
    check(usage)


def test_every_command_is_in_the_table() -> None:
    listed = {" ".join(c.name or "" for c in resolve(u.split()[1:])[0][1:]) for u in table_commands()}
    missing = []
    for name, command in ROOT.commands.items():
        full = [f"{name} {sub}" for sub in command.commands] if _is_group(command) else [name]
        missing += [n for n in full if n not in listed]
    assert not missing, f"commands missing from the README table: {missing}"


def test_make_targets_named_in_the_readme_exist() -> None:
    makefile = (REPO / "Makefile").read_text("utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.M))
    named = set(re.findall(r"^ {4}make ([a-z-]+)", README, re.M))
    assert {"run", "test"} <= named and named <= targets, named - targets
