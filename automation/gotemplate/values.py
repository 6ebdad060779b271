"""Go values as the template engine sees them.

Python ``str``/``int``/``float``/``bool``/``None`` stand for Go ``string``/``int``/
``float64``/``bool``/``nil``; ``dict`` is ``map[string]interface {}`` and ``list`` is
``[]interface {}``. ``GoMap``/``GoSlice`` carry another Go type name (``map[string]string``),
and ``GoStruct`` subclasses model named structs with their fields, promoted (embedded)
fields, value-receiver methods and ``String()``. Go type names appear in error messages,
so every value knows its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


class GoStruct:
    """A named Go struct: ``go_type`` like ``update.Change``, exported fields in order."""

    go_type: ClassVar[str] = "struct {}"
    go_fields: ClassVar[tuple[str, ...]] = ()
    go_embedded: ClassVar[tuple[str, ...]] = ()
    go_methods: ClassVar[tuple[str, ...]] = ()

    def go_string(self) -> str | None:
        """``String()`` if the Go type is a ``fmt.Stringer``."""
        return None

    def field_values(self) -> list[Any]:
        return [getattr(self, f) for f in self.go_fields]


class Int64(int):
    """A Go ``int64`` (Sprig's arithmetic returns these)."""


@dataclass(frozen=True)
class GoMap:
    items: Mapping[Any, Any]
    type_name: str = "map[string]interface {}"
    elem_zero: Any = None
    is_nil: bool = False  # a nil map: prints map[], encodes to JSON null

    @property
    def elem_is_interface(self) -> bool:
        return self.type_name.endswith("]interface {}")


@dataclass(frozen=True)
class GoSlice:
    items: Sequence[Any]
    type_name: str = "[]interface {}"
    is_nil: bool = False  # a nil slice: prints [], encodes to JSON null

    @property
    def elem_is_interface(self) -> bool:
        return self.type_name == "[]interface {}"


@dataclass(frozen=True)
class GoFunc:
    """A function in the template's function map, with its Go signature.

    ``params`` are Go type names; ``reflect.Value`` and ``interface {}`` accept anything.
    ``fn`` raises ``FuncError`` for a Go error result or a recovered panic.
    """

    fn: Callable[..., Any]
    params: tuple[str, ...]
    variadic: bool = False
    builtin: bool = False
    raw: bool = False  # receives Box-wrapped values (Go's reflect.Value builtins)


class FuncError(Exception):
    """A function returned an error (Go: ``error calling NAME: MSG``)."""


# The largest string or list any one function or print may build: the output cap of a
# commit message is far below, and checking sizes before allocating keeps memory bounded.
MAX_TEXT = 1 << 20
MAX_ITEMS = 100_000


class SizeError(FuncError):
    """A value would exceed ``MAX_TEXT`` characters or ``MAX_ITEMS`` items."""


def check_size(n: int, limit: int = MAX_TEXT) -> None:
    if n > limit:
        raise SizeError(
            f"result larger than {limit} {'characters' if limit == MAX_TEXT else 'items'}"
        )


def joined(parts: Iterable[str], sep: str = " ") -> str:
    """``sep.join(parts)``, failing as soon as the result would pass ``MAX_TEXT``."""
    out: list[str] = []
    size = 0
    for part in parts:
        size += len(part) + len(sep)
        check_size(size)
        out.append(part)
    return sep.join(out)


class _NoValue:
    """Go's invalid ``reflect.Value``: a missing map key; prints ``<no value>``."""

    def __repr__(self) -> str:
        return "<no value>"


NO_VALUE: Any = _NoValue()
# "No final argument": the first command of a pipeline gets no piped value.
MISSING: Any = object()


class Iface:
    """A value held in an ``interface {}`` slot (an element of ``[]interface {}``)."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v


def unbox(v: Any) -> Any:
    return v.v if isinstance(v, Iface) else v


def elem(container: Any, v: Any) -> Any:
    """An element read from ``container``: boxed when the element type is an interface."""
    if isinstance(container, (dict, list)) or (
        isinstance(container, (GoMap, GoSlice)) and container.elem_is_interface
    ):
        return Iface(v)
    return v


def type_name(v: Any) -> str:
    """Go's ``%T`` / ``reflect.Type.String()`` of a value."""
    v = unbox(v)
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, Int64):
        return "int64"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, list):
        return "[]interface {}"
    if isinstance(v, (GoMap, GoSlice)):
        return v.type_name
    if isinstance(v, GoStruct):
        return v.go_type
    if isinstance(v, GoFunc):
        return "func(" + ", ".join(v.params) + ")"
    return type(v).__name__


def kind(v: Any) -> str:
    """Go's ``reflect.Kind`` name."""
    v = unbox(v)
    if v is None or v is NO_VALUE:
        return "invalid"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, Int64):
        return "int64"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (dict, GoMap)):
        return "map"
    if isinstance(v, (list, GoSlice)):
        return "slice"
    if isinstance(v, GoStruct):
        return "struct"
    if isinstance(v, GoFunc):
        return "func"
    return "invalid"


def items_of(v: Any) -> Mapping[Any, Any] | None:
    v = unbox(v)
    if isinstance(v, dict):
        return v
    if isinstance(v, GoMap):
        return v.items
    return None


def seq_of(v: Any) -> Sequence[Any] | None:
    v = unbox(v)
    if isinstance(v, list):
        return v
    if isinstance(v, GoSlice):
        return v.items
    return None


def sort_key(v: Any) -> Any:
    """fmtsort's order for map keys of one type: numbers, strings, bools, structs field-wise."""
    v = unbox(v)
    if isinstance(v, GoStruct):
        return tuple(sort_key(f) for f in v.field_values())
    if isinstance(v, str):
        return v.encode("utf-8", "surrogateescape")
    return v


def sorted_items(m: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    return sorted(m.items(), key=lambda kv: sort_key(kv[0]))


def is_true(v: Any) -> tuple[bool, bool]:
    """Go's ``isTrue``: (truth, ok)."""
    v = unbox(v)
    if v is NO_VALUE or v is None:
        return False, True
    if isinstance(v, (str, dict, list)):
        return len(v) > 0, True
    if isinstance(v, (GoMap, GoSlice)):
        return len(v.items) > 0, True
    if isinstance(v, (bool, int, float)):
        return bool(v), True
    if isinstance(v, (GoStruct, GoFunc)):
        return True, True
    return False, False


def length(v: Any) -> int | None:
    v = unbox(v)
    if isinstance(v, (str)):
        return len(v.encode("utf-8", "surrogateescape"))
    if isinstance(v, (dict, list)):
        return len(v)
    if isinstance(v, (GoMap, GoSlice)):
        return len(v.items)
    return None


def struct_field(s: GoStruct, name: str) -> tuple[bool, Any]:
    """A field of ``s``, looking through embedded structs as Go promotes them."""
    if name in s.go_fields:
        return True, getattr(s, name)
    for inner in s.go_embedded:
        found, value = struct_field(getattr(s, inner), name)
        if found:
            return True, value
    return False, None


def struct_method(s: GoStruct, name: str) -> Callable[[], Any] | None:
    if name in s.go_methods:
        method: Callable[[], Any] = getattr(s, name)
        return method
    for inner in s.go_embedded:
        found = struct_method(getattr(s, inner), name)
        if found is not None:
            return found
    return None
