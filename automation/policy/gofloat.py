"""Numbers as Go's `strconv.ParseFloat(s, 64)` reads them (the numerical policy's parser).

In:  a string. Out: a float, or `GoFloatError` ("invalid syntax" / "value out of range").

Go's grammar differs from Python's `float()`:
- accepted by Go: an optional sign, decimal digits with an optional point and `e` exponent,
  hexadecimal mantissas with a *mandatory* `p` exponent (`0x1p-2`), `_` between digits
  (`1_000`, `0x_1p4`), and case-insensitive `Inf`, `Infinity` (optionally signed) and `NaN`
  (unsigned);
- rejected by Go but accepted by Python: surrounding whitespace, `+nan`/`-nan`,
  `infinit`-like prefixes, non-ASCII digits;
- a finite literal beyond float64 (`1e309`) is an error in Go ("value out of range");
  underflow silently becomes 0.
"""

from __future__ import annotations

import math
import re

_DECIMAL = re.compile(r"[+-]?(?=\.?[0-9])[0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?")
_HEX = re.compile(
    r"[+-]?0[xX](?=\.?_?[0-9a-fA-F])[0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?[pP][+-]?[0-9_]+"
)


class GoFloatError(ValueError):
    """`text` is not a float64 under Go's rules; `reason` is Go's wording."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"parsing {text!r}: {reason}")


def _special(text: str) -> float | None:
    lowered = text.lower()
    sign = -1.0 if lowered.startswith("-") else 1.0
    bare = lowered[1:] if lowered[:1] in ("+", "-") else lowered
    if bare in ("inf", "infinity"):
        return math.copysign(math.inf, sign)
    if lowered == "nan":
        return math.nan
    return None


def _underscores_ok(text: str) -> bool:
    """Go's rule: `_` only between digits, or between a base prefix and a digit."""
    body = text[1:] if text[:1] in ("+", "-") else text
    hexadecimal = body[:2].lower() == "0x"
    saw = "0" if hexadecimal else "^"  # the prefix counts as a digit
    for ch in body[2:] if hexadecimal else body:
        is_digit = ch.isdigit() or (hexadecimal and ch.lower() in "abcdef")
        if is_digit:
            saw = "0"
        elif ch == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def parse_go_float(text: str) -> float:
    """Parse like `strconv.ParseFloat(text, 64)`; raise `GoFloatError` where Go errors."""
    special = _special(text)
    if special is not None:
        return special
    if not text.isascii():
        raise GoFloatError(text, "invalid syntax")
    hexadecimal = _HEX.fullmatch(text) is not None
    if not hexadecimal and _DECIMAL.fullmatch(text) is None:
        raise GoFloatError(text, "invalid syntax")
    if "_" in text and not _underscores_ok(text):
        raise GoFloatError(text, "invalid syntax")
    clean = text.replace("_", "")
    try:
        value = _hex_value(clean) if hexadecimal else float(clean)
    except OverflowError:
        raise GoFloatError(text, "value out of range") from None
    if math.isinf(value):
        raise GoFloatError(text, "value out of range")
    return value


def _hex_value(clean: str) -> float:
    """`float.fromhex` with Go's handling of absurd exponents (underflow to 0, else range)."""
    mantissa, _, exponent = clean.lower().partition("p")
    digits = mantissa.lstrip("+-")[2:].replace(".", "")
    if int(exponent) < -(10**6):
        return -0.0 if mantissa.startswith("-") else 0.0
    if int(exponent) > 10**6 and digits.strip("0"):
        raise OverflowError
    if int(exponent) > 10**6:
        return -0.0 if mantissa.startswith("-") else 0.0
    return float.fromhex(clean)
