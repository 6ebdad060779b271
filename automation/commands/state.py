"""`image-automation state migrate FROM TO`: move all state between SQLite and PostgreSQL.

FROM and TO are each a SQLite file or a postgresql:// URL (the password from PGPASSWORD,
PGPASSFILE or --state-password-file, never in the URL). Every table is copied in its stored
encoding and read back to verify, history generations and rollback pins included.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from automation.commands.common import open_state
from automation.errors import UsageError
from automation.state.location import is_server_url
from automation.state.transfer import copy_state, row_counts, tables_of

HELP = "state store maintenance: migrate between SQLite and PostgreSQL"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    migrate = sub.add_parser(
        "migrate",
        help="copy every table from FROM to TO (a SQLite path or a postgresql:// URL)",
    )
    migrate.add_argument("source", metavar="FROM", help="the store to read")
    migrate.add_argument("target", metavar="TO", help="the store to write")
    migrate.add_argument(
        "--replace", action="store_true", help="overwrite a TO that already holds state"
    )
    migrate.add_argument(
        "--state-password-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="file holding the PostgreSQL password (also $IMAGE_AUTOMATION_STATE_PASSWORD_FILE)",
    )


def run(args: argparse.Namespace) -> int:
    if args.source == args.target:
        raise UsageError("state migrate: FROM and TO are the same store")
    if not is_server_url(args.source) and not Path(args.source).is_file():
        raise UsageError(f"state migrate: {args.source}: no such state file")
    source = open_state(args.source, args.state_password_file)
    try:
        target = open_state(args.target, args.state_password_file)
        try:
            held = sum(row_counts(tables_of(target)).values())
            if held and not args.replace:
                raise UsageError(
                    f"state migrate: {args.target} already holds {held} rows; "
                    "--replace to overwrite them"
                )
            copied = copy_state(tables_of(source), tables_of(target))
        finally:
            target.close()
    finally:
        source.close()
    summary = ", ".join(f"{n} {table}" for table, n in copied.items())
    print(f"migrated {summary}")
    return 0
