"""`image-automation imageset --name NAME IMAGE:TAG...`: digests for a release's images.

Resolves every image concurrently and prints an `operator.tigera.io/v1` `ImageSet`
(`spec.images[]` of `{image, digest}`, sorted by image) as YAML, or with `--format lock` a
JSON object `{"IMAGE:TAG": "sha256:..."}`. Images come from the arguments and/or
`--from-file` (one per line, `#` comments). Exit 1 when any image cannot be resolved.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from automation.errors import UsageError
from automation.output import emit
from automation.pinning.access import access_from_args, add_registry_arguments
from automation.pinning.imageset import (
    imageset_document,
    lock_document,
    parse_image_list,
    resolve_images,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="*", metavar="IMAGE:TAG", help="images of the release")
    parser.add_argument("--name", help="metadata.name of the ImageSet (e.g. calico-v3.27.0)")
    parser.add_argument(
        "--from-file", type=Path, metavar="FILE", help="read IMAGE:TAG lines from FILE ('-': stdin)"
    )
    parser.add_argument(
        "--format",
        choices=["imageset", "lock"],
        default="imageset",
        help="imageset: ImageSet YAML (default); lock: JSON {IMAGE:TAG: digest}",
    )
    add_registry_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if args.format == "imageset" and not args.name:
        raise UsageError("--name is required for --format imageset")
    access = access_from_args(args)
    images = [*args.images, *_from_file(args.from_file)]
    unique = args.format == "imageset"
    entries = asyncio.run(resolve_images(images, access, unique_images=unique))
    if args.format == "lock":
        emit(lock_document(entries), "json")
    else:
        emit(imageset_document(args.name, entries), "yaml")
    return 0


def _from_file(path: Path | None) -> list[str]:
    if path is None:
        return []
    if str(path) == "-":
        return parse_image_list(sys.stdin, "<stdin>")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"--from-file {path}: cannot read ({err})") from err
    return parse_image_list(text.splitlines(), str(path))
