"""notification.toolkit.fluxcd.io Receiver: an authenticated webhook that triggers image scans.

The shape is Flux's (v1, v1beta2 accepted), restricted to what a registry webhook can mean
here: `spec.type` names the sender, `spec.secretRef` the Secret whose `token` key is the
shared secret, `spec.resources` optionally the ImageRepositories it may trigger. Without
resources, a receiver triggers every ImageRepository (any namespace) whose image the payload
names; with resources, only those, and only the ones the payload names when it names any.

    apiVersion: notification.toolkit.fluxcd.io/v1
    kind: Receiver
    metadata: {name: ghcr, namespace: apps}
    spec:
      type: github            # dockerhub | quay | harbor | github | generic | generic-hmac
      secretRef: {name: webhook-token}   # key `token`; also the HMAC key / Harbor auth header
      resources:              # optional
        - {kind: ImageRepository, name: app}

The sender calls POST /hook/<hex sha256 of token + name + namespace> (Flux's webhook path).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from automation.config.base import Duration, LocalRef, Model, Namespace, Object

_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
ReceiverType = Literal["dockerhub", "quay", "harbor", "github", "generic", "generic-hmac"]
TOKEN_KEY = "token"
# The events each sender names, and those that trigger a scan when `spec.events` is empty.
EVENT_TYPES = {
    "github": ("package", "registry_package"),
    "harbor": ("PUSH_ARTIFACT", "DELETE_ARTIFACT"),
}


class ReceiverResource(Model):
    """An ImageRepository the receiver may trigger; `name: "*"` means all in the namespace."""

    api_version: Literal["image.toolkit.fluxcd.io/v1", "image.toolkit.fluxcd.io/v1beta2"] | None = (
        None
    )
    kind: Literal["ImageRepository"]
    name: str
    namespace: Namespace | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value != "*" and not _NAME.fullmatch(value):
            raise ValueError(
                f"invalid name {value!r}: an ImageRepository name (lowercase letters, digits, "
                "'-' and '.') or '*' for all in the namespace"
            )
        return value


class ReceiverSpec(Model):
    type: ReceiverType
    secret_ref: LocalRef
    # Event types that trigger a scan: GitHub's X-GitHub-Event or Harbor's `type`.
    events: list[str] = Field(default_factory=list)
    resources: list[ReceiverResource] = Field(default_factory=list)
    # Accepted for Flux compatibility; a webhook here acts at once, so it has no meaning.
    interval: Duration | None = None
    suspend: bool = False

    @model_validator(mode="after")
    def _events_apply(self) -> ReceiverSpec:
        if self.events and self.type not in EVENT_TYPES:
            raise ValueError(
                f"spec.events filters github and harbor events only; remove it for {self.type}"
            )
        return self

    @property
    def effective_events(self) -> tuple[str, ...]:
        """The events that trigger a scan: the given ones, else the sender's image events."""
        return tuple(self.events) or EVENT_TYPES.get(self.type, ())


class Receiver(Object):
    api_version: Literal[
        "notification.toolkit.fluxcd.io/v1",
        "notification.toolkit.fluxcd.io/v1beta2",
        "notification.toolkit.fluxcd.io/v1beta1",
    ]
    kind: Literal["Receiver"]
    spec: ReceiverSpec

    def resource_namespace(self, resource: ReceiverResource) -> str:
        return resource.namespace or self.metadata.namespace
