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


def push_signature(
    server: RegistryServer,
    repo: str,
    digest: str,
    key: SignKey,
    *,
    body: bytes | None = None,
    signature: bytes | None = None,
) -> str:
    """Sign `repo@digest` with `key` (or push the given payload/signature, to tamper) and push
    it under cosign's `.sig` tag; returns that tag."""
    data = body if body is not None else payload(f"{server.host}/{repo}", digest)
    sig = signature if signature is not None else sign_bytes(key, data)
    config = b"{}"
    manifest: dict[str, Any] = {
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
                },
            }
        ],
    }
    tag = digest.replace(":", "-", 1) + ".sig"
    with server.client() as http:
        images.upload_blob(http, repo, config, skip_existing=True)
        images.upload_blob(http, repo, data, skip_existing=True)
        images.put_manifest(http, repo, tag, json.dumps(manifest).encode(), images.OCI_MANIFEST)
    return tag
