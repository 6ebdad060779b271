"""Find container image references in YAML text, with the exact spans needed to pin them.

In: the text of one YAML file (BOM and CRLF are fine). Out: `ImageSite`s in document order.
Three shapes are recognised (nothing is re-serialised; only spans and values are read):

- `image: repo:tag` anywhere (pod specs, CronJobs, Helm values): the scalar itself.
- Helm split form `image: {registry?, repository, tag?, digest?}`: the reference is
  `registry/repository:tag`; pinning writes the `digest` key when the mapping has one, else
  the tag becomes `tag@sha256:...`.
- kustomize `images:` entries (`name`, `newName?`, `newTag?`, `digest?`) at the root of a
  `kind: Kustomization` document (kustomize's, or Flux's under `spec.images`): pinning writes
  the `digest` key, inserting `digest: ...` as the entry's last key when it is absent.

A site that cannot be pinned carries a `problem` (template syntax, empty value, block scalar,
alias). Documents of Flux's `image.toolkit.fluxcd.io` API are skipped: `ImageRepository`'s
`spec.image` is a repository without tag, which pinning would break.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from automation.manifests.locate import (
    NODE_PROPERTIES,
    SCALAR_STYLES,
    child_node,
    compose_roots,
)
from automation.manifests.setters import Style

SiteKind = Literal["image", "helm", "kustomize"]
_COLON = re.compile(r"[ \t]*:")
_FLUX_IMAGE_API = "image.toolkit.fluxcd.io/"
_NULLS = frozenset({"~", "null", "Null", "NULL"})


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar value's source span. For a null value (`key:`) start == end is the point
    right after the colon, and new text needs a leading space (`null`)."""

    start: int
    end: int
    value: str
    style: Style
    line: int
    tagged: bool = False
    flow: bool = False
    null: bool = False
    block: bool = False


@dataclass(frozen=True, slots=True)
class Insertion:
    """Where a new `key: value` pair goes: `prefix + "digest: " + value + suffix` at `point`."""

    point: int
    prefix: str
    suffix: str
    flow: bool


@dataclass(frozen=True, slots=True)
class ImageSite:
    """One image reference. `reference` is `name[:tag][@digest]` as the file spells it.

    `target` is the scalar a pin rewrites; `digest_only` says it holds just the digest (else
    the target's value gets `@digest` appended). `insertion` is set when a digest key must be
    added instead. `pinned` is the digest already present, to be verified."""

    kind: SiteKind
    line: int
    reference: str
    target: Scalar | None = None
    digest_only: bool = False
    insertion: Insertion | None = None
    pinned: str = ""
    problem: str = ""


def find_images(text: str) -> list[ImageSite]:
    """Every image site of every document. Raises YamlSyntaxError."""
    offset, roots = compose_roots(text)
    sites: list[ImageSite] = []
    for root in roots:
        sites.extend(_Finder(text, offset).document(root))
    return sites


