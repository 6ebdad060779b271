"""Cosign key-based signatures made by the tests, in cosign's own layout.

github.com/sigstore/cosign specs/SIGNATURE_SPEC.md: the signature of `repo@sha256:<hex>` is an
OCI manifest tagged `sha256-<hex>.sig` in the same repository; each layer is a "simple
signing" payload (`application/vnd.dev.cosign.simplesigning.v1+json`) naming the signed
digest, and carries the base64 signature of the payload bytes in the annotation
`dev.cosignproject.cosign/signature`. ECDSA P-256 with SHA-256 is cosign's default key.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.rig import images
from tests.rig.registry import RegistryServer

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SignKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: SignKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def payload(reference: str, digest: str, kind: str = "cosign container image signature") -> bytes:
    doc = {
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": kind,
        },
        "optional": None,
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def sign_bytes(key: SignKey, data: bytes) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    return key.sign(data)


def _signature_manifest(
    server: RegistryServer,
    repo: str,
    digest: str,
    key: SignKey | None,
    body: bytes | None,
    signature: bytes | None,
    extra: dict[str, Any],
    notes: dict[str, str] | None = None,
) -> dict[str, Any]:
    data = body if body is not None else payload(f"{server.host}/{repo}", digest)
    assert signature is not None or key is not None
    sig = signature if signature is not None else sign_bytes(key, data)  # type: ignore[arg-type]
    config = b"{}"
    with server.client() as http:
        images.upload_blob(http, repo, config, skip_existing=True)
        images.upload_blob(http, repo, data, skip_existing=True)
    return {
        "schemaVersion": 2,
        "mediaType": images.OCI_MANIFEST,
        "config": {
            "mediaType": images.OCI_CONFIG,
            "digest": images.sha256_digest(config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": SIMPLE_SIGNING,
                "digest": images.sha256_digest(data),
                "size": len(data),
                "annotations": {
                    "dev.cosignproject.cosign/signature": base64.b64encode(sig).decode()
                }
                | (notes or {}),
            }
        ],
    } | extra


def push_signature(
    server: RegistryServer,
    repo: str,
    digest: str,
    key: SignKey | None,
    *,
    body: bytes | None = None,
    signature: bytes | None = None,
    notes: dict[str, str] | None = None,
) -> str:
    """Sign `repo@digest` with `key` (or push the given payload/signature, to tamper, with
    more layer annotations such as keyless ones) and push it under cosign's `.sig` tag;
    returns that tag."""
    manifest = _signature_manifest(server, repo, digest, key, body, signature, {}, notes)
    tag = digest.replace(":", "-", 1) + ".sig"
    with server.client() as http:
        images.put_manifest(http, repo, tag, json.dumps(manifest).encode(), images.OCI_MANIFEST)
    return tag


SIGNATURE_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"


def push_referrer_signature(
    server: RegistryServer,
    subject: images.PushedImage,
    key: SignKey | None,
    *,
    body: bytes | None = None,
    signature: bytes | None = None,
    notes: dict[str, str] | None = None,
) -> str:
    """Sign as cosign's OCI 1.1 referrers mode does: a manifest with `artifactType` and
    `subject`, pushed by digest, listed in the referrers tag schema's index `sha256-<hex>`
    (a registry without the referrers API, like the rig's, relies on that index)."""
    repo, digest = subject.repo, subject.digest
    extra = {
        "artifactType": SIGNATURE_ARTIFACT,
        "subject": {
            "mediaType": subject.media_type,
            "digest": digest,
            "size": len(subject.manifest_bytes),
        },
    }
    manifest = json.dumps(
        _signature_manifest(server, repo, digest, key, body, signature, extra, notes)
    ).encode()
    tag = digest.replace(":", "-", 1)
    with server.client() as http:
        pushed = images.put_manifest(
            http, repo, images.sha256_digest(manifest), manifest, images.OCI_MANIFEST
        )
        existing = http.get(f"/v2/{repo}/manifests/{tag}", headers={"Accept": images.OCI_INDEX})
        entries = existing.json()["manifests"] if existing.status_code == 200 else []
        entries.append(
            {
                "mediaType": images.OCI_MANIFEST,
                "digest": pushed,
                "size": len(manifest),
                "artifactType": SIGNATURE_ARTIFACT,
            }
        )
        index = {"schemaVersion": 2, "mediaType": images.OCI_INDEX, "manifests": entries}
        images.put_manifest(http, repo, tag, json.dumps(index).encode(), images.OCI_INDEX)
    return pushed
