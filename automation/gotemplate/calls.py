"""Calling functions and methods from a template: Go's argument count and type checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from automation.gotemplate import nodes as n
from automation.gotemplate.errors import TemplateError
from automation.gotemplate.values import (
    MISSING,
    NO_VALUE,
    FuncError,
    GoFunc,
    GoMap,
    GoSlice,
    Iface,
    Int64,
    check_size,
    is_true,
    type_name,
    unbox,
)

if TYPE_CHECKING:
    from automation.gotemplate.execute import State

_ANY = ("interface {}", "reflect.Value")


def assignable(value: Any, typ: str) -> bool:
    if typ in _ANY:
        return True
    value = unbox(value)
    if typ == "int":
        return type(value) is int
    if typ == "int64":
        return type(value) is Int64
    if typ == "float64":
        return type(value) is float
    if typ == "[]interface {}":
        return isinstance(value, list) or (isinstance(value, GoSlice) and value.type_name == typ)
    if typ == "map[string]interface {}":
        return isinstance(value, dict) or (isinstance(value, GoMap) and value.type_name == typ)
    return type_name(value) == typ


def validate(state: State, value: Any, typ: str) -> Any:
    """Go's validateType: the value as the parameter type takes it, or Go's error."""
    if value is NO_VALUE:
        if typ in _ANY or typ.startswith(("[]", "map[")):
            return None if typ != "reflect.Value" else NO_VALUE
        state.errorf(f"invalid value; expected {typ}")
    if typ == "reflect.Value":
        return value
    if not assignable(value, typ):
        state.errorf(f"wrong type for value; expected {typ}; got {_static_type(value)}")
    return unbox(value) if typ != "interface {}" else value


def _static_type(value: Any) -> str:
    if isinstance(value, Iface):
        return type_name(value.v)
    return type_name(value)


def call(
    state: State, dot: Any, fn: GoFunc, node: n.Node, name: str, args: list[n.Node], final: Any
) -> Any:
    has_final = final is not MISSING
    num_in = len(args) + (1 if has_final else 0)
    num_params = len(fn.params)
    if fn.variadic:
        num_fixed = num_params - 1
        if num_in < num_fixed:
            state.errorf(
                f"wrong number of args for {name}: want at least {num_fixed} got {len(args)}"
            )
    else:
        num_fixed = len(args)
        if num_in != num_params:
            state.errorf(f"wrong number of args for {name}: want {num_params} got {num_in}")
    if fn.builtin and name in ("and", "or"):
        return _and_or(state, dot, name, args, final, has_final)
    argv: list[Any] = []
    for i, arg in enumerate(args):
        typ = fn.params[i] if i < num_fixed else fn.params[-1]
        argv.append(eval_arg(state, dot, typ, arg))
    if has_final:
        typ = fn.params[-1] if not fn.variadic or num_in - 1 >= num_fixed else fn.params[num_in - 1]
        argv.append(validate(state, final, typ))
    if not fn.raw:
        argv = [unbox(a) if a is not NO_VALUE else None for a in argv]
    try:
        result = fn.fn(*argv)
        if isinstance(result, str):
            check_size(len(result))
    except FuncError as err:
        state.at(node)
        state.errorf(f"error calling {name}: {err}")
    except TemplateError:
        raise
    except RecursionError:
        raise
    except (ArithmeticError, ValueError, TypeError, IndexError, KeyError, OverflowError) as err:
        state.at(node)
        state.errorf(f"error calling {name}: {err}")
    return result


def _and_or(
    state: State, dot: Any, name: str, args: list[n.Node], final: Any, has_final: bool
) -> Any:
    value: Any = NO_VALUE
    for arg in args:
        value = eval_arg(state, dot, "reflect.Value", arg)
        if is_true(value)[0] == (name == "or"):
            return value
    if has_final:
        value = final
    return value


def eval_arg(state: State, dot: Any, typ: str, node: n.Node) -> Any:
    state.at(node)
    if isinstance(node, n.Dot):
        return validate(state, dot, typ)
    if isinstance(node, n.Nil):
        if typ in ("interface {}", "reflect.Value") or typ.startswith(("[]", "map[")):
            return None
        state.errorf(f"cannot assign nil to {typ}")
    if isinstance(node, n.Field):
        return validate(
            state, state.eval_field_chain(dot, dot, node, node.ident, [node], MISSING), typ
        )
    if isinstance(node, n.Variable):
        return validate(state, state.eval_variable(dot, node, [], MISSING), typ)
    if isinstance(node, n.Pipe):
        return validate(state, state.eval_pipeline(dot, node), typ)
    if isinstance(node, n.Identifier):
        return validate(state, state.eval_function(dot, node, node, None, MISSING), typ)
    if isinstance(node, n.Chain):
        return validate(state, state.eval_chain(dot, node, [], MISSING), typ)
    return eval_literal(state, typ, node)


def eval_literal(state: State, typ: str, node: n.Node) -> Any:
    if typ == "bool":
        if isinstance(node, n.Bool):
            return node.value
        state.errorf(f"expected bool; found {node}")
    if typ == "string":
        if isinstance(node, n.String):
            return node.text
        state.errorf(f"expected string; found {node}")
    if typ in ("int", "int64"):
        if isinstance(node, n.Number) and node.is_int:
            return node.int_value
        state.errorf(f"expected integer; found {node}")
    if typ == "float64":
        if isinstance(node, n.Number) and node.is_float:
            return node.float_value
        state.errorf(f"expected float; found {node}")
    if typ in ("interface {}", "reflect.Value"):
        if isinstance(node, n.Bool):
            return node.value
        if isinstance(node, n.Number):
            return state.ideal_constant(node)
        if isinstance(node, n.String):
            return node.text
    state.errorf(f"can't handle {node} for arg of type {typ}")
