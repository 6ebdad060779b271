"""Arguments and steps shared by several commands: config paths, secrets, state, output.

`load` and `state` import the config and state stages when called, not here: a command
that only sometimes needs them (`update` without `--from-state`) would otherwise pay for
pydantic and the policy-file models (~0.3 s) at every start (start-up laziness, see cli.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from automation.output import FORMATS

if TYPE_CHECKING:
    from automation.config import Config
    from automation.errors import ConfigError
    from automation.state import StateStore


def add_config_arguments(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument(
        "paths",
        nargs="+" if required else "*",
        type=Path,
        metavar="PATH",
        help="policy files or directories (default: ./policies)",
    )
    add_secrets_argument(parser)


def add_secrets_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--secrets",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="file or directory of v1 Secrets (overrides $IMAGE_AUTOMATION_SECRETS)",
    )


def add_cache_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        metavar="DIR",
        help="where cached clones live (default: ~/.cache/image-automation/git)",
    )


def add_state_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        default=None,
        metavar="PATH|URL",
        help="state database: a SQLite file or postgresql://USER@HOST:PORT/DB "
        "(default: $IMAGE_AUTOMATION_STATE or ~/.local/state/...)",
    )
    parser.add_argument(
        "--state-password-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="file holding the PostgreSQL password, e.g. a mounted Secret "
        "(also $IMAGE_AUTOMATION_STATE_PASSWORD_FILE, PGPASSWORD, PGPASSFILE)",
    )


def add_output_argument(parser: argparse.ArgumentParser, default: str = "table") -> None:
    parser.add_argument("-o", "--output", choices=FORMATS, default=default, help="output format")


def config_paths(args: argparse.Namespace) -> tuple[list[Path], list[Path]]:
    """Policy paths (default ./policies) and secrets paths (the flag overrides the variable)."""
    from automation.config import secrets_paths  # start-up laziness

    return list(args.paths) or [Path("policies")], secrets_paths(args.secrets)


def load(args: argparse.Namespace) -> Config:
    from automation.config import load_config  # start-up laziness

    return load_config(*config_paths(args))


def load_report(args: argparse.Namespace) -> tuple[Config, list[ConfigError]]:
    """Every valid object and every error (for `validate`, which reports all in one pass)."""
    from automation.config import load_config_report  # start-up laziness

    return load_config_report(*config_paths(args))


def state(args: argparse.Namespace) -> StateStore:
    return open_state(args.state, args.state_password_file)


def open_state(location: str | None, password_file: Path | None = None) -> StateStore:
    """`location` (else `$IMAGE_AUTOMATION_STATE`, else the default file): a SQLite path or a
    `postgresql://` URL."""
    # Start-up laziness: the state stage loads when a command opens it, and psycopg and its
    # pool only when the state is on a server.
    from automation.state import open_store
    from automation.state.location import is_server_url
    from automation.state.store import state_location

    text = location or state_location()
    if is_server_url(text):
        from automation.state.postgres import open_server

        return open_server(text, password_file)
    return open_store(Path(text))
