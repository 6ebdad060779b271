"""`image-automation scan [PATH...]`: scan due ImageRepositories into the state store."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from automation.commands.common import (
    add_config_arguments,
    add_output_argument,
    add_state_argument,
    load,
    state,
)
from automation.commands.history import policy_key
from automation.errors import UsageError
from automation.output import emit, table
from automation.steps.scan import scan_repositories


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument(
        "--name",
        action="append",
        metavar="NAMESPACE/NAME",
        help="scan only this repository (repeatable); implies --force for it",
    )
    parser.add_argument("--force", action="store_true", help="scan even if not due")
    add_state_argument(parser)
    add_output_argument(parser)


def _progress(done: int, total: int) -> None:
    """One self-overwriting line on a terminal: `scanning 37/500 repositories`."""
    sys.stderr.write(f"\rscanning {done}/{total} repositories")
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    config = load(args)
    only = {policy_key(n) for n in args.name} if args.name else None
    if only:
        missing = sorted(only - {str(k) for k in config.image_repositories})
        if missing:
            raise UsageError(f"no ImageRepository {', '.join(missing)} in the policy files")
    store = state(args)
    now = datetime.now(UTC)
    progress = _progress if sys.stderr.isatty() else None
    work = scan_repositories(config, store, now, force=args.force, only=only, progress=progress)
    outcomes = asyncio.run(work)
    if progress is not None:
        sys.stderr.write("\r\033[K")  # clear the progress line before the table
    scans = {s.key: s for s in store.list_scans()}
    if args.output != "table":
        emit(
            [
                {
                    "repository": o.key,
                    "tags": o.tag_count,
                    "revision": o.revision,
                    "changed": o.changed,
                    "skipped": o.skipped or None,
                    "error": o.error or None,
                    "scanTime": (
                        s.scan_time.isoformat() if (s := scans.get(o.key)) and s.scan_time else None
                    ),
                }
                for o in outcomes
            ],
            args.output,
        )
    else:
        rows = []
        for o in outcomes:
            scan = scans.get(o.key)
            when = scan.scan_time.isoformat(timespec="seconds") if scan and scan.scan_time else None
            rows.append(
                [
                    o.key,
                    o.tag_count,
                    o.revision[:19] or None,
                    when,
                    o.error or o.skipped or ("new tags" if o.changed else "unchanged"),
                ]
            )
        table(["REPOSITORY", "TAGS", "REVISION", "SCAN TIME", "RESULT"], rows)
    return 1 if any(o.error for o in outcomes) else 0
