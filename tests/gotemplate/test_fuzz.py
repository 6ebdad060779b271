"""Any template text gives output or a Go-style error: never a Python exception
(as Flux's Fuzz_templateMsg checks for the Go side)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from automation.git.fluxdata import template_data
from automation.git.message import sample_changes
from automation.gotemplate import Limits, TemplateError, parse

PIECES = [
    "{{",
    "}}",
    "{{-",
    "-}}",
    " ",
    "\n",
    ".",
    "$",
    "$x",
    ":=",
    "=",
    "|",
    "(",
    ")",
    ",",
    '"s"',
    "`r`",
    "'c'",
    "1",
    "-2",
    "1.5",
    "0x1f",
    "true",
    "nil",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    ".Changed",
    ".Changes",
    ".FileChanges",
    ".Objects",
    ".AutomationObject",
    ".Values",
    ".Kind",
    ".NewValue",
    "index",
    "len",
    "print",
    "printf",
    '"%v %d %s"',
    "eq",
    "lt",
    "and",
    "or",
    "not",
    "upper",
    "quote",
    "default",
    "toJson",
    "list",
    "dict",
    "first",
    "until",
    "regexFind",
    "/*",
    "*/",
    "é",
    "\\",
]
DATA = template_data("ns", "auto", {"cluster": "prod"}, sample_changes())
LIMITS = Limits(max_output=10_000, max_steps=5_000, max_seconds=1.0)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_random_templates_fail_only_with_template_errors(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        parse(text, "commit message").execute(DATA, LIMITS)
    except TemplateError as err:
        assert "internal error" not in str(err), text
        assert str(err).startswith("template: commit message"), text
