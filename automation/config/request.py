"""requests.image-automation.io/v1alpha1 ChangeRequest: open a pull/merge request per update.

Flux's ImageUpdateAutomation has no field for forge requests, and unknown fields would make
a policy file invalid for a Flux cluster, so the request lives in this project's own kind
and API group and names the automation it belongs to:

    apiVersion: requests.image-automation.io/v1alpha1
    kind: ChangeRequest
    metadata:
      name: fleet
      namespace: apps
      annotations: {config.kubernetes.io/local-config: "true"}  # kustomize leaves it out
    spec:
      automationRef: {name: fleet}       # an ImageUpdateAutomation in this namespace
      provider: github                   # github | gitlab | gitea (Forgejo speaks Gitea's API)
      address: https://api.github.com    # the API base: GitHub Enterprise, self-hosted GitLab...
      repository: org/fleet              # owner/name, or a GitLab project path
      secretRef: {name: forge-token}     # key `token`
      certSecretRef: {name: forge-ca}    # optional; key `ca.crt`, a private CA
      branch: "image-updates/{{ .AutomationObject.Name }}"  # Go template over the change set
      title: "..."                       # template; default: the commit message's first line
      body: "..."                        # template; default: the changes by file, then each
                                         # image's compare (else source) link
      labels: [images], assignees: [alice], reviewers: [bob], draft: false
      autoMerge: false                   # where the forge supports it
      closeSuperseded: true              # close this automation's other open requests

Templates are Go ``text/template`` with Sprig, over the commit message's data
(``.AutomationObject``, ``.Values``, ``.Changed``, and ``.Sources``: the changed images'
source and compare links), rendered by the same engine.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from automation.config.base import LocalRef, Model, Object

ForgeType = Literal["github", "gitlab", "gitea"]
DEFAULT_ADDRESS = {
    "github": "https://api.github.com",
    "gitlab": "https://gitlab.com",
    "gitea": "https://gitea.com",
}
DEFAULT_BRANCH_TEMPLATE = (
    "image-automation/{{ .AutomationObject.Namespace }}/{{ .AutomationObject.Name }}"
)
DEFAULT_BODY_TEMPLATE = """\
Image updates by {{ .AutomationObject.Namespace }}/{{ .AutomationObject.Name }}:
{{ range $file, $objects := .Changed.FileChanges }}
- {{ $file }}
{{- range $object, $changes := $objects }}
  - {{ $object.Kind }}/{{ $object.Namespace }}/{{ $object.Name }}
{{- range $changes }}
    - {{ .OldValue }} -> {{ .NewValue }}
{{- end }}{{ end }}{{ end }}
{{- with .Sources }}

Source changes:
{{- range . }}
- {{ .Image }}: {{ or .OldTag "nothing" }} -> {{ .NewTag }}
{{- with or .CompareURL .Source }} {{ . }}{{ end }}
{{- end }}{{ end }}
"""
_NAME_LIMIT = 100


def _names(values: list[str]) -> list[str]:
    for value in values:
        if not value or len(value) > _NAME_LIMIT or value.startswith("-") or "\n" in value:
            raise ValueError(f"invalid name {value[:_NAME_LIMIT]!r}")
    return values


class ChangeRequestSpec(Model):
    automation_ref: LocalRef
    provider: ForgeType
    address: str = ""
    repository: str = Field(
        min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$"
    )
    secret_ref: LocalRef
    cert_secret_ref: LocalRef | None = None  # key `ca.crt`: a private CA for the forge API
    insecure: bool = False
    branch: str = DEFAULT_BRANCH_TEMPLATE
    title: str = ""
    body: str = DEFAULT_BODY_TEMPLATE
    labels: list[str] = Field(default_factory=list, max_length=50)
    assignees: list[str] = Field(default_factory=list, max_length=20)
    reviewers: list[str] = Field(default_factory=list, max_length=20)
    draft: bool = False
    auto_merge: bool = False
    close_superseded: bool = True
    suspend: bool = False

    @field_validator("labels", "assignees", "reviewers")
    @classmethod
    def _valid_names(cls, values: list[str]) -> list[str]:
        return _names(values)

    @field_validator("address")
    @classmethod
    def _http_address(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError(f"address {value!r} must be an http(s) URL")
        if "@" in value.partition("://")[2].partition("/")[0]:
            raise ValueError("address carries credentials; put the token in secretRef")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _plain_http_is_insecure(self) -> ChangeRequestSpec:
        if self.address.startswith("http://") and not self.insecure:
            raise ValueError(
                "address is plain http: the token would travel unencrypted "
                "(set insecure: true to allow it)"
            )
        return self

    @property
    def api_base(self) -> str:
        return self.address or DEFAULT_ADDRESS[self.provider]


class ChangeRequest(Object):
    api_version: Literal["requests.image-automation.io/v1alpha1"]
    kind: Literal["ChangeRequest"]
    spec: ChangeRequestSpec
