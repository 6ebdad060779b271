"""Go's text/template parser (text/template/parse/parse.go): tokens to trees.

In: template text, its name, the names of the functions it may call. Out: a dict of
template name -> ``ListNode`` (the main one under ``name``, plus ``define``/``block``
bodies), or ``ParseError`` with Go's message ``template: NAME:LINE: ...``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from automation.gotemplate import nodes as n
from automation.gotemplate.errors import ParseError
from automation.gotemplate.gofmt import quote
from automation.gotemplate.lexer import Token, lex
from automation.gotemplate.literals import parse_number, unquote


def _describe(tok: Token) -> str:
    """Go's ``item.String()``."""
    if tok.kind == "eof":
        return "EOF"
    if tok.kind == "error":
        return tok.val
    if tok.kind in ("keyword", "dot", "nil"):
        return f"<{tok.val}>"
    if len(tok.val) > 10:
        return quote(tok.val[:10]) + "..."
    return quote(tok.val)


_OPERANDS = frozenset(
    (
        "bool",
        "char_const",
        "dot",
        "field",
        "ident",
        "number",
        "nil",
        "raw",
        "string",
        "var",
        "lparen",
    )
)


class Parser:
    def __init__(self, text: str, name: str, has_func: Callable[[str], bool]) -> None:
        self.name = name
        self.tokens = lex(text)
        self.i = 0
        self.last: Token = self.tokens[0]
        self.has_func = has_func
        self.trees: dict[str, n.ListNode] = {}
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.action_line = 0

    # -- token stream -------------------------------------------------------------------
    def next(self) -> Token:
        tok = self.tokens[min(self.i, len(self.tokens) - 1)]
        self.i += 1
        self.last = tok
        return tok

    def backup(self, k: int = 1) -> None:
        self.i -= k

    def peek(self) -> Token:
        tok = self.tokens[min(self.i, len(self.tokens) - 1)]
        self.last = tok
        return tok

    def next_non_space(self) -> Token:
        tok = self.next()
        while tok.kind == "space":
            tok = self.next()
        return tok

    def peek_non_space(self) -> Token:
        tok = self.next_non_space()
        self.backup()
        return tok

    def errorf(self, message: str) -> NoReturn:
        raise ParseError(f"template: {self.name}:{self.last.line}: {message}", self.last.line)

    def unexpected(self, tok: Token, context: str) -> NoReturn:
        if tok.kind == "error":
            extra = ""
            if self.action_line and self.action_line != tok.line:
                extra = f" in action started at {self.name}:{self.action_line}"
                if tok.val.endswith(" action"):
                    extra = extra[len(" in action") :]
            self.errorf(tok.val + extra)
        self.errorf(f"unexpected {_describe(tok)} in {context}")

    def expect(self, kind: str, context: str) -> Token:
        tok = self.next_non_space()
        if tok.kind != kind:
            self.unexpected(tok, context)
        return tok

    # -- structure ------------------------------------------------------------------------
    def parse(self) -> dict[str, n.ListNode]:
        root = n.ListNode(self.peek().pos)
        while self.peek().kind != "eof":
            if self.peek().kind == "left":
                self.next()
                tok = self.next_non_space()
                if tok.kind == "keyword" and tok.val == "define":
                    self.parse_definition()
                    continue
                self._rewind_to_left()
            node = self.text_or_action()
            if isinstance(node, (n.End, n.Else)):
                self.errorf(f"unexpected {node}")
            root.nodes.append(node)
        self.add(self.name, root)
        return self.trees

    def _rewind_to_left(self) -> None:
        self.i = min(self.i, len(self.tokens) - 1)
        while self.tokens[self.i].kind != "left":
            self.i -= 1

    def add(self, name: str, root: n.ListNode) -> None:
        old = self.trees.get(name)
        if old is None or _is_empty(old):
            self.trees[name] = root
        elif not _is_empty(root):
            self.errorf(f'template: multiple definition of template "{name}"')

    def parse_definition(self) -> None:
        context = "define clause"
        tok = self.next_non_space()
        if tok.kind not in ("string", "raw"):
            self.unexpected(tok, context)
        name = self._unquote(tok.val)
        self.expect("right", context)
        body, end = self.nested_list()
        if not isinstance(end, n.End):
            self.errorf(f"unexpected {end} in {context}")
        self.add(name, body)

    def nested_list(self) -> tuple[n.ListNode, n.Node]:
        """The body of a ``define`` or ``block``: a new tree with its own variables."""
        saved = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        try:
            return self.item_list()
        finally:
            self.vars, self.range_depth = saved

    def item_list(self) -> tuple[n.ListNode, n.Node]:
        body = n.ListNode(self.peek_non_space().pos)
        while self.peek_non_space().kind != "eof":
            node = self.text_or_action()
            if isinstance(node, (n.End, n.Else)):
                return body, node
            body.nodes.append(node)
        self.errorf("unexpected EOF")

    def text_or_action(self) -> n.Node:
        tok = self.next_non_space()
        if tok.kind == "text":
            return n.Text(tok.pos, tok.val)
        if tok.kind == "left":
            self.action_line = tok.line
            try:
                return self.action()
            finally:
                self.action_line = 0
        self.unexpected(tok, "input")

    def action(self) -> n.Node:
        tok = self.next_non_space()
        if tok.kind == "keyword":
            handlers: dict[str, Callable[[], n.Node]] = {
                "block": self.block_control,
                "break": lambda: self.loop_control(tok, "break"),
                "continue": lambda: self.loop_control(tok, "continue"),
                "else": self.else_control,
                "end": lambda: n.End(self.expect("right", "end").pos),
                "if": lambda: self.branch("if", allow_else_if=True),
                "range": lambda: self.branch("range", allow_else_if=False),
                "template": self.template_control,
                "with": lambda: self.branch("with", allow_else_if=True),
            }
            return handlers[tok.val]()
        self.backup()
        tok = self.peek()
        return n.Action(tok.pos, tok.line, self.pipeline("command", "right"))

    def loop_control(self, tok: Token, word: str) -> n.Node:
        nxt = self.next_non_space()
        if nxt.kind != "right":
            self.unexpected(nxt, "{{" + word + "}}")
        if self.range_depth == 0:
            self.errorf("{{" + word + "}} outside {{range}}")
        return n.Break(tok.pos, tok.line) if word == "break" else n.Continue(tok.pos, tok.line)

    def else_control(self) -> n.Node:
        peek = self.peek_non_space()
        if peek.kind == "keyword" and peek.val in ("if", "with"):
            return n.Else(peek.pos, peek.line)
        tok = self.expect("right", "else")
        return n.Else(tok.pos, tok.line)

    def branch(self, kind: str, allow_else_if: bool) -> n.Node:
        depth = len(self.vars)
        pipe = self.pipeline(kind, "right")
        if kind == "range":
            self.range_depth += 1
        body, nxt = self.item_list()
        if kind == "range":
            self.range_depth -= 1
        else_body = None
        if isinstance(nxt, n.Else):
            peek = self.peek()
            if allow_else_if and peek.kind == "keyword" and peek.val == kind:
                self.next()
                else_body = n.ListNode(nxt.pos, [self.branch(kind, allow_else_if)])
            else:
                else_body, nxt = self.item_list()
                if not isinstance(nxt, n.End):
                    self.errorf(f"expected end; found {nxt}")
        del self.vars[depth:]
        return n.Branch(kind, pipe.pos, pipe.line, pipe, body, else_body)

    def template_name(self, tok: Token, context: str) -> str:
        if tok.kind not in ("string", "raw"):
            self.unexpected(tok, context)
        return self._unquote(tok.val)

    def template_control(self) -> n.Node:
        context = "template clause"
        tok = self.next_non_space()
        name = self.template_name(tok, context)
        pipe = None
        if self.next_non_space().kind != "right":
            self.backup()
            pipe = self.pipeline(context, "right")
        return n.TemplateCall(tok.pos, tok.line, name, pipe)

    def block_control(self) -> n.Node:
        context = "block clause"
        tok = self.next_non_space()
        name = self.template_name(tok, context)
        pipe = self.pipeline(context, "right")
        body, end = self.nested_list()
        if not isinstance(end, n.End):
            self.errorf(f"unexpected {end} in {context}")
        self.add(name, body)
        return n.TemplateCall(tok.pos, tok.line, name, pipe)

    # -- pipelines ------------------------------------------------------------------------
    def pipeline(self, context: str, end: str) -> n.Pipe:
        tok = self.peek_non_space()
        pipe = n.Pipe(tok.pos, tok.line)
        self.declarations(pipe, context)
        while True:
            tok = self.next_non_space()
            if tok.kind == end:
                self.check_pipeline(pipe, context)
                return pipe
            if tok.kind in _OPERANDS:
                self.backup()
                pipe.cmds.append(self.command())
            else:
                self.unexpected(tok, context)

    def declarations(self, pipe: n.Pipe, context: str) -> None:
        while True:
            v = self.peek_non_space()
            if v.kind != "var":
                return
            self.next_non_space()
            after = self.peek()
            nxt = self.peek_non_space()
            if nxt.kind in ("assign", "declare"):
                pipe.is_assign = nxt.kind == "assign"
                self.next_non_space()
                pipe.decl.append(n.Variable(v.pos, v.val.split(".")))
                self.vars.append(v.val)
                return
            if nxt.kind == "char" and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(n.Variable(v.pos, v.val.split(".")))
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().kind in ("var", "right", "rparen"):
                        continue
                    self.errorf("range can only initialize variables")
                self.errorf(f"too many declarations in {context}")
            self._rewind_before(v, after)
            return

    def _rewind_before(self, v: Token, after: Token) -> None:
        self.i = min(self.i, len(self.tokens) - 1)
        while self.tokens[self.i] is not v:
            self.i -= 1

    def check_pipeline(self, pipe: n.Pipe, context: str) -> None:
        if not pipe.cmds:
            self.errorf(f"missing value for {context}")
        for i, cmd in enumerate(pipe.cmds[1:]):
            if isinstance(cmd.args[0], (n.Bool, n.Dot, n.Nil, n.Number, n.String)):
                self.errorf(f"non executable command in pipeline stage {i + 2}")

    def command(self) -> n.Command:
        cmd = n.Command(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            tok = self.next()
            if tok.kind == "space":
                continue
            if tok.kind in ("right", "rparen"):
                self.backup()
            elif tok.kind != "pipe":
                self.unexpected(tok, "operand")
            break
        if not cmd.args:
            self.errorf("empty command")
        return cmd

    def operand(self) -> n.Node | None:
        node = self.term()
        if node is None or self.peek().kind != "field":
            return node
        chain = n.Chain(self.peek().pos, node)
        while self.peek().kind == "field":
            chain.fields.append(self.next().val[1:])
        if isinstance(node, n.Field):
            return n.Field(chain.pos, [*node.ident, *chain.fields])
        if isinstance(node, n.Variable):
            return n.Variable(chain.pos, [*node.ident, *chain.fields])
        if isinstance(node, (n.Bool, n.String, n.Number, n.Nil, n.Dot)):
            self.errorf(f"unexpected . after term {quote(str(node))}")
        return chain

    def term(self) -> n.Node | None:
        tok = self.next_non_space()
        kind = tok.kind
        if kind == "ident":
            if not self.has_func(tok.val):
                self.errorf(f'function "{tok.val}" not defined')
            return n.Identifier(tok.pos, tok.val)
        if kind == "dot":
            return n.Dot(tok.pos)
        if kind == "nil":
            return n.Nil(tok.pos)
        if kind == "var":
            return self.use_var(tok)
        if kind == "field":
            return n.Field(tok.pos, tok.val[1:].split("."))
        if kind == "bool":
            return n.Bool(tok.pos, tok.val == "true")
        if kind in ("number", "char_const"):
            number = parse_number(tok.val, kind == "char_const")
            if number is None and kind == "char_const":
                self.errorf(f"malformed character constant: {tok.val}")
            if number is None:
                self.errorf(f"illegal number syntax: {quote(tok.val)}")
            return n.Number(tok.pos, tok.val, *number)
        if kind == "lparen":
            return self.pipeline("parenthesized pipeline", "rparen")
        if kind in ("string", "raw"):
            return n.String(tok.pos, tok.val, self._unquote(tok.val))
        self.backup()
        return None

    def use_var(self, tok: Token) -> n.Variable:
        ident = tok.val.split(".")
        if ident[0] not in self.vars:
            self.errorf(f'undefined variable "{ident[0]}"')
        return n.Variable(tok.pos, ident)

    def _unquote(self, quoted: str) -> str:
        text = unquote(quoted)
        if text is None:
            self.errorf("invalid syntax")
        return text


def _is_empty(node: n.Node) -> bool:
    if isinstance(node, n.ListNode):
        return all(_is_empty(x) for x in node.nodes)
    if isinstance(node, n.Text):
        return not node.text.strip()
    return False


def parse(text: str, name: str, has_func: Callable[[str], bool]) -> dict[str, n.ListNode]:
    """All templates defined by ``text``; the main one is under ``name``."""
    return Parser(text, name, has_func).parse()
