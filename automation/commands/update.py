"""`image-automation update PATH`: apply image refs to marked YAML in a directory, no git.

Refs come from the command line (`--ref ns:policy=IMAGE:TAG[@DIGEST]`, repeatable) and/or
from the state store (`--from-state`; `--ref` wins for the same policy). Prints the change
set; `--dry-run` prints a unified diff and writes nothing. Exit 0 when it worked (changed or
not), 1 when a file failed to parse or a marker was malformed, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from automation.commands.common import add_state_argument, state
from automation.errors import UsageError
from automation.manifests.apply import UpdateResult, apply_refs
from automation.manifests.report import change_lines, notice_lines, result_to_dict
from automation.output import emit
from automation.reference import LatestRef

if TYPE_CHECKING:
    from automation.state import StateStore


class PolicyKey(NamedTuple):
    namespace: str
    name: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="directory (or file) to update")
    parser.add_argument(
        "--ref",
        action="append",
        default=[],
        metavar="NS:POLICY=IMAGE:TAG[@DIGEST]",
        help="the latest image of a policy (repeatable; wins over --from-state)",
    )
    parser.add_argument(
        "--from-state",
        action="store_true",
        help="also use the latest refs recorded in the state store (a rollback pin wins)",
    )
    add_state_argument(parser)
    parser.add_argument(
        "--namespace", help="the automation's namespace (default: the namespace of the refs)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print a unified diff, write nothing"
    )
    parser.add_argument("-o", "--output", choices=["text", "json", "yaml"], default="text")


def run(args: argparse.Namespace) -> int:
    given = dict(parse_ref(text) for text in args.ref)
    stored = refs_from_store(state(args)) if args.from_state else {}
    if not given and not stored:
        raise UsageError("give at least one --ref NS:POLICY=IMAGE:TAG (or --from-state with refs)")
    namespace = args.namespace or _single_namespace(given or stored)
    outside = [f"{k.namespace}:{k.name}" for k in given if k.namespace != namespace]
    if outside:
        raise UsageError(f"--ref {outside[0]} is not in namespace {namespace!r}")
    merged = {**stored, **given}
    refs = {key.name: ref for key, ref in merged.items() if key.namespace == namespace}
    return update_directory(
        Path(args.path), refs, namespace=namespace, dry_run=args.dry_run, output=args.output
    )


def refs_from_store(store: StateStore) -> dict[PolicyKey, LatestRef]:
    """Every policy's ref in the store: its rollback pin if pinned, else its latestRef."""
    # Start-up laziness: only `--from-state` needs the state stage (see cli.py).
    from automation.state import ref_to_write

    refs: dict[PolicyKey, LatestRef] = {}
    try:
        for record in store.list_policies():
            namespace, _, name = record.key.partition("/")
            ref = ref_to_write(store, record.key)
            if ref is not None and name:
                refs[PolicyKey(namespace, name)] = ref
    finally:
        store.close()
    return refs


def update_directory(
    path: Path,
    refs: Mapping[str, LatestRef],
    *,
    namespace: str,
    dry_run: bool = False,
    output: str = "text",
) -> int:
    """Apply in-scope `refs` (policy name -> ref, all in `namespace`) under `path`; print the
    outcome and return the exit code."""
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    root, update_path = (path.parent, path.name) if path.is_file() else (path, ".")
    result = apply_refs(root, update_path, refs, namespace=namespace, dry_run=dry_run)
    _print(result, dry_run=dry_run, output=output)
    return 0 if result.ok else 1


def _single_namespace(refs: Mapping[PolicyKey, LatestRef]) -> str:
    namespaces = sorted({key.namespace for key in refs})
    if len(namespaces) != 1:
        listed = ", ".join(namespaces)
        raise UsageError(f"refs are in several namespaces ({listed}); choose one with --namespace")
    return namespaces[0]


def _print(result: UpdateResult, *, dry_run: bool, output: str) -> None:
    if output in ("json", "yaml"):
        emit(result_to_dict(result, dry_run=dry_run), output)
    elif dry_run:
        sys.stdout.write("".join(result.diffs[path] for path in sorted(result.diffs)))
    else:
        for line in change_lines(result):
            print(line)
        if not result.changes:
            print("no changes")
    for line in notice_lines(result):
        print(line, file=sys.stderr)


def parse_ref(text: str) -> tuple[PolicyKey, LatestRef]:
    """`ns:policy=IMAGE:TAG[@DIGEST]` -> (PolicyKey, LatestRef). Raises UsageError."""
    key, sep, image = text.partition("=")
    namespace, colon, name = key.partition(":")
    if not sep or not colon or not namespace or not name or ":" in name:
        raise UsageError(f"--ref {text!r}: expected NS:POLICY=IMAGE:TAG[@DIGEST]")
    return PolicyKey(namespace, name), parse_image(image, option=f"--ref {text!r}")


def parse_image(image: str, *, option: str = "image") -> LatestRef:
    """`name:tag[@digest]`: split at the last `@`, then at the last `:` after the last `/`."""
    digest = ""
    if "@" in image:
        image, _, digest = image.rpartition("@")
        if ":" not in digest or not digest.split(":", 1)[1]:
            raise UsageError(f"{option}: digest {digest!r} is not ALGORITHM:HEX")
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon <= slash or colon == len(image) - 1:
        raise UsageError(f"{option}: image {image!r} has no tag (expected IMAGE:TAG)")
    name, tag = image[:colon], image[colon + 1 :]
    if not name:
        raise UsageError(f"{option}: image has no name")
    return LatestRef(name, tag, digest)
