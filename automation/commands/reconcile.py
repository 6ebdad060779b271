"""`image-automation reconcile [PATH...]`: one cycle, scan -> policies -> update -> push.

Runs everything that is due (everything with `--all`), prints a summary, and exits 1 when any
object failed; the others still run. `--dry-run` works on a copy of the state store, prints the
diff that would be committed and pushes nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from automation.commands.common import (
    add_cache_argument,
    add_config_arguments,
    add_output_argument,
    add_state_argument,
    load,
    state,
)
from automation.notify.delivery import Dispatcher, http_sender
from automation.notify.notifier import Notifier
from automation.output import emit
from automation.reconcile import CycleReport, reconcile


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--all", action="store_true", help="run every object, due or not")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the diff that would be committed; push nothing",
    )
    add_cache_argument(parser)
    add_state_argument(parser)
    add_output_argument(parser)


def _lines(report: CycleReport) -> list[str]:
    out = []
    for r in report.repositories:
        result = r.error or r.skipped or f"{r.tag_count} tags" + (" (new)" if r.changed else "")
        out.append(f"ImageRepository {r.key}: {result}")
    for p in report.policies:
        text = (
            p.error
            or p.skipped
            or (f"{p.latest} ({p.reason})" if p.changed else f"{p.latest} (unchanged)")
        )
        out.append(f"ImagePolicy {p.key}: {text}")
    for a in report.automations:
        if a.error:
            text = a.error
        elif a.skipped:
            text = a.skipped
        elif a.commit:
            text = (
                f"pushed {a.commit[:7]} to {a.branch} ({a.changes} change(s), "
                f"{a.attempts} attempt(s))"
            )
        elif a.diffs:
            text = f"would change {a.changes} value(s)"
        else:
            text = "no change"
        out.append(f"ImageUpdateAutomation {a.key}: {text}")
        out.extend(f"  note: {n}" for n in a.notes)
    return out


def _data(report: CycleReport) -> dict[str, Any]:
    return {
        "failed": report.failed,
        "repositories": [vars(r) for r in report.repositories],
        "policies": [
            {
                **vars(p),
                "latest": p.latest.to_dict() if p.latest else None,
                "previous": p.previous.to_dict() if p.previous else None,
                "source": p.source.to_dict() if p.source else None,
            }
            for p in report.policies
        ],
        "automations": [
            {**vars(a), "sources": [s.to_dict() for s in a.sources]} for a in report.automations
        ],
    }


# A one-shot run waits this long at most for queued notifications before it exits.
NOTIFY_DRAIN_SECONDS = 10.0


def run(args: argparse.Namespace) -> int:
    config = load(args)
    store = state(args)
    with tempfile.TemporaryDirectory(prefix="image-automation-dry-run-") as scratch:
        if args.dry_run:
            store = store.snapshot(Path(scratch) / "state.db")
        dispatcher = Dispatcher(http_sender()).start() if config.alerts else None
        report = reconcile(
            config,
            store,
            cache=args.cache,
            force=args.all,
            dry_run=args.dry_run,
            notifier=Notifier(config, dispatcher) if dispatcher else None,
        )
        store.close()
        if dispatcher is not None:
            dispatcher.stop(timeout=NOTIFY_DRAIN_SECONDS)
    if args.output != "table":
        emit(_data(report), args.output)
    else:
        for line in _lines(report):
            print(line)
        for a in report.automations:
            for diff in a.diffs.values():
                sys.stdout.write(diff)
    return 1 if report.failed else 0
