"""Pin image references to digests (`pin`) and write release image sets (`imageset`).

In: YAML files (or a list of `IMAGE:TAG`), registry access settings, an optional platform.
Out: files rewritten byte-exactly with `name:tag@sha256:...` and a `PinReport`; or an
`operator.tigera.io/v1` ImageSet / a lock document built from resolved digests.

    report = asyncio.run(pin_paths([Path("deploy")], access, dry_run=True))
    entries = asyncio.run(resolve_images(["ghcr.io/org/app:1.2"], access))
"""

from automation.pinning.access import RegistryAccess, registry_options
from automation.pinning.edits import Edit, apply_edits, edit_for
from automation.pinning.imageset import (
    ImageEntry,
    imageset_document,
    lock_document,
    parse_image_list,
    resolve_images,
)
from automation.pinning.lookups import Lookup, Resolved, lookup_for, resolve_lookups
from automation.pinning.report import PinChange, PinNote, PinReport
from automation.pinning.run import pin_paths

__all__ = [
    "Edit",
    "ImageEntry",
    "Lookup",
    "PinChange",
    "PinNote",
    "PinReport",
    "RegistryAccess",
    "Resolved",
    "apply_edits",
    "edit_for",
    "imageset_document",
    "lock_document",
    "lookup_for",
    "parse_image_list",
    "pin_paths",
    "registry_options",
    "resolve_images",
    "resolve_lookups",
]
