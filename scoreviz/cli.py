"""The `scoreviz` command line: train, sample, eval, bench, schedule, render, presets, info, download, gui,
install-desktop. Works headless (also on a GPU box).

The parsers are built from the option table (cli_options: every flag, default, choice and help text, once);
what each command does lives in scoreviz.commands, imported only once the arguments are known to be valid
(torch is slow to import, and `--help` or a usage error should answer at once).

Every user error (bad argument, missing file, unknown preset, broken checkpoint) ends in one clear line on
stderr and exit status 2; runtime and internal errors end in status 1, with --debug showing the traceback
(cli_support says the rule).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scoreviz import cli_support
from scoreviz.cli_arguments import Command, Group
from scoreviz.cli_options import command_table


def _add_command(sub, name: str, command: Command) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=command.help, add_help=command.own_help)
    for item in command.items:
        if not isinstance(item, Group):
            item.add_to(parser)
            continue
        group = (parser.add_mutually_exclusive_group(required=item.required) if item.exclusive
                 else parser.add_argument_group(item.title))
        for opt in item.options:
            opt.add_to(group)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scoreviz", description="Score-based generative models, headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    table = command_table()
    for name, command in table.items():
        _add_command(sub, name, command)
    return cli_support.finish_parser(parser, table)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "gui":      # the window parses its own options
        from scoreviz.app.startup.launch import main as launch_window

        return launch_window(extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    log_path = cli_support.start_logging(args, argv)
    from scoreviz import commands  # torch is imported only once the arguments are known to be valid

    # looked up on the package at each call (tests replace a handler there)
    handlers = {"train": commands.train, "sample": commands.sample, "eval": commands.evaluate,
                "bench": commands.bench, "presets": commands.presets, "schedule": commands.schedule,
                "render": commands.render}
    handlers.update(cli_support.housekeeping_handlers())
    try:
        result = handlers[args.command](args)
    except KeyboardInterrupt:
        print("scoreviz: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:   # exit 2 for the user's errors, 1 for the rest (cli_support)
        return cli_support.report_failure(args, exc, commands.USER_ERRORS, log_path)
    if isinstance(result, dict) and getattr(args, "json", False):
        print(json.dumps(result, indent=2))
    if getattr(args, "out", None) and args.command == "bench" and isinstance(result, dict):
        Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
