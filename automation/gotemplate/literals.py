"""Go literals in templates: strconv.Unquote for strings and number constants."""

from __future__ import annotations

_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


def unquote(quoted: str) -> str | None:
    """strconv.Unquote of a double-quoted or raw string; None on invalid syntax."""
    if len(quoted) < 2:
        return None
    if quoted[0] == "`":
        body = quoted[1:-1]
        return None if quoted[-1] != "`" or "`" in body else body.replace("\r", "")
    if quoted[0] != quoted[-1] or quoted[0] not in "\"'":
        return None
    return _unescape(quoted[1:-1], quoted[0])


def _unescape(body: str, quote: str) -> str | None:
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == quote or c == "\n":
            return None
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(body):
            return None
        e = body[i + 1]
        i += 2
        if e in _ESCAPES:
            if (e == "'" and quote == '"') or (e == '"' and quote == "'"):
                return None
            out.append(_ESCAPES[e])
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = body[i : i + width]
            if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                return None
            value = int(digits, 16)
            i += width
            if e == "x":
                out.append(chr(value) if quote == "'" else _byte(value))
            elif value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
                return None
            else:
                out.append(chr(value))
        elif e in "01234567":
            digits = body[i - 1 : i + 2]
            if len(digits) != 3 or any(d not in "01234567" for d in digits):
                return None
            value = int(digits, 8)
            if value > 255:
                return None
            out.append(_byte(value))
            i += 2
        else:
            return None
    return "".join(out)


def _byte(value: int) -> str:
    # A lone byte >= 0x80 is not valid UTF-8; Go keeps the raw byte. Surrogate-escape it
    # so that output encoding round-trips the byte rather than failing.
    return chr(value) if value < 0x80 else chr(0xDC00 + value)


def parse_number(text: str, is_char: bool) -> tuple[bool, bool, int, float] | None:
    """(is_int, is_float, int value, float value) of a number constant, or None."""
    if is_char:
        body = unquote(text)
        if body is None or len(body) != 1:
            return None
        return True, True, ord(body), float(ord(body))
    if text.endswith("i"):
        return None
    clean = text.replace("_", "")
    as_int = _parse_int(clean)
    if as_int is not None:
        return True, True, as_int, float(as_int)
    try:
        value = (
            float.fromhex(clean) if clean.lower().lstrip("+-").startswith("0x") else float(clean)
        )
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    if value == int(value) and abs(value) < 2**63:
        return True, True, int(value), value
    return False, True, 0, value


def _parse_int(text: str) -> int | None:
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    base = 10
    if len(body) > 1 and body[0] == "0":
        prefix = body[1].lower()
        base = {"x": 16, "o": 8, "b": 2}.get(prefix, 8)
        body = body[2:] if prefix in "xob" else body[1:]
    try:
        value = sign * int(body, base)
    except ValueError:
        return None
    return value if -(2**63) <= value < 2**64 else None
