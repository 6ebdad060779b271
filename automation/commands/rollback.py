"""`image-automation rollback ns/policy [--to N] | --release`: pin a policy to an earlier ref.

While pinned, automations write the pinned generation's ref instead of the latest one; new
evaluations still happen and are recorded, so releasing the pin moves straight to the latest.
"""

from __future__ import annotations

import argparse

from automation.commands.common import add_state_argument, state
from automation.commands.history import policy_key
from automation.errors import AutomationError, UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("policy", metavar="NAMESPACE/NAME", help="the ImagePolicy")
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--to",
        type=int,
        metavar="GENERATION",
        help="generation to pin (default: the one before the current)",
    )
    group.add_argument("--release", action="store_true", help="remove the pin")
    add_state_argument(parser)


def run(args: argparse.Namespace) -> int:
    key = policy_key(args.policy)
    store = state(args)
    record = store.get_policy(key)
    if record is None:
        raise AutomationError(f"ImagePolicy {key} has no history yet: nothing to roll back to")
    if args.release:
        store.set_pin(key, None)
        print(
            f"{key}: pin released; the next automation run writes the latest ref "
            f"({record.latest_ref})"
        )
        return 0
    entries = {e.generation: e for e in store.history(key)}
    target = args.to if args.to is not None else record.generation - 1
    if target not in entries:
        known = ", ".join(str(g) for g in sorted(entries)) or "none"
        raise UsageError(f"{key} has no generation {target} (generations: {known})")
    store.set_pin(key, target)
    print(
        f"{key}: pinned to generation {target} ({entries[target].ref}); "
        f"release with: image-automation rollback {key} --release"
    )
    return 0
