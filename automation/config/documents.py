"""Read YAML policy files into plain documents, remembering the line of every key.

In: files or directories (recursive, `.yaml`/`.yml`, multi-document). Out: `Document`s of plain
dicts/lists/scalars plus a map from field path to 1-based line, so validation errors can name
`file:line: field.path`. A file that does not parse becomes one ConfigError with the parser's
line (documents before the fault are still returned).

Speed and bounds: documents are built from the parser's event stream (libyaml through PyYAML's
binding, whose event objects are about twice as cheap as ruamel.yaml.clib's; then
ruamel.yaml.clib; ruamel's pure parser as the fallback) with an explicit stack, so there is no
recursion and no composer/constructor overhead, and every event's mark gives the line. A file
that is too large, nests too deep, or whose aliases expand out of proportion (a "billion
laughs" document) is an error on that file, whatever the kinds in it: aliases are shared, never
copied, and their expanded size is counted with the rule of gopkg.in/yaml.v3 (decode.go,
`allowedAliasRatio`), which Kubernetes tooling also uses.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ruamel.yaml.events as ruamel_events
import yaml as pyyaml
import yaml.events as pyyaml_events
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from automation.errors import ConfigError

log = logging.getLogger(__name__)

YAML_SUFFIXES = (".yaml", ".yml")
Path_ = tuple[str | int, ...]

# Bounds for one policy file. Flux's own gotk-components.yaml (every CRD) is under 1 MiB and
# nests about 30 levels deep; Kubernetes caps one object at 1.5 MiB (etcd's request limit).
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 200

HAVE_PYYAML_C = bool(getattr(pyyaml, "__with_libyaml__", False))
HAVE_RUAMEL_C = importlib.util.find_spec("_ruamel_yaml") is not None
HAVE_C_PARSER = HAVE_PYYAML_C or HAVE_RUAMEL_C
if HAVE_PYYAML_C:
    from yaml._yaml import CParser as PyYAMLCParser
if HAVE_RUAMEL_C:
    from ruamel.yaml.cyaml import CBaseLoader

# Event class -> what it is, for both libraries' event classes.
_SCALAR, _ALIAS, _MAP, _SEQ, _END, _DOC_START, _DOC_END = range(7)
_EVENT_KINDS: dict[type, int] = {}
for _module in (pyyaml_events, ruamel_events):
    _EVENT_KINDS.update(
        {
            _module.ScalarEvent: _SCALAR,
            _module.AliasEvent: _ALIAS,
            _module.MappingStartEvent: _MAP,
            _module.SequenceStartEvent: _SEQ,
            _module.MappingEndEvent: _END,
            _module.SequenceEndEvent: _END,
            _module.DocumentStartEvent: _DOC_START,
            _module.DocumentEndEvent: _DOC_END,
        }
    )
_PARSE_ERRORS = (MarkedYAMLError, pyyaml.MarkedYAMLError)

_PURE_TABS = re.compile(r"\t(?=[ \t]*(?:#|\r|\n|$))|(?<=:)\t")

# YAML 1.2 core schema (what ruamel and gopkg.in/yaml.v3 resolve plain scalars with).
_NULL = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_NUMBER_START = frozenset("0123456789+-.")
_TAG = "tag:yaml.org,2002:"


class _Limit(Exception):
    """A bound was exceeded; message and 0-based line of the event where it happened."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


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


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(text)


def _resolve(text: str) -> Any:
    """A plain scalar's value under the YAML 1.2 core schema."""
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text[0] in _NUMBER_START:
        if _INT.fullmatch(text):
            return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
        if _FLOAT.fullmatch(text):
            return _float(text)
    return text


def _scalar(event: Any) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        # implicit[0]: plain scalar without a tag; anything quoted or in a block is a string.
        return _resolve(event.value) if event.implicit[0] else event.value
    if tag.startswith("!!"):
        tag = _TAG + tag[2:]
    if tag == _TAG + "str":
        return event.value
    if tag == _TAG + "int" or tag == _TAG + "float" or tag == _TAG + "bool":
        value = _resolve(event.value)
        if tag == _TAG + "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value
    if tag == _TAG + "null":
        return None
    return event.value  # unknown or application tags: the text, as a string


