"""A Sigstore-like world made by the tests: a Fulcio-like CA, a CT log and a Rekor log.

Certificates follow Fulcio's profile (github.com/sigstore/fulcio docs/certificate-specification
.md): empty subject, a critical SAN with the identity, code signing usage, the OIDC issuer in
1.3.6.1.4.1.57264.1.1 (raw) and 1.3.6.1.4.1.57264.1.8 (DER UTF8String), and an embedded SCT
(RFC 6962 section 3.2) over the precertificate. The Rekor entry is a `hashedrekord` v0.0.1
with a signed entry timestamp over its canonical JSON, as cosign's RekorBundle carries it.
`trusted_root()` writes all three in sigstore/protobuf-specs' TrustedRoot JSON.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID, ObjectIdentifier

ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
Key = ec.EllipticCurvePrivateKey


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _ca(name: str, key: Key, issuer: tuple[x509.Certificate, Key] | None) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    signer_name, signer_key = (issuer[0].subject, issuer[1]) if issuer else (subject, key)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(signer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
            critical=False,
        )
    )
    return builder.sign(signer_key, hashes.SHA256())


def _utf8(text: str) -> bytes:
    data = text.encode()
    return bytes([0x0C, len(data)]) + data


@dataclass
class Signed:
    """One keyless signature: what cosign puts in a `.sig` layer's annotations."""

    signature: bytes
    annotations: dict[str, str]


