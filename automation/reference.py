"""Image references: the value `latestRef {name, tag, digest}` that crosses stages.

Also docker-style name parsing: `parse_repository("alpine")` gives the canonical
`index.docker.io/library/alpine`; `parse_reference` reads `name[:tag][@digest]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from automation.errors import RegistryPermanentError


@dataclass(frozen=True, slots=True)
class LatestRef:
    """What a policy selected. `name` is ImageRepository.spec.image exactly as written."""

    name: str
    tag: str
    digest: str = ""

    def __str__(self) -> str:
        """`name:tag`, plus `@digest` when one is set (Flux's string form)."""
        text = f"{self.name}:{self.tag}"
        return f"{text}@{self.digest}" if self.digest else text

    def to_dict(self) -> dict[str, str]:
        out = {"name": self.name, "tag": self.tag}
        if self.digest:
            out["digest"] = self.digest
        return out


# --- Docker-style image names ------------------------------------------------------------
#
# Grammar from distribution/reference (the one `docker pull` uses):
#   reference := name [ ":" tag ] [ "@" digest ]
#   name      := [ domain "/" ] path-component ( "/" path-component )*
# A first component is a registry domain only if it contains "." or ":", is "localhost",
# or has upper-case letters; otherwise the image lives on Docker Hub.

DOCKER_HUB = "index.docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DEFAULT_TAG = "latest"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_MAX_NAME_LENGTH = 255

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
)
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_HEX64 = re.compile(r"[a-f0-9]{64}")


class InvalidImageNameError(RegistryPermanentError):
    """`spec.image` (or a reference) does not parse. Stalled until the user fixes it."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"invalid image name {text!r}: {reason}")


@dataclass(frozen=True, slots=True)
class ImageName:
    """A repository without tag or digest: `registry` is the canonical host (`index.docker.io`
    for Docker Hub), `repository` the path (`library/alpine`), `original` what the user wrote."""

    registry: str
    repository: str
    original: str

    @property
    def canonical(self) -> str:
        """`index.docker.io/library/alpine`: the key scans are stored under (Flux's form)."""
        return f"{self.registry}/{self.repository}"

    @property
    def registry_host(self) -> str:
        """The host[:port] the Registry API is served from (Docker Hub's differs)."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    def __str__(self) -> str:
        return self.canonical


@dataclass(frozen=True, slots=True)
class ImageReference:
    """`name[:tag][@digest]`, fully parsed. `tag` and `digest` are "" when absent."""

    name: ImageName
    tag: str = ""
    digest: str = ""

    @property
    def tag_or_default(self) -> str:
        """The tag docker would pull: the given one, or `latest` unless pinned by digest."""
        return self.tag or ("" if self.digest else DEFAULT_TAG)

    def __str__(self) -> str:
        text = self.name.canonical + (f":{self.tag}" if self.tag else "")
        return f"{text}@{self.digest}" if self.digest else text


def parse_reference(text: str) -> ImageReference:
    """Parse `name[:tag][@digest]` the way `docker pull` does, canonicalising the name."""
    _reject_scheme(text)
    rest, digest = _split_digest(text)
    rest, tag = _split_tag(text, rest)
    return ImageReference(name=_parse_name(text, rest), tag=tag, digest=digest)


def parse_repository(spec_image: str) -> ImageName:
    """Parse `ImageRepository.spec.image`: a repository only, so a tag or digest is an error."""
    ref = parse_reference(spec_image)
    if ref.digest:
        raise InvalidImageNameError(spec_image, "must not contain a digest (@sha256:...)")
    if ref.tag:
        raise InvalidImageNameError(spec_image, f"must not contain a tag (':{ref.tag}')")
    return ref.name


def _reject_scheme(text: str) -> None:
    if not text:
        raise InvalidImageNameError(text, "empty")
    if "://" in text:
        raise InvalidImageNameError(text, "must not start with a URL scheme (drop 'https://')")
    if text != text.strip():
        raise InvalidImageNameError(text, "contains leading or trailing whitespace")


def _split_digest(text: str) -> tuple[str, str]:
    rest, sep, digest = text.partition("@")
    if not sep:
        return text, ""
    if not _DIGEST.fullmatch(digest):
        raise InvalidImageNameError(text, f"invalid digest {digest!r}")
    return rest, digest


def _split_tag(text: str, rest: str) -> tuple[str, str]:
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon <= slash:  # a colon before the last slash is a port
        return rest, ""
    tag = rest[colon + 1 :]
    if not _TAG.fullmatch(tag):
        raise InvalidImageNameError(text, f"invalid tag {tag!r}")
    return rest[:colon], tag


def _parse_name(text: str, name: str) -> ImageName:
    if len(name) > _MAX_NAME_LENGTH:
        raise InvalidImageNameError(text, f"longer than {_MAX_NAME_LENGTH} characters")
    if _HEX64.fullmatch(name):
        raise InvalidImageNameError(text, "a 64-character hex string is an ID, not a name")
    first, sep, remainder = name.partition("/")
    if sep and _is_domain(first):
        if not _DOMAIN.fullmatch(first):
            raise InvalidImageNameError(text, f"invalid registry host {first!r}")
        registry, path = first, remainder
    else:
        registry, path = DOCKER_HUB, name
    if registry.lower() in _HUB_ALIASES:
        registry = DOCKER_HUB
        path = path if "/" in path else f"library/{path}"
    if path.lower() != path:
        raise InvalidImageNameError(text, "repository path must be lower-case")
    for component in path.split("/"):
        if not _PATH_COMPONENT.fullmatch(component):
            raise InvalidImageNameError(text, f"invalid path component {component!r}")
    return ImageName(registry=registry, repository=path, original=text)


def _is_domain(first: str) -> bool:
    return "." in first or ":" in first or first == "localhost" or first.lower() != first
