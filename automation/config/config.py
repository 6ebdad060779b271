"""The loaded configuration: every object by kind and namespace/name, with reference lookups."""

from __future__ import annotations

from dataclasses import dataclass, field

from automation.config.base import Object, ObjectKey
from automation.config.image import ImagePolicy, ImageRepository
from automation.config.notification import Alert, Provider
from automation.config.receiver import Receiver
from automation.config.request import ChangeRequest
from automation.config.secret import Secret
from automation.config.source import GitRepository
from automation.config.update import ImageUpdateAutomation
from automation.errors import ConfigError


@dataclass
class Config:
    git_repositories: dict[ObjectKey, GitRepository] = field(default_factory=dict)
    image_repositories: dict[ObjectKey, ImageRepository] = field(default_factory=dict)
    image_policies: dict[ObjectKey, ImagePolicy] = field(default_factory=dict)
    automations: dict[ObjectKey, ImageUpdateAutomation] = field(default_factory=dict)
    secrets: dict[ObjectKey, Secret] = field(default_factory=dict)
    receivers: dict[ObjectKey, Receiver] = field(default_factory=dict)
    providers: dict[ObjectKey, Provider] = field(default_factory=dict)
    alerts: dict[ObjectKey, Alert] = field(default_factory=dict)
    change_requests: dict[ObjectKey, ChangeRequest] = field(default_factory=dict)
    # (kind, key) of objects that were found but did not validate (reported on their own).
    invalid: set[tuple[str, ObjectKey]] = field(default_factory=set)
    # Warnings from loading (old API versions, fields accepted but not acted on, ignored
    # Secrets), in the order they were logged.
    notices: list[str] = field(default_factory=list)

    def _missing(self, kind: str, key: ObjectKey) -> str:
        if (kind, key) in self.invalid:
            return f"{kind} {key} is invalid (see its own errors)"
        return f"{kind} {key} not found"

    def _table(self, obj: Object) -> dict[ObjectKey, object]:
        tables: dict[type, dict[ObjectKey, object]] = {
            GitRepository: self.git_repositories,  # type: ignore[dict-item]
            ImageRepository: self.image_repositories,  # type: ignore[dict-item]
            ImagePolicy: self.image_policies,  # type: ignore[dict-item]
            ImageUpdateAutomation: self.automations,  # type: ignore[dict-item]
            Secret: self.secrets,  # type: ignore[dict-item]
            Receiver: self.receivers,  # type: ignore[dict-item]
            Provider: self.providers,  # type: ignore[dict-item]
            Alert: self.alerts,  # type: ignore[dict-item]
            ChangeRequest: self.change_requests,  # type: ignore[dict-item]
        }
        return tables[type(obj)]

    def add(self, obj: Object) -> list[ConfigError]:
        """Add an object; a second object of the same kind and namespace/name is an error."""
        table = self._table(obj)
        previous = table.get(obj.key)
        if isinstance(previous, Object):
            return [
                ConfigError(
                    obj.source.file,
                    obj.source.line,
                    "metadata.name",
                    f"duplicate {obj.kind} {obj.key} (first defined at {previous.source})",
                )
            ]
        table[obj.key] = obj
        return []

    def secret(self, namespace: str, name: str, *, needed_by: Object) -> Secret:
        found = self.secrets.get(ObjectKey(namespace, name))
        if found is None:
            raise ConfigError(
                needed_by.source.file,
                needed_by.source.line,
                "secretRef",
                f"Secret {namespace}/{name} not found (give the secrets path with --secrets "
                "or IMAGE_AUTOMATION_SECRETS)",
            )
        return found

    def repository_for(self, policy: ImagePolicy) -> ImageRepository:
        key = ObjectKey(policy.repository_namespace, policy.spec.image_repository_ref.name)
        repo = self.image_repositories.get(key)
        if repo is None:
            raise ConfigError(
                policy.source.file,
                policy.source.line,
                "spec.imageRepositoryRef",
                self._missing("ImageRepository", key),
            )
        return repo

    def source_for(self, automation: ImageUpdateAutomation) -> GitRepository:
        key = ObjectKey(automation.source_namespace, automation.spec.source_ref.name)
        repo = self.git_repositories.get(key)
        if repo is None:
            raise ConfigError(
                automation.source.file,
                automation.source.line,
                "spec.sourceRef",
                self._missing("GitRepository", key),
            )
        return repo

    def policies_for(self, automation: ImageUpdateAutomation) -> dict[ObjectKey, ImagePolicy]:
        """Policies in the automation's namespace selected by its policySelector (Flux rule)."""
        ns = automation.metadata.namespace
        return {
            key: policy
            for key, policy in sorted(self.image_policies.items())
            if key.namespace == ns and automation.selects(policy.metadata.labels)
        }

    @property
    def object_count(self) -> int:
        return sum(
            len(t)
            for t in (
                self.git_repositories,
                self.image_repositories,
                self.image_policies,
                self.automations,
            )
        )
