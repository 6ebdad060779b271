"""`image-automation policy test`: try a policy on a list of tags, offline.

The policy comes from a file (`policy test FILE`) or from the loaded policy files
(`--name ns/name`); the tags from `--tags`, `--tags-file` (`-` = stdin), or the last scan in
the state store. Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from automation.cli import add_verbose
from automation.commands.common import add_output_argument, add_state_argument, state
from automation.commands.history import policy_key
from automation.config import ImagePolicy, load_config
from automation.config.duration import format_duration
from automation.errors import AutomationError, UsageError
from automation.output import emit, table
from automation.policy import explain


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="policy_command", metavar="test", required=True)
    test = sub.add_parser("test", help="print the tag a policy selects from the given tags")
    add_verbose(test)
    test.add_argument("file", nargs="?", type=Path, help="a file holding the ImagePolicy")
    test.add_argument("--name", metavar="NAMESPACE/NAME", help="the policy to test")
    test.add_argument(
        "--policies",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="policy files to look --name up in (default: ./policies)",
    )
    tags = test.add_mutually_exclusive_group()
    tags.add_argument("--tags", help="comma-separated tags")
    tags.add_argument(
        "--tags-file", type=Path, metavar="FILE", help="one tag per line ('-' for stdin)"
    )
    add_state_argument(test)
    add_output_argument(test)


def _policy(args: argparse.Namespace) -> ImagePolicy:
    paths = [args.file] if args.file else (args.policies or [Path("policies")])
    policies = load_config(paths).image_policies
    if args.name:
        key = policy_key(args.name)
        found = next((p for k, p in policies.items() if str(k) == key), None)
        if found is None:
            raise UsageError(f"no ImagePolicy {key} in {', '.join(map(str, paths))}")
        return found
    if len(policies) != 1:
        names = ", ".join(str(k) for k in policies) or "none"
        raise UsageError(f"{len(policies)} ImagePolicies found ({names}); choose with --name")
    return next(iter(policies.values()))


def _tags(args: argparse.Namespace, policy: ImagePolicy) -> list[str]:
    if args.tags is not None:
        return [t.strip() for t in args.tags.split(",") if t.strip()]
    if args.tags_file is not None:
        text = sys.stdin.read() if str(args.tags_file) == "-" else args.tags_file.read_text()
        return [line.strip() for line in text.splitlines() if line.strip()]
    repo_key = f"{policy.repository_namespace}/{policy.spec.image_repository_ref.name}"
    stored = state(args).get_tags(repo_key)
    if stored is None:
        raise UsageError(f"no --tags given and ImageRepository {repo_key} was never scanned")
    return stored


def _gates_note(args: argparse.Namespace, policy: ImagePolicy) -> str | None:
    """Release gates (minimum age, signatures) are checked against the registry, which this
    test does not reach: say which apply, with what the last evaluation held back (state)."""
    gates = []
    if policy.min_release_age is not None:
        gates.append(f"minimum release age {format_duration(policy.min_release_age)}")
    if policy.signature_secret is not None:
        gates.append(f"signatures by the keys in Secret {policy.signature_secret}")
    if policy.keyless_root_secret is not None:
        who = ", ".join(f"{k} {v}" for k, v in policy.keyless_identity.items())
        root = policy.keyless_root_secret
        gates.append(f"keyless signatures ({who}) under the trust root in Secret {root}")
    if not gates:
        return None
    note = (
        f"release gates ({'; '.join(gates)}) are checked when the policy is evaluated "
        "against the registry, not by this offline test"
    )
    record = state(args).get_policy(str(policy.key))
    text = (record.last_error or record.message) if record is not None else ""
    held = text.partition("held back: ")[2]
    return f"{note}; last evaluation held back {held}" if held else note


def run(args: argparse.Namespace) -> int:
    if not args.file and not args.name:
        raise UsageError("give a policy FILE or --name NAMESPACE/NAME")
    policy = _policy(args)
    result = explain(policy.spec, _tags(args, policy))
    if args.output != "table":
        emit(
            {
                "policy": str(policy.key),
                "description": result.policy,
                "tag": result.tag,
                "error": result.error,
                "releaseGates": _gates_note(args, policy),
                "candidates": [
                    {"tag": v.tag, "value": v.value, "outcome": v.outcome, "reason": v.reason}
                    for v in result.verdicts
                ],
            },
            args.output,
        )
    else:
        if args.verbose:
            print(f"{policy.key}: {result.policy}", file=sys.stderr)
            rows = [[v.tag, v.outcome, v.reason] for v in result.verdicts]
            table(["TAG", "OUTCOME", "REASON"], rows, out=sys.stderr)
            if (note := _gates_note(args, policy)) is not None:
                print(note, file=sys.stderr)
        if result.tag is not None:
            print(result.tag)
    if result.tag is None:
        raise AutomationError(result.error or "no tag matches the policy")
    return 0
