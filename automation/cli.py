"""Argument parsing and dispatch only. Every command returns an exit code.

Exit codes: 0 ok, 1 something failed, 2 bad usage.

Each command lives in `automation/commands/<name>.py` and exposes:
    def add_arguments(parser: argparse.ArgumentParser) -> None
    def run(args: argparse.Namespace) -> int

Start-up is lazy: `--help` lists the commands from the table below without importing any of
them, and a run imports only the command it runs. The command modules pull in pygit2, httpx,
APScheduler, ruamel and pydantic, which together cost several times more than the rest of a
short run (`--help`, `validate`, a cron-driven `scan`). Hence the imports inside the loader
functions: each names its module statically, so the import graph still sees every arrow.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from automation import __version__
from automation.errors import AutomationError, UsageError

# Not `typing.TYPE_CHECKING`: importing `typing` alone costs ~10 ms of a ~20 ms `--help`;
# type checkers treat any name TYPE_CHECKING as true (mypy `reachability.py`).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    class CommandModule(Protocol):
        def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

        def run(self, args: argparse.Namespace) -> int: ...


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class Command:
    """A command's one-line help and the function that imports its module."""

    __slots__ = ("help", "load")

    def __init__(self, help: str, load: Callable[[], CommandModule]) -> None:
        self.help = help
        self.load = load


def _validate() -> CommandModule:
    from automation.commands import validate

    return validate


def _scan() -> CommandModule:
    from automation.commands import scan

    return scan


def _get() -> CommandModule:
    from automation.commands import get

    return get


def _policy() -> CommandModule:
    from automation.commands import policy

    return policy


def _history() -> CommandModule:
    from automation.commands import history

    return history


def _update() -> CommandModule:
    from automation.commands import update

    return update


def _reconcile() -> CommandModule:
    from automation.commands import reconcile

    return reconcile


def _run() -> CommandModule:
    from automation.commands import run

    return run


def _pin() -> CommandModule:
    from automation.commands import pin

    return pin


def _imageset() -> CommandModule:
    from automation.commands import imageset

    return imageset


def _rollback() -> CommandModule:
    from automation.commands import rollback

    return rollback


def _notify() -> CommandModule:
    from automation.commands import notify

    return notify


def _state() -> CommandModule:
    from automation.commands import state

    return state


# Command name -> (one-line help, module loader). Order is the order shown in --help.
COMMANDS: dict[str, Command] = {
    "validate": Command(
        "load and cross-check policy files (refs, names, regexes, semver ranges)", _validate
    ),
    "scan": Command(
        "scan ImageRepositories (all that are due, or --name ns/name, or --force all)", _scan
    ),
    "get": Command("show repositories, policies or automations with their status", _get),
    "policy": Command("policy commands (test: try a policy on tags, offline)", _policy),
    "history": Command(
        "list the generations of a policy's latestRef (time, ref, reason)", _history
    ),
    "update": Command("apply image refs to the marked YAML files under PATH (no git)", _update),
    "reconcile": Command(
        "run one cycle: scan, evaluate policies, update manifests, commit and push", _reconcile
    ),
    "run": Command("run as a daemon: scan, evaluate and push on each object's interval", _run),
    "pin": Command(
        "pin image references in YAML files from tag to digest (name:tag@sha256:...)", _pin
    ),
    "imageset": Command(
        "resolve IMAGE:TAG... to digests and print a Tigera ImageSet (or a lock file)", _imageset
    ),
    "rollback": Command(
        "pin a policy to an earlier generation of its history (or --release the pin)", _rollback
    ),
    "notify": Command("send a sample event to a notification Provider", _notify),
    "state": Command("state store maintenance: migrate between SQLite and PostgreSQL", _state),
}


class _CommandParser(argparse.ArgumentParser):
    """A command's parser that adds the command's arguments when it is first parsed.

    argparse hands the remaining arguments to the chosen command's parser through
    `parse_known_args`, so only that command's module is imported; nested parsers (`policy
    test`) get this class too, with nothing to load.
    """

    def __init__(self, *args: Any, load: Callable[[], CommandModule] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._load = load

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        if self._load is not None:
            module, self._load = self._load(), None
            add_verbose(self)
            module.add_arguments(self)
            self.set_defaults(_run=module.run)
        return super().parse_known_args(*args, **kwargs)


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)
    for name, command in COMMANDS.items():
        sub.add_parser(name, help=command.help, description=command.help, load=command.load)
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
    sys.exit(main())
