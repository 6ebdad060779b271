"""What image repositories a registry's webhook payload names (pure).

In: the receiver type, the event name and the decoded JSON body. Out: canonical repository
names (`index.docker.io/library/alpine`). Tags and digests in a payload are dropped on
purpose: a webhook only says "look again"; what is there is learnt from the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from automation.errors import AutomationError
from automation.reference import parse_reference

GHCR = "ghcr.io"
CONTAINER_PACKAGE_TYPES = ("container", "docker")


class PayloadError(ValueError):
    """The body does not have the shape the sender documents; the message names the field."""


def canonical_name(text: object, field: str) -> str:
    """`host/repo[:tag][@digest]` -> canonical repository name; PayloadError if it is not one."""
    if not isinstance(text, str) or not text:
        raise PayloadError(f"{field} is missing or not a string")
    try:
        return parse_reference(text).name.canonical
    except AutomationError:
        raise PayloadError(f"{field} is not an image name") from None


def _get(data: object, *path: str) -> object:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _dockerhub(payload: dict[str, object], event: str) -> set[str]:
    return {canonical_name(_get(payload, "repository", "repo_name"), "repository.repo_name")}


def _quay(payload: dict[str, object], event: str) -> set[str]:
    return {canonical_name(payload.get("docker_url"), "docker_url")}


def _harbor(payload: dict[str, object], event: str) -> set[str]:
    resources = _get(payload, "event_data", "resources")
    if not isinstance(resources, list) or not resources:
        raise PayloadError("event_data.resources is missing or empty")
    return {
        canonical_name(_get(item, "resource_url"), f"event_data.resources[{i}].resource_url")
        for i, item in enumerate(resources)
    }


def _github(payload: dict[str, object], event: str) -> set[str]:
    """`package` (and the older `registry_package`) events of container packages only."""
    field = "registry_package" if event == "registry_package" else "package"
    package = payload.get(field)
    if not isinstance(package, dict):
        raise PayloadError(f"{field} is missing")
    kind = package.get("package_type") or package.get("ecosystem")
    if not isinstance(kind, str) or kind.lower() not in CONTAINER_PACKAGE_TYPES:
        return set()  # an npm or maven package: nothing to scan
    url = _get(package, "package_version", "package_url")
    if isinstance(url, str) and url:
        return {canonical_name(url, f"{field}.package_version.package_url")}
    owner = package.get("namespace") or _get(package, "owner", "login")
    name = package.get("name")
    if not isinstance(owner, str) or not owner or not isinstance(name, str) or not name:
        raise PayloadError(f"{field}.name or {field}.owner.login is missing")
    registry_url = _get(package, "registry", "url")
    host = urlsplit(registry_url).netloc if isinstance(registry_url, str) else ""
    return {canonical_name(f"{host or GHCR}/{owner.lower()}/{name.lower()}", f"{field}.name")}


def _generic(payload: dict[str, object], event: str) -> set[str]:
    """`{"image": "host/repo"}` or `{"images": ["host/repo", ...]}`; an empty body names none."""
    names: set[str] = set()
    if "image" in payload:
        names.add(canonical_name(payload["image"], "image"))
    images = payload.get("images", [])
    if not isinstance(images, list):
        raise PayloadError("images is not a list")
    names.update(canonical_name(item, f"images[{i}]") for i, item in enumerate(images))
    return names


PARSERS: dict[str, Callable[[dict[str, object], str], set[str]]] = {
    "dockerhub": _dockerhub,
    "quay": _quay,
    "harbor": _harbor,
    "github": _github,
    "generic": _generic,
    "generic-hmac": _generic,
}


def images_in(receiver_type: str, event: str, payload: object) -> frozenset[str]:
    """Canonical repository names a payload names; PayloadError when its shape is wrong."""
    if not isinstance(payload, dict):
        raise PayloadError("the body is not a JSON object")
    return frozenset(PARSERS[receiver_type](payload, event))
