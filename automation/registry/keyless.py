"""Cosign keyless signatures: is this signature layer from the expected identity and issuer?

In: one layer of a cosign signature manifest (payload bytes, its signature and annotations),
a `TrustRoot` and an `Identity`. Out: `None` when valid, else the reason. Cosign's keyless
layout (github.com/sigstore/cosign pkg/oci/static/signature.go) puts the Fulcio certificate
in `dev.sigstore.cosign/certificate`, its chain in `dev.sigstore.cosign/chain` and the Rekor
entry with its signed entry timestamp (SET) in `dev.sigstore.cosign/bundle` (a RekorBundle,
pkg/cosign/bundle/rekor.go). The steps follow cosign's pkg/cosign/verify.go (VerifyBundle,
CheckExpiry, CheckCertificatePolicy, and the embedded SCT check of ctl.VerifyEmbeddedSCT):

1. the SET verifies with a trusted Rekor key, over the canonical JSON of the entry;
2. the entry (`hashedrekord`) holds this signature, this certificate and the payload's hash;
3. the certificate was valid at the entry's `integratedTime` and chains to a trusted Fulcio
   CA at that time, with code signing usage;
4. an embedded SCT verifies with a trusted CT log key (RFC 6962 section 3.2, precertificate);
5. the certificate's subject alternative names and OIDC issuer extension
   (1.3.6.1.4.1.57264.1.8, or the older 1.3.6.1.4.1.57264.1.1) match the identity;
6. the signature verifies over the payload with the certificate's key (the caller then checks
   that the payload names the digest).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import re2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from automation.registry.trustroot import LogKey, TrustRoot

CERTIFICATE = "dev.sigstore.cosign/certificate"
CHAIN = "dev.sigstore.cosign/chain"
BUNDLE = "dev.sigstore.cosign/bundle"
ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
MAX_ANNOTATION = 64 << 10
MAX_CHAIN = 8


@dataclass(frozen=True)
class Identity:
    """What the certificate must say, as cosign's `--certificate-identity[-regexp]` and
    `--certificate-oidc-issuer[-regexp]` (a regexp matches anywhere, as Go's MatchString)."""

    subject: str | None = None
    subject_regexp: str | None = None
    issuer: str | None = None
    issuer_regexp: str | None = None

    def subject_matches(self, names: list[str]) -> bool:
        if self.subject is not None:
            return self.subject in names
        pattern = re2.compile(self.subject_regexp or "")
        return any(pattern.search(name) for name in names)

    @property
    def wanted_subject(self) -> str:
        if self.subject is not None:
            return f"is not {self.subject}"
        return f"does not match /{self.subject_regexp}/"

    @property
    def wanted_issuer(self) -> str:
        if self.issuer is not None:
            return f"is not {self.issuer}"
        return f"does not match /{self.issuer_regexp}/"

    def issuer_matches(self, issuer: str) -> bool:
        if self.issuer is not None:
            return issuer == self.issuer
        return re2.compile(self.issuer_regexp or "").search(issuer) is not None


class Refused(Exception):
    """One verification step failed; the message is the reason shown to the user."""


def _verify(key: Any, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm) -> bool:
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _annotation(notes: dict[str, Any], key: str) -> str:
    value = notes.get(key)
    if not isinstance(value, str) or not value:
        raise Refused(f"no {key} annotation")
    if len(value) > MAX_ANNOTATION:
        raise Refused(f"{key} annotation too large")
    return value


def _certificates(pem: str, what: str) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(pem.encode())
    except ValueError as err:
        raise Refused(f"{what} is not a PEM certificate") from err
    return certs[:MAX_CHAIN]


@dataclass(frozen=True)
class LogEntry:
    body: bytes
    integrated_time: int
    log_index: int
    log_id: str
    set_signature: bytes


def _log_entry(text: str) -> LogEntry:
    try:
        doc = json.loads(text)
        payload = doc["Payload"]
        entry = LogEntry(
            base64.b64decode(payload["body"], validate=True),
            payload["integratedTime"],
            payload["logIndex"],
            payload["logID"],
            base64.b64decode(doc["SignedEntryTimestamp"], validate=True),
        )
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError) as err:
        raise Refused("the Rekor bundle is malformed") from err
    if not (isinstance(entry.integrated_time, int) and isinstance(entry.log_index, int)):
        raise Refused("the Rekor bundle is malformed")
    if not isinstance(entry.log_id, str):
        raise Refused("the Rekor bundle is malformed")
    return entry


