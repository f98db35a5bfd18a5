"""One command-line argument as data: an `Option` (flags, type, default, choices, metavar, help), a `Group` of
them (titled, or mutually exclusive), a `Command` (its help line, its items, its examples), and the comma-separated
list type. `cli_options` holds scoreviz's table of them; `cli.build_parser` turns it into argparse parsers.
Torch-free.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, Callable, Sequence

__all__ = ["Command", "Group", "Option", "comma_separated"]


def comma_separated(kind: Callable[[str], Any], what: str, choices: Sequence | None = None,
                    minimum: float | None = None) -> Callable[[str], tuple]:
    """An argparse type for "a,b,c": a tuple of `kind`(item), each among `choices` and at least `minimum` when
    given; anything else is argparse's usage error naming the option (`what` names the items)."""
    def parse(text: str) -> tuple:
        items = [part.strip() for part in text.split(",") if part.strip()]
        try:
            values = tuple(kind(part) for part in items)
        except ValueError:
            values = ()
        if not values:
            raise argparse.ArgumentTypeError(f"expected comma-separated {what} (got {text!r})")
        wrong = [v for v in values if (choices is not None and v not in choices)
                 or (minimum is not None and v < minimum)]
        if wrong:
            allowed = f"choose from {', '.join(choices)}" if choices is not None else f"each at least {minimum}"
            raise argparse.ArgumentTypeError(f"{', '.join(map(repr, wrong))}: {allowed}")
        return values

    parse.__name__ = what
    return parse


@dataclass(frozen=True)
class Option:
    """One argparse argument. `flags`: its option strings, or its name for a positional; `dest`: only where
    argparse's own (the first long flag, dashes → underscores) is not wanted; `action`: argparse's action
    name, None for a plain value; `default`: as argparse stores it (store_true: False, store_false: True)."""

    flags: tuple[str, ...]
    help: str
    default: Any = None
    type: Callable | None = None
    choices: list | tuple | None = None
    metavar: str | None = None
    dest: str | None = None
    action: str | None = None
    required: bool = False

    @property
    def name(self) -> str:
        """argparse's dest: the attribute of the parsed namespace."""
        if self.dest:
            return self.dest
        long = next((f for f in self.flags if f.startswith("--")), self.flags[0])
        return long.lstrip("-").replace("-", "_")

    @property
    def positional(self) -> bool:
        return not self.flags[0].startswith("-")

    def add_to(self, parser, **changes) -> argparse.Action:
        """Add the argument to `parser` (a parser or a group); `changes` replace keyword arguments (the global
        options' default on a command)."""
        kwargs = {"help": self.help, "default": self.default}
        for key in ("type", "choices", "metavar", "action"):
            if getattr(self, key) is not None:
                kwargs[key] = getattr(self, key)
        if self.dest and not self.positional:
            kwargs["dest"] = self.dest
        if self.required:
            kwargs["required"] = True
        return parser.add_argument(*self.flags, **{**kwargs, **changes})


@dataclass(frozen=True)
class Group:
    """Options shown together: an argument group under `title`, or (exclusive) a mutually exclusive group, of
    which `required` says that one must be given."""

    options: tuple[Option, ...]
    title: str | None = None
    exclusive: bool = False
    required: bool = False


@dataclass(frozen=True)
class Command:
    """A subcommand: its line in `scoreviz --help`, its options in order, and the examples under its --help.
    `own_help=False`: the command passes its arguments on (gui: the window's parser answers --help)."""

    help: str
    items: tuple[Option | Group, ...] = ()
    examples: str = ""
    own_help: bool = True

    def options(self) -> list[Option]:
        """Every option, the grouped ones included, in order."""
        found = []
        for item in self.items:
            found.extend(item.options if isinstance(item, Group) else (item,))
        return found
