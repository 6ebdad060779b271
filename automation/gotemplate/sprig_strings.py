"""Sprig's hermetic string, conversion and encoding functions (github.com/Masterminds/sprig)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import posixpath
import zlib
from typing import Any

from automation.gotemplate.gofmt import fmt_v, quote
from automation.gotemplate.printf import sprintf
from automation.gotemplate.values import (
    FuncError,
    GoFunc,
    GoMap,
    GoSlice,
    GoStruct,
    Int64,
    check_size,
    joined,
    seq_of,
    unbox,
)

_ANY, _S, _I = "interface {}", "string", "int"


def strval(v: Any) -> str:
    v = unbox(v)
    if isinstance(v, str):
        return v
    if isinstance(v, GoStruct) and v.go_string() is not None:
        return v.go_string() or ""
    return fmt_v(v)


def strslice(v: Any) -> list[str]:
    v = unbox(v)
    if isinstance(v, GoSlice) and v.type_name == "[]string":
        return list(v.items)
    seq = seq_of(v)
    if seq is not None:
        return [strval(x) for x in seq if unbox(x) is not None]
    if v is None:
        return []
    return [strval(v)]


def _str_list(items: list[str]) -> GoSlice:
    return GoSlice(items, "[]string")


def _bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def trunc(c: int, s: str) -> str:
    b = _bytes(s)
    if c < 0 and len(b) + c > 0:
        return _text(b[len(b) + c :])
    if c >= 0 and len(b) > c:
        return _text(b[:c])
    return s


def substr(start: int, end: int, s: str) -> str:
    b = _bytes(s)
    if start < 0:
        return _text(b[:end])
    if end < 0 or end > len(b):
        return _text(b[start:])
    if start > end:
        raise FuncError(f"runtime error: slice bounds out of range [{start}:{end}]")
    return _text(b[start:end])


def title(s: str) -> str:
    out, prev = [], " "
    for c in s:
        out.append(c.upper() if _is_separator(prev) else c)
        prev = c
    return "".join(out)


def _is_separator(c: str) -> bool:
    if c.isascii():
        return not (c.isalnum() or c == "_")
    return c.isspace() or not (c.isalpha() or c.isdigit())


def untitle(s: str) -> str:
    out, prev = [], " "
    for c in s:
        out.append(c.lower() if _is_separator(prev) else c)
        prev = c
    return "".join(out)


def quote_all(*items: Any) -> str:
    return " ".join(quote(strval(x)) for x in items if unbox(x) is not None)


def squote_all(*items: Any) -> str:
    return " ".join(f"'{strval(x)}'" for x in items if unbox(x) is not None)


def cat(*items: Any) -> str:
    kept = [x for x in items if unbox(x) is not None]
    return sprintf(" ".join(["%v"] * len(kept)), *kept)


def indent(spaces: int, v: str) -> str:
    check_size(max(spaces, 0) * (v.count("\n") + 1) + len(v))
    pad = " " * spaces
    return pad + v.replace("\n", "\n" + pad)


def repeat(count: int, s: str) -> str:
    if count < 0:
        raise FuncError("strings: negative Repeat count")
    check_size(count * len(s))
    return s * count


def replace(old: str, new: str, src: str) -> str:
    hits = len(src) + 1 if old == "" else src.count(old)
    check_size(len(src) + hits * max(len(new) - len(old), 0))
    return src.replace(old, new)


def join(sep: str, v: Any) -> str:
    return joined(strslice(v), sep)


def swapcase(s: str) -> str:
    """goutils.SwapCase: case flipped; a lower-case letter after a space becomes title case."""
    out, after_space = [], True
    for c in s:
        if c.isupper() or c.istitle():
            out.append(c.lower())
            after_space = False
        elif c.islower():
            out.append(c.title() if after_space else c.upper())
            after_space = False
        else:
            out.append(c)
            after_space = c.isspace()
    return "".join(out)


def initials(s: str) -> str:
    """goutils.Initials: the first byte of each space-separated word, read as a rune
    (so a multi-byte letter gives the Latin-1 character of its first byte, as in Go)."""
    out, gap = [], True
    for ch in _bytes(s):
        if chr(ch).isspace():
            gap = True
        elif gap:
            out.append(chr(ch))
            gap = False
    return "".join(out)


def _abbreviate(s: str, offset: int, width: int) -> str:
    """goutils.AbbreviateFull (byte offsets, "..." marker)."""
    if s == "" or width < 4:
        return ""
    b = _bytes(s)
    if len(b) <= width:
        return s
    offset = min(offset, len(b))
    if len(b) - offset < width - 3:
        offset = len(b) - (width - 3)
    if offset <= 4:
        return _text(b[: width - 3]) + "..."
    if width < 7:
        return ""
    if offset + width - 3 < len(b):
        return "..." + _abbreviate(_text(b[offset:]), 0, width - 3)
    return "..." + _text(b[len(b) - (width - 3) :])


def abbrevboth(left: int, right: int, s: str) -> str:
    if right < 4 or (left > 0 and right < 7):
        return s
    return _abbreviate(s, left, right)


def plural(one: str, many: str, count: int) -> str:
    return one if count == 1 else many


def split(sep: str, orig: str) -> GoMap:
    parts = _go_split(orig, sep, -1)
    return GoMap({f"_{i}": p for i, p in enumerate(parts)}, "map[string]string", "")


def splitn(sep: str, n: int, orig: str) -> GoMap:
    parts = _go_split(orig, sep, n)
    return GoMap({f"_{i}": p for i, p in enumerate(parts)}, "map[string]string", "")


def _go_split(s: str, sep: str, n: int) -> list[str]:
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        if 0 < n < len(chars):
            return [*chars[: n - 1], "".join(chars[n - 1 :])]
        return chars
    return s.split(sep) if n < 0 else s.split(sep, n - 1)


def nospace(s: str) -> str:
    return "".join(c for c in s if not c.isspace())


def b64dec(s: str) -> str:
    try:
        return _text(base64.b64decode(s, validate=True))
    except (binascii.Error, ValueError):
        alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        bad = next((i for i, c in enumerate(s) if c not in alphabet), len(s))
        return f"illegal base64 data at input byte {bad}"


def b32dec(s: str) -> str:
    try:
        return _text(base64.b32decode(s))
    except (binascii.Error, ValueError) as err:
        return f"illegal base32 data: {err}"


def to_int64(v: Any) -> int:
    v = unbox(v)
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return int(v)
    if isinstance(v, str):
        text = v[:-2] if v.endswith(".0") else v
        try:
            return int(text, 0)
        except ValueError:
            return 0
    return 0


def to_float(v: Any) -> float:
    v = unbox(v)
    if isinstance(v, (bool, int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return 0.0
    return 0.0


def atoi(a: str) -> int:
    try:
        return int(a, 10)
    except ValueError:
        return 0


def _path_dir(p: str) -> str:
    d = posixpath.dirname(p)
    return posixpath.normpath(d) if d else "."


def _path_base(p: str) -> str:
    if p == "":
        return "."
    p = p.rstrip("/")
    return "/" if p == "" else p.rsplit("/", 1)[-1]


def _path_ext(p: str) -> str:
    base = p.rsplit("/", 1)[-1]
    i = base.rfind(".")
    return base[i:] if i >= 0 else ""


def _clean(p: str) -> str:
    if p == "":
        return "."
    cleaned = posixpath.normpath(p)
    return cleaned[1:] if cleaned.startswith("//") else cleaned


def sprig_round(a: Any, places: int, *round_on: float) -> float:
    on = round_on[0] if round_on else 0.5
    power = 10.0**places
    digit = power * to_float(a)
    fraction = math.modf(digit)[0]
    return (math.ceil(digit) if fraction >= on else math.floor(digit)) / power


def _fail(msg: str) -> str:
    raise FuncError(msg)


def _adler32(s: str) -> str:
    return str(zlib.adler32(_bytes(s)))


STRING_FUNCS: dict[str, GoFunc] = {
    "trunc": GoFunc(trunc, (_I, _S)),
    "trim": GoFunc(lambda s: s.strip(" \t\n\r\v\f\x85\xa0"), (_S,)),
    "upper": GoFunc(str.upper, (_S,)),
    "lower": GoFunc(str.lower, (_S,)),
    "title": GoFunc(title, (_S,)),
    "untitle": GoFunc(untitle, (_S,)),
    "substr": GoFunc(substr, (_I, _I, _S)),
    "repeat": GoFunc(repeat, (_I, _S)),
    "trimall": GoFunc(lambda a, b: b.strip(a), (_S, _S)),
    "trimAll": GoFunc(lambda a, b: b.strip(a), (_S, _S)),
    "trimSuffix": GoFunc(lambda a, b: b.removesuffix(a), (_S, _S)),
    "trimPrefix": GoFunc(lambda a, b: b.removeprefix(a), (_S, _S)),
    "nospace": GoFunc(nospace, (_S,)),
    "contains": GoFunc(lambda sub, s: sub in s, (_S, _S)),
    "hasPrefix": GoFunc(lambda p, s: s.startswith(p), (_S, _S)),
    "hasSuffix": GoFunc(lambda p, s: s.endswith(p), (_S, _S)),
    "quote": GoFunc(quote_all, (_ANY,), variadic=True),
    "squote": GoFunc(squote_all, (_ANY,), variadic=True),
    "cat": GoFunc(cat, (_ANY,), variadic=True),
    "indent": GoFunc(indent, (_I, _S)),
    "nindent": GoFunc(lambda n, v: "\n" + indent(n, v), (_I, _S)),
    "replace": GoFunc(replace, (_S, _S, _S)),
    "plural": GoFunc(plural, (_S, _S, _I)),
    "sha1sum": GoFunc(lambda s: hashlib.sha1(_bytes(s)).hexdigest(), (_S,)),
    "sha256sum": GoFunc(lambda s: hashlib.sha256(_bytes(s)).hexdigest(), (_S,)),
    "adler32sum": GoFunc(_adler32, (_S,)),
    "toString": GoFunc(strval, (_ANY,)),
    "atoi": GoFunc(atoi, (_S,)),
    "int64": GoFunc(lambda v: Int64(to_int64(v)), (_ANY,)),
    "int": GoFunc(to_int64, (_ANY,)),
    "float64": GoFunc(to_float, (_ANY,)),
    "split": GoFunc(split, (_S, _S)),
    "splitList": GoFunc(lambda sep, s: _str_list(_go_split(s, sep, -1)), (_S, _S)),
    "splitn": GoFunc(splitn, (_S, _I, _S)),
    "toStrings": GoFunc(lambda v: _str_list(strslice(v)), (_ANY,)),
    "join": GoFunc(join, (_S, _ANY)),
    "b64enc": GoFunc(lambda s: base64.b64encode(_bytes(s)).decode(), (_S,)),
    "b64dec": GoFunc(b64dec, (_S,)),
    "b32enc": GoFunc(lambda s: base64.b32encode(_bytes(s)).decode(), (_S,)),
    "b32dec": GoFunc(b32dec, (_S,)),
    "base": GoFunc(_path_base, (_S,)),
    "dir": GoFunc(_path_dir, (_S,)),
    "clean": GoFunc(_clean, (_S,)),
    "ext": GoFunc(_path_ext, (_S,)),
    "isAbs": GoFunc(lambda p: p.startswith("/"), (_S,)),
    "fail": GoFunc(_fail, (_S,)),
    "swapcase": GoFunc(swapcase, (_S,)),
    "initials": GoFunc(initials, (_S,)),
    "abbrev": GoFunc(lambda w, s: s if w < 4 else _abbreviate(s, 0, w), (_I, _S)),
    "abbrevboth": GoFunc(abbrevboth, (_I, _I, _S)),
    "floor": GoFunc(lambda a: float(math.floor(to_float(a))), (_ANY,)),
    "ceil": GoFunc(lambda a: float(math.ceil(to_float(a))), (_ANY,)),
    "round": GoFunc(sprig_round, (_ANY, _I, "float64"), variadic=True),
}