def _check_set(entry: LogEntry, root: TrustRoot) -> None:
    """Step 1 (cosign VerifySET). The RFC 8785 canonical form of this object of ASCII strings
    and integers is JSON with sorted keys and no spaces."""
    try:
        log = root.rekor_log(bytes.fromhex(entry.log_id))
    except ValueError:
        log = None
    if log is None:
        raise Refused(f"the Rekor log {entry.log_id[:16]} is not in the trust root")
    signed = {
        "body": base64.b64encode(entry.body).decode(),
        "integratedTime": entry.integrated_time,
        "logID": entry.log_id,
        "logIndex": entry.log_index,
    }
    canonical = json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
    if not _verify(log.key, entry.set_signature, canonical, hashes.SHA256()):
        raise Refused("the Rekor signed entry timestamp does not verify")
    if not log.valid.covers(_when(entry)):
        raise Refused("the Rekor log key was not valid at the entry's time")


def _when(entry: LogEntry) -> datetime:
    return datetime.fromtimestamp(entry.integrated_time, tz=UTC)


def _check_body(entry: LogEntry, cert: x509.Certificate, signature: bytes, payload: bytes) -> None:
    """Step 2 (cosign compareSigs, comparePublicKey, bundleHash)."""
    try:
        doc = json.loads(entry.body)
        spec = doc["spec"]
        logged_sig = base64.b64decode(spec["signature"]["content"], validate=True)
        logged_key = base64.b64decode(spec["signature"]["publicKey"]["content"], validate=True)
        digest = spec["data"]["hash"]
        kind = doc["kind"]
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError) as err:
        raise Refused("the Rekor entry is not a hashedrekord entry") from err
    if kind != "hashedrekord":
        raise Refused("the Rekor entry is not a hashedrekord entry")
    if logged_sig != signature:
        raise Refused("the Rekor entry is for another signature")
    try:
        logged_certs = x509.load_pem_x509_certificates(logged_key)
    except ValueError:
        logged_certs = []
    if not logged_certs or logged_certs[0] != cert:
        raise Refused("the Rekor entry is for another certificate")
    expected = {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()}
    if digest != expected:
        raise Refused("the Rekor entry is for another payload")


