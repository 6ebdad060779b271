"""Cosign key-based signatures: is `image@digest` signed by one of these public keys?

In: a client, an image, a manifest digest and PEM public keys. Out: `None` when a valid
signature exists, else the reason it does not (`no signature`, `no valid signature ...`).
Signatures are found by cosign's tag scheme (`sha256-<hex>.sig` in the same repository,
github.com/sigstore/cosign specs/SIGNATURE_SPEC.md), then among the image's OCI 1.1
referrers of cosign's signature artifact type. Either is an OCI manifest whose layers are
"simple signing" payloads (`application/vnd.dev.cosign.simplesigning.v1+json`), each with
its base64 signature in the `dev.cosignproject.cosign/signature` annotation. A signature
counts when it verifies over the payload bytes with one of the keys, and the payload says
`critical.type` = `cosign container image signature` and names this very digest in
`critical.image.docker-manifest-digest` (so a signature copied from another image fails).
Hostile input: at most `MAX_LAYERS` layers are tried, payloads and signatures are capped.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from automation.errors import RegistryPermanentError
from automation.reference import ImageName
from automation.registry.digests import fetch_manifest
from automation.registry.exchange import Exchange
from automation.registry.faults import ManifestUnknownError
from automation.registry.platforms import fetch_blob
from automation.registry.referrers import referrers
from automation.registry.tags import is_valid_digest

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
SIGNATURE_TYPE = "cosign container image signature"
SIGNATURE_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"
MAX_LAYERS = 16
MAX_SIGNATURE = 8 << 10
MAX_PAYLOAD = 64 << 10

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey


class SigningKeyError(RegistryPermanentError):
    """A configured public key cannot be read."""


def load_keys(pems: dict[str, bytes]) -> list[PublicKey]:
    """PEM `PUBLIC KEY`s (ECDSA, Ed25519 or RSA), by name; raises naming the bad one."""
    keys: list[PublicKey] = []
    for name, pem in sorted(pems.items()):
        try:
            key = load_pem_public_key(pem)
        except (ValueError, UnsupportedAlgorithm) as err:
            raise SigningKeyError(f"public key {name!r} is not a PEM public key") from err
        if not isinstance(key, PublicKey):
            raise SigningKeyError(f"public key {name!r}: unsupported key type")
        keys.append(key)
    return keys


def signature_tag(digest: str) -> str:
    """`sha256:abc...` -> `sha256-abc....sig`."""
    return digest.replace(":", "-", 1) + ".sig"


def _verifies(key: PublicKey, signature: bytes, payload: bytes) -> bool:
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, payload)
        else:
            key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def _names_digest(payload: bytes, digest: str) -> bool:
    try:
        doc: Any = json.loads(payload)
        critical = doc["critical"]
        named = critical["image"]["docker-manifest-digest"]
        kind = critical["type"]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, RecursionError):
        return False
    return bool(named == digest and kind == SIGNATURE_TYPE)


def _candidates(manifest_body: bytes) -> list[tuple[str, bytes, dict[str, Any]]]:
    """(payload digest, signature, annotations) of each simple-signing layer, bounded."""
    try:
        doc = json.loads(manifest_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return []
    layers = doc.get("layers") if isinstance(doc, dict) else None
    found: list[tuple[str, bytes, dict[str, Any]]] = []
    for layer in (layers if isinstance(layers, list) else [])[:MAX_LAYERS]:
        if not isinstance(layer, dict) or layer.get("mediaType") != SIMPLE_SIGNING:
            continue
        digest, notes = layer.get("digest"), layer.get("annotations")
        encoded = notes.get(SIGNATURE_ANNOTATION) if isinstance(notes, dict) else None
        if not (isinstance(digest, str) and is_valid_digest(digest)):
            continue
        if not isinstance(encoded, str) or len(encoded) > MAX_SIGNATURE:
            continue
        assert isinstance(notes, dict)  # a str was read from it above
        try:
            found.append((digest, base64.b64decode(encoded, validate=True), dict(notes)))
        except binascii.Error:
            continue
    return found


class Verifier(Protocol):
    """What a signature must satisfy: public keys, or a keyless identity and trust root."""

    @property
    def fingerprint(self) -> frozenset[bytes]:
        """What a verified signature is remembered under (same value: same question)."""
        ...

    def problem(self, payload: bytes, signature: bytes, notes: dict[str, Any]) -> str | None:
        """None when the layer's signature is valid, else why not ("" when nothing to say)."""
        ...


