"""Go's fmt for template values: ``Sprint``, ``Sprintln``, ``Sprintf`` and ``strconv.Quote``.

Covers the verbs templates use (v s q d x X o b c U e E f F g G t T %) with flags
``+ - # 0 space``, width and precision, and Go's ``%!verb(type=value)`` error forms.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from typing import Any

from automation.gotemplate.values import (
    NO_VALUE,
    GoFunc,
    GoStruct,
    items_of,
    joined,
    seq_of,
    sorted_items,
    type_name,
    unbox,
)

_ESC = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def _printable(c: str) -> bool:
    if c == " ":
        return True
    cat = unicodedata.category(c)
    return cat[0] in "LMNPS"


def quote(s: str, ascii_only: bool = False) -> str:
    """strconv.Quote (or QuoteToASCII)."""
    out = ['"']
    for c in s:
        o = ord(c)
        if c in _ESC:
            out.append(_ESC[c])
        elif 0xDC80 <= o <= 0xDCFF:
            out.append(f"\\x{o - 0xDC00:02x}")
        elif _printable(c) and not (ascii_only and o >= 0x80):
            out.append(c)
        elif o < 0x80:
            out.append(f"\\x{o:02x}")
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


# strconv uses precision 6 to pick %e for the shortest %g.
G_SHORTEST_EPREC = 6


def format_float(f: float, fmt: str = "g", prec: int = -1) -> str:
    """strconv.FormatFloat(f, fmt, prec, 64)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if fmt in "eE":
        text = _exp(f, prec, shortest=prec < 0)
        return text.upper() if fmt == "E" else text
    if fmt in "fF":
        if prec < 0:
            digits, point = _shortest(f)
            return _fixed_from_digits(f, digits, point)
        return f"{f:.{prec}f}"
    if fmt == "G":
        return format_float(f, "g", prec).upper()
    # 'g'
    if prec < 0:
        digits, point = _shortest(f)
        exp = point - 1
        if exp < -4 or exp >= G_SHORTEST_EPREC:
            return _exp(f, -1, shortest=True)
        return _fixed_from_digits(f, digits, point)
    if prec == 0:
        prec = 1
    text = f"{f:.{prec}g}"
    return text


def _shortest(f: float) -> tuple[str, int]:
    """Shortest decimal digits of |f| and the decimal point position."""
    r = repr(abs(f))
    if "e" in r or "E" in r:
        mant, e = r.lower().split("e")
        exp = int(e)
    else:
        mant, exp = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    if fp == "0":
        fp = ""
    digits = (ip + fp).lstrip("0")
    point = len(ip) + exp - (len(ip + fp) - len((ip + fp).lstrip("0")))
    if not digits:
        return "0", 1
    digits = digits.rstrip("0") or "0"
    return digits, point


def _fixed_from_digits(f: float, digits: str, point: int) -> str:
    sign = "-" if f < 0 or (f == 0 and math.copysign(1, f) < 0) else ""
    if digits == "0":
        return sign + "0"
    if point <= 0:
        return sign + "0." + "0" * (-point) + digits
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return sign + digits[:point] + "." + digits[point:]


def _exp(f: float, prec: int, shortest: bool) -> str:
    if shortest:
        digits, point = _shortest(f)
        sign = "-" if f < 0 else ""
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        exp = point - 1 if digits != "0" else 0
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return f"{f:.{prec}e}"


def fmt_v(v: Any, plus: bool = False, top: bool = True) -> str:
    """``%v`` (``%+v`` with ``plus``) of a value."""
    v = unbox(v)
    if v is NO_VALUE:
        return "<invalid reflect.Value>"
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        return format_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, GoStruct):
        text = v.go_string()
        if text is not None:
            return text
        if plus:
            parts = [
                f"{n}:{fmt_v(x, plus, False)}"
                for n, x in zip(v.go_fields, v.field_values(), strict=True)
            ]
        else:
            parts = [fmt_v(x, plus, False) for x in v.field_values()]
        return "{" + joined(parts, " ") + "}"
    mapping = items_of(v)
    if mapping is not None:
        return (
            "map["
            + joined(
                f"{fmt_v(k, plus, False)}:{fmt_v(x, plus, False)}" for k, x in sorted_items(mapping)
            )
            + "]"
        )
    seq = seq_of(v)
    if seq is not None:
        return "[" + joined((fmt_v(x, plus, False) for x in seq), " ") + "]"
    if isinstance(v, GoFunc):
        return "0x0"
    return str(v)


def _is_string(v: Any) -> bool:
    return isinstance(unbox(v), str)


def sprint(*args: Any) -> str:
    """fmt.Sprint: a space between operands when neither is a string."""

    def parts() -> Iterator[str]:
        for i, a in enumerate(args):
            space = i > 0 and not _is_string(a) and not _is_string(args[i - 1])
            yield (" " if space else "") + fmt_v(a)

    return joined(parts(), "")


def sprintln(*args: Any) -> str:
    return joined((fmt_v(a) for a in args), " ") + "\n"


def bad_verb(verb: str, arg: Any) -> str:
    arg = unbox(arg)
    if arg is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_name(arg)}={fmt_v(arg)})"
