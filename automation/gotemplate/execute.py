"""Go's text/template executor (text/template/exec.go) over ``values`` data.

Each step is counted and the output is capped, so a template cannot loop or grow without
bound; errors carry Go's text ``template: NAME:LINE:COL: executing "NAME" at <NODE>: ...``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from automation.gotemplate import nodes as n
from automation.gotemplate.calls import call, eval_arg
from automation.gotemplate.errors import ExecError, LimitError
from automation.gotemplate.gofmt import fmt_v
from automation.gotemplate.values import (
    MISSING,
    NO_VALUE,
    GoFunc,
    GoMap,
    GoStruct,
    Iface,
    SizeError,
    elem,
    is_true,
    items_of,
    seq_of,
    sorted_items,
    struct_field,
    struct_method,
    type_name,
    unbox,
)

MAX_DEPTH = 100


@dataclass(frozen=True)
class Limits:
    """Bounds on one render: output characters, evaluation steps, wall-clock seconds."""

    max_output: int = 1 << 20
    max_steps: int = 1_000_000
    max_seconds: float = 2.0


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class State:
    def __init__(
        self,
        text: str,
        main: str,
        trees: Mapping[str, n.ListNode],
        funcs: Mapping[str, GoFunc],
        limits: Limits,
    ) -> None:
        self.text = text
        self.parse_name = main
        self.name = main
        self.trees = trees
        self.funcs = funcs
        self.limits = limits
        self.out: list[str] = []
        self.size = 0
        self.steps = 0
        self.deadline = time.monotonic() + limits.max_seconds
        self.vars: list[list[Any]] = []
        self.node: Any = None
        self.depth = 0

    # -- errors and bounds ----------------------------------------------------------------
    def at(self, node: Any) -> None:
        self.node = node
        self.steps += 1
        if self.steps > self.limits.max_steps:
            self.errorf(f"template exceeded {self.limits.max_steps} evaluation steps", LimitError)
        if self.steps % 1024 == 0 and time.monotonic() > self.deadline:
            self.errorf(f"template exceeded {self.limits.max_seconds:g}s to render", LimitError)

    def location(self) -> tuple[str, int]:
        pos = self.node.pos
        prefix = self.text[:pos].encode("utf-8", "surrogateescape")
        nl = prefix.rfind(b"\n")
        col = len(prefix) if nl < 0 else len(prefix) - nl - 1
        line = 1 + prefix.count(b"\n")
        return f"{self.parse_name}:{line}:{col}", line

    def errorf(self, message: str, cls: type[ExecError] = ExecError) -> NoReturn:
        if self.node is None:
            raise cls(f"template: {self.name}: {message}")
        location, line = self.location()
        context = str(self.node)
        raise cls(f'template: {location}: executing "{self.name}" at <{context}>: {message}', line)

    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > self.limits.max_output:
            self.errorf(f"output exceeds {self.limits.max_output} characters", LimitError)
        self.out.append(text)

    # -- variables ------------------------------------------------------------------------
    def push(self, name: str, value: Any) -> None:
        self.vars.append([name, value])

    def pop(self, mark: int) -> None:
        del self.vars[mark:]

    def set_var(self, name: str, value: Any) -> None:
        for var in reversed(self.vars):
            if var[0] == name:
                var[1] = value
                return
        self.errorf(f"undefined variable: {name}")

    def var_value(self, name: str) -> Any:
        for var in reversed(self.vars):
            if var[0] == name:
                return var[1]
        self.errorf(f"undefined variable: {name}")

    # -- statements -----------------------------------------------------------------------
    def walk(self, dot: Any, node: n.Node) -> None:
        self.at(node)
        if isinstance(node, n.Action):
            val = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.print_value(node, val)
        elif isinstance(node, n.Text):
            self.write(node.text)
        elif isinstance(node, n.ListNode):
            for child in node.nodes:
                self.walk(dot, child)
        elif isinstance(node, n.Branch):
            if node.kind == "range":
                self.walk_range(dot, node)
            else:
                self.walk_if_or_with(dot, node)
        elif isinstance(node, n.TemplateCall):
            self.walk_template(dot, node)
        elif isinstance(node, n.Break):
            raise _Break
        elif isinstance(node, n.Continue):
            raise _Continue
        else:
            self.errorf(f"unknown node: {node}")

    def walk_if_or_with(self, dot: Any, node: n.Branch) -> None:
        mark = len(self.vars)
        try:
            val = self.eval_pipeline(dot, node.pipe)
            truth, ok = is_true(val)
            if not ok:
                self.errorf(f"if/with can't use {fmt_v(val)}")
            if truth:
                self.walk(val if node.kind == "with" else dot, node.body)
            elif node.else_body is not None:
                self.walk(dot, node.else_body)
        finally:
            self.pop(mark)

    def walk_range(self, dot: Any, node: n.Branch) -> None:
        self.at(node)
        mark = len(self.vars)
        try:
            val = unbox(self.eval_pipeline(dot, node.pipe))
            pairs = self.range_pairs(val)
            if pairs is None:
                return
            for i, (key, value) in enumerate(pairs):
                if i:
                    self.at(node)
                if not self.one_iteration(node, key, value):
                    break
            if not pairs and node.else_body is not None:
                self.walk(dot, node.else_body)
        finally:
            self.pop(mark)

    def range_pairs(self, val: Any) -> list[tuple[Any, Any]] | None:
        seq = seq_of(val)
        if seq is not None:
            return [(i, elem(val, x)) for i, x in enumerate(seq)]
        mapping = items_of(val)
        if mapping is not None:
            return [(k, elem(val, x)) for k, x in sorted_items(mapping)]
        if isinstance(val, int) and not isinstance(val, bool):
            if val > self.limits.max_steps:
                self.errorf(f"range over {val} exceeds the step budget", LimitError)
            return [(i, i) for i in range(val)]
        if val is NO_VALUE or val is None:
            return []
        self.errorf(f"range can't iterate over {fmt_v(val)}")

    def one_iteration(self, node: n.Branch, key: Any, value: Any) -> bool:
        decl = node.pipe.decl
        if decl:
            if node.pipe.is_assign:
                self.set_var(decl[0].ident[0], key if len(decl) > 1 else value)
                if len(decl) > 1:
                    self.set_var(decl[1].ident[0], value)
            else:
                self.vars[-1][1] = value
                if len(decl) > 1:
                    self.vars[-2][1] = key
        mark = len(self.vars)
        try:
            self.walk(value, node.body)
        except _Continue:
            pass
        except _Break:
            return False
        finally:
            self.pop(mark)
        return True

    def walk_template(self, dot: Any, node: n.TemplateCall) -> None:
        self.at(node)
        tree = self.trees.get(node.name)
        if tree is None:
            self.errorf(f'template "{node.name}" not defined')
        if self.depth >= MAX_DEPTH:
            self.errorf(f"exceeded maximum template depth ({MAX_DEPTH})", LimitError)
        dot = self.eval_pipeline(dot, node.pipe)
        saved = self.vars, self.name
        self.vars, self.name = [["$", dot]], node.name
        self.depth += 1
        try:
            self.walk(dot, tree)
        finally:
            self.depth -= 1
            self.vars, self.name = saved

    def print_value(self, node: n.Node, val: Any) -> None:
        self.at(node)
        val = unbox(val)
        if val is NO_VALUE:
            self.write("<no value>")
            return
        if isinstance(val, GoFunc):
            self.errorf(f"can't print {node} of type {type_name(val)}")
        try:
            text = fmt_v(val)
        except SizeError as err:
            self.errorf(str(err), LimitError)
        self.write(text)

    # -- pipelines ------------------------------------------------------------------------
    def eval_pipeline(self, dot: Any, pipe: n.Pipe | None) -> Any:
        if pipe is None:
            return NO_VALUE
        self.at(pipe)
        value = MISSING
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
            if isinstance(value, Iface):
                value = NO_VALUE if value.v is None else value.v
        if value is None:
            value = NO_VALUE
        for var in pipe.decl:
            if pipe.is_assign:
                self.set_var(var.ident[0], value)
            else:
                self.push(var.ident[0], value)
        return value

    def not_a_function(self, args: list[n.Node], final: Any) -> None:
        if len(args) > 1 or final is not MISSING:
            self.errorf(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, cmd: n.Command, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, n.Field):
            self.at(first)
            return self.eval_field_chain(dot, dot, first, first.ident, cmd.args, final)
        if isinstance(first, n.Chain):
            return self.eval_chain(dot, first, cmd.args, final)
        if isinstance(first, n.Identifier):
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if isinstance(first, n.Pipe):
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first)
        if isinstance(first, n.Variable):
            return self.eval_variable(dot, first, cmd.args, final)
        self.at(first)
        self.not_a_function(cmd.args, final)
        if isinstance(first, n.Bool):
            return first.value
        if isinstance(first, n.Dot):
            return dot
        if isinstance(first, n.Nil):
            self.errorf("nil is not a command")
        if isinstance(first, n.Number):
            return self.ideal_constant(first)
        if isinstance(first, n.String):
            return first.text
        self.errorf(f'can\'t evaluate command "{first}"')

    def ideal_constant(self, num: n.Number) -> Any:
        self.at(num)
        text = num.text
        is_hex_int = text.lower().lstrip("+-").startswith("0x") and "p" not in text.lower()
        if (
            num.is_float
            and not is_hex_int
            and not text.startswith("'")
            and any(c in text for c in ".eEpP")
        ):
            return num.float_value
        if num.is_int:
            if not -(2**63) <= num.int_value < 2**63:
                self.errorf(f"{text} overflows int")
            return num.int_value
        return num.float_value

    def eval_chain(self, dot: Any, chain: n.Chain, args: list[n.Node], final: Any) -> Any:
        self.at(chain)
        if isinstance(chain.node, n.Nil):
            self.errorf(f"indirection through explicit nil in {chain}")
        pipe = eval_arg(self, dot, "interface {}", chain.node)
        return self.eval_field_chain(dot, pipe, chain, chain.fields, args, final)

    def eval_variable(self, dot: Any, var: n.Variable, args: list[n.Node], final: Any) -> Any:
        self.at(var)
        value = self.var_value(var.ident[0])
        if len(var.ident) == 1:
            self.not_a_function(args, final)
            return value
        return self.eval_field_chain(dot, value, var, var.ident[1:], args, final)

    def eval_field_chain(
        self,
        dot: Any,
        receiver: Any,
        node: n.Node,
        ident: list[str],
        args: list[n.Node] | None,
        final: Any,
    ) -> Any:
        for name in ident[:-1]:
            receiver = self.eval_field(dot, name, node, None, MISSING, receiver)
        return self.eval_field(dot, ident[-1], node, args, final, receiver)

    def eval_field(
        self,
        dot: Any,
        name: str,
        node: n.Node,
        args: list[n.Node] | None,
        final: Any,
        receiver: Any,
    ) -> Any:
        if receiver is NO_VALUE:
            return NO_VALUE
        typ = "interface {}" if isinstance(receiver, Iface) else type_name(receiver)
        value = unbox(receiver)
        if value is None:
            self.errorf(f"nil pointer evaluating {typ}.{name}")
        has_args = (args is not None and len(args) > 1) or final is not MISSING
        if isinstance(value, GoStruct):
            method = struct_method(value, name)
            if method is not None:
                fn = GoFunc(lambda: method(), ())
                return self.eval_call(dot, fn, node, name, args, final)
            found, field = struct_field(value, name)
            if found:
                if has_args:
                    self.errorf(f"{name} has arguments but cannot be invoked as function")
                return field
        mapping = items_of(value)
        if mapping is not None and _string_keyed(value):
            if has_args:
                self.errorf(f"{name} is not a method but has arguments")
            if name in mapping:
                return elem(value, mapping[name])
            return NO_VALUE
        self.errorf(f"can't evaluate field {name} in type {typ}")

    def eval_function(
        self, dot: Any, ident: n.Identifier, cmd: n.Node, args: list[n.Node] | None, final: Any
    ) -> Any:
        self.at(ident)
        fn = self.funcs.get(ident.name)
        if fn is None:
            self.errorf(f'"{ident.name}" is not a defined function')
        return self.eval_call(dot, fn, cmd, ident.name, args, final)

    def eval_call(
        self, dot: Any, fn: GoFunc, node: n.Node, name: str, args: list[n.Node] | None, final: Any
    ) -> Any:
        return call(self, dot, fn, node, name, args[1:] if args else [], final)


def _string_keyed(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, GoMap) and value.type_name.startswith("map[string]")
    )


def execute(
    text: str,
    main: str,
    trees: Mapping[str, n.ListNode],
    funcs: Mapping[str, GoFunc],
    data: Any,
    limits: Limits,
) -> str:
    state = State(text, main, trees, funcs, limits)
    state.push("$", data)
    try:
        state.walk(data, trees[main])
    except RecursionError:
        state.errorf("template nesting is too deep", LimitError)
    return "".join(state.out)
