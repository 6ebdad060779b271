"""An event about one object, in the shape of Flux's ``eventv1.Event``.

In: what happened (object, severity, reason, message, metadata, time). Out: ``Event`` and
``Event.to_flux()``, the JSON body the ``generic`` provider posts (fluxcd/pkg
apis/event/v1beta1 ``Event``: ``involvedObject``, ``severity``, ``timestamp``, ``message``,
``reason``, ``metadata``, ``reportingController``, ``reportingInstance``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

CONTROLLER = "image-automation"
API_VERSIONS = {
    "ImagePolicy": "image.toolkit.fluxcd.io/v1",
    "ImageRepository": "image.toolkit.fluxcd.io/v1",
    "ImageUpdateAutomation": "image.toolkit.fluxcd.io/v1",
}
MAX_MESSAGE = 4096

# Reasons, as Flux's controllers spell them where they have one.
LATEST_CHANGED = "Succeeded"
PUSHED = "Succeeded"
REQUEST = "RequestUpdated"
FAILING = "ReconciliationFailed"
STALLED = "Stalled"
RECOVERED = "Succeeded"


@dataclass(frozen=True)
class Event:
    kind: str
    namespace: str
    name: str
    severity: str  # "info" | "error"
    reason: str
    message: str
    timestamp: datetime
    metadata: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)  # the object's, for matchLabels

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", self.message[:MAX_MESSAGE])
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def with_metadata(self, extra: Mapping[str, str]) -> Event:
        """Add keys the event does not have already (the event's own keys win)."""
        return replace(self, metadata={**extra, **self.metadata})

    @property
    def object_path(self) -> str:
        """Flux's ``kind/name.namespace`` spelling in chat messages."""
        return f"{self.kind.lower()}/{self.name}.{self.namespace}"

    def to_flux(self) -> dict[str, Any]:
        stamp = self.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body: dict[str, Any] = {
            "involvedObject": {
                "kind": self.kind,
                "namespace": self.namespace,
                "name": self.name,
                "apiVersion": API_VERSIONS.get(self.kind, ""),
            },
            "severity": self.severity,
            "timestamp": stamp,
            "message": self.message,
            "reason": self.reason,
            "reportingController": CONTROLLER,
        }
        if self.metadata:
            body["metadata"] = dict(sorted(self.metadata.items()))
        return body
