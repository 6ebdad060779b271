"""`image-automation pin PATH...`: pin every image reference in YAML files to its digest.

Finds `image:` values, Helm `image: {registry, repository, tag, digest}` mappings and
kustomize `images:` entries, resolves each unique reference once (concurrently, one client per
registry) and writes `name:tag@sha256:...` in place, byte-exactly. References that already
carry a digest are verified. Exit 0 when everything resolved, 1 when a reference could not be
resolved or verified or a file failed (the others are still pinned unless `--dry-run`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from automation.output import emit
from automation.pinning.access import access_from_args, add_registry_arguments
from automation.pinning.report import PinReport
from automation.pinning.run import pin_paths


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or dirs")
    parser.add_argument(
        "--dry-run", action="store_true", help="print a unified diff, write nothing"
    )
    parser.add_argument("-o", "--output", choices=["text", "json", "yaml"], default="text")
    add_registry_arguments(parser)


def run(args: argparse.Namespace) -> int:
    access = access_from_args(args)
    report = asyncio.run(pin_paths(args.paths, access, dry_run=args.dry_run))
    print_report(report, dry_run=args.dry_run, output=args.output)
    return 0 if report.ok else 1


def print_report(report: PinReport, *, dry_run: bool, output: str) -> None:
    if output in ("json", "yaml"):
        emit(report.to_dict(dry_run=dry_run), output)
        return
    if dry_run:
        sys.stdout.write("".join(report.diffs[name] for name in sorted(report.diffs)))
    else:
        for change in report.changes:
            print(change)
        if not report.changes:
            print("no changes")
    for note in report.notes:
        print(note, file=sys.stderr)
