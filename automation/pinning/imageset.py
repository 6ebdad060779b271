"""Release image sets: `IMAGE:TAG` lines in, an ImageSet or a lock document out.

`imageset_document` gives an `operator.tigera.io/v1` `ImageSet`: `spec.images[]` holds
`{image, digest}` with `image` the name without registry, tag or digest (the operator's
convention: `docker.io/calico/node:v3.27.0` -> `calico/node`), sorted by image.
`lock_document` gives the lock format: a JSON object `{"IMAGE:TAG": "sha256:..."}` with the
references as given, sorted. Both are plain data for a real emitter (`automation.output`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from automation.errors import AutomationError, RegistryError, UsageError
from automation.pinning.access import RegistryAccess
from automation.pinning.lookups import Lookup, lookup_for, resolve_lookups
from automation.reference import DOCKER_HUB, ImageReference, parse_reference

IMAGESET_API_VERSION = "operator.tigera.io/v1"


@dataclass(frozen=True, slots=True)
class ImageEntry:
    """One resolved image: the text given, the parsed reference, the registry's digest."""

    text: str
    reference: ImageReference
    digest: str

    @property
    def image(self) -> str:
        return imageset_name(self.text, self.reference)


def imageset_name(text: str, reference: ImageReference) -> str:
    """The name without registry, tag or digest (`library/` only when it was written)."""
    name = reference.name
    path = name.repository
    if name.registry == DOCKER_HUB and path.startswith("library/"):
        written = text.partition("@")[0].rsplit(":", 1)[0]
        if not written.endswith(path):
            path = path.removeprefix("library/")
    return path


class UnresolvedImagesError(RegistryError):
    """One or more images of the set could not be resolved; all failures are listed."""


def parse_image_list(lines: Iterable[str], source: str) -> list[str]:
    """`IMAGE:TAG` per line; blank lines and `#` comments (whole-line or trailing) ignored."""
    images: list[str] = []
    for number, raw in enumerate(lines, 1):
        text = raw.partition("#")[0].strip() if not raw.lstrip().startswith("#") else ""
        if text and " " in text:
            raise UsageError(f"{source}:{number}: expected one IMAGE:TAG per line, got {text!r}")
        if text:
            images.append(text)
    return images


def _parse(texts: Sequence[str], unique_images: bool) -> list[tuple[str, ImageReference]]:
    parsed: list[tuple[str, ImageReference]] = []
    for text in texts:
        try:
            reference = parse_reference(text)
        except AutomationError as err:
            raise UsageError(str(err)) from err
        if not reference.tag:
            raise UsageError(f"{text!r}: give a tag (IMAGE:TAG), the set pins a release's tags")
        parsed.append((text, reference))
    if unique_images:
        _check_unique(parsed)
    return parsed


def _check_unique(parsed: Sequence[tuple[str, ImageReference]]) -> None:
    """The operator keys digests by image, so a set cannot hold two tags of one image."""
    seen: dict[str, str] = {}
    for text, reference in parsed:
        image = imageset_name(text, reference)
        if seen.setdefault(image, text) != text:
            message = f"{seen[image]} and {text} are the same image {image!r}"
            raise UsageError(f"{message}; an ImageSet holds one digest per image")


async def resolve_images(
    texts: Sequence[str], access: RegistryAccess, *, unique_images: bool = False
) -> list[ImageEntry]:
    """Resolve every `IMAGE:TAG` concurrently (a given digest is verified instead).

    Raises UsageError for a bad reference (or, with `unique_images`, two tags of one image)
    before any request, and UnresolvedImagesError naming every image that failed."""
    if not texts:
        raise UsageError("give at least one IMAGE:TAG (or --from-file)")
    parsed = _parse(list(dict.fromkeys(texts)), unique_images)
    lookups: dict[str, Lookup] = {text: lookup_for(text) for text, _ in parsed}
    answers = await resolve_lookups(lookups.values(), access)
    failures = [
        f"{text}: {answers[lookups[text]].error}"
        for text, _ in parsed
        if answers[lookups[text]].error
    ]
    if failures:
        raise UnresolvedImagesError("cannot resolve:\n  " + "\n  ".join(failures))
    entries = [ImageEntry(text, ref, answers[lookups[text]].digest) for text, ref in parsed]
    return sorted(entries, key=lambda e: (e.image, e.text))


def imageset_document(name: str, entries: Sequence[ImageEntry]) -> dict[str, Any]:
    """The ImageSet. Raises UsageError when two entries share an image name."""
    _check_unique([(e.text, e.reference) for e in entries])
    unique = list({e.image: {"image": e.image, "digest": e.digest} for e in entries}.values())
    return {
        "apiVersion": IMAGESET_API_VERSION,
        "kind": "ImageSet",
        "metadata": {"name": name},
        "spec": {"images": sorted(unique, key=lambda item: item["image"])},
    }


def lock_document(entries: Sequence[ImageEntry]) -> dict[str, str]:
    """`{"IMAGE:TAG": "sha256:..."}` sorted by the reference text."""
    return {e.text: e.digest for e in sorted(entries, key=lambda e: e.text)}
