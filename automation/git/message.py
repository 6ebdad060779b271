"""Commit messages rendered from the automation's ``messageTemplate`` with Jinja2.

In: the template text, the automation's namespace/name, ``messageTemplateValues`` and the
``ChangeSet`` of a run. Out: the commit message (str), or a ``MessageTemplateError``.

Syntax is Jinja2 (https://jinja.palletsprojects.com/templates/) in a sandbox, with undefined
names an error, ``trim_blocks`` and ``lstrip_blocks`` on (a line holding only a ``{% %}`` tag
leaves no blank line behind). The data mirrors Flux's, with the same field names:

- ``AutomationObject``: renders as ``namespace/name``; ``.Namespace``, ``.Name``.
- ``Values``: the ``messageTemplateValues`` map (``Values.cluster`` or ``Values["cluster"]``).
- ``Changed.FileChanges``: file path -> object -> list of changes.
- ``Changed.Objects``: object -> list of changes, merged across files.
- ``Changed.Changes``: every distinct change once.
- an object has ``.APIVersion``, ``.Kind``, ``.Namespace``, ``.Name`` and renders as
  ``Kind/namespace/name``; a change has ``.OldValue``, ``.NewValue``, ``.Setter``.

Flux's Go template ``{{ range $file, $objects := .Changed.FileChanges }}`` becomes
``{% for file, objects in Changed.FileChanges.items() %}``. Iteration is deterministic:
files and objects sorted, changes in document order. The removed Flux fields ``.Updated``
and ``.Changed.ImageResult`` are rejected with a pointer to their replacement.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from jinja2 import StrictUndefined, Template, TemplateError, nodes
from jinja2.sandbox import SandboxedEnvironment

from automation.changeset import ChangeSet, ObjectId
from automation.errors import StalledError

DEFAULT_TEMPLATE = """\
Update from image update automation

{% for file, objects in Changed.FileChanges.items() %}
- {{ file }}
{% for object, changes in objects.items() %}
  - {{ object }}
{% for change in changes %}
    - {{ change.OldValue }} -> {{ change.NewValue }} ({{ change.Setter }})
{% endfor %}
{% endfor %}
{% endfor %}
"""
_REMOVED = {
    "Updated": "'.Updated' was removed; use 'Changed.FileChanges', 'Changed.Objects' "
    "or 'Changed.Changes'",
    "ImageResult": "'.Changed.ImageResult' was removed; use 'Changed.Changes' "
    "(each has OldValue, NewValue, Setter)",
}


class MessageTemplateError(StalledError):
    """The commit message template is invalid or fails to render."""


@dataclass(frozen=True)
class NamespacedName:
    Namespace: str
    Name: str

    def __str__(self) -> str:
        return f"{self.Namespace}/{self.Name}"


@dataclass(frozen=True, order=True)
class ObjectView:
    APIVersion: str
    Kind: str
    Namespace: str
    Name: str

    def __str__(self) -> str:
        return f"{self.Kind}/{self.Namespace}/{self.Name}"


@dataclass(frozen=True)
class ChangeView:
    OldValue: str
    NewValue: str
    Setter: str

    def __str__(self) -> str:
        return f"{self.OldValue} -> {self.NewValue}"


@dataclass(frozen=True)
class ChangedView:
    FileChanges: Mapping[str, Mapping[ObjectView, list[ChangeView]]]
    Objects: Mapping[ObjectView, list[ChangeView]]
    Changes: list[ChangeView]


def _object_view(obj: ObjectId) -> ObjectView:
    return ObjectView(obj.api_version, obj.kind, obj.namespace, obj.name)


def changed_view(changes: ChangeSet) -> ChangedView:
    """The ``Changed`` data of a change set, every map in sorted order."""
    files: dict[str, dict[ObjectView, list[ChangeView]]] = {}
    merged: dict[ObjectView, list[ChangeView]] = {}
    flat: dict[ChangeView, None] = {}
    for path, obj, change in changes:
        view = ChangeView(change.old, change.new, change.setter)
        key = _object_view(obj)
        files.setdefault(path, {}).setdefault(key, []).append(view)
        merged.setdefault(key, []).append(view)
        flat.setdefault(view, None)
    sorted_files = {
        path: MappingProxyType(dict(sorted(files[path].items()))) for path in sorted(files)
    }
    return ChangedView(
        FileChanges=MappingProxyType(sorted_files),
        Objects=MappingProxyType(dict(sorted(merged.items()))),
        Changes=list(flat),
    )


_ENV = SandboxedEnvironment(
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)


def _removed_field(tree: nodes.Template) -> str | None:
    for name in tree.find_all(nodes.Name):
        if name.name == "Updated":
            return _REMOVED["Updated"]
    for attr in tree.find_all(nodes.Getattr):
        if attr.attr == "ImageResult":
            return _REMOVED["ImageResult"]
    for item in tree.find_all(nodes.Getitem):
        if isinstance(item.arg, nodes.Const) and item.arg.value == "ImageResult":
            return _REMOVED["ImageResult"]
    return None


@functools.lru_cache(maxsize=64)
def _compiled(source: str) -> Template:
    return _ENV.from_string(source)


def check_template(template: str) -> None:
    """Raise ``MessageTemplateError`` for a syntax error or a removed Flux field."""
    try:
        tree = _ENV.parse(template)
    except TemplateError as err:
        line = getattr(err, "lineno", None)
        where = f"line {line}: " if line else ""
        raise MessageTemplateError(f"{where}{err}") from None
    removed = _removed_field(tree)
    if removed:
        raise MessageTemplateError(removed)


@dataclass(frozen=True)
class MessageTemplate:
    """A checked template plus its fixed data; call it with a ``ChangeSet`` to render.

    Construction parses the template, so a syntax error or a removed field is reported
    before any git work happens.
    """

    template: str
    namespace: str
    name: str
    values: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            check_template(self.source)
        except MessageTemplateError as err:
            raise MessageTemplateError(f"commit message template: {err}") from None

    @property
    def source(self) -> str:
        return self.template or DEFAULT_TEMPLATE

    def __call__(self, changes: ChangeSet) -> str:
        data = {
            "AutomationObject": NamespacedName(self.namespace, self.name),
            "Values": MappingProxyType(dict(sorted(self.values.items()))),
            "Changed": changed_view(changes),
        }
        try:
            text = _compiled(self.source).render(data)
        except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as err:
            raise MessageTemplateError(f"commit message template: {err}") from None
        return text.strip("\n") + "\n" if text.strip() else DEFAULT_SUBJECT + "\n"


DEFAULT_SUBJECT = "Update from image update automation"
