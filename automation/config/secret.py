"""v1 Secret objects, read from a separate secrets path (never required to live in git).

Values are never echoed in errors: a bad base64 value is reported by key only.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from pydantic import Field, field_validator

from automation.config.base import Object


class Secret(Object):
    api_version: Literal["v1"]
    kind: Literal["Secret"]
    type: str = "Opaque"
    data: dict[str, str] = Field(default_factory=dict)
    string_data: dict[str, str] = Field(default_factory=dict)
    immutable: bool | None = None

    @field_validator("data")
    @classmethod
    def _base64(cls, value: dict[str, str]) -> dict[str, str]:
        for key, encoded in value.items():
            try:
                base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"data.{key} is not valid base64") from None
        return value

    @property
    def values(self) -> dict[str, bytes]:
        """`data` decoded, overlaid by `stringData` (as the API server merges them)."""
        out = {k: base64.b64decode(v) for k, v in self.data.items()}
        out.update({k: v.encode() for k, v in self.string_data.items()})
        return out

    def __repr__(self) -> str:  # never show secret material
        return f"Secret({self.metadata.namespace}/{self.metadata.name}, keys={sorted(self.values)})"

    __str__ = __repr__
