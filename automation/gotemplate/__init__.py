"""Go ``text/template`` with Sprig's hermetic functions, as Flux renders commit messages.

``parse(text, name)`` checks a template the way Go's ``template.New(name).Funcs(
sprig.HermeticTxtFuncMap()).Parse(text)`` does; ``Template.execute(data)`` renders it with
Go's output, whitespace and error text. Data is modelled in ``values`` (structs, typed maps
and slices). Templates read no files, environment or clock: only the data given. Rendering
is bounded (``Limits``): output size, evaluation steps and wall-clock time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from automation.gotemplate.builtins import BUILTINS
from automation.gotemplate.errors import ExecError, LimitError, ParseError, TemplateError
from automation.gotemplate.execute import Limits, execute
from automation.gotemplate.nodes import ListNode
from automation.gotemplate.parser import parse as _parse
from automation.gotemplate.sprig_lists import LIST_FUNCS
from automation.gotemplate.sprig_strings import STRING_FUNCS
from automation.gotemplate.values import GoFunc, GoMap, GoSlice, GoStruct, Int64

# Sprig's hermetic functions that this engine does not implement: a template calling one
# fails to parse ("function not defined"), and callers can say why.
UNSUPPORTED_SPRIG = frozenset(
    [
        "ago",
        "bcrypt",
        "buildCustomCert",
        "camelcase",
        "chunk",
        "decryptAES",
        "deepCopy",
        "derivePassword",
        "dig",
        "duration",
        "durationRound",
        "encryptAES",
        "genCA",
        "genCAWithKey",
        "genPrivateKey",
        "genSelfSignedCert",
        "genSelfSignedCertWithKey",
        "genSignedCert",
        "genSignedCertWithKey",
        "htpasswd",
        "kebabcase",
        "merge",
        "mergeOverwrite",
        "mustChunk",
        "mustDateModify",
        "mustDeepCopy",
        "mustMerge",
        "mustMergeOverwrite",
        "mustToDate",
        "must_date_modify",
        "semver",
        "semverCompare",
        "seq",
        "shuffle",
        "snakecase",
        "toDate",
        "toDecimal",
        "unixEpoch",
        "urlJoin",
        "urlParse",
        "wrap",
        "wrapWith",
        "add1f",
        "addf",
        "subf",
        "divf",
        "mulf",
        "maxf",
        "minf",
        "hello",
    ]
)
_INTERNAL = (ArithmeticError, AttributeError, IndexError, KeyError, TypeError, ValueError)
FUNCS: Mapping[str, GoFunc] = MappingProxyType({**BUILTINS, **STRING_FUNCS, **LIST_FUNCS})


@dataclass(frozen=True)
class Template:
    """A parsed template set; ``name`` is the main template."""

    text: str
    name: str
    trees: Mapping[str, ListNode] = field(repr=False)

    def execute(self, data: Any, limits: Limits | None = None) -> str:
        try:
            return execute(self.text, self.name, self.trees, FUNCS, data, limits or Limits())
        except _INTERNAL as err:  # a bug here must not become a traceback in the daemon
            raise ExecError(f"template: {self.name}: internal error: {err!r}") from None


def parse(text: str, name: str = "template") -> Template:
    """Parse ``text`` as Go does, or raise ``ParseError`` with Go's message."""
    try:
        trees = _parse(text, name, FUNCS.__contains__)
    except RecursionError:
        raise ParseError(f"template: {name}: nesting is too deep") from None
    except _INTERNAL as err:  # a bug here must not become a traceback in the daemon
        raise ParseError(f"template: {name}: internal error: {err!r}") from None
    return Template(text, name, MappingProxyType(trees))


__all__ = [
    "FUNCS",
    "UNSUPPORTED_SPRIG",
    "ExecError",
    "GoMap",
    "GoSlice",
    "GoStruct",
    "Int64",
    "LimitError",
    "Limits",
    "ParseError",
    "Template",
    "TemplateError",
    "parse",
]
