"""The data Flux gives a commit message template, as Go values of Flux's own types.

Flux executes ``messageTemplate`` over ``source.TemplateData`` (image-automation-controller
internal/source/source.go) whose ``Changed`` is an ``update.Result`` (internal/update/
result.go); objects are keyed by ``update.ObjectIdentifier``, which embeds kyaml's
``yaml.ResourceIdentifier``. The same type names, fields, embedding, methods and
``String()`` are modelled here so that ``{{ . }}``, ``printf "%+v"``, ``toJson`` and error
messages ("can't evaluate field X in type update.Change") come out as in Flux.

Beyond Flux: ``.Sources``, a *method* of ``TemplateData`` (so ``{{ . }}``, ``printf "%+v"``
and ``toJson`` of the data print exactly what Flux prints), returning one ``SourceLink`` per
policy whose setter appears among the changes: the image's old and new tag, its source
repository URL, revisions, versions and a compare URL (see automation/sourcelinks.py). A
template that uses it renders here only; Flux itself reports "can't evaluate field Sources".

One difference: Flux builds ``.Changed.Changes`` and ``.Changed.Objects`` by iterating Go
maps, in random order; here files are taken in sorted order and objects in Go's map-key
order (fmtsort), so a message never changes from one run to the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from automation.changeset import ChangeSet
from automation.gotemplate import GoMap, GoSlice, GoStruct
from automation.gotemplate.values import sorted_items
from automation.sourcelinks import SourceChange


@dataclass(frozen=True)
class NamespacedName(GoStruct):
    go_type: ClassVar[str] = "types.NamespacedName"
    go_fields: ClassVar[tuple[str, ...]] = ("Namespace", "Name")
    go_methods: ClassVar[tuple[str, ...]] = ("String",)
    Namespace: str
    Name: str

    def String(self) -> str:
        return f"{self.Namespace}/{self.Name}"

    def go_string(self) -> str | None:
        return self.String()


@dataclass(frozen=True)
class TypeMeta(GoStruct):
    go_type: ClassVar[str] = "yaml.TypeMeta"
    go_fields: ClassVar[tuple[str, ...]] = ("APIVersion", "Kind")
    go_json: ClassVar[dict[str, str]] = {
        "APIVersion": "apiVersion,omitempty",
        "Kind": "kind,omitempty",
    }
    APIVersion: str
    Kind: str


@dataclass(frozen=True)
class NameMeta(GoStruct):
    go_type: ClassVar[str] = "yaml.NameMeta"
    go_fields: ClassVar[tuple[str, ...]] = ("Name", "Namespace")
    go_json: ClassVar[dict[str, str]] = {
        "Name": "name,omitempty",
        "Namespace": "namespace,omitempty",
    }
    Name: str
    Namespace: str


@dataclass(frozen=True)
class ResourceIdentifier(GoStruct):
    go_type: ClassVar[str] = "yaml.ResourceIdentifier"
    go_fields: ClassVar[tuple[str, ...]] = ("TypeMeta", "NameMeta")
    go_embedded: ClassVar[tuple[str, ...]] = ("TypeMeta", "NameMeta")
    go_json: ClassVar[dict[str, str]] = {"TypeMeta": "", "NameMeta": ""}
    TypeMeta: TypeMeta
    NameMeta: NameMeta


@dataclass(frozen=True)
class ObjectIdentifier(GoStruct):
    go_type: ClassVar[str] = "update.ObjectIdentifier"
    go_fields: ClassVar[tuple[str, ...]] = ("ResourceIdentifier",)
    go_embedded: ClassVar[tuple[str, ...]] = ("ResourceIdentifier",)
    go_json: ClassVar[dict[str, str]] = {"ResourceIdentifier": ""}
    ResourceIdentifier: ResourceIdentifier


@dataclass(frozen=True)
class Change(GoStruct):
    go_type: ClassVar[str] = "update.Change"
    go_fields: ClassVar[tuple[str, ...]] = ("OldValue", "NewValue", "Setter")
    OldValue: str
    NewValue: str
    Setter: str


_CHANGES = "[]update.Change"
_OBJECTS = "update.ObjectChanges"
# Zero values, what ``index`` gives for a missing key: a nil slice, a nil map.
_NO_CHANGES = GoSlice([], _CHANGES, is_nil=True)
_NO_OBJECTS = GoMap({}, _OBJECTS, _NO_CHANGES, is_nil=True)


@dataclass(frozen=True)
class Result(GoStruct):
    go_type: ClassVar[str] = "update.Result"
    go_fields: ClassVar[tuple[str, ...]] = ("FileChanges",)
    go_methods: ClassVar[tuple[str, ...]] = ("Changes", "Objects")
    FileChanges: GoMap

    def _walk(self) -> list[tuple[Any, Any]]:
        pairs = []
        for _path, objects in sorted_items(self.FileChanges.items):
            pairs.extend(sorted_items(objects.items))
        return pairs

    def Changes(self) -> GoSlice:
        seen: dict[Change, None] = {}
        for _obj, changes in self._walk():
            for change in changes.items:
                seen.setdefault(change, None)
        # Go's append to a nil slice: no changes is a nil slice (JSON null).
        return GoSlice(list(seen), _CHANGES, is_nil=not seen)

    def Objects(self) -> GoMap:
        merged: dict[ObjectIdentifier, list[Change]] = {}
        for obj, changes in self._walk():
            merged.setdefault(obj, []).extend(changes.items)
        return GoMap({k: GoSlice(v, _CHANGES) for k, v in merged.items()}, _OBJECTS, _NO_CHANGES)


@dataclass(frozen=True)
class SourceLink(GoStruct):
    """One changed image and where it was built from; '' where a label is absent or unsafe."""

    go_type: ClassVar[str] = "source.SourceLink"
    go_fields: ClassVar[tuple[str, ...]] = (
        "Policy",
        "Image",
        "OldTag",
        "NewTag",
        "Source",
        "URL",
        "Revision",
        "OldRevision",
        "Version",
        "OldVersion",
        "CompareURL",
    )
    Policy: str
    Image: str
    OldTag: str
    NewTag: str
    Source: str
    URL: str
    Revision: str
    OldRevision: str
    Version: str
    OldVersion: str
    CompareURL: str

    @classmethod
    def of(cls, change: SourceChange) -> SourceLink:
        return cls(
            change.policy,
            change.image,
            change.old_tag,
            change.new_tag,
            change.source_url,
            change.new.url,
            change.new.revision,
            change.old.revision,
            change.new.version,
            change.old.version,
            change.compare_url,
        )


_SOURCES = "[]source.SourceLink"


@dataclass(frozen=True)
class TemplateData(GoStruct):
    go_type: ClassVar[str] = "source.TemplateData"
    go_fields: ClassVar[tuple[str, ...]] = ("AutomationObject", "Changed", "Values")
    go_methods: ClassVar[tuple[str, ...]] = ("Sources",)
    AutomationObject: NamespacedName
    Changed: Result
    Values: GoMap
    sources: tuple[SourceLink, ...] = ()  # not a Go field: Flux's data shape stays as it is

    def Sources(self) -> GoSlice:
        return GoSlice(list(self.sources), _SOURCES, is_nil=not self.sources)


def object_identifier(api_version: str, kind: str, namespace: str, name: str) -> ObjectIdentifier:
    return ObjectIdentifier(
        ResourceIdentifier(TypeMeta(api_version, kind), NameMeta(name, namespace))
    )


def _setter_policy(setter: str) -> str:
    """``ns:name`` or ``ns:name:tag`` (a marker's setter) -> ``ns/name``."""
    namespace, _, rest = setter.partition(":")
    return f"{namespace}/{rest.partition(':')[0]}"


def changed_sources(
    changes: ChangeSet, sources: Mapping[str, SourceChange]
) -> tuple[SourceChange, ...]:
    """The sources of the policies whose setters appear among ``changes``, by policy key."""
    used = {_setter_policy(change.setter) for _, _, change in changes}
    return tuple(sources[key] for key in sorted(used) if key in sources)


def template_data(
    namespace: str,
    name: str,
    values: Mapping[str, str],
    changes: ChangeSet,
    sources: Mapping[str, SourceChange] | None = None,
) -> TemplateData:
    """Flux's ``TemplateData`` for one automation run (``sources``: by policy key)."""
    files: dict[str, dict[ObjectIdentifier, list[Change]]] = {}
    for path, obj, change in changes:
        key = object_identifier(obj.api_version, obj.kind, obj.namespace, obj.name)
        item = Change(change.old, change.new, change.setter)
        files.setdefault(path, {}).setdefault(key, []).append(item)
    file_changes = GoMap(
        {
            path: GoMap(
                {k: GoSlice(v, _CHANGES) for k, v in objects.items()}, _OBJECTS, _NO_CHANGES
            )
            for path, objects in files.items()
        },
        "map[string]update.ObjectChanges",
        _NO_OBJECTS,
        is_nil=not files,
    )
    return TemplateData(
        AutomationObject=NamespacedName(namespace, name),
        Changed=Result(file_changes),
        # No messageTemplateValues decodes to a nil map in Flux (JSON null in toJson).
        Values=GoMap(dict(values), "map[string]string", "", is_nil=not values),
        sources=tuple(SourceLink.of(s) for s in changed_sources(changes, sources or {})),
    )