@dataclass
class Sigstore:
    """A CA (root and intermediate), a CT log and a Rekor log, each with its own key."""

    root_key: Key = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    ca_key: Key = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    ct_key: Key = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    rekor_key: Key = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def __post_init__(self) -> None:
        self.root = _ca("sigstore-test root", self.root_key, None)
        self.intermediate = _ca(
            "sigstore-test intermediate", self.ca_key, (self.root, self.root_key)
        )

    @property
    def rekor_log_id(self) -> str:
        return hashlib.sha256(_spki(self.rekor_key.public_key())).hexdigest()

    def _sct_list(self, tbs: bytes, when: datetime) -> bytes:
        """A SignedCertificateTimestampList (RFC 6962 section 3.3) of one SCT over `tbs`."""
        millis = int(when.timestamp() * 1000)
        issuer_hash = hashlib.sha256(_spki(self.ca_key.public_key())).digest()
        signed = (
            struct.pack(">BBQH", 0, 0, millis, 1)
            + issuer_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + b"\x00\x00"
        )
        sig = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        log_id = hashlib.sha256(_spki(self.ct_key.public_key())).digest()
        sct = b"\x00" + log_id + struct.pack(">Q", millis) + b"\x00\x00" + b"\x04\x03"
        sct += len(sig).to_bytes(2, "big") + sig
        return (len(sct) + 2).to_bytes(2, "big") + len(sct).to_bytes(2, "big") + sct

    def certificate(
        self, key: Key, identity: str, issuer: str, not_before: datetime, *, sct: bool = True
    ) -> x509.Certificate:
        """A Fulcio-profile leaf for `key`, valid 10 minutes from `not_before`."""
        san: x509.GeneralName = (
            x509.RFC822Name(identity)
            if "@" in identity
            else x509.UniformResourceIdentifier(identity)
        )
        serial = x509.random_serial_number()

        def build(extra: list[x509.ExtensionType]) -> x509.Certificate:
            builder = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([]))
                .issuer_name(self.intermediate.subject)
                .public_key(key.public_key())
                .serial_number(serial)
                .not_valid_before(not_before)
                .not_valid_after(not_before + timedelta(minutes=10))
                .add_extension(
                    x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                    critical=True,
                )
                .add_extension(
                    x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
                )
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
                )
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()),
                    critical=False,
                )
                .add_extension(x509.SubjectAlternativeName([san]), critical=True)
                .add_extension(x509.UnrecognizedExtension(ISSUER_V1, issuer.encode()), False)
                .add_extension(x509.UnrecognizedExtension(ISSUER_V2, _utf8(issuer)), False)
            )
            for ext in extra:
                builder = builder.add_extension(ext, critical=False)
            return builder.sign(self.ca_key, hashes.SHA256())

        if not sct:
            return build([])
        # The SCT signs the certificate without its SCT extension (the precertificate TBS).
        precert = build([])
        scts = self._sct_list(precert.tbs_certificate_bytes, not_before)
        octets = bytes([0x04, len(scts)]) if len(scts) < 128 else bytes([0x04, 0x81, len(scts)])
        value = x509.UnrecognizedExtension(
            ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS, octets + scts
        )
        return build([value])

    def _logged(self, body: dict[str, Any], integrated: datetime) -> dict[str, Any]:
        """cosign's RekorBundle: the entry and Rekor's signed entry timestamp over it."""
        entry = {
            "body": base64.b64encode(json.dumps(body).encode()).decode(),
            "integratedTime": int(integrated.timestamp()),
            "logID": self.rekor_log_id,
            "logIndex": 42,
        }
        canonical = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
        set_sig = self.rekor_key.sign(canonical, ec.ECDSA(hashes.SHA256()))
        return {"SignedEntryTimestamp": base64.b64encode(set_sig).decode(), "Payload": entry}

    def _tlog_entry(self, rekor: dict[str, Any], kind: str) -> dict[str, Any]:
        """A protobuf-specs TransparencyLogEntry, with the Merkle inclusion proof the
        `sigstore` package wants: this entry as the only leaf of the log, with a checkpoint
        (a signed note, github.com/transparency-dev/formats log/README.md)."""
        body = base64.b64decode(rekor["Payload"]["body"])
        root_hash = base64.b64encode(hashlib.sha256(b"\x00" + body).digest()).decode()
        key_id = bytes.fromhex(rekor["Payload"]["logID"])
        note = f"test-log - 1\n1\n{root_hash}\n"
        note_sig = self.rekor_key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
        stamp = base64.b64encode(key_id[:4] + note_sig).decode()
        return {
            "logIndex": str(rekor["Payload"]["logIndex"]),
            "logId": {"keyId": base64.b64encode(key_id).decode()},
            "kindVersion": {"kind": kind, "version": "0.0.1"},
            "integratedTime": str(rekor["Payload"]["integratedTime"]),
            "inclusionPromise": {"signedEntryTimestamp": rekor["SignedEntryTimestamp"]},
            "inclusionProof": {
                "logIndex": "0",
                "rootHash": root_hash,
                "treeSize": "1",
                "hashes": [],
                "checkpoint": {"envelope": f"{note}\n\u2014 test-log {stamp}\n"},
            },
            "canonicalizedBody": rekor["Payload"]["body"],
        }

    def rekor_bundle(
        self, cert: x509.Certificate, signature: bytes, payload: bytes, integrated: datetime
    ) -> dict[str, Any]:
        """cosign's RekorBundle for a `hashedrekord` entry of this signature."""
        body = {
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {
                    "hash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()}
                },
                "signature": {
                    "content": base64.b64encode(signature).decode(),
                    "publicKey": {"content": base64.b64encode(_pem(cert).encode()).decode()},
                },
            },
        }
        return self._logged(body, integrated)

    def sign(
        self,
        payload: bytes,
        identity: str,
        issuer: str,
        when: datetime,
        *,
        cert_start: datetime | None = None,
        sct: bool = True,
    ) -> Signed:
        """Sign `payload` keyless at `when` (the Rekor integrated time)."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self.certificate(
            key, identity, issuer, cert_start or when - timedelta(minutes=1), sct=sct
        )
        signature = key.sign(payload, ec.ECDSA(hashes.SHA256()))
        bundle = self.rekor_bundle(cert, signature, payload, when)
        return Signed(
            signature,
            {
                "dev.sigstore.cosign/certificate": _pem(cert),
                "dev.sigstore.cosign/chain": _pem(self.intermediate) + _pem(self.root),
                "dev.sigstore.cosign/bundle": json.dumps(bundle),
            },
        )

    def sigstore_bundle(self, signed: Signed, payload: bytes) -> str:
        """The same signature as a Sigstore bundle (v0.1) for the `sigstore` package."""
        rekor = json.loads(signed.annotations["dev.sigstore.cosign/bundle"])
        cert = x509.load_pem_x509_certificate(
            signed.annotations["dev.sigstore.cosign/certificate"].encode()
        )
        der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        digest = base64.b64encode(hashlib.sha256(payload).digest()).decode()
        return json.dumps(
            {
                "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
                "verificationMaterial": {
                    "x509CertificateChain": {"certificates": [{"rawBytes": der}]},
                    "tlogEntries": [self._tlog_entry(rekor, "hashedrekord")],
                },
                "messageSignature": {
                    "messageDigest": {"algorithm": "SHA2_256", "digest": digest},
                    "signature": base64.b64encode(signed.signature).decode(),
                },
            }
        )

    def trusted_root(self, ca: Sigstore | None = None) -> bytes:
        """This world as a sigstore TrustedRoot JSON (trusted_root.json); with `ca`, that
        world's certificate authority instead of this one's."""

        def log(key: Key) -> dict[str, Any]:
            spki = _spki(key.public_key())
            return {
                "baseUrl": "https://log.invalid",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": base64.b64encode(spki).decode(),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2020-01-01T00:00:00Z"},
                },
                "logId": {"keyId": base64.b64encode(hashlib.sha256(spki).digest()).decode()},
            }

        der = [
            {"rawBytes": base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()}
            for c in ((ca or self).intermediate, (ca or self).root)
        ]
        doc = {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(self.rekor_key)],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "test", "commonName": "sigstore-test"},
                    "uri": "https://fulcio.invalid",
                    "certChain": {"certificates": der},
                    "validFor": {"start": "2020-01-01T00:00:00Z"},
                }
            ],
            "ctlogs": [log(self.ct_key)],
            "timestampAuthorities": [],
        }
        return json.dumps(doc).encode()
