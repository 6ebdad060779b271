"""Argument parsing and dispatch only. Every command returns an exit code.

Exit codes: 0 ok, 1 something failed, 2 bad usage.

Each command lives in `automation/commands/<name>.py` and exposes:
    HELP: str
    def add_arguments(parser: argparse.ArgumentParser) -> None
    def run(args: argparse.Namespace) -> int
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from automation import __version__
from automation.errors import AutomationError, UsageError

# Order is the order shown in --help. Module name differs where the command has a space.
COMMANDS: dict[str, str] = {
    "validate": "validate",
    "scan": "scan",
    "get": "get",
    "policy": "policy",
    "history": "history",
    "update": "update",
    "reconcile": "reconcile",
    "run": "run",
    "pin": "pin",
    "imageset": "imageset",
    "rollback": "rollback",
    "notify": "notify",
    "state": "state",
}

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _load(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"automation.commands.{module}")
    except ModuleNotFoundError as err:
        if err.name == f"automation.commands.{module}":
            return None  # command not built yet: not offered
        raise


def add_verbose(parser: argparse.ArgumentParser) -> None:
    """-v after the command name too (`policy test ... -v`), without resetting a global -v."""
    parser.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help="more output"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="image-automation",
        description="Scan registries, pick image tags by policy, rewrite marked YAML, push to git.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument(
        "--log-format", choices=["text", "json"], default="text", help="log line format"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = _load(module_name)
        if module is None:
            continue
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        add_verbose(cmd)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from automation.logs import configure_logging

    configure_logging(verbosity=args.verbose, fmt=args.log_format)
    try:
        code: int = args._run(args)
    except UsageError as err:
        print(f"image-automation: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except AutomationError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig()
    sys.exit(main())
