"""The parse tree of a Go template, with Go's ``String()`` forms (text/template/parse/node.go).

Error messages quote nodes (``executing "x" at <.Foo.Bar>``), so each node prints itself
exactly as Go's does. ``pos`` is the character offset of the node in the template text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(eq=False)
class Text:
    pos: int
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(eq=False)
class Identifier:
    pos: int
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(eq=False)
class Variable:
    pos: int
    ident: list[str]

    def __str__(self) -> str:
        return ".".join(self.ident)


@dataclass(eq=False)
class Dot:
    pos: int

    def __str__(self) -> str:
        return "."


@dataclass(eq=False)
class Nil:
    pos: int

    def __str__(self) -> str:
        return "nil"


@dataclass(eq=False)
class Field:
    pos: int
    ident: list[str]

    def __str__(self) -> str:
        return "".join("." + i for i in self.ident)


@dataclass(eq=False)
class Chain:
    pos: int
    node: Node
    fields: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        base = f"({self.node})" if isinstance(self.node, Pipe) else str(self.node)
        return base + "".join("." + f for f in self.fields)


@dataclass(eq=False)
class Bool:
    pos: int
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(eq=False)
class Number:
    pos: int
    text: str
    is_int: bool = False
    is_float: bool = False
    int_value: int = 0
    float_value: float = 0.0

    def __str__(self) -> str:
        return self.text


@dataclass(eq=False)
class String:
    pos: int
    quoted: str
    text: str

    def __str__(self) -> str:
        return self.quoted


@dataclass(eq=False)
class Command:
    pos: int
    args: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, Pipe) else str(a) for a in self.args)


@dataclass(eq=False)
class Pipe:
    pos: int
    line: int
    is_assign: bool = False
    decl: list[Variable] = field(default_factory=list)
    cmds: list[Command] = field(default_factory=list)

    def __str__(self) -> str:
        head = ""
        if self.decl:
            names = ", ".join(str(v) for v in self.decl)
            head = names + (" = " if self.is_assign else " := ")
        return head + " | ".join(str(c) for c in self.cmds)


@dataclass(eq=False)
class Action:
    pos: int
    line: int
    pipe: Pipe

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass(eq=False)
class ListNode:
    pos: int
    nodes: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return "".join(str(n) for n in self.nodes)


@dataclass(eq=False)
class Branch:
    """``if``, ``range`` or ``with`` (``kind``)."""

    kind: str
    pos: int
    line: int
    pipe: Pipe
    body: ListNode
    else_body: ListNode | None

    def __str__(self) -> str:
        text = "{{" + self.kind + " " + str(self.pipe) + "}}" + str(self.body)
        if self.else_body is not None:
            text += "{{else}}" + str(self.else_body)
        return text + "{{end}}"


@dataclass(eq=False)
class TemplateCall:
    pos: int
    line: int
    name: str
    pipe: Pipe | None

    def __str__(self) -> str:
        if self.pipe is None:
            return '{{template "' + self.name + '"}}'
        return '{{template "' + self.name + '" ' + str(self.pipe) + "}}"


@dataclass(eq=False)
class Break:
    pos: int
    line: int

    def __str__(self) -> str:
        return "{{break}}"


@dataclass(eq=False)
class Continue:
    pos: int
    line: int

    def __str__(self) -> str:
        return "{{continue}}"


@dataclass(eq=False)
class End:
    pos: int

    def __str__(self) -> str:
        return "{{end}}"


@dataclass(eq=False)
class Else:
    pos: int
    line: int

    def __str__(self) -> str:
        return "{{else}}"


Node = Union[  # noqa: UP007 - a runtime alias used in isinstance-free annotations
    Text,
    Identifier,
    Variable,
    Dot,
    Nil,
    Field,
    Chain,
    Bool,
    Number,
    String,
    Command,
    Pipe,
    Action,
    ListNode,
    Branch,
    TemplateCall,
    Break,
    Continue,
    End,
    Else,
]
