"""Go's predefined template functions (text/template/funcs.go)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from automation.gotemplate.gofmt import sprint, sprintln
from automation.gotemplate.printf import Spec, format_arg, sprintf
from automation.gotemplate.values import (
    NO_VALUE,
    FuncError,
    GoFunc,
    GoMap,
    GoSlice,
    GoStruct,
    Iface,
    Int64,
    elem,
    is_true,
    items_of,
    length,
    seq_of,
    type_name,
    unbox,
)

_V = "reflect.Value"
_ANY = "interface {}"


def _not(arg: Any) -> bool:
    return not is_true(arg)[0]


def _len(item: Any) -> int:
    if item is NO_VALUE:
        raise FuncError("reflect: call of reflect.Value.Type on zero Value")
    item = unbox(item)
    if item is None:
        raise FuncError("len of nil pointer")
    size = length(item)
    if size is None:
        raise FuncError(f"len of type {type_name(item)}")
    return size


def _index_arg(index: Any, cap: int) -> int:
    index = unbox(index)
    if index is None or index is NO_VALUE:
        raise FuncError("cannot index slice/array with nil")
    if not isinstance(index, int) or isinstance(index, bool):
        raise FuncError(f"cannot index slice/array with type {type_name(index)}")
    if index < 0 or index > cap:
        raise FuncError(f"index out of range: {index}")
    return int(index)


def _index(item: Any, *indexes: Any) -> Any:
    if unbox(item) is None or item is NO_VALUE:
        raise FuncError("index of untyped nil")
    for raw in indexes:
        value = unbox(item)
        if value is None:
            raise FuncError("index of nil pointer")
        seq = seq_of(value)
        if isinstance(value, str):
            data = value.encode("utf-8", "surrogateescape")
            x = _index_arg(raw, len(data))
            if x == len(data):
                raise FuncError("reflect: string index out of range")
            item = data[x]
        elif seq is not None:
            x = _index_arg(raw, len(seq))
            if x == len(seq):
                raise FuncError("reflect: slice index out of range")
            item = elem(value, seq[x])
        elif items_of(value) is not None:
            item = _map_index(value, raw)
        else:
            raise FuncError(f"can't index item of type {type_name(value)}")
    return item


def _map_index(mapping: Any, raw: Any) -> Any:
    key = unbox(raw)
    key_type = "string" if isinstance(mapping, dict) else mapping.type_name[4:].split("]")[0]
    if key is None or key is NO_VALUE:
        raise FuncError(f"value is nil; should be of type {key_type}")
    if type_name(key) != key_type:
        raise FuncError(f"value has type {type_name(key)}; should be {key_type}")
    items = items_of(mapping)
    assert items is not None
    if key in items:
        return elem(mapping, items[key])
    zero = mapping.elem_zero if isinstance(mapping, GoMap) else None
    return Iface(None) if zero is None else zero


def _basic_kind(v: Any) -> str:
    v = unbox(v)
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return "invalid" if v is None or v is NO_VALUE else "other"


def _eq(arg1: Any, *args: Any) -> bool:
    if not args:
        raise FuncError("missing argument for comparison")
    k1 = _basic_kind(arg1)
    a = unbox(arg1)
    for raw in args:
        b = unbox(raw)
        k2 = _basic_kind(b)
        if k1 != k2:
            if a not in (None, NO_VALUE) and b not in (None, NO_VALUE):
                raise FuncError("incompatible types for comparison")
            truth = False
        elif k1 in ("bool", "int", "float", "string"):
            truth = a == b
        else:
            truth = _eq_other(a, b)
        if truth:
            return True
    return False


def _eq_other(a: Any, b: Any) -> bool:
    for v in (a, b):
        if isinstance(v, (dict, list, GoMap, GoSlice, GoFunc)):
            raise FuncError(f"non-comparable type {format_arg('s', v, Spec())}: {type_name(v)}")
    if a in (None, NO_VALUE) or b in (None, NO_VALUE):
        return (a in (None, NO_VALUE)) == (b in (None, NO_VALUE))
    if isinstance(a, GoStruct) and isinstance(b, GoStruct):
        return type(a) is type(b) and a.field_values() == b.field_values()
    return False


def _lt(arg1: Any, arg2: Any) -> bool:
    k1, k2 = _basic_kind(arg1), _basic_kind(arg2)
    if k1 in ("invalid", "other") or k2 in ("invalid", "other"):
        raise FuncError("invalid type for comparison")
    if k1 != k2:
        raise FuncError("incompatible types for comparison")
    if k1 == "bool":
        raise FuncError("invalid type for comparison")
    a, b = unbox(arg1), unbox(arg2)
    if k1 == "string":
        return bool(a.encode("utf-8", "surrogateescape") < b.encode("utf-8", "surrogateescape"))
    return bool(a < b)


def _le(a: Any, b: Any) -> bool:
    return _lt(a, b) or _eq(a, b)


def html_escape(*args: Any) -> str:
    text = _eval_args(args)
    out = []
    for c in text:
        out.append(
            {
                "<": "&lt;",
                ">": "&gt;",
                "&": "&amp;",
                "'": "&#39;",
                '"': "&#34;",
                "\x00": "\ufffd",
            }.get(c, c)
        )
    return "".join(out)


def js_escape(*args: Any) -> str:
    text = _eval_args(args)
    out = []
    for c in text:
        o = ord(c)
        if c in "\\'\"<>&=":
            out.append(
                {
                    "\\": "\\\\",
                    "'": "\\'",
                    '"': '\\"',
                    "<": "\\u003C",
                    ">": "\\u003E",
                    "&": "\\u0026",
                    "=": "\\u003D",
                }[c]
            )
        elif o < 0x20 or (0x7F <= o < 0xA0):
            out.append(f"\\u{o:04X}")
        else:
            out.append(c)
    return "".join(out)


def urlquery(*args: Any) -> str:
    return quote_plus(_eval_args(args).encode("utf-8", "surrogateescape"), safe="")


def _eval_args(args: tuple[Any, ...]) -> str:
    if len(args) == 1 and isinstance(unbox(args[0]), str):
        return str(unbox(args[0]))
    return sprint(*("<no value>" if unbox(a) is None else a for a in args))


def _call(fn: Any, *args: Any) -> Any:
    fn = unbox(fn)
    if not isinstance(fn, GoFunc):
        raise FuncError(f"non-function of type {type_name(fn)}")
    return fn.fn(*[unbox(a) for a in args])


def _unsupported(*_: Any) -> Any:
    raise FuncError("not supported")


BUILTINS: dict[str, GoFunc] = {
    "and": GoFunc(_unsupported, (_V, _V), variadic=True, builtin=True),
    "or": GoFunc(_unsupported, (_V, _V), variadic=True, builtin=True),
    "not": GoFunc(_not, (_V,), builtin=True, raw=True),
    "len": GoFunc(_len, (_V,), builtin=True, raw=True),
    "index": GoFunc(_index, (_V, _V), variadic=True, builtin=True, raw=True),
    "print": GoFunc(sprint, (_ANY,), variadic=True, builtin=True, raw=True),
    "printf": GoFunc(sprintf, ("string", _ANY), variadic=True, builtin=True, raw=True),
    "println": GoFunc(sprintln, (_ANY,), variadic=True, builtin=True, raw=True),
    "html": GoFunc(html_escape, (_ANY,), variadic=True, builtin=True),
    "js": GoFunc(js_escape, (_ANY,), variadic=True, builtin=True),
    "urlquery": GoFunc(urlquery, (_ANY,), variadic=True, builtin=True),
    "call": GoFunc(_call, (_V, _V), variadic=True, builtin=True, raw=True),
    "eq": GoFunc(_eq, (_V, _V), variadic=True, builtin=True, raw=True),
    "ne": GoFunc(lambda a, b: not _eq(a, b), (_V, _V), builtin=True, raw=True),
    "lt": GoFunc(_lt, (_V, _V), builtin=True, raw=True),
    "le": GoFunc(_le, (_V, _V), builtin=True, raw=True),
    "gt": GoFunc(lambda a, b: not _le(a, b), (_V, _V), builtin=True, raw=True),
    "ge": GoFunc(lambda a, b: not _lt(a, b), (_V, _V), builtin=True, raw=True),
}

__all__ = ["BUILTINS", "Int64", "html_escape", "js_escape", "urlquery"]
