"""Values that cross the forge stage boundary: what a request should be, what the forge has.

In: nothing (values only). Out: ``RequestSpec`` (the request we want), ``OpenRequest`` (one
the forge reports), ``Call`` (one HTTP request to make, built without I/O) and
``ForgeError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from automation.errors import AutomationError

# Every request this project opens carries this marker in its body, so superseded requests
# are found by content rather than by guessing from branch names.
MARKER = "<!-- image-automation: {key} -->"
MAX_TITLE = 255
MAX_BODY = 60_000  # GitHub rejects bodies over 65536 characters


class ForgeError(AutomationError):
    """The forge refused or failed a call; the message names the call and status only."""


@dataclass(frozen=True)
class RequestSpec:
    """The request an automation wants open from ``head`` into ``base``."""

    key: str  # namespace/name of the automation
    head: str
    base: str
    title: str
    body: str
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    draft: bool = False
    auto_merge: bool = False

    @property
    def marker(self) -> str:
        return MARKER.format(key=self.key)

    @property
    def full_body(self) -> str:
        return f"{self.body[:MAX_BODY]}\n\n{self.marker}"

    @property
    def short_title(self) -> str:
        return self.title.splitlines()[0][:MAX_TITLE] if self.title.strip() else self.head


@dataclass(frozen=True)
class OpenRequest:
    number: int
    url: str
    head: str
    base: str
    title: str
    body: str
    node_id: str = ""
    # Opened from a branch of the repository itself, not a fork's branch of the same name:
    # only those are ever edited or closed.
    same_repository: bool = True


@dataclass(frozen=True)
class Call:
    """One HTTP request: ``path`` is relative to the API base; ``ok`` the accepted statuses."""

    method: str
    path: str
    ok: tuple[int, ...]
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None


class Transport(Protocol):
    """What a forge needs from HTTP: one call's JSON, or every page of a list call."""

    def send(self, call: Call) -> Any: ...

    def pages(self, call: Call) -> list[Any]: ...


class Forge(Protocol):
    def stored_title(self, spec: RequestSpec) -> str: ...

    def open_requests(self, base: str) -> list[OpenRequest]: ...

    def create(self, spec: RequestSpec) -> OpenRequest: ...

    def update(self, request: OpenRequest, spec: RequestSpec) -> OpenRequest: ...

    def close(self, request: OpenRequest) -> None: ...

    def enable_auto_merge(self, request: OpenRequest) -> bool: ...


_CONTROL = dict.fromkeys(i for i in range(32) if i not in (9, 10))
_LINE_CONTROL = dict.fromkeys(range(32))


def text(value: Any, limit: int = MAX_BODY) -> str:
    """A string field of a forge response, bounded; anything else becomes ''. Control
    characters go (all of them in one-line fields), so a value cannot forge log lines."""
    if not isinstance(value, str):
        return ""
    table = _CONTROL if limit >= MAX_BODY else _LINE_CONTROL
    return value[:limit].translate(table)


def number(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**53:
        return value
    raise ForgeError(f"the forge answered a request number that is not a number: {value!r:.40}")


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
