"""notification.toolkit.fluxcd.io/v1beta3 Provider and Alert: where events go, and which.

The shape is Flux's (api/v1beta3/provider_types.go and alert_types.go in
fluxcd/notification-controller), restricted to the provider types this project delivers:

    apiVersion: notification.toolkit.fluxcd.io/v1beta3
    kind: Provider
    metadata: {name: slack, namespace: apps}
    spec:
      type: slack   # msteams | discord | googlechat | generic | generic-hmac | alertmanager
                    # | github | gitlab | gitea (commit status; address: the repository URL)
      channel: general       # slack only
      secretRef: {name: slack-url}   # key `address` (the webhook URL is a secret), `token`,
                                     # `username`/`password` (alertmanager), `headers` (generic)
    ---
    apiVersion: notification.toolkit.fluxcd.io/v1beta3
    kind: Alert
    metadata: {name: images, namespace: apps}
    spec:
      providerRef: {name: slack}
      eventSeverity: info    # info: every event; error: errors only
      eventSources: [{kind: ImagePolicy, name: "*"}, {kind: ImageUpdateAutomation, name: fleet}]
      exclusionList: ["^no change"]
      summary: "production images"
"""

from __future__ import annotations

from typing import Literal

import re2
from pydantic import Field, field_validator

from automation.config.base import Duration, LocalRef, Model, Namespace, Object

# Every type Flux's v1beta3 Provider admits (provider_types.go), so files valid for Flux load
# here; DELIVERED_TYPES are the ones this tool sends (others are reported when routed to).
ProviderType = Literal[
    "slack", "discord", "msteams", "rocket", "generic", "generic-hmac", "github", "gitlab",
    "gitea", "giteapullrequestcomment", "bitbucketserver", "bitbucket", "azuredevops",
    "googlechat", "googlepubsub", "webex", "sentry", "azureeventhub", "telegram", "lark",
    "matrix", "opsgenie", "alertmanager", "grafana", "githubdispatch",
    "githubpullrequestcomment", "gitlabmergerequestcomment", "pagerduty", "datadog", "nats",
    "zulip", "otel", "zoom", "incident.io",
]  # fmt: skip
DELIVERED_TYPES = frozenset(
    ["slack", "msteams", "discord", "googlechat", "generic", "generic-hmac", "alertmanager",
     "github", "gitlab", "gitea"]
)  # fmt: skip
# Flux's CrossNamespaceObjectReference kinds (api/v1/reference_types.go); only the image
# kinds ever have events here, the others are accepted so shared Alerts stay valid.
SourceKind = Literal[
    "Bucket", "GitRepository", "Kustomization", "HelmRelease", "HelmChart", "HelmRepository",
    "ImageRepository", "ImagePolicy", "ImageUpdateAutomation", "OCIRepository",
    "ArtifactGenerator", "ExternalArtifact",
]  # fmt: skip
_V1BETA3 = Literal["notification.toolkit.fluxcd.io/v1beta3"]
MAX_PATTERN = 512
_RE2 = re2.Options()
_RE2.log_errors = False


class ProviderSpec(Model):
    type: ProviderType
    channel: str = ""
    username: str = ""
    # Flux allows the URL here; a webhook URL carries its secret, so prefer secretRef.address.
    address: str = ""
    timeout: Duration | None = None
    secret_ref: LocalRef | None = None
    suspend: bool = False
    # Accepted so Flux's files load; interval is deprecated in Flux and means nothing here.
    # The others are not supported: a provider using one is reported instead of used.
    interval: Duration | None = None
    proxy: str = ""
    proxy_secret_ref: LocalRef | None = None
    cert_secret_ref: LocalRef | None = None
    service_account_name: str = ""
    commit_status_expr: str = ""

    def unsupported(self) -> str:
        """Why this tool cannot deliver for this provider, or ''."""
        if self.type not in DELIVERED_TYPES:
            return f"provider type {self.type!r} is not delivered by this tool"
        for field, value in (
            ("proxy", self.proxy),
            ("proxySecretRef", self.proxy_secret_ref),
            ("certSecretRef", self.cert_secret_ref),
            ("serviceAccountName", self.service_account_name),
            ("commitStatusExpr", self.commit_status_expr),
        ):
            if value:
                return f"spec.{field} is not supported by this tool"
        return ""


class Provider(Object):
    api_version: _V1BETA3
    kind: Literal["Provider"]
    spec: ProviderSpec


class EventSource(Model):
    """Flux's CrossNamespaceObjectReference: ``name: "*"`` matches every object of the kind."""

    api_version: str | None = None
    kind: SourceKind
    name: str = Field(min_length=1, max_length=253)
    namespace: Namespace | None = None
    match_labels: dict[str, str] = Field(default_factory=dict)


def _check_patterns(values: list[str]) -> list[str]:
    for value in values:
        if len(value) > MAX_PATTERN:
            raise ValueError(f"a pattern is longer than {MAX_PATTERN} characters")
        try:
            re2.compile(value, _RE2)
        except (re2.error, UnicodeEncodeError) as err:
            reason = err.args[0] if err.args else "invalid pattern"
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise ValueError(
                f"invalid regular expression {value!r} (RE2 syntax): {reason}"
            ) from None
    return values


class AlertSpec(Model):
    provider_ref: LocalRef
    event_severity: Literal["info", "error"] = "info"
    event_sources: list[EventSource] = Field(min_length=1)
    inclusion_list: list[str] = Field(default_factory=list)
    exclusion_list: list[str] = Field(default_factory=list)
    event_metadata: dict[str, str] = Field(default_factory=dict)
    summary: str = ""
    suspend: bool = False

    @field_validator("inclusion_list", "exclusion_list")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        return _check_patterns(values)


class Alert(Object):
    api_version: _V1BETA3
    kind: Literal["Alert"]
    spec: AlertSpec
