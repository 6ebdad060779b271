"""What a registry may tell us about tags, checked before anything else sees it.

In: raw strings from a `tags/list` body or a `Docker-Content-Digest` header.
Out: only values matching the OCI grammar (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}` for tags,
`<algorithm>:<hex>` of the right length for digests); everything else is dropped and
reported, so a hostile registry can never smuggle text into a manifest.
Also the `exclusionList` filter (RE2 semantics, unanchored search, like Flux).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import re2

from automation.errors import StalledError

TAG_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
# Registered OCI digest algorithms and the length of their lower-case hex encoding.
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha512": 128}
_HEX = re.compile(r"[a-f0-9]+")
DEFAULT_EXCLUSION_LIST = ("^.*\\.sig$",)


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


class InvalidExclusionError(StalledError):
    """An `exclusionList` entry is not a valid RE2 expression."""


class ExclusionList:
    """Tags matching any pattern (unanchored search) are dropped; empty means the default."""

    def __init__(self, patterns: Sequence[str] = ()) -> None:
        self.patterns = tuple(patterns) or DEFAULT_EXCLUSION_LIST
        self._compiled = [self._compile(p) for p in self.patterns]

    @staticmethod
    def _compile(pattern: str) -> Any:
        try:
            return re2.compile(pattern)
        except re2.error as err:
            reason = err.args[0] if err.args else err
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise InvalidExclusionError(
                f"exclusionList: invalid regular expression {pattern!r}: {reason}"
            ) from err

    def excludes(self, tag: str) -> bool:
        return any(regex.search(tag) for regex in self._compiled)

    def apply(self, tags: Iterable[str]) -> list[str]:
        return [tag for tag in tags if not self.excludes(tag)]
