"""Apply policies' latestRefs to the text of one YAML file. Pure: text in, text out.

In: the file's text, the in-scope refs (policy name -> LatestRef, all in `namespace`).
Out: `TextUpdate`: the new text (equal to the input outside the replaced scalars), the
changes per object, and notes about markers that were not applied or applied with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from automation.changeset import Change, ObjectId
from automation.manifests.cache import LocateCache, Splice, relocate
from automation.manifests.locate import Candidate, locate
from automation.manifests.markers import BadMarker, Marker, parse_marker
from automation.manifests.outline import locate_plain
from automation.manifests.setters import render_scalar, value_for
from automation.reference import LatestRef

NoteKind = Literal["invalid", "out-of-scope", "unknown-policy", "empty-digest", "image-on-tag-key"]
# Kinds that are applied but reported as warnings.
WARNING_KINDS = frozenset({"empty-digest", "image-on-tag-key"})
# The text before a value on its line ends in a `tag:` key (plain or quoted, block or flow).
_TAG_KEY = re.compile(r"""(?:^|[\s{,?-])["']?tag["']?[ \t]*:[ \t]*(?:[&!][^ \t]*[ \t]+)*$""")


@dataclass(frozen=True, slots=True)
class MarkerNote:
    """A marker that was not applied (or, for WARNING_KINDS, applied with a warning)."""

    path: str
    line: int
    marker: str
    kind: NoteKind
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path else f"line {self.line}"
        return f'{where}: marker "{self.marker}": {self.message}'


@dataclass(frozen=True, slots=True)
class TextUpdate:
    text: str
    changes: tuple[tuple[ObjectId, Change], ...]
    notes: tuple[MarkerNote, ...]

    @property
    def changed(self) -> bool:
        return bool(self.changes)


DEFAULT_CACHE = LocateCache()


def update_text(
    text: str,
    refs: Mapping[str, LatestRef],
    *,
    namespace: str,
    pure: bool | None = None,
    cache: LocateCache | None = DEFAULT_CACHE,
) -> TextUpdate:
    """Rewrite every marked scalar whose policy is in `refs`. Raises YamlSyntaxError.

    `pure` picks the composer (True: pure Python; False: C, with the pure one as fallback)
    and bypasses the cache and the line reader (`locate_plain`, used for plainly written
    files and giving what the parser would).
    """
    if pure is not None:
        cache = None
    located = cache.get(text) if cache is not None else None
    if located is None:
        if pure is not None:
            located = locate(text, pure=pure)
        else:  # the line reader gives what the parser would, or None when unsure
            located = locate_plain(text) or locate(text)
        if cache is not None:
            cache.put(text, located)
    splices: list[Splice] = []
    changes: list[tuple[ObjectId, Change]] = []
    notes: list[MarkerNote] = []
    for candidate in located.candidates:
        splice_ = _setter_splice(text, candidate, refs, namespace, notes)
        if splice_ is not None:
            splices.append(splice_)
            obj = located.objects[candidate.document]
            change = Change(candidate.value, splice_.value, splice_.setter, candidate.line)
            changes.append((obj, change))
    new_text = splice(text, splices)
    if cache is not None and splices:
        derived = relocate(text, located, splices)
        if derived is not None:
            cache.put(new_text, derived)
    return TextUpdate(new_text, tuple(changes), tuple(notes))


def _setter_splice(
    text: str,
    candidate: Candidate,
    refs: Mapping[str, LatestRef],
    namespace: str,
    notes: list[MarkerNote],
) -> Splice | None:
    """The edit one candidate asks for; None when it is no marker, not applied or unchanged."""
    marker = parse_marker(candidate.comment)
    if marker is None:
        return None
    ref = _resolve(marker, candidate, refs, namespace, notes)
    if ref is None or not isinstance(marker, Marker):
        return None
    new = value_for(marker, ref)
    if marker.setter == "full" and _on_tag_key(text, candidate):
        # Flux writes the full `name:tag` here too; it is almost always a missing `:tag`.
        message = (
            f'a full-image marker on a `tag:` key writes {new!r}; did you mean "{marker}:tag"?'
        )
        notes.append(MarkerNote("", candidate.line, str(marker), "image-on-tag-key", message))
    if marker.setter == "digest" and not new:
        message = "policy has no digest; the value is emptied"
        notes.append(MarkerNote("", candidate.line, str(marker), "empty-digest", message))
    if new == candidate.value:
        return None
    replacement = render_scalar(new, candidate.style, tagged=candidate.tagged, flow=candidate.flow)
    if candidate.insert:
        replacement = " " + replacement
    return Splice(candidate, new, replacement, str(marker))


def _on_tag_key(text: str, candidate: Candidate) -> bool:
    line_start = text.rfind("\n", 0, candidate.start) + 1
    return _TAG_KEY.search(text, line_start, candidate.start) is not None


def _resolve(
    marker: Marker | BadMarker,
    candidate: Candidate,
    refs: Mapping[str, LatestRef],
    namespace: str,
    notes: list[MarkerNote],
) -> LatestRef | None:
    line = candidate.line
    if isinstance(marker, BadMarker):
        notes.append(MarkerNote("", line, marker.value, "invalid", marker.reason))
        return None
    if marker.namespace != namespace:
        message = f"policy namespace {marker.namespace!r} is not the automation's {namespace!r}"
        notes.append(MarkerNote("", line, str(marker), "out-of-scope", message))
        return None
    ref = refs.get(marker.policy)
    if ref is None:
        message = f"no selected policy {namespace}/{marker.policy} with a latest image"
        notes.append(MarkerNote("", line, str(marker), "unknown-policy", message))
    return ref


def splice(text: str, splices: list[Splice]) -> str:
    """Replace each candidate's span; spans never overlap (each is one scalar)."""
    if not splices:
        return text
    pieces: list[str] = []
    position = 0
    for s in sorted(splices, key=lambda s: s.candidate.start):
        pieces.append(text[position : s.candidate.start])
        pieces.append(s.replacement)
        position = s.candidate.end
    pieces.append(text[position:])
    return "".join(pieces)
