"""Shared pieces of every policy-file object: metadata, references, locations, durations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, NamedTuple, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, PrivateAttr
from pydantic.alias_generators import to_camel

from automation.config.duration import format_duration, parse_duration

_FIELD_PART = re.compile(r"([^.\[\]]+)|\[([0-9]+)\]")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


class ObjectKey(NamedTuple):
    """namespace/name of an object; prints as `ns/name`."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"

    @classmethod
    def parse(cls, text: str) -> ObjectKey:
        """The inverse of `str()`: state records are keyed by `ns/name`."""
        namespace, _, name = text.partition("/")
        return cls(namespace, name)


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where an object was read from: file and 1-based line of its first key."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(value)


def _timeout(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(value, allow_hours=False)


_serialize = PlainSerializer(format_duration, return_type=str)
Duration = Annotated[timedelta, BeforeValidator(_duration), _serialize]
Timeout = Annotated[timedelta, BeforeValidator(_timeout), _serialize]


class Model(BaseModel):
    """Strict, frozen, camelCase-aliased base: unknown fields are errors (typos must not pass)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=False,
    )


def _check_name(value: str) -> str:
    if not value or len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(
            f"invalid name {value!r}: lowercase letters, digits, '-' and '.', "
            "starting and ending with a letter or digit"
        )
    return value


def _check_namespace(value: str) -> str:
    if not value or len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(
            f"invalid namespace {value!r}: lowercase letters, digits and '-', at most 63"
        )
    return value


Name = Annotated[str, BeforeValidator(lambda v: _check_name(v) if isinstance(v, str) else v)]
Namespace = Annotated[
    str, BeforeValidator(lambda v: _check_namespace(v) if isinstance(v, str) else v)
]


class ObjectMeta(Model):
    name: Name
    namespace: Namespace = "default"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class LocalRef(Model):
    """A reference to an object in the same namespace."""

    name: Name


class NamespacedRef(Model):
    """A reference that may name another namespace (defaults to the referrer's)."""

    name: Name
    namespace: Namespace | None = None


_IN_MEMORY = SourceLocation("<memory>", 0)


class Object(Model):
    """A top-level object: apiVersion, kind, metadata, spec; remembers where it came from."""

    api_version: str
    kind: str
    metadata: ObjectMeta
    # A factory, not a default: pydantic deep-copies a private default for every instance.
    _source: SourceLocation = PrivateAttr(default_factory=lambda: _IN_MEMORY)
    # Field path -> 1-based line, from the document this object was read from.
    _lines: Mapping[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.metadata.namespace, self.metadata.name)

    @property
    def source(self) -> SourceLocation:
        return self._source

    def located(
        self, source: SourceLocation, lines: Mapping[tuple[str | int, ...], int] | None = None
    ) -> Self:
        self._source = source
        if lines is not None:
            self._lines = lines
        return self

    def line_of(self, field: str) -> int:
        """Line of a field written as `spec.list[0].name` (a missing one -> its parent's)."""
        parts = tuple(int(index) if index else name for name, index in _FIELD_PART.findall(field))
        while parts:
            if parts in self._lines:
                return self._lines[parts]
            parts = parts[:-1]
        return self._source.line
