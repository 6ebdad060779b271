"""Sprig's hermetic list, dict, default, JSON, type and math functions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from automation.gotemplate.gojson import UnsupportedError, decode_value, encode
from automation.gotemplate.sprig_regex import REGEX_FUNCS
from automation.gotemplate.sprig_strings import strslice, strval, to_int64
from automation.gotemplate.values import (
    MAX_ITEMS,
    NO_VALUE,
    FuncError,
    GoFunc,
    GoSlice,
    GoStruct,
    Int64,
    check_size,
    is_true,
    items_of,
    kind,
    seq_of,
    type_name,
    unbox,
)

_ANY, _S, _I, _B = "interface {}", "string", "int", "bool"
_DICT = "map[string]interface {}"


def empty(v: Any) -> bool:
    v = unbox(v)
    if v is None or v is NO_VALUE:
        return True
    if isinstance(v, GoStruct):
        return False
    return not is_true(v)[0]


def default(d: Any, *given: Any) -> Any:
    if not given or empty(given[0]):
        return d
    return given[0]


_NIL_DEREF = "runtime error: invalid memory address or nil pointer dereference"


def _seq(name: str, v: Any) -> list[Any]:
    if unbox(v) is None:
        raise FuncError(_NIL_DEREF)
    seq = seq_of(v)
    if seq is None:
        raise FuncError(f"Cannot find {name} on type {kind(v)}")
    return list(seq)


def _list_op(name: str, v: Any) -> list[Any]:
    if unbox(v) is None:
        raise FuncError(_NIL_DEREF)
    seq = seq_of(v)
    if seq is None:
        raise FuncError(f"Cannot {name} on type {kind(v)}")
    return list(seq)


def first(v: Any) -> Any:
    items = _seq("first", v)
    return items[0] if items else None


def last(v: Any) -> Any:
    items = _seq("last", v)
    return items[-1] if items else None


def rest(v: Any) -> Any:
    items = _seq("rest", v)
    return items[1:] if items else None


def initial(v: Any) -> Any:
    items = _seq("initial", v)
    return items[:-1] if items else None


def reverse(v: Any) -> Any:
    items = _seq("reverse", v)
    return items[::-1]


def _deep_equal(a: Any, b: Any) -> bool:
    a, b = unbox(a), unbox(b)
    return type_name(a) == type_name(b) and _plain(a) == _plain(b)


def _plain(v: Any) -> Any:
    v = unbox(v)
    seq = seq_of(v)
    if seq is not None:
        return [_plain(x) for x in seq]
    mapping = items_of(v)
    if mapping is not None:
        return {k: _plain(x) for k, x in mapping.items()}
    if isinstance(v, GoStruct):
        return (type(v), [_plain(x) for x in v.field_values()])
    return v


def uniq(v: Any) -> list[Any]:
    out: list[Any] = []
    for item in _list_op("find uniq", v):
        if not any(_deep_equal(item, x) for x in out):
            out.append(item)
    return out


def without(v: Any, *omit: Any) -> list[Any]:
    return [x for x in _list_op("find without", v) if not any(_deep_equal(x, o) for o in omit)]


def has(needle: Any, haystack: Any) -> bool:
    if unbox(haystack) is None:
        return False
    return any(_deep_equal(needle, x) for x in _list_op("find has", haystack))


def push(v: Any, item: Any) -> list[Any]:
    return [*_list_op("append", v), item]


def prepend(v: Any, item: Any) -> list[Any]:
    return [item, *_list_op("prepend", v)]


def concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for v in lists:
        out.extend(_list_op("concat", v))
        check_size(len(out), MAX_ITEMS)
    return out


def compact(v: Any) -> list[Any]:
    return [x for x in _list_op("compact", v) if not empty(x)]


def sprig_slice(v: Any, *indices: Any) -> Any:
    seq = seq_of(v)
    if seq is None:
        raise FuncError(f"list should be type of slice or array but {kind(v)}")
    if not seq:
        return None
    start = to_int64(indices[0]) if indices else 0
    end = to_int64(indices[1]) if len(indices) > 1 else len(seq)
    if not 0 <= start <= end <= len(seq):
        raise FuncError("reflect.Value.Slice: slice index out of bounds")
    items = list(seq)[start:end]
    return GoSlice(items, v.type_name) if isinstance(v, GoSlice) else items


def dict_(*pairs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(pairs), 2):
        out[strval(pairs[i])] = pairs[i + 1] if i + 1 < len(pairs) else ""
    return out


def get(d: dict[str, Any], key: str) -> Any:
    return d.get(key, "")


def set_(d: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    d[key] = value
    return d


def unset(d: dict[str, Any], key: str) -> dict[str, Any]:
    d.pop(key, None)
    return d


def keys(*dicts: Any) -> GoSlice:
    out: list[str] = []
    for d in dicts:
        out.extend(sorted(d))
    return GoSlice(out, "[]string")


def values(d: dict[str, Any]) -> list[Any]:
    return [d[k] for k in sorted(d)]


def sort_alpha(v: Any) -> GoSlice:
    if seq_of(v) is not None:
        return GoSlice(
            sorted(strslice(v), key=lambda s: s.encode("utf-8", "surrogateescape")), "[]string"
        )
    return GoSlice([strval(v)], "[]string")


def to_json(v: Any, escape_html: bool = True, indent: str = "") -> str:
    try:
        return encode(v, escape_html, indent)
    except UnsupportedError:
        return ""


def from_json(s: str) -> Any:
    try:
        return decode_value(json.loads(s))
    except ValueError:
        return None


def until(count: int) -> list[int]:
    step = 1 if count >= 0 else -1
    return until_step(0, count, step)


def until_step(start: int, stop: int, step: int) -> list[int]:
    if step == 0 or (step > 0 and start >= stop) or (step < 0 and start <= stop):
        return []
    check_size(abs((stop - start) // step), MAX_ITEMS)
    return list(range(start, stop, step))


def _int_op(name: str) -> GoFunc:
    ops: dict[str, Callable[..., Any]] = {
        "add": lambda *xs: Int64(sum(to_int64(x) for x in xs)),
        "add1": lambda x: Int64(to_int64(x) + 1),
        "sub": lambda a, b: Int64(to_int64(a) - to_int64(b)),
        "mul": lambda a, *xs: Int64(_product(to_int64(a), xs)),
        "div": lambda a, b: Int64(_go_div(to_int64(a), to_int64(b))),
        "mod": lambda a, b: Int64(_go_mod(to_int64(a), to_int64(b))),
        "max": lambda a, *xs: Int64(max([to_int64(a), *(to_int64(x) for x in xs)])),
        "min": lambda a, *xs: Int64(min([to_int64(a), *(to_int64(x) for x in xs)])),
    }
    params = {
        "add": (_ANY,),
        "add1": (_ANY,),
        "sub": (_ANY, _ANY),
        "div": (_ANY, _ANY),
        "mod": (_ANY, _ANY),
    }.get(name, (_ANY, _ANY))
    variadic = name in ("add", "mul", "max", "min")
    return GoFunc(ops[name], params, variadic=variadic)


def _product(a: int, xs: tuple[Any, ...]) -> int:
    for x in xs:
        a *= to_int64(x)
    return a


def _go_div(a: int, b: int) -> int:
    if b == 0:
        raise FuncError("runtime error: integer divide by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _go_mod(a: int, b: int) -> int:
    return a - b * _go_div(a, b)


def _ternary(vt: Any, vf: Any, v: bool) -> Any:
    return vt if v else vf


LIST_FUNCS: dict[str, GoFunc] = {
    "default": GoFunc(default, (_ANY, _ANY), variadic=True),
    "empty": GoFunc(empty, (_ANY,)),
    "coalesce": GoFunc(
        lambda *v: next((x for x in v if not empty(x)), None), (_ANY,), variadic=True
    ),
    "all": GoFunc(lambda *v: all(not empty(x) for x in v), (_ANY,), variadic=True),
    "any": GoFunc(lambda *v: any(not empty(x) for x in v), (_ANY,), variadic=True),
    "compact": GoFunc(compact, (_ANY,)),
    "ternary": GoFunc(_ternary, (_ANY, _ANY, _B)),
    "toJson": GoFunc(to_json, (_ANY,)),
    "toPrettyJson": GoFunc(lambda v: to_json(v, True, "  "), (_ANY,)),
    "toRawJson": GoFunc(lambda v: to_json(v, False), (_ANY,)),
    "fromJson": GoFunc(from_json, (_S,)),
    "typeOf": GoFunc(type_name, (_ANY,)),
    "kindOf": GoFunc(kind, (_ANY,)),
    "typeIs": GoFunc(lambda t, v: type_name(v) == t, (_S, _ANY)),
    "kindIs": GoFunc(lambda t, v: kind(v) == t, (_S, _ANY)),
    "deepEqual": GoFunc(_deep_equal, (_ANY, _ANY)),
    "sortAlpha": GoFunc(sort_alpha, (_ANY,)),
    "list": GoFunc(lambda *v: list(v), (_ANY,), variadic=True),
    "tuple": GoFunc(lambda *v: list(v), (_ANY,), variadic=True),
    "dict": GoFunc(dict_, (_ANY,), variadic=True),
    "get": GoFunc(get, (_DICT, _S)),
    "set": GoFunc(set_, (_DICT, _S, _ANY)),
    "unset": GoFunc(unset, (_DICT, _S)),
    "hasKey": GoFunc(lambda d, k: k in d, (_DICT, _S)),
    "keys": GoFunc(keys, (_DICT,), variadic=True),
    "values": GoFunc(values, (_DICT,)),
    "pick": GoFunc(lambda d, *ks: {k: d[k] for k in ks if k in d}, (_DICT, _S), variadic=True),
    "omit": GoFunc(
        lambda d, *ks: {k: x for k, x in d.items() if k not in ks}, (_DICT, _S), variadic=True
    ),
    "append": GoFunc(push, (_ANY, _ANY)),
    "push": GoFunc(push, (_ANY, _ANY)),
    "prepend": GoFunc(prepend, (_ANY, _ANY)),
    "first": GoFunc(first, (_ANY,)),
    "rest": GoFunc(rest, (_ANY,)),
    "last": GoFunc(last, (_ANY,)),
    "initial": GoFunc(initial, (_ANY,)),
    "reverse": GoFunc(reverse, (_ANY,)),
    "uniq": GoFunc(uniq, (_ANY,)),
    "without": GoFunc(without, (_ANY, _ANY), variadic=True),
    "has": GoFunc(has, (_ANY, _ANY)),
    "slice": GoFunc(sprig_slice, (_ANY, _ANY), variadic=True),
    "concat": GoFunc(concat, (_ANY,), variadic=True),
    "until": GoFunc(until, (_I,)),
    "untilStep": GoFunc(until_step, (_I, _I, _I)),
    **{name: _int_op(name) for name in ("add", "add1", "sub", "mul", "div", "mod", "max", "min")},
}
LIST_FUNCS.update(REGEX_FUNCS)
LIST_FUNCS["biggest"] = LIST_FUNCS["max"]
LIST_FUNCS["pluck"] = GoFunc(
    lambda name, *ds: [d[name] for d in ds if name in d], (_S, _DICT), variadic=True
)
# Sprig's must* variants return the error their plain form panics with: same text here.
for _name in (
    "append",
    "push",
    "prepend",
    "first",
    "rest",
    "last",
    "initial",
    "reverse",
    "uniq",
    "without",
    "has",
    "slice",
    "compact",
    "toJson",
    "fromJson",
    "regexMatch",
    "regexFindAll",
    "regexFind",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "regexSplit",
):
    LIST_FUNCS["must" + _name[0].upper() + _name[1:]] = LIST_FUNCS[_name]
