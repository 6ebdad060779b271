"""Arguments and steps shared by several commands: config paths, secrets, state, output."""

from __future__ import annotations

import argparse
from pathlib import Path

from automation.config import Config, load_config, secrets_paths_from_env
from automation.output import FORMATS
from automation.state import StateStore, open_store
from automation.state.location import is_server_url
from automation.state.store import state_location


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
        help="file or directory of v1 Secrets (also $IMAGE_AUTOMATION_SECRETS)",
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


def load(args: argparse.Namespace) -> Config:
    paths = list(args.paths) or [Path("policies")]
    return load_config(paths, [*args.secrets, *secrets_paths_from_env()])


def state(args: argparse.Namespace) -> StateStore:
    return open_state(args.state, args.state_password_file)


def open_state(location: str | None, password_file: Path | None = None) -> StateStore:
    """`location` (else `$IMAGE_AUTOMATION_STATE`, else the default file): a SQLite path or a
    `postgresql://` URL."""
    text = location or state_location()
    if is_server_url(text):
        # Start-up laziness: psycopg and its pool load only when the state is on a server.
        from automation.state.postgres import open_server

        return open_server(text, password_file)
    return open_store(Path(text))
