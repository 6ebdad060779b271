"""What a registry may tell us about tags, checked before anything else sees it.

In: raw strings from a `tags/list` body or a `Docker-Content-Digest` header.
Out: only values matching the OCI grammar (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}` for tags,
`<algorithm>:<hex>` of the right length for digests); everything else is dropped and
reported, so a hostile registry can never smuggle text into a manifest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

TAG_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
# Registered OCI digest algorithms and the length of their lower-case hex encoding.
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha512": 128}
_HEX = re.compile(r"[a-f0-9]+")


def is_valid_tag(tag: object) -> bool:
    return isinstance(tag, str) and TAG_PATTERN.fullmatch(tag) is not None


def is_valid_digest(digest: object) -> bool:
    if not isinstance(digest, str):
        return False
    algorithm, sep, hex_part = digest.partition(":")
    length = DIGEST_HEX_LENGTHS.get(algorithm)
    return bool(sep) and length == len(hex_part) and _HEX.fullmatch(hex_part) is not None


@dataclass(frozen=True, slots=True)
class CheckedTags:
    """Tags that passed the grammar, and a few samples of those that did not."""

    valid: list[str]
    dropped: int
    dropped_samples: tuple[str, ...]


def check_tags(raw: Iterable[object], sample_limit: int = 5) -> CheckedTags:
    """Split raw list entries into grammatical tags and rejects (with printable samples)."""
    valid: list[str] = []
    dropped = 0
    samples: list[str] = []
    for item in raw:
        if is_valid_tag(item):
            valid.append(item)  # type: ignore[arg-type]  # narrowed by is_valid_tag
            continue
        dropped += 1
        if len(samples) < sample_limit:
            samples.append(_sample(item))
    return CheckedTags(valid=valid, dropped=dropped, dropped_samples=tuple(samples))


def _sample(item: object) -> str:
    """A short printable form; never the repr of a container (it may nest a thousand deep)."""
    if isinstance(item, str):
        return repr(item[:80])[:80]
    if item is None or isinstance(item, bool | int | float):
        return repr(item)[:80]
    return f"<{type(item).__name__}>"
