"""image.toolkit.fluxcd.io ImageUpdateAutomation: where and how to write selected refs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, field_validator

from automation.config.base import Duration, LocalRef, Model, Name, Namespace, Object
from automation.config.source import GitRef


class SourceRef(Model):
    api_version: str | None = None
    kind: Literal["GitRepository"] = "GitRepository"
    name: Name
    namespace: Namespace | None = None


class Checkout(Model):
    ref: GitRef


class Author(Model):
    name: str = ""
    email: str = Field(min_length=1)


class SigningKey(Model):
    secret_ref: LocalRef
    type: Literal["gpg", "ssh"] = "gpg"


class CommitSpec(Model):
    author: Author
    signing_key: SigningKey | None = None
    message_template: str = ""
    message_template_values: dict[str, str] = Field(default_factory=dict)


class PushSpec(Model):
    branch: str | None = None
    refspec: str | None = None
    options: dict[str, str] = Field(default_factory=dict)


class GitSpec(Model):
    checkout: Checkout | None = None
    commit: CommitSpec
    push: PushSpec | None = None


class LabelSelectorRequirement(Model):
    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: list[str] = Field(default_factory=list)

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        present = self.key in labels and labels[self.key] in self.values
        return present if self.operator == "In" else not present


class LabelSelector(Model):
    match_labels: dict[str, str] = Field(default_factory=dict)
    match_expressions: list[LabelSelectorRequirement] = Field(default_factory=list)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Kubernetes semantics: every matchLabels pair and every expression must hold."""
        if any(labels.get(k) != v for k, v in self.match_labels.items()):
            return False
        return all(expr.matches(labels) for expr in self.match_expressions)


class UpdateSpec(Model):
    strategy: Literal["Setters"] = "Setters"
    path: str = "."

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        if value.startswith("/"):
            raise ValueError(f"{value!r} must be relative to the repository root")
        return value


class ImageUpdateAutomationSpec(Model):
    source_ref: SourceRef
    git: GitSpec
    interval: Duration
    policy_selector: LabelSelector | None = None
    update: UpdateSpec = Field(default_factory=UpdateSpec)
    suspend: bool = False


class ImageUpdateAutomation(Object):
    api_version: Literal[
        "image.toolkit.fluxcd.io/v1",
        "image.toolkit.fluxcd.io/v1beta2",
        "image.toolkit.fluxcd.io/v1beta1",
    ]
    kind: Literal["ImageUpdateAutomation"]
    spec: ImageUpdateAutomationSpec

    @property
    def source_namespace(self) -> str:
        return self.spec.source_ref.namespace or self.metadata.namespace

    def selects(self, labels: Mapping[str, str]) -> bool:
        selector = self.spec.policy_selector
        return selector is None or selector.matches(labels)