class _Finder:
    def __init__(self, text: str, offset: int) -> None:
        self.text = text
        self.offset = offset
        self.seen: set[int] = set()

    def document(self, root: Node | None) -> Iterator[ImageSite]:
        if isinstance(root, MappingNode) and _value_of(root, "apiVersion").startswith(
            _FLUX_IMAGE_API
        ):
            return  # ImageRepository.spec.image names a repository: a tag would break it
        if isinstance(root, MappingNode) and _value_of(root, "kind") == "Kustomization":
            images = child_node(root, "images")
            spec = child_node(root, "spec")
            if images is None and isinstance(spec, MappingNode):
                images = child_node(spec, "images")
            if isinstance(images, SequenceNode):
                for entry in images.value:
                    if isinstance(entry, MappingNode):
                        yield self._kustomize(entry)
        yield from self._walk(root, False)

    def _walk(self, node: Node | None, flow: bool) -> Iterator[ImageSite]:
        if node is None or id(node) in self.seen:
            return
        self.seen.add(id(node))
        if isinstance(node, SequenceNode):
            for item in node.value:
                yield from self._walk(item, flow or bool(node.flow_style))
        if not isinstance(node, MappingNode):
            return
        inner = flow or bool(node.flow_style)
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == "image":
                site = self._image(key, value, inner)
                if site is not None:
                    yield site
                    continue
            yield from self._walk(value, inner)

    def _image(self, key: ScalarNode, value: Node, flow: bool) -> ImageSite | None:
        if value.start_mark.index < key.start_mark.index:  # an alias: its anchor is earlier
            line = key.start_mark.line + 1
            return ImageSite("image", line, "", problem="alias, pin the anchored value instead")
        if isinstance(value, ScalarNode):
            scalar = self._scalar(key, value, flow)
            return _reference_site("image", scalar, scalar.value)
        if isinstance(value, MappingNode) and child_node(value, "repository") is not None:
            return self._helm(value, flow or bool(value.flow_style))
        return None

    def _helm(self, node: MappingNode, flow: bool) -> ImageSite:
        fields = self._fields(node, flow)
        line = node.start_mark.line + 1
        repository = fields["repository"]
        parts = [fields["registry"].value] if "registry" in fields else []
        name = "/".join([*[p for p in parts if p], repository.value])
        tag = fields.get("tag")
        digest = fields.get("digest")
        if digest is not None and digest.value:
            reference = f"{name}:{tag.value}" if tag is not None and tag.value else name
            site = ImageSite("helm", digest.line, f"{reference}@{digest.value}", digest, True)
            return _checked(site, digest.value)
        if tag is None or not tag.value:
            return ImageSite("helm", line, name, problem="no tag to resolve")
        if digest is not None:
            return _checked(ImageSite("helm", digest.line, f"{name}:{tag.value}", digest, True))
        return _reference_site("helm", tag, f"{name}:{tag.value}")

    def _kustomize(self, node: MappingNode) -> ImageSite:
        flow = bool(node.flow_style)
        self.seen.add(id(node))
        fields = self._fields(node, flow)
        line = node.start_mark.line + 1
        named = fields.get("newName") or fields.get("name")
        if named is None or not named.value:
            return ImageSite("kustomize", line, "", problem="images entry has no name")
        tag = fields.get("newTag")
        digest = fields.get("digest")
        if digest is not None and digest.value:
            site = ImageSite("kustomize", line, f"{named.value}@{digest.value}", digest, True)
            return _checked(site, digest.value)
        if tag is None or not tag.value:
            return ImageSite("kustomize", line, named.value, problem="no newTag to resolve")
        reference = f"{named.value}:{tag.value}"
        if "@" in tag.value:
            return _reference_site("kustomize", tag, reference)
        if digest is not None:
            return _checked(ImageSite("kustomize", line, reference, digest, True))
        insertion = self._insertion(node, flow)
        return _checked(ImageSite("kustomize", line, reference, insertion=insertion))

    def _fields(self, node: MappingNode, flow: bool) -> dict[str, Scalar]:
        out: dict[str, Scalar] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode) and isinstance(value, ScalarNode):
                out.setdefault(str(key.value), self._scalar(key, value, flow))
        return out

    def _scalar(self, key: ScalarNode, node: ScalarNode, flow: bool) -> Scalar:
        start = node.start_mark.index + self.offset
        end = node.end_mark.index + self.offset
        line = node.start_mark.line + 1
        style = SCALAR_STYLES.get(node.style)
        if style is None:  # block scalar: reported, never rewritten
            return Scalar(start, end, str(node.value), "plain", line, flow=flow, block=True)
        if start == end:
            colon = _COLON.match(self.text, key.end_mark.index + self.offset)
            point = colon.end() if colon else start
            return Scalar(point, point, "", "plain", key.start_mark.line + 1, flow=flow, null=True)
        props = NODE_PROPERTIES.match(self.text, start)
        body = props.end() if props else start
        tagged = "!" in self.text[start:body]
        value = str(node.value)
        if style == "plain" and value in _NULLS:
            value = ""
        return Scalar(body, end, value, style, line, tagged, flow)

    def _insertion(self, node: MappingNode, flow: bool) -> Insertion:
        """After the entry's last value: `, digest: X` in flow style, else a new line with
        the indentation of the entry's keys and the line ending of the line it follows."""
        last_value = node.value[-1][1]
        end = last_value.end_mark.index + self.offset
        if flow:
            return Insertion(end, ", ", "", True)
        indent = " " * node.value[0][0].start_mark.column
        # A block value ends at the start of the next line; a flow or quoted one on its own.
        newline = end - 1 if self.text[end - 1 : end] == "\n" else self.text.find("\n", end)
        if newline == -1:
            eol = "\r\n" if "\r\n" in self.text else "\n"
            return Insertion(len(self.text), eol + indent, "", False)
        eol = "\r\n" if self.text[newline - 1 : newline] == "\r" else "\n"
        return Insertion(newline + 1, indent, eol, False)


def _reference_site(kind: SiteKind, scalar: Scalar, reference: str) -> ImageSite:
    site = ImageSite(kind, scalar.line, reference, scalar)
    return _checked(site, reference.partition("@")[2])


def _checked(site: ImageSite, pinned: str = "") -> ImageSite:
    problem = ""
    target = site.target
    if target is not None and target.block:
        problem = "block scalar, not rewritten"
    elif "{{" in site.reference or "${" in site.reference:
        problem = "templated value, not resolved"
    elif _is_empty(site):
        problem = "empty value"
    if problem:
        return ImageSite(site.kind, site.line, site.reference, problem=problem)
    return ImageSite(
        site.kind, site.line, site.reference, target, site.digest_only, site.insertion, pinned
    )


def _is_empty(site: ImageSite) -> bool:
    target = site.target
    if target is not None and target.null and not site.digest_only:
        return True
    return not site.reference.strip() or site.reference.endswith(":")


def _value_of(node: MappingNode, name: str) -> str:
    value = child_node(node, name)
    return str(value.value) if isinstance(value, ScalarNode) else ""
