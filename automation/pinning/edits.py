"""Turn a site and its digest into a text edit, and apply edits byte-exactly. Pure.

The new value keeps the file's spelling of the reference and appends `@digest`; a reference
without a tag gets `:latest` first, so the file still says which tag was pinned. A digest key
(Helm `digest:`, kustomize `digest:`) receives just the digest; an absent kustomize `digest`
key is inserted after the entry's last key. Quoting follows the setters' rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from automation.manifests.images import ImageSite
from automation.manifests.setters import render_scalar
from automation.reference import parse_reference


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace `text[start:end]` with `replacement`; `old`/`new` are the references shown."""

    start: int
    end: int
    replacement: str
    old: str
    new: str
    line: int


def pinned_reference(reference: str, digest: str) -> str:
    """`nginx:1.25` -> `nginx:1.25@sha256:...`; `nginx` -> `nginx:latest@sha256:...`."""
    base = reference.partition("@")[0]
    if not parse_reference(base).tag:
        base += ":latest"
    return f"{base}@{digest}"


def edit_for(site: ImageSite, digest: str) -> Edit | None:
    """The edit pinning `site` to `digest`; None when nothing changes."""
    new_reference = pinned_reference(site.reference, digest)
    if site.insertion is not None:
        spot = site.insertion
        pair = site.insertion.prefix + "digest: " + render_scalar(digest, "plain", flow=spot.flow)
        return Edit(
            spot.point, spot.point, pair + spot.suffix, site.reference, new_reference, site.line
        )
    target = site.target
    if target is None:
        return None
    if site.digest_only:
        value = digest
    else:
        value = target.value.partition("@")[0]
        if site.kind == "image" and not parse_reference(value).tag:
            value += ":latest"
        value = f"{value}@{digest}"
    if value == target.value:
        return None
    text = render_scalar(value, target.style, tagged=target.tagged, flow=target.flow)
    if target.null:
        text = " " + text
    return Edit(target.start, target.end, text, site.reference, new_reference, target.line)


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Splice every edit into `text`; spans never overlap (each is one scalar or point)."""
    pieces: list[str] = []
    position = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        pieces.append(text[position : edit.start])
        pieces.append(edit.replacement)
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)
