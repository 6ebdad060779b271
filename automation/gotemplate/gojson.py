"""encoding/json.Marshal of template values, as Sprig's toJson/toPrettyJson/toRawJson do."""

from __future__ import annotations

import math
from typing import Any

from automation.gotemplate.values import (
    GoMap,
    GoSlice,
    GoStruct,
    items_of,
    joined,
    seq_of,
    type_name,
    unbox,
)


class UnsupportedError(Exception):
    pass


def _string(s: str, escape_html: bool) -> str:
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[c])
        elif o < 0x20 or (escape_html and c in "<>&") or o in (0x2028, 0x2029):
            out.append(f"\\u{o:04x}")
        elif 0xDC80 <= o <= 0xDCFF:
            out.append("\\ufffd")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _float(f: float) -> str:
    if math.isnan(f) or math.isinf(f):
        raise UnsupportedError(f"json: unsupported value: {f}")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        text = repr(f)
        mant, _, exp = text.partition("e")
        mant = mant.removesuffix(".0")
        sign = exp[0] if exp[0] in "+-" else "+"
        digits = exp.lstrip("+-").lstrip("0") or "0"
        return f"{mant}e{sign if sign == '-' else '+'}{digits}"
    text = repr(f)
    if "e" in text:
        return format(f, "f").rstrip("0").rstrip(".")
    return text.removesuffix(".0")


def struct_members(s: GoStruct) -> list[tuple[str, Any]]:
    members: list[tuple[str, Any]] = []
    tags = getattr(s, "go_json", {})
    for name, value in zip(s.go_fields, s.field_values(), strict=True):
        tag = tags.get(name, name)
        if tag == "":
            members.extend(struct_members(value))
            continue
        key, _, option = tag.partition(",")
        if option == "omitempty" and value in ("", 0, None, False):
            continue
        members.append((key or name, value))
    return members


def encode(v: Any, escape_html: bool = True, indent: str = "", level: int = 0) -> str:
    v = unbox(v)
    nl = "\n" + indent * (level + 1) if indent else ""
    end = "\n" + indent * level if indent else ""
    sep = ": " if indent else ":"
    if v is None or (isinstance(v, (GoMap, GoSlice)) and v.is_nil):
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, str):
        return _string(v, escape_html)
    if isinstance(v, GoStruct):
        members = struct_members(v)
        if not members:
            return "{}"
        return (
            "{"
            + joined(
                (
                    nl + _string(k, escape_html) + sep + encode(x, escape_html, indent, level + 1)
                    for k, x in members
                ),
                ",",
            )
            + end
            + "}"
        )
    mapping = items_of(v)
    if mapping is not None:
        if isinstance(v, GoMap) and not v.type_name.startswith("map[string]"):
            raise UnsupportedError(f"json: unsupported type: {type_name(v)}")
        if not mapping:
            return "{}"
        return (
            "{"
            + joined(
                (
                    nl
                    + _string(str(k), escape_html)
                    + sep
                    + encode(mapping[k], escape_html, indent, level + 1)
                    for k in sorted(mapping)
                ),
                ",",
            )
            + end
            + "}"
        )
    seq = seq_of(v)
    if seq is not None:
        if not seq:
            return "[]"
        return (
            "["
            + joined((nl + encode(x, escape_html, indent, level + 1) for x in seq), ",")
            + end
            + "]"
        )
    raise UnsupportedError(f"json: unsupported type: {type_name(v)}")


def decode_value(v: Any) -> Any:
    """json.Unmarshal into interface{}: every number is a float64."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, list):
        return [decode_value(x) for x in v]
    if isinstance(v, dict):
        return {k: decode_value(x) for k, x in v.items()}
    return v
