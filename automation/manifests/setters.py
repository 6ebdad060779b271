"""What a marker writes, and how the new value is spelled in the file.

In: a `Marker`, the policy's `LatestRef`, the style of the scalar being replaced.
Out: the new value (`value_for`) and its source text (`render_scalar`). Pure.

The spelling rule: keep the scalar's quote style, except that a plain scalar whose new value a
YAML 1.1 (or 1.2) reader would take for something other than a string (`1.10`, `20240101`,
`1e3`, `yes`, `0x1F`, `~`, an empty value) or that is not safe to write plain is double-quoted,
so the file keeps meaning a string.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from automation.manifests.markers import Marker
from automation.reference import LatestRef

Style = Literal["plain", "single", "double"]

# Implicit resolvers of YAML 1.1 (PyYAML/go-yaml v2/kyaml) and of the YAML 1.2 core schema.
_NON_STRING = re.compile(
    r"""^(?:
      ~|null|Null|NULL
     |y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
     |[-+]?0b[0-1_]+
     |[-+]?0o?[0-7_]+
     |[-+]?(?:0|[1-9][0-9_]*)|[-+]?[0-9]+
     |[-+]?0x[0-9a-fA-F_]+
     |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
     |[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?
     |[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+
     |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
     |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
     |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}.*)?
     |<<|=
    )$""",
    re.VERBOSE,
)
# Conservative plain-safe spelling: every image name, tag and digest fits; anything unusual
# (spaces, indicators, non-ASCII) is simply quoted.
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./+][A-Za-z0-9_./+@:=~-]*$")


def value_for(marker: Marker, ref: LatestRef) -> str:
    """The value a marker writes: `N:T@D` / `N:T`, or just the tag, name or digest."""
    if marker.setter == "tag":
        return ref.tag
    if marker.setter == "name":
        return ref.name
    if marker.setter == "digest":
        return ref.digest  # empty when the policy has no digest, as in Flux
    return str(ref)


def reads_as_string(value: str) -> bool:
    """Whether a plain scalar with this text is a string for YAML 1.1 and 1.2 readers."""
    return value != "" and _NON_STRING.match(value) is None


def plain_ok(value: str, *, tagged: bool = False, flow: bool = False) -> bool:
    """Whether `value` can be written as a plain scalar and still read back as this string.

    In a flow collection libyaml (and so Go and the C composer) rejects a `:` in a plain
    scalar, so such values are quoted there.
    """
    if _PLAIN_SAFE.match(value) is None or value.endswith(":") or (flow and ":" in value):
        return False
    return tagged or reads_as_string(value)


def render_scalar(value: str, style: Style, *, tagged: bool = False, flow: bool = False) -> str:
    """Source text for `value` in the given style (switching to double quotes when needed)."""
    if style == "plain" and plain_ok(value, tagged=tagged, flow=flow):
        return value
    if style == "single" and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    # JSON strings are valid YAML double-quoted scalars (same escapes).
    return json.dumps(value, ensure_ascii=False)