def _check_chain(
    cert: x509.Certificate, chain: list[x509.Certificate], root: TrustRoot, when: datetime
) -> x509.Certificate:
    """Step 3; returns the certificate's issuer. Path building as sigstore-python does it:
    web PKI profile, with the extended key usage checked here (code signing, not TLS)."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        raise Refused(
            f"the certificate was not valid when the signature was logged at {stamp}: valid "
            f"{cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ} to "
            f"{cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}"
        )
    authorities = [a for a in root.authorities if a.valid.covers(when)]
    if not authorities:
        raise Refused(f"no certificate authority of the trust root is valid at {stamp}")
    intermediates = [c for a in authorities for c in a.intermediates] + chain
    eku = x509.ExtendedKeyUsage
    verifier = (
        PolicyBuilder()
        .store(Store([a.root for a in authorities]))
        .time(when)
        .extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca().may_be_present(
                eku, Criticality.NON_CRITICAL, None
            ),
            ee_policy=ExtensionPolicy.webpki_defaults_ee().may_be_present(
                eku, Criticality.NON_CRITICAL, None
            ),
        )
        .build_client_verifier()
    )
    try:
        path = verifier.verify(cert, intermediates).chain
    except (VerificationError, x509.UnsupportedGeneralNameType) as err:
        raise Refused(f"the certificate does not chain to the trust root: {err}") from err
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        signs = cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    except x509.ExtensionNotFound:
        usage, signs = x509.ExtendedKeyUsage([]), False
    if ExtendedKeyUsageOID.CODE_SIGNING not in usage or not signs:
        raise Refused("the certificate is not for code signing")
    return path[1]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _milliseconds(when: datetime) -> int:
    delta = _aware(when) - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def _check_sct(cert: x509.Certificate, issuer: x509.Certificate, root: TrustRoot) -> None:
    """Step 4: RFC 6962 section 3.2, the signed data of a precertificate entry."""
    try:
        scts = cert.extensions.get_extension_for_class(
            x509.PrecertificateSignedCertificateTimestamps
        ).value
    except x509.ExtensionNotFound:
        raise Refused("the certificate has no embedded SCT") from None
    issuer_hash = hashlib.sha256(
        issuer.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    ).digest()
    tbs = cert.tbs_precertificate_bytes
    for sct in list(scts)[:MAX_CHAIN]:
        log = root.ct_log(sct.log_id)
        if log is None or not log.valid.covers(_aware(sct.timestamp)):
            continue
        signed = (
            struct.pack(">BBQH", 0, 0, _milliseconds(sct.timestamp), 1)
            + issuer_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + len(sct.extension_bytes).to_bytes(2, "big")
            + sct.extension_bytes
        )
        algorithm = sct.signature_hash_algorithm
        if isinstance(algorithm, hashes.HashAlgorithm) and _verify(
            log.key, sct.signature, signed, algorithm
        ):
            return
    raise Refused("no embedded SCT verifies with a CT log of the trust root")


def _names(cert: x509.Certificate) -> list[str]:
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names: list[str] = []
    for kind in (x509.RFC822Name, x509.UniformResourceIdentifier, x509.DNSName):
        names += [str(n) for n in sans.get_values_for_type(kind)]
    return names


def _issuer(cert: x509.Certificate) -> str:
    """The OIDC issuer: 1.8 holds a DER UTF8String, the older 1.1 the raw text."""
    for oid in (ISSUER_V2, ISSUER_V1):
        try:
            raw = cert.extensions.get_extension_for_oid(oid).value
        except x509.ExtensionNotFound:
            continue
        data = raw.value if isinstance(raw, x509.UnrecognizedExtension) else b""
        if oid == ISSUER_V2:
            if len(data) < 2 or data[0] != 0x0C or data[1] >= 0x80 or data[1] != len(data) - 2:
                continue  # short-form UTF8String only: an issuer URL is far below 128 bytes
            data = data[2:]
        return data.decode("utf-8", "replace")
    return ""


def _check_identity(cert: x509.Certificate, identity: Identity) -> None:
    """Step 5 (cosign CheckCertificatePolicy)."""
    issuer, names = _issuer(cert), _names(cert)
    if not identity.issuer_matches(issuer):
        raise Refused(f"certificate OIDC issuer {issuer or '(none)'} {identity.wanted_issuer}")
    if not identity.subject_matches(names):
        shown = ", ".join(names) or "(none)"
        raise Refused(f"certificate identity [{shown}] {identity.wanted_subject}")


def keyless_problem(
    payload: bytes,
    signature: bytes,
    notes: dict[str, Any],
    root: TrustRoot,
    identity: Identity,
) -> str | None:
    """None when this signature layer is a valid keyless signature by `identity`."""
    try:
        certs = _certificates(_annotation(notes, CERTIFICATE), "the certificate")
        if not certs:
            raise Refused("no certificate in the certificate annotation")
        cert = certs[0]
        chain = (
            _certificates(notes[CHAIN], "the chain") if isinstance(notes.get(CHAIN), str) else []
        )
        entry = _log_entry(_annotation(notes, BUNDLE))
        _check_set(entry, root)
        _check_body(entry, cert, signature, payload)
        issuer = _check_chain(cert, chain, root, _when(entry))
        _check_sct(cert, issuer, root)
        _check_identity(cert, identity)
        key: LogKey | Any = cert.public_key()
        if not _verify(key, signature, payload, hashes.SHA256()):
            raise Refused("the signature does not verify with the certificate's key")
    except Refused as refused:
        return str(refused)
    return None


@dataclass(frozen=True)
class KeylessVerifier:
    """A `signatures.Verifier`: keyless signatures by `identity` under `root`. `source` is the
    trust root file's bytes, part of what a verified signature is remembered under."""

    root: TrustRoot
    identity: Identity
    source: bytes

    @property
    def fingerprint(self) -> frozenset[bytes]:
        wanted = repr(self.identity).encode()
        return frozenset({b"keyless:" + hashlib.sha256(self.source).digest() + wanted})

    def problem(self, payload: bytes, signature: bytes, notes: dict[str, Any]) -> str | None:
        return keyless_problem(payload, signature, notes, self.root, self.identity)
