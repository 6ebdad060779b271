"""`image-automation history ns/name`: every change of a policy's latestRef, numbered."""

from __future__ import annotations

import argparse

from automation.commands.common import add_output_argument, add_state_argument, state
from automation.errors import AutomationError, UsageError
from automation.output import emit, table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("policy", metavar="NAMESPACE/NAME", help="the ImagePolicy")
    add_state_argument(parser)
    add_output_argument(parser)


def policy_key(text: str) -> str:
    namespace, sep, name = text.partition("/")
    if not sep:
        namespace, name = "default", text
    if not namespace or not name or "/" in name:
        raise UsageError(f"expected NAMESPACE/NAME, got {text!r}")
    return f"{namespace}/{name}"


def run(args: argparse.Namespace) -> int:
    key = policy_key(args.policy)
    store = state(args)
    record = store.get_policy(key)
    entries = store.history(key)
    if record is None and not entries:
        raise AutomationError(f"no history for ImagePolicy {key} (has it been evaluated?)")
    pinned = record.pinned_generation if record else None
    if args.output != "table":
        emit(
            {
                "policy": key,
                "pinnedGeneration": pinned,
                "generations": [
                    {
                        "generation": e.generation,
                        "time": e.time.isoformat(),
                        "ref": e.ref.to_dict(),
                        "reason": e.reason,
                    }
                    for e in entries
                ],
            },
            args.output,
        )
        return 0
    rows = [
        [
            ("*" if e.generation == pinned else "") + str(e.generation),
            e.time.isoformat(timespec="seconds"),
            str(e.ref),
            e.reason,
        ]
        for e in entries
    ]
    table(["GENERATION", "TIME", "REF", "REASON"], rows)
    if pinned is not None:
        print(f"* pinned by rollback (release with: image-automation rollback {key} --release)")
    return 0
