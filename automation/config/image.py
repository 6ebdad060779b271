"""image.toolkit.fluxcd.io ImageRepository and ImagePolicy (v1; v1beta2 with the same fields)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import re2
from pydantic import Field, field_validator, model_validator

from automation.config.base import (
    Duration,
    LocalRef,
    Model,
    NamespacedRef,
    Object,
    Timeout,
)
from automation.config.duration import parse_duration

DEFAULT_EXCLUSION = "^.*\\.sig$"
# Beyond Flux, kept in an annotation so the file stays a valid Flux ImagePolicy: a tag is
# eligible only once its image config's `created` is at least this old (a Go duration).
MIN_RELEASE_AGE = "image-automation.io/min-release-age"
# Beyond Flux, likewise: a tag is eligible only when its digest carries a cosign signature by
# one of the public keys (`*.pub` entries) of this Secret in the policy's namespace.
VERIFY_SIGNATURES = "image-automation.io/verify-signatures"
# Keyless (Fulcio certificate, Rekor entry) cosign signatures: the Secret whose
# `trusted_root.json` entry is the trust root, and the identity, named as cosign's flags.
VERIFY_TRUSTED_ROOT = "image-automation.io/verify-trusted-root"
CERTIFICATE_IDENTITY = "image-automation.io/verify-certificate-identity"
CERTIFICATE_IDENTITY_REGEXP = "image-automation.io/verify-certificate-identity-regexp"
CERTIFICATE_OIDC_ISSUER = "image-automation.io/verify-certificate-oidc-issuer"
CERTIFICATE_OIDC_ISSUER_REGEXP = "image-automation.io/verify-certificate-oidc-issuer-regexp"


def check_image_address(value: str) -> str:
    """Reject what Flux rejects in spec.image: a scheme, a tag or a digest."""
    if "://" in value:
        raise ValueError(
            f"{value!r} must not contain a scheme (remove '{value.split('://')[0]}://')"
        )
    if "@" in value:
        raise ValueError(f"{value!r} must not contain a digest: name the repository only")
    last = value.rsplit("/", 1)[-1]
    if ":" in last and "/" in value:
        raise ValueError(f"{value!r} must not contain a tag: name the repository only")
    if ":" in value and "/" not in value:
        raise ValueError(f"{value!r} must not contain a tag: name the repository only")
    if not value or value != value.strip() or value.lower() != value:
        raise ValueError(f"{value!r} is not a repository address (lowercase, no spaces)")
    return value


class NamespaceSelector(Model):
    match_labels: dict[str, str] = Field(default_factory=dict)


class AccessFrom(Model):
    namespace_selectors: list[NamespaceSelector] = Field(default_factory=list)


class MirrorSpec(Model):
    """Beyond Flux: copy every image a policy selects into this repository."""

    image: str
    secret_ref: LocalRef | None = None
    cert_secret_ref: LocalRef | None = None
    insecure: bool = False
    # Write the mirror's name into manifests instead of spec.image, once the copy is verified.
    rewrite_refs: bool = False

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return check_image_address(value)


class ImageRepositorySpec(Model):
    image: str
    interval: Duration
    timeout: Timeout | None = None
    secret_ref: LocalRef | None = None
    cert_secret_ref: LocalRef | None = None
    proxy_secret_ref: LocalRef | None = None
    service_account_name: str | None = None
    # Namespaces carry no labels outside Kubernetes: any selector admits every namespace.
    access_from: AccessFrom | None = None
    exclusion_list: list[str] = Field(default_factory=list, max_length=25)
    provider: Literal["generic", "aws", "azure", "gcp"] = "generic"
    insecure: bool = False
    suspend: bool = False
    mirror: MirrorSpec | None = None

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return check_image_address(value)

    @property
    def effective_exclusion_list(self) -> list[str]:
        """Flux's default applies only when the user gave no list (a list replaces it)."""
        return list(self.exclusion_list) or [DEFAULT_EXCLUSION]

    @property
    def effective_timeout(self) -> timedelta:
        """Timeout defaults to the interval, floored at one second (as Flux does)."""
        value = self.timeout if self.timeout is not None else self.interval
        return max(value, timedelta(seconds=1))


class ImageRepository(Object):
    api_version: Literal[
        "image.toolkit.fluxcd.io/v1",
        "image.toolkit.fluxcd.io/v1beta2",
        "image.toolkit.fluxcd.io/v1beta1",
    ]
    kind: Literal["ImageRepository"]
    spec: ImageRepositorySpec


class SemverPolicy(Model):
    range: str = Field(min_length=1)


class OrderPolicy(Model):
    order: Literal["asc", "desc"] = "asc"