def _allowed_alias_ratio(decoded: int) -> float:
    # gopkg.in/yaml.v3 decode.go: 99% below 400,000 decoded nodes, falling linearly to 10%
    # at 4,000,000.
    low, high = 400_000, 4_000_000
    if decoded <= low:
        return 0.99
    if decoded >= high:
        return 0.10
    return 0.99 - 0.89 * (decoded - low) / (high - low)


class _Builder:
    """Turns one stream of parser events into documents, iteratively."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.decoded = 0  # nodes, counting every node reached through an alias again
        self.aliased = 0  # nodes reached through an alias
        self.anchors: dict[str, tuple[Any, int]] = {}

    def documents(self, events: Iterator[Any]) -> Iterator[Document]:
        for event in events:
            if _EVENT_KINDS.get(type(event)) == _DOC_START:
                document = self._document(events, event.start_mark.line)
                if document is not None:
                    yield document

    def _document(self, events: Iterator[Any], start_line: int) -> Document | None:
        self.anchors = {}
        lines: dict[Path_, int] = {}
        root: Any = None
        # Frames: [container, path, pending key (maps), node count at start, anchor, key line,
        #          merged mappings (`<<`), applied at the end so explicit keys win]
        stack: list[list[Any]] = []
        kinds = _EVENT_KINDS
        for event in events:
            kind = kinds.get(type(event))
            if kind == _DOC_END:
                break
            line = event.start_mark.line
            if kind in (_SCALAR, _ALIAS):
                if kind == _SCALAR:
                    self.decoded += 1
                    if event.tag is None:  # the common case, inline
                        value = _resolve(event.value) if event.implicit[0] else event.value
                    else:
                        value = _scalar(event)
                    if event.anchor is not None:
                        self.anchors[event.anchor] = (value, 1)
                else:
                    value = self._alias(event)
                if not stack:
                    root = value
                    continue
                frame = stack[-1]
                container, key = frame[0], frame[2]
                if type(container) is dict and key is not _MERGE:  # fast path of `_add`
                    if key is not _NO_KEY:
                        path = (*frame[1], str(key))
                        lines[path] = frame[5] + 1
                        container[key] = value
                        frame[2] = _NO_KEY
                        continue
                    if kind == _SCALAR and value != "<<" and value not in container:
                        frame[2], frame[5] = value, line
                        continue
                self._add(frame, value, line, lines, is_scalar_key=kind == _SCALAR)
            elif kind in (_MAP, _SEQ):
                if len(stack) >= MAX_DEPTH:
                    raise _Limit(line, f"nested more than {MAX_DEPTH} levels deep")
                self.decoded += 1
                new: Any = {} if kind == _MAP else []
                if stack:
                    path = self._add(stack[-1], new, line, lines, is_scalar_key=False)
                else:
                    root, path = new, ()
                stack.append([new, path, _NO_KEY, self.decoded, event.anchor, 0, None])
            elif kind == _END:
                frame = stack.pop()
                if frame[6] is not None:
                    self._merge(frame[0], frame[6], line)
                if frame[4] is not None:
                    self.anchors[frame[4]] = (frame[0], self.decoded - frame[3] + 1)
        if root is None:
            return None
        if not isinstance(root, dict):
            log.debug("%s: skipping a document that is not a mapping", self.name)
            return None
        top = [line for path, line in lines.items() if len(path) == 1]
        return Document(self.name, min(top, default=start_line + 1), root, lines)

    def _alias(self, event: Any) -> Any:
        found = self.anchors.get(event.anchor)
        if found is None:
            raise _Limit(event.start_mark.line, f"found undefined alias {event.anchor!r}")
        value, size = found
        self.decoded += size
        self.aliased += size
        if (
            self.aliased > 100
            and self.decoded > 1000
            and self.aliased / self.decoded > _allowed_alias_ratio(self.decoded)
        ):
            raise _Limit(event.start_mark.line, "document contains excessive aliasing")
        return value

    def _add(
        self,
        frame: list[Any],
        value: Any,
        line: int,
        lines: dict[Path_, int],
        *,
        is_scalar_key: bool,
    ) -> Path_:
        """Put `value` into the frame's container; returns the value's path."""
        container, key = frame[0], frame[2]
        path: Path_ = frame[1]
        if isinstance(container, list):
            child = (*path, len(container))
            lines[child] = line + 1
            container.append(value)
            return child
        if key is _NO_KEY:
            if isinstance(value, (dict, list)):
                raise _Limit(line, "a mapping key must be a scalar")
            if value == "<<" and is_scalar_key:
                frame[2] = _MERGE
            else:
                frame[2] = value
                frame[5] = line
                if value in container:
                    raise _Limit(line, f"duplicate key {value!r}")
            return path
        frame[2] = _NO_KEY
        if key is _MERGE:
            # Applied at the mapping's end: the value may still be filling (`<<: [*a, *b]`).
            frame[6] = [*(frame[6] or ()), value]
            return path
        child = (*path, str(key))
        lines[child] = frame[5] + 1
        container[key] = value
        return child

    @staticmethod
    def _merge(container: dict[Any, Any], merges: list[Any], line: int) -> None:
        """`<<: *base` / `<<: [*a, *b]`: keys not written explicitly, the first source wins."""
        explicit = set(container)
        for value in merges:
            for source in value if isinstance(value, list) else [value]:
                if not isinstance(source, dict):
                    raise _Limit(line, "a merge key '<<' needs a mapping or a list of mappings")
                for k, v in source.items():
                    if k not in explicit:
                        container.setdefault(k, v)


_NO_KEY = object()
_MERGE = object()


def _events(text: str, pure: bool) -> Iterator[Any]:
    if not pure and HAVE_PYYAML_C:
        parser = PyYAMLCParser(text)
        try:
            yield from iter(parser.get_event, None)  # None after the stream's end
        finally:
            parser.dispose()
        return
    if not pure and HAVE_RUAMEL_C:
        loader = CBaseLoader(text)
        try:
            yield from iter(loader.get_event, None)  # None after the stream's end
        finally:
            loader.dispose()
        return
    yield from YAML(typ="safe", pure=True).parse(_PURE_TABS.sub(" ", text))


def parse_documents(text: str, name: str) -> Iterator[Document]:
    """Documents of one YAML text; raises ConfigError (after the good documents before it)."""
    text = text.removeprefix("\ufeff")
    pure = not HAVE_C_PARSER
    while True:
        builder = _Builder(name)
        done = 0
        try:
            for document in builder.documents(_events(text, pure)):
                done += 1
                yield document
            return
        except _Limit as err:
            raise ConfigError(name, err.line + 1, "", err.message) from None
        except _PARSE_ERRORS as err:
            # The bundled libyaml refuses some valid YAML 1.2 (`[a:b]`, a `:` inside a plain
            # scalar in a flow collection) that ruamel's own parser reads: try that one, once,
            # unless documents were already handed out.
            if not pure and done == 0:
                pure = True
                continue
            mark = err.problem_mark or err.context_mark
            line = mark.line + 1 if mark is not None else None
            problem = err.problem or err.context
            raise ConfigError(name, line, "", f"invalid YAML: {problem}") from None
        except (YAMLError, pyyaml.YAMLError) as err:
            raise ConfigError(name, None, "", f"invalid YAML: {err}") from None


def read_documents(file: Path) -> Iterator[Document]:
    name = str(file)
    try:
        with file.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise ConfigError(name, None, "", f"cannot read: {err.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(
            name, None, "", f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not read"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(name, None, "", f"not UTF-8 text: {err.reason}") from None
    yield from parse_documents(text, name)
