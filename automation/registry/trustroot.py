"""A Sigstore trust root read from a file: the Fulcio CAs, CT logs and Rekor logs to trust.

In: the bytes of a `trusted_root.json` in the format of sigstore/protobuf-specs
`dev.sigstore.trustroot.v1.TrustedRoot` (JSON names: `certificateAuthorities[].certChain
.certificates[].rawBytes`, `tlogs[]` / `ctlogs[]` with `publicKey.rawBytes` (DER
SubjectPublicKeyInfo), `logId.keyId` and `validFor {start, end}`), the same file
`cosign verify --trusted-root` takes. Out: a `TrustRoot`, or `TrustRootError` naming what is
wrong. Nothing is fetched: the file is the whole of what is trusted.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from automation.errors import RegistryPermanentError

MAX_ENTRIES = 64
LogKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey


class TrustRootError(RegistryPermanentError):
    """The trust root file cannot be read."""


@dataclass(frozen=True)
class Validity:
    start: datetime | None
    end: datetime | None

    def covers(self, when: datetime) -> bool:
        return (self.start is None or self.start <= when) and (self.end is None or when <= self.end)


@dataclass(frozen=True)
class CertificateAuthority:
    root: x509.Certificate
    intermediates: tuple[x509.Certificate, ...]
    valid: Validity


@dataclass(frozen=True)
class TransparencyLog:
    key_id: bytes
    key: LogKey
    valid: Validity


@dataclass(frozen=True)
class TrustRoot:
    authorities: tuple[CertificateAuthority, ...]
    rekor_logs: tuple[TransparencyLog, ...]
    ct_logs: tuple[TransparencyLog, ...]

    def rekor_log(self, key_id: bytes) -> TransparencyLog | None:
        return next((log for log in self.rekor_logs if log.key_id == key_id), None)

    def ct_log(self, key_id: bytes) -> TransparencyLog | None:
        return next((log for log in self.ct_logs if log.key_id == key_id), None)


def _bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise TrustRootError(f"trust root: {what} is not base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as err:
        raise TrustRootError(f"trust root: {what} is not base64") from err


def _time(value: Any, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError as err:
        raise TrustRootError(f"trust root: {what} is not an RFC 3339 time") from err
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _validity(entry: dict[str, Any], what: str) -> Validity:
    valid = entry.get("validFor") or {}
    if not isinstance(valid, dict):
        raise TrustRootError(f"trust root: {what}.validFor is not an object")
    return Validity(
        _time(valid.get("start"), f"{what}.validFor.start"),
        _time(valid.get("end"), f"{what}.validFor.end"),
    )


def _entries(doc: dict[str, Any], field: str) -> list[dict[str, Any]]:
    found = doc.get(field) or []
    if not isinstance(found, list) or not all(isinstance(e, dict) for e in found):
        raise TrustRootError(f"trust root: {field} is not a list of objects")
    if len(found) > MAX_ENTRIES:
        raise TrustRootError(f"trust root: more than {MAX_ENTRIES} {field}")
    return found


def _log(entry: dict[str, Any], what: str) -> TransparencyLog:
    key_doc = entry.get("publicKey") or {}
    key_id = (
        (entry.get("logId") or {}).get("keyId") if isinstance(entry.get("logId"), dict) else None
    )
    if not isinstance(key_doc, dict):
        raise TrustRootError(f"trust root: {what}.publicKey is not an object")
    try:
        key = load_der_public_key(_bytes(key_doc.get("rawBytes"), f"{what}.publicKey.rawBytes"))
    except (ValueError, UnsupportedAlgorithm) as err:
        raise TrustRootError(f"trust root: {what}.publicKey is not a public key") from err
    if not isinstance(key, LogKey):
        raise TrustRootError(f"trust root: {what}.publicKey: unsupported key type")
    return TransparencyLog(
        _bytes(key_id, f"{what}.logId.keyId"), key, _validity(key_doc, f"{what}.publicKey")
    )


def _authority(entry: dict[str, Any], what: str) -> CertificateAuthority:
    chain = entry.get("certChain") or {}
    certs = chain.get("certificates") if isinstance(chain, dict) else None
    if not isinstance(certs, list) or not certs or len(certs) > MAX_ENTRIES:
        raise TrustRootError(f"trust root: {what}.certChain.certificates is empty")
    loaded: list[x509.Certificate] = []
    for i, cert in enumerate(certs):
        raw = _bytes(cert.get("rawBytes") if isinstance(cert, dict) else None, f"{what} cert {i}")
        try:
            loaded.append(x509.load_der_x509_certificate(raw))
        except ValueError as err:
            raise TrustRootError(f"trust root: {what} cert {i} is not a DER certificate") from err
    # protobuf-specs: the chain is ordered from the issuing CA up to the root.
    return CertificateAuthority(loaded[-1], tuple(loaded[:-1]), _validity(entry, what))


def load_trust_root(data: bytes) -> TrustRoot:
    """Parse a `trusted_root.json`; at least one CA, one Rekor log and one CT log."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise TrustRootError("trust root is not JSON") from err
    if not isinstance(doc, dict):
        raise TrustRootError("trust root is not a JSON object")
    root = TrustRoot(
        tuple(
            _authority(e, f"certificateAuthorities[{i}]")
            for i, e in enumerate(_entries(doc, "certificateAuthorities"))
        ),
        tuple(_log(e, f"tlogs[{i}]") for i, e in enumerate(_entries(doc, "tlogs"))),
        tuple(_log(e, f"ctlogs[{i}]") for i, e in enumerate(_entries(doc, "ctlogs"))),
    )
    for field, found in (
        ("certificateAuthorities", root.authorities),
        ("tlogs", root.rekor_logs),
        ("ctlogs", root.ct_logs),
    ):
        if not found:
            raise TrustRootError(f"trust root has no {field}")
    return root