@dataclass(frozen=True)
class KeyVerifier:
    """Signed by one of these public keys."""

    keys: tuple[PublicKey, ...]

    @property
    def fingerprint(self) -> frozenset[bytes]:
        return key_ids(list(self.keys))

    def problem(self, payload: bytes, signature: bytes, notes: dict[str, Any]) -> str | None:
        return None if any(_verifies(k, signature, payload) for k in self.keys) else ""


async def _verified(
    client: Exchange, image: ImageName, digest: str, verifier: Verifier, body: bytes
) -> tuple[bool, int, list[str]]:
    """Does this signature manifest hold a valid signature? How many were checked, and why
    each one failed (where the verifier says)."""
    candidates = _candidates(body)
    reasons: list[str] = []
    for payload_digest, signature, notes in candidates:
        payload = await fetch_blob(client, image, payload_digest)
        if len(payload) > MAX_PAYLOAD or not _names_digest(payload, digest):
            reasons.append("the payload does not name this digest")
            continue
        problem = verifier.problem(payload, signature, notes)
        if problem is None:
            return True, len(candidates), reasons
        if problem:
            reasons.append(problem)
    return False, len(candidates), reasons


def key_ids(keys: list[PublicKey]) -> frozenset[bytes]:
    """The keys' SubjectPublicKeyInfo DER: what a verified signature is remembered under."""
    return frozenset(k.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) for k in keys)


class VerifiedCache:
    """(repository, digest, key set) already verified. Only successes are remembered: a
    signature can be pushed later, but a valid one stays valid for the same digest and keys."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.verifications = 0  # full checks against a registry, for tests
        self._seen: OrderedDict[tuple[str, str, frozenset[bytes]], None] = OrderedDict()

    def __contains__(self, key: tuple[str, str, frozenset[bytes]]) -> bool:
        if key in self._seen:
            self._seen.move_to_end(key)
            return True
        return False

    def add(self, key: tuple[str, str, frozenset[bytes]]) -> None:
        self._seen[key] = None
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)


VERIFIED = VerifiedCache()


async def signature_problem(
    client: Exchange,
    image: ImageName,
    digest: str,
    keys: list[PublicKey] | Verifier,
    cache: VerifiedCache = VERIFIED,
) -> str | None:
    """None when `image@digest` carries a valid signature by one of `keys` (or one that
    satisfies the verifier), else why not.

    Looks at cosign's `.sig` tag first, then at the OCI 1.1 referrers of type
    `application/vnd.dev.cosign.artifact.sig.v1+json` (cosign's referrers mode).
    """
    verifier = KeyVerifier(tuple(keys)) if isinstance(keys, list) else keys
    remembered = (image.canonical, digest, verifier.fingerprint)
    if remembered in cache:
        return None
    cache.verifications += 1
    problem = await _check(client, image, digest, verifier)
    if problem is None:
        cache.add(remembered)
    return problem


async def _check(client: Exchange, image: ImageName, digest: str, verifier: Verifier) -> str | None:
    checked, reasons = 0, list[str]()
    tagged = False
    with contextlib.suppress(ManifestUnknownError):
        body = (await fetch_manifest(client, image, signature_tag(digest))).body
        tagged = True
    if tagged:
        ok, checked, reasons = await _verified(client, image, digest, verifier, body)
        if ok:
            return None
    found = await referrers(client, image, digest, SIGNATURE_ARTIFACT)
    for referrer in found:
        body = (await fetch_manifest(client, image, referrer)).body
        ok, count, why = await _verified(client, image, digest, verifier, body)
        if ok:
            return None
        checked, reasons = checked + count, reasons + why
    if not tagged and not found:
        return "no signature"
    # Key-based checks keep their terse reason; keyless ones say which step refused.
    detail = f"; {reasons[-1]}" if reasons and not isinstance(verifier, KeyVerifier) else ""
    return f"no valid signature ({checked} checked{detail})"
