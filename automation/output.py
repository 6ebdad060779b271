"""Printing data for people (tables) and programs (`-o json|yaml`)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

FORMATS = ("table", "json", "yaml")


def emit(data: Any, fmt: str, out: TextIO | None = None) -> None:
    """Write `data` (plain dicts/lists/scalars) as JSON or YAML."""
    stream = out or sys.stdout
    if fmt == "json":
        stream.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    else:
        stream.write(to_yaml(data))


def to_yaml(data: Any) -> str:
    """Block-style YAML in insertion order, never folding a long value (a digest) in two."""
    # Imported here: ruamel.yaml loads only when a command prints YAML (start-up laziness).
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 1 << 16
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    buf = io.StringIO()
    yaml.dump(json.loads(json.dumps(data, default=str)), buf)
    return buf.getvalue()


def table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], out: TextIO | None = None
) -> None:
    """A plain aligned text table (no colours: it must read well in CI logs too)."""
    stream = out or sys.stdout
    cells = [[str(h) for h in headers]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for row in cells:
        stream.write(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )


def _cell(value: object) -> str:
    if value is None:
        return "-"
    return str(value)
