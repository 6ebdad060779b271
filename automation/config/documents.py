"""Read YAML policy files into plain documents, remembering the line of every key.

In: files or directories (recursive, `.yaml`/`.yml`, multi-document). Out: `Document`s of plain
dicts/lists/scalars plus a map from field path to 1-based line, so validation errors can name
`file:line: field.path`. A file that does not parse becomes one ConfigError with the parser's line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from automation.errors import ConfigError

log = logging.getLogger(__name__)

YAML_SUFFIXES = (".yaml", ".yml")
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    file: str
    line: int  # 1-based line of the document's first key
    data: dict[str, Any]
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int:
        """Line of the deepest existing prefix of `path` (a missing field -> its parent)."""
        parts = tuple(path)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.line


def yaml_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Every YAML file under the given paths, sorted, skipping dot-directories like .git."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if any(p.startswith(".") for p in rel[:-1]):
                    continue
                if child.is_file() and child.suffix in YAML_SUFFIXES:
                    yield child
        elif path.is_file():
            yield path
        else:
            raise ConfigError(str(path), None, "", "no such file or directory")


def _plain(node: Any, path: Path_, lines: dict[Path_, int]) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            key_line, _ = node.lc.key(key)
            lines[(*path, str(key))] = key_line + 1
            out[key] = _plain(value, (*path, str(key)), lines)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            item_line, _ = node.lc.item(index)
            lines[(*path, index)] = item_line + 1
            items.append(_plain(value, (*path, index), lines))
        return items
    if isinstance(node, str):
        return str(node)  # drop ruamel's scalar string subclasses
    return node


def read_documents(file: Path) -> Iterator[Document]:
    yaml = YAML(typ="rt")
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8-sig")
        docs = list(yaml.load_all(text))
    except UnicodeDecodeError as err:
        raise ConfigError(name, None, "", f"not UTF-8 text: {err.reason}") from None
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(name, line, "", f"invalid YAML: {err.problem or err.context}") from None
    except YAMLError as err:
        raise ConfigError(name, None, "", f"invalid YAML: {err}") from None
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, CommentedMap):
            log.debug("%s: skipping a document that is not a mapping", name)
            continue
        lines: dict[Path_, int] = {}
        data = _plain(doc, (), lines)
        top = [line for path, line in lines.items() if len(path) == 1]
        yield Document(name, min(top, default=doc.lc.line + 1), data, lines)
