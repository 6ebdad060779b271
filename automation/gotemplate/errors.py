"""Errors of the template engine; ``str()`` is Go's message, ``line`` the template line."""

from __future__ import annotations


class TemplateError(Exception):
    """Base: the message is what Go's text/template returns for the same template."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


class ParseError(TemplateError):
    """The template text does not parse."""


class ExecError(TemplateError):
    """The template failed while rendering."""


class LimitError(ExecError):
    """Rendering went past the output-size or time budget."""
