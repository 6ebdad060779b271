"""`image-automation get requests`: the open pull/merge requests of each automation.

Asks each ChangeRequest's forge (one list call per automation, paginated) and keeps the
requests that carry the automation's marker, from any branch.
"""

from __future__ import annotations

import argparse
from typing import Any

from automation.commands.common import load
from automation.output import emit, table
from automation.steps.requests import open_requests


def run(args: argparse.Namespace) -> int:
    config = load(args)
    rows: list[dict[str, Any]] = []
    for auto_key, found in open_requests(config):
        rows += [
            {
                "automation": auto_key,
                "number": r.number,
                "branch": r.head,
                "base": r.base,
                "title": r.title,
                "url": r.url,
            }
            for r in found
        ]
    if args.output != "table":
        emit({"apiVersion": "v1", "kind": "List", "items": rows}, args.output)
        return 0
    columns = ["automation", "number", "branch", "title", "url"]
    table([c.upper() for c in columns], [[row[c] for c in columns] for row in rows])
    return 0
