"""Setter markers: `# {"$imagepolicy": "<namespace>:<policy>[:tag|:name|:digest]"}`.

In: the text of one YAML comment (with its leading `#`s). Out: a `Marker`, a `BadMarker`
(the comment is a marker but names no usable setter), or None (not a marker at all).

Flux's grammar: after stripping every leading `#` the comment must be exactly one JSON object
whose values are all strings and which has the key `$imagepolicy`. Anything else (trailing
text, single quotes, a non-string value) makes the comment an ordinary comment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

MARKER_KEY = "$imagepolicy"
# The file screen: Flux looks for the key with its double quotes, so do we.
SCREEN_TOKEN = b'"$imagepolicy"'

# The usual spelling, whose JSON value is the captured text as it stands (no escapes).
_CANONICAL = re.compile(r'#+ ?\{"\$imagepolicy": ?"([^"\\\x00-\x1f]*)"\}')

Setter = Literal["full", "tag", "name", "digest"]
_SUFFIXES: dict[str, Setter] = {"tag": "tag", "name": "name", "digest": "digest"}


@dataclass(frozen=True, slots=True)
class Marker:
    """A valid marker: which policy, and which part of its latestRef it writes."""

    namespace: str
    policy: str
    setter: Setter

    def __str__(self) -> str:
        """The setter name as written in the file (`ns:policy` or `ns:policy:tag`)."""
        base = f"{self.namespace}:{self.policy}"
        return base if self.setter == "full" else f"{base}:{self.setter}"


@dataclass(frozen=True, slots=True)
class BadMarker:
    """A comment that is a marker by its JSON form, but whose value cannot name a setter."""

    value: str
    reason: str


def parse_marker(comment: str) -> Marker | BadMarker | None:
    """Read one comment (`# {...}`, any number of leading `#`s). None when it is no marker."""
    canonical = _CANONICAL.fullmatch(comment)
    if canonical is not None:  # what json.loads would read, without its cost
        return parse_setter_name(canonical.group(1))
    return parse_marker_json(comment)


def parse_marker_json(comment: str) -> Marker | BadMarker | None:
    """`parse_marker` by the JSON grammar alone (the reference for its shortcut)."""
    body = comment.lstrip("#").strip()
    if not body.startswith("{") or MARKER_KEY not in body:
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or MARKER_KEY not in data:
        return None
    if not all(isinstance(v, str) for v in data.values()):
        return None
    return parse_setter_name(data[MARKER_KEY])


def parse_setter_name(value: str) -> Marker | BadMarker:
    """`ns:policy` or `ns:policy:tag|name|digest` -> Marker; anything else -> BadMarker."""
    parts = value.split(":")
    if len(parts) < 2 or len(parts) > 3:
        return BadMarker(value, "expected <namespace>:<policy>[:tag|:name|:digest]")
    namespace, policy = parts[0].strip(), parts[1].strip()
    if not namespace or not policy or namespace != parts[0] or policy != parts[1]:
        return BadMarker(value, "namespace and policy must be non-empty and without spaces")
    if len(parts) == 2:
        return Marker(namespace, policy, "full")
    setter = _SUFFIXES.get(parts[2])
    if setter is None:
        return BadMarker(value, f"unknown setter suffix {parts[2]!r} (use tag, name or digest)")
    return Marker(namespace, policy, setter)