class PolicyChoice(Model):
    semver: SemverPolicy | None = None
    alphabetical: OrderPolicy | None = None
    numerical: OrderPolicy | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> PolicyChoice:
        chosen = [k for k in ("semver", "alphabetical", "numerical") if getattr(self, k)]
        if len(chosen) != 1:
            found = ", ".join(chosen) if chosen else "none"
            raise ValueError(
                f"exactly one of semver, alphabetical, numerical must be set (found: {found})"
            )
        return self

    @property
    def kind(self) -> Literal["semver", "alphabetical", "numerical"]:
        if self.semver is not None:
            return "semver"
        return "alphabetical" if self.alphabetical is not None else "numerical"


class FilterTags(Model):
    pattern: str = ""
    extract: str = ""


class ImagePolicySpec(Model):
    image_repository_ref: NamespacedRef
    policy: PolicyChoice
    filter_tags: FilterTags | None = None
    digest_reflection_policy: Literal["Always", "IfNotPresent", "Never"] = "Never"
    interval: Duration | None = None
    suspend: bool = False
    # Beyond Flux: refuse to move to a lower semver version than the current one.
    forbid_downgrade: bool = False

    @model_validator(mode="after")
    def _interval_iff_always(self) -> ImagePolicySpec:
        # Flux enforces these with two CEL rules; same messages.
        if self.digest_reflection_policy == "Always" and self.interval is None:
            raise ValueError(
                "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'"
            )
        if self.digest_reflection_policy != "Always" and self.interval is not None:
            raise ValueError(
                "spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'"
            )
        return self


class ImagePolicy(Object):
    api_version: Literal[
        "image.toolkit.fluxcd.io/v1",
        "image.toolkit.fluxcd.io/v1beta2",
        "image.toolkit.fluxcd.io/v1beta1",
    ]
    kind: Literal["ImagePolicy"]
    spec: ImagePolicySpec

    @model_validator(mode="after")
    def _gates(self) -> ImagePolicy:
        text = self.metadata.annotations.get(MIN_RELEASE_AGE)
        if text is not None:
            try:
                parse_duration(text)
            except ValueError as err:
                raise ValueError(f"metadata.annotations.{MIN_RELEASE_AGE}: {err}") from err
        self._keyless_annotations()
        return self

    def _keyless_annotations(self) -> None:
        notes = self.metadata.annotations
        named = [k for k in (CERTIFICATE_IDENTITY, CERTIFICATE_IDENTITY_REGEXP) if k in notes]
        issuers = [
            k for k in (CERTIFICATE_OIDC_ISSUER, CERTIFICATE_OIDC_ISSUER_REGEXP) if k in notes
        ]
        if VERIFY_TRUSTED_ROOT not in notes:
            if named or issuers:
                raise ValueError(
                    f"metadata.annotations: {(named + issuers)[0]} needs {VERIFY_TRUSTED_ROOT}"
                )
            return
        for group, pair in ((named, "identity"), (issuers, "oidc-issuer")):
            if len(group) != 1:
                raise ValueError(
                    f"metadata.annotations.{VERIFY_TRUSTED_ROOT}: give exactly one of "
                    f"verify-certificate-{pair} and verify-certificate-{pair}-regexp"
                )
        for key in (CERTIFICATE_IDENTITY_REGEXP, CERTIFICATE_OIDC_ISSUER_REGEXP):
            if key in notes:
                try:
                    re2.compile(notes[key])
                except re2.error as err:
                    raise ValueError(f"metadata.annotations.{key}: invalid regexp: {err}") from err

    @property
    def min_release_age(self) -> timedelta | None:
        """The minimum age of an eligible image, from the annotation (None: no minimum)."""
        text = self.metadata.annotations.get(MIN_RELEASE_AGE)
        return parse_duration(text) if text is not None else None

    @property
    def signature_secret(self) -> str | None:
        """The Secret holding the cosign public keys signatures must verify with."""
        return self.metadata.annotations.get(VERIFY_SIGNATURES) or None

    @property
    def keyless_root_secret(self) -> str | None:
        """The Secret whose `trusted_root.json` keyless signatures are verified against."""
        return self.metadata.annotations.get(VERIFY_TRUSTED_ROOT) or None

    @property
    def keyless_identity(self) -> dict[str, str]:
        """The certificate identity and issuer annotations, by cosign flag name."""
        notes = self.metadata.annotations
        keys = (
            CERTIFICATE_IDENTITY,
            CERTIFICATE_IDENTITY_REGEXP,
            CERTIFICATE_OIDC_ISSUER,
            CERTIFICATE_OIDC_ISSUER_REGEXP,
        )
        return {k.rsplit("/verify-", 1)[1]: notes[k] for k in keys if k in notes}

    @property
    def repository_namespace(self) -> str:
        return self.spec.image_repository_ref.namespace or self.metadata.namespace
