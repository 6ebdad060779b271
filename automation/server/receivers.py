"""Receivers made ready to serve: their secret token, their URL path, their authentication.

In: `Receiver` objects and the Secrets they reference. Out: `Endpoint`s. The URL path is
Flux's: `/hook/` + hex SHA-256 of token + name + namespace, so a path names one receiver
and, for senders that cannot sign (Docker Hub, Quay, generic), is itself the credential.
Where the sender signs or sends a header, that is verified too, in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from automation.config.base import ObjectKey
from automation.config.receiver import TOKEN_KEY, Receiver
from automation.config.secret import Secret
from automation.errors import ConfigError, ConfigErrors

HOOK_PREFIX = "/hook/"
HMAC_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def webhook_path(token: bytes, name: str, namespace: str) -> str:
    """`/hook/<sha256(token + name + namespace)>`, the path Flux gives a Receiver."""
    return HOOK_PREFIX + hashlib.sha256(token + name.encode() + namespace.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A Receiver with its token; `repr` never shows the token or the path derived from it."""

    receiver: Receiver
    token: bytes = field(repr=False)

    @property
    def key(self) -> str:
        return str(self.receiver.key)

    @property
    def type(self) -> str:
        return self.receiver.spec.type

    @property
    def path(self) -> str:
        meta = self.receiver.metadata
        return webhook_path(self.token, meta.name, meta.namespace)


def _token(receiver: Receiver, secrets: Mapping[ObjectKey, Secret]) -> bytes | ConfigError:
    ref = ObjectKey(receiver.metadata.namespace, receiver.spec.secret_ref.name)
    secret = secrets.get(ref)
    token = secret.values.get(TOKEN_KEY, b"") if secret is not None else b""
    if token:
        return token
    if secret is None:
        problem = f"Secret {ref} not found (give the secrets path with --secrets)"
    else:
        problem = f"Secret {ref} has no non-empty {TOKEN_KEY!r} key"
    source = receiver.source
    return ConfigError(source.file, receiver.line_of("spec.secretRef"), "spec.secretRef", problem)


def check_receivers(
    receivers: Iterable[Receiver],
    secrets: Mapping[ObjectKey, Secret],
    repositories: Iterable[ObjectKey],
) -> list[ConfigError]:
    """Every problem a config check should report: missing tokens, resources naming no
    ImageRepository, two receivers whose token + name + namespace spell the same path."""
    known = set(repositories)
    errors: list[ConfigError] = []
    paths: dict[str, Receiver] = {}
    for receiver in receivers:
        source = receiver.source
        token = _token(receiver, secrets)
        if isinstance(token, ConfigError):
            errors.append(token)
        else:
            meta = receiver.metadata
            first = paths.setdefault(webhook_path(token, meta.name, meta.namespace), receiver)
            if first is not receiver:
                message = f"same webhook path as Receiver {first.key}: choose another token"
                line = receiver.line_of("spec.secretRef")
                errors.append(ConfigError(source.file, line, "spec.secretRef", message))
        for i, resource in enumerate(receiver.spec.resources):
            key = ObjectKey(receiver.resource_namespace(resource), resource.name)
            if resource.name != "*" and key not in known:
                message = f"ImageRepository {key} not found"
                errors.append(
                    ConfigError(
                        source.file,
                        receiver.line_of(f"spec.resources[{i}]"),
                        f"spec.resources[{i}]",
                        message,
                    )
                )
    return errors


def resolve_endpoints(
    receivers: Iterable[Receiver], secrets: Mapping[ObjectKey, Secret]
) -> list[Endpoint]:
    """Pair each Receiver with the `token` of its Secret; ConfigErrors names every gap."""
    endpoints: list[Endpoint] = []
    errors: list[ConfigError] = []
    for receiver in receivers:
        token = _token(receiver, secrets)
        if isinstance(token, ConfigError):
            errors.append(token)
        else:
            endpoints.append(Endpoint(receiver, token))
    if errors:
        raise ConfigErrors(errors)
    return endpoints


def find_endpoint(endpoints: Iterable[Endpoint], path: str) -> Endpoint | None:
    """The endpoint whose path this is, compared in constant time; None if there is none."""
    found = None
    for endpoint in endpoints:
        if hmac.compare_digest(endpoint.path.encode(), path.encode()):
            found = endpoint
    return found


def _signature_matches(token: bytes, body: bytes, header: str, allowed: Iterable[str]) -> bool:
    """`<algorithm>=<hex>` as GitHub and Flux's generic-hmac senders write it."""
    algorithm, sep, given = header.partition("=")
    if not sep or algorithm.lower() not in allowed:
        return False
    expected = hmac.new(token, body, HMAC_ALGORITHMS[algorithm.lower()]).hexdigest()
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def authenticate(endpoint: Endpoint, headers: Mapping[str, str], body: bytes) -> bool:
    """Check what the sender proves beyond knowing the path. `headers` keys are lower-case."""
    kind = endpoint.type
    if kind == "github":
        header = headers.get("x-hub-signature-256", "")
        return _signature_matches(endpoint.token, body, header, ("sha256",))
    if kind == "generic-hmac":
        header = headers.get("x-signature", "")
        return _signature_matches(endpoint.token, body, header, tuple(HMAC_ALGORITHMS))
    if kind == "harbor":
        # Harbor sends the "Auth Header" configured on its webhook policy verbatim.
        given = headers.get("authorization", "").encode("latin-1", errors="replace")
        return hmac.compare_digest(given, endpoint.token)
    return True  # dockerhub, quay, generic: the secret path was the credential
