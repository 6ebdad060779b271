"""Tokens of Go's text/template, following its lexer (text/template/parse/lex.go).

In: the template text. Out: a list of ``Token`` (kind, text, offset, line) ending in an
``eof`` token, or in one ``error`` token whose text is Go's message. One linear pass.
"""

from __future__ import annotations

from dataclasses import dataclass

LEFT, RIGHT = "{{", "}}"
KEYWORDS = frozenset(
    ("block", "break", "continue", "define", "else", "end", "if", "range", "template", "with")
)
_SPACE = frozenset(" \t\r\n")
_TERMINATORS = frozenset(" \t\r\n.,|:()")


@dataclass(frozen=True, slots=True)
class Token:
    """kind: text left right space ident field var string raw char_const number bool nil
    keyword dot pipe lparen rparen assign declare char eof error."""

    kind: str
    val: str
    pos: int
    line: int


def _alnum(c: str) -> bool:
    return c == "_" or c.isalnum()


def go_rune(c: str) -> str:
    """Go's ``%#U`` of one character."""
    return f"U+{ord(c):04X} '{c}'" if c.isprintable() else f"U+{ord(c):04X}"


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.start = 0
        self.tokens: list[Token] = []
        self.paren = 0
        self._line_at = (0, 1)

    def line_of(self, pos: int) -> int:
        last, line = self._line_at
        line += self.text.count("\n", last, pos)
        self._line_at = (pos, line)
        return line

    def peek(self, k: int = 0) -> str:
        i = self.pos + k
        return self.text[i] if i < len(self.text) else ""

    def emit(self, kind: str) -> None:
        self.tokens.append(
            Token(kind, self.text[self.start : self.pos], self.start, self.line_of(self.start))
        )
        self.start = self.pos

    def error(self, message: str) -> None:
        self.tokens.append(Token("error", message, self.start, self.line_of(self.start)))

    def left_trim_marker(self, at: int) -> bool:
        return self.text[at : at + 1] == "-" and self.text[at + 1 : at + 2] in _SPACE

    def at_right(self) -> tuple[bool, bool]:
        t, p = self.text, self.pos
        if t[p : p + 1] in _SPACE and t[p : p + 1] and t.startswith("-" + RIGHT, p + 1):
            return True, True
        return t.startswith(RIGHT, p), False

    def run(self) -> list[Token]:
        while self.lex_text():
            if not self.lex_left():
                break
        return self.tokens

    def lex_text(self) -> bool:
        x = self.text.find(LEFT, self.pos)
        if x < 0:
            self.pos = len(self.text)
            if self.pos > self.start:
                self.emit("text")
            self.emit("eof")
            return False
        end = x
        if self.left_trim_marker(x + 2):
            while end > self.start and self.text[end - 1] in _SPACE:
                end -= 1
        self.pos = end
        if self.pos > self.start:
            self.emit("text")
        self.pos = self.start = x
        return True

    def lex_left(self) -> bool:
        self.pos += 2
        after = 2 if self.left_trim_marker(self.pos) else 0
        if self.text.startswith("/*", self.pos + after):
            self.pos += after
            self.start = self.pos
            return self.lex_comment()
        self.emit("left")
        self.pos += after
        self.start = self.pos
        self.paren = 0
        return self.lex_inside()

    def lex_comment(self) -> bool:
        self.pos += 2
        i = self.text.find("*/", self.pos)
        if i < 0:
            self.error("unclosed comment")
            return False
        self.pos = i + 2
        delim, trim = self.at_right()
        if not delim:
            self.error("comment ends before closing delimiter")
            return False
        self.pos += 4 if trim else 2
        if trim:
            self.skip_space()
        self.start = self.pos
        return True

    def skip_space(self) -> None:
        while self.peek() and self.peek() in _SPACE:
            self.pos += 1

    def at_terminator(self) -> bool:
        c = self.peek()
        return c == "" or c in _TERMINATORS or self.at_right()[0]

    def lex_inside(self) -> bool:
        while True:
            delim, trim = self.at_right()
            if delim:
                if self.paren > 0:
                    self.error("unclosed left paren")
                    return False
                if trim:
                    self.pos += 2
                    self.start = self.pos
                self.pos += 2
                self.emit("right")
                if trim:
                    self.skip_space()
                    self.start = self.pos
                return True
            if not self.lex_one():
                return False

    def lex_one(self) -> bool:
        c = self.peek()
        if c == "":
            self.error("unclosed action")
            return False
        if c in _SPACE:
            return self.lex_space()
        self.pos += 1
        simple = {"=": "assign", "|": "pipe", ",": "char"}
        if c in simple:
            self.emit(simple[c])
        elif c == ":":
            if self.peek() != "=":
                self.pos += 1
                self.error("expected :=")
                return False
            self.pos += 1
            self.emit("declare")
        elif c in "\"'":
            return self.lex_quote(c)
        elif c == "`":
            i = self.text.find("`", self.pos)
            if i < 0:
                self.error("unterminated raw quoted string")
                return False
            self.pos = i + 1
            self.emit("raw")
        elif c == "$":
            return self.lex_word("var")
        elif c == "." and not ("0" <= self.peek() <= "9" and self.peek()):
            return self.lex_word("field")
        elif c in "+-." or "0" <= c <= "9":
            self.pos -= 1
            return self.lex_number()
        elif _alnum(c):
            self.pos -= 1
            return self.lex_ident()
        elif c == "(":
            self.paren += 1
            self.emit("lparen")
        elif c == ")":
            self.paren -= 1
            self.emit("rparen")
        elif ord(c) < 0x80 and c.isprintable():
            self.emit("char")
        else:
            self.error(f"unrecognized character in action: {go_rune(c)}")
            return False
        return True

    def lex_space(self) -> bool:
        spaces = 0
        while self.peek() and self.peek() in _SPACE:
            self.pos += 1
            spaces += 1
        if self.text.startswith("-" + RIGHT, self.pos):
            self.pos -= 1
            if spaces == 1:
                return True
        self.emit("space")
        return True

    def lex_word(self, kind: str) -> bool:
        if self.at_terminator():
            self.emit("dot" if kind == "field" else kind)
            return True
        while _alnum(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            self.error(f"bad character {go_rune(self.peek())}")
            return False
        self.emit(kind)
        return True

    def lex_ident(self) -> bool:
        while _alnum(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            self.error(f"bad character {go_rune(self.peek())}")
            return False
        word = self.text[self.start : self.pos]
        if word in KEYWORDS:
            self.emit("keyword")
        elif word in ("true", "false"):
            self.emit("bool")
        else:
            self.emit("nil" if word == "nil" else "ident")
        return True

    def lex_quote(self, quote: str) -> bool:
        while True:
            c = self.peek()
            if c:
                self.pos += 1
            if c == "\\" and self.peek() not in ("", "\n"):
                self.pos += 1  # an escaped character, the closing quote included
                continue
            if c in ("", "\n", "\\"):
                kind = "quoted string" if quote == '"' else "character constant"
                self.error(f"unterminated {kind}")
                return False
            if c == quote:
                break
        self.emit("string" if quote == '"' else "char_const")
        return True

    def lex_number(self) -> bool:
        if not self.scan_number():
            self.error(f'bad number syntax: "{self.text[self.start : self.pos]}"')
            return False
        self.emit("number")
        return True

    def scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if self.peek() and _alnum(self.peek()):
            self.pos += 1
            return False
        return True

    def accept(self, valid: str) -> bool:
        if self.peek() and self.peek() in valid:
            self.pos += 1
            return True
        return False

    def accept_run(self, valid: str) -> None:
        while self.peek() and self.peek() in valid:
            self.pos += 1


def lex(text: str) -> list[Token]:
    """Every token of ``text``; the last is ``eof`` or ``error``."""
    return _Lexer(text).run()
