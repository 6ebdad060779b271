"""fmt.Sprintf for template values (the verbs and flags templates use)."""

from __future__ import annotations

from typing import Any

from automation.gotemplate.gofmt import bad_verb, fmt_v, format_float, quote
from automation.gotemplate.values import (
    GoStruct,
    Int64,
    check_size,
    items_of,
    joined,
    seq_of,
    sorted_items,
    type_name,
    unbox,
)


class Spec:
    __slots__ = ("minus", "plus", "prec", "sharp", "space", "width", "zero")

    def __init__(self) -> None:
        self.minus = self.plus = self.sharp = self.space = self.zero = False
        self.width: int | None = None
        self.prec: int | None = None


def sprintf(fmt: str, *args: Any) -> str:
    out: list[str] = []
    argi = 0
    i = 0
    while i < len(fmt):
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        spec = Spec()
        while i < len(fmt) and fmt[i] in "+-# 0":
            c = fmt[i]
            spec.plus |= c == "+"
            spec.minus |= c == "-"
            spec.sharp |= c == "#"
            spec.space |= c == " "
            spec.zero |= c == "0"
            i += 1
        if i < len(fmt) and fmt[i] == "*":
            i += 1
            if argi < len(args) and type(unbox(args[argi])) is int:
                spec.width = unbox(args[argi])
                if spec.width is not None and spec.width < 0:
                    spec.minus, spec.width = True, -spec.width
            else:
                out.append("%!(BADWIDTH)")
            argi += 1
        else:
            start = i
            while i < len(fmt) and fmt[i].isdigit():
                i += 1
            if i > start:
                spec.width = int(fmt[start:i])
        if i < len(fmt) and fmt[i] == ".":
            i += 1
            if i < len(fmt) and fmt[i] == "*":
                i += 1
                if argi < len(args) and type(unbox(args[argi])) is int:
                    spec.prec = max(0, unbox(args[argi]))
                else:
                    out.append("%!(BADPREC)")
                argi += 1
            else:
                start = i
                while i < len(fmt) and fmt[i].isdigit():
                    i += 1
                spec.prec = int(fmt[start:i] or "0")
        if i >= len(fmt):
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        check_size(spec.prec or 0)
        out.append(_pad(format_arg(verb, args[argi], spec), spec, verb))
        argi += 1
    if argi < len(args):
        extra = ", ".join(
            "<nil>" if unbox(a) is None else f"{type_name(a)}={fmt_v(a)}" for a in args[argi:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _pad(text: str, spec: Spec, verb: str) -> str:
    check_size(spec.width or 0)
    if spec.width is None or len(text) >= spec.width:
        return text
    fill = spec.width - len(text)
    if spec.minus:
        return text + " " * fill
    if spec.zero and verb in "dxXobeEfFgG" and text[:1] in "+-":
        return text[0] + "0" * fill + text[1:]
    if spec.zero and verb not in "sqvT":
        return "0" * fill + text
    return " " * fill + text


def format_arg(verb: str, arg: Any, spec: Spec, depth: int = 0) -> str:
    v = unbox(arg)
    if depth and v is None and verb != "T":
        return "<nil>"
    if verb == "T":
        return type_name(v)
    if verb == "v":
        if spec.sharp:
            return _go_syntax(v)
        return fmt_v(v, plus=spec.plus)
    if v is None:
        return f"%!{verb}(<nil>)"
    if isinstance(v, GoStruct) and verb in "sq" and v.go_string() is not None:
        text = v.go_string() or ""
        return quote(text) if verb == "q" else _prec(text, spec)
    if isinstance(v, bool):
        return ("true" if v else "false") if verb == "t" else bad_verb(verb, v)
    if isinstance(v, int):
        return _int(verb, int(v), spec, arg)
    if isinstance(v, float):
        if verb in "xX":
            return _hex_float(v, verb)
        if verb in "eEfFgG":
            prec = spec.prec if spec.prec is not None else (6 if verb in "eEfF" else -1)
            text = format_float(v, verb, prec)
            return (
                "+" + text
                if spec.plus and v >= 0
                else " " + text
                if spec.space and v >= 0
                else text
            )
        return bad_verb(verb, v)
    if isinstance(v, str):
        if verb == "s":
            return _prec(v, spec)
        if verb == "q":
            return (
                "`" + v + "`" if spec.sharp and "`" not in v else quote(_prec(v, spec), spec.plus)
            )
        if verb in "xX":
            data = _prec(v, spec).encode("utf-8", "surrogateescape")
            if spec.space:
                text = " ".join(("0x" if spec.sharp else "") + f"{b:02x}" for b in data)
            else:
                text = ("0x" if spec.sharp and data else "") + data.hex()
            return text.upper().replace("0X", "0X") if verb == "X" else text
        return bad_verb(verb, v)
    seq = seq_of(v)
    if seq is not None:
        return "[" + joined((format_arg(verb, x, spec, depth + 1) for x in seq), " ") + "]"
    mapping = items_of(v)
    if mapping is not None:
        return (
            "map["
            + joined(
                f"{format_arg(verb, k, spec, depth + 1)}:{format_arg(verb, x, spec, depth + 1)}"
                for k, x in sorted_items(mapping)
            )
            + "]"
        )
    if isinstance(v, GoStruct):
        return (
            "{"
            + joined((format_arg(verb, x, spec, depth + 1) for x in v.field_values()), " ")
            + "}"
        )
    return bad_verb(verb, v)


def _hex_float(v: float, verb: str) -> str:
    """Go's %x of a float64: 0x1.cp+01."""
    text = v.hex()  # -0x1.c000000000000p+1
    sign = "-" if text.startswith("-") else ""
    mantissa, _, exp = text.lstrip("-").partition("p")
    mantissa = mantissa.rstrip("0").rstrip(".")
    exp_value = int(exp)
    text = f"{sign}{mantissa}p{'-' if exp_value < 0 else '+'}{abs(exp_value):02d}"
    return text.upper() if verb == "X" else text


def _prec(text: str, spec: Spec) -> str:
    return text if spec.prec is None else text[: spec.prec]


def _int(verb: str, v: int, spec: Spec, arg: Any) -> str:
    sign = "-" if v < 0 else ("+" if spec.plus else (" " if spec.space else ""))
    mag = abs(v)
    if verb == "d":
        digits = str(mag)
    elif verb in "xX":
        digits = ("0x" if spec.sharp else "") + f"{mag:x}"
        digits = digits.upper() if verb == "X" else digits
    elif verb == "o":
        digits = ("0" if spec.sharp else "") + f"{mag:o}"
    elif verb == "O":
        digits = f"0o{mag:o}"
    elif verb == "b":
        digits = f"{mag:b}"
    elif verb == "c":
        return chr(v) if 0 <= v <= 0x10FFFF else "\ufffd"
    elif verb == "q":
        return "'" + (chr(v) if 0 <= v <= 0x10FFFF else "\ufffd") + "'"
    elif verb == "U":
        return f"U+{v:04X}"
    else:
        return bad_verb(verb, arg)
    if spec.prec is not None and len(digits) < spec.prec:
        digits = "0" * (spec.prec - len(digits)) + digits
    return sign + digits


def _go_syntax(v: Any) -> str:
    if isinstance(v, str):
        return quote(v)
    if v is None:
        return "<nil>"
    if isinstance(v, Int64):
        return str(int(v))
    return fmt_v(v)
