"""Keyless signatures only: a tag is eligible when a Fulcio-like certificate for the expected
identity and OIDC issuer signed it, logged in a Rekor-like log, under the trust root file.
Images and signatures are real pushes to the rig's registry; the CA, CT log and Rekor log are
the tests' own (tests/rig/fulcio.py), in cosign's keyless layout."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from automation.cli import main
from automation.config import load_config
from automation.errors import ConfigErrors
from automation.registry.keyless import Identity, keyless_problem
from automation.registry.signatures import VERIFIED
from automation.registry.trustroot import TrustRootError, load_trust_root
from automation.state import open_store
from automation.steps.crosscheck import crosscheck
from automation.steps.cycle import refresh_cycle
from tests.rig import cosign, images
from tests.rig.fulcio import Signed, Sigstore
from tests.rig.registry import RegistryServer

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
SIGNED_AT = NOW - timedelta(days=2)
WHO = "release@example.com"
ISSUER = "https://issuer.example"
IDENTITY = {"verify-certificate-identity": WHO, "verify-certificate-oidc-issuer": ISSUER}


def write(tmp_path: Path, host: str, repo: str, root: bytes, wanted: dict[str, str]) -> Path:
    path = tmp_path / "policies"
    path.mkdir(exist_ok=True)
    notes = {"image-automation.io/verify-trusted-root": "sigstore"} | {
        f"image-automation.io/{k}": v for k, v in wanted.items()
    }
    (path / "p.yaml").write_text(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
        "metadata: {name: app, namespace: apps}\n"
        f"spec: {{image: {host}/{repo}, interval: 1h, insecure: true}}\n---\n"
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n"
        "metadata:\n  name: app\n  namespace: apps\n"
        f"  annotations: {json.dumps(notes)}\n"
        "spec:\n  imageRepositoryRef: {name: app}\n  policy: {semver: {range: '>=1.0.0'}}\n"
    )
    (tmp_path / "secrets.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: sigstore, namespace: apps}\n"
        f"data:\n  trusted_root.json: {base64.b64encode(root).decode()}\n"
    )
    return path


def evaluate(tmp_path: Path, path: Path) -> tuple[str | None, str]:
    config = load_config([path], [tmp_path / "secrets.yaml"])  # Secrets from a secrets path
    store = open_store(tmp_path / "s.db")
    _, (outcome,), _ = asyncio.run(refresh_cycle(config, store, NOW, force=True, mirror=False))
    record = store.get_policy("apps/app")
    store.close()
    message = (record.message if record and not outcome.error else outcome.error) or ""
    return (outcome.latest.tag if outcome.latest else None), message


def sign(
    server: RegistryServer,
    world: Sigstore,
    pushed: images.PushedImage,
    who: str = WHO,
    issuer: str = ISSUER,
    cert_start: datetime | None = None,
) -> None:
    body = cosign.payload(f"{server.host}/{pushed.repo}", pushed.digest)
    signed = world.sign(body, who, issuer, SIGNED_AT, cert_start=cert_start)
    cosign.push_signature(
        server,
        pushed.repo,
        pushed.digest,
        None,
        signature=signed.signature,
        notes=signed.annotations,
    )


def test_only_the_expected_identity_is_selected(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world, stranger = Sigstore(), Sigstore()
    repo = images.unique_repo("keyless")
    v = {t: images.push_image(registry, repo, t) for t in ("1.0.0", "1.1.0", "1.2.0", "1.3.0")}
    v |= {t: images.push_image(registry, repo, t) for t in ("1.4.0", "1.5.0", "1.6.0")}
    sign(registry, world, v["1.0.0"])
    sign(registry, world, v["1.1.0"], who="intern@example.com")  # wrong identity
    sign(registry, world, v["1.2.0"], issuer="https://other.example")  # wrong issuer
    sign(registry, stranger, v["1.3.0"])  # a CA (and logs) the trust root does not hold
    # The certificate had expired ten minutes before the signature was logged.
    sign(registry, world, v["1.4.0"], cert_start=SIGNED_AT - timedelta(minutes=20))
    # Tampered: the payload names 1.5.0, the signature and log entry are for 1.0.0's payload.
    original = cosign.payload(f"{registry.host}/{repo}", v["1.0.0"].digest)
    signed = world.sign(original, WHO, ISSUER, SIGNED_AT)
    cosign.push_signature(
        registry,
        repo,
        v["1.5.0"].digest,
        None,
        signature=signed.signature,
        notes=signed.annotations,
    )
    # 1.6.0 is unsigned.
    path = write(tmp_path, registry.host, repo, world.trusted_root(), IDENTITY)

    tag, message = evaluate(tmp_path, path)
    assert tag == "1.0.0"
    assert message.partition("held back: ")[2] == ", ".join(
        [
            "1.6.0 (not signed keyless: no signature)",
            "1.5.0 (not signed keyless: no valid signature (1 checked; the Rekor entry is for "
            "another payload))",
            "1.4.0 (not signed keyless: no valid signature (1 checked; the certificate was not "
            "valid when the signature was logged at 2026-11-19T12:00:00Z: valid "
            "2026-11-19T11:40:00Z to 2026-11-19T11:50:00Z))",
            "1.3.0 (not signed keyless: no valid signature (1 checked; the Rekor log "
            + f"{stranger.rekor_log_id[:16]} is not in the trust root))",
            "1.2.0 (not signed keyless: no valid signature (1 checked; certificate OIDC issuer "
            "https://other.example is not https://issuer.example))",
            "1.1.0 (not signed keyless: no valid signature (1 checked; certificate identity "
            "[intern@example.com] is not release@example.com))",
        ]
    )

    # A regexp identity admits the intern too.
    wanted = IDENTITY | {"verify-certificate-identity-regexp": "@example\\.com$"}
    del wanted["verify-certificate-identity"]
    path = write(tmp_path, registry.host, repo, world.trusted_root(), wanted)
    assert evaluate(tmp_path, path)[0] == "1.1.0"

    # `policy test -v` names the gate and what the last evaluation held back.
    args = ["policy", "test", "--name", "apps/app", "--policies", str(path), "-v"]
    args += ["--state", str(tmp_path / "s.db"), "--tags", "1.0.0,1.6.0", "-o", "json"]
    assert main(args) == 0
    note = json.loads(capsys.readouterr().out)["releaseGates"]
    assert note.startswith(
        "release gates (keyless signatures (certificate-identity-regexp @example\\.com$, "
        "certificate-oidc-issuer https://issuer.example) under the trust root in Secret sigstore)"
    )
    assert "1.2.0 (not signed keyless: no valid signature (1 checked; certificate OIDC" in note


def test_a_ca_not_in_the_trust_root_is_refused(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same logs, another CA: the certificate chain is what refuses it, and `get policies`
    says so."""
    world, stranger = Sigstore(), Sigstore()
    repo = images.unique_repo("keyless")
    pushed = images.push_image(registry, repo, "1.0.0")
    sign(registry, world, pushed)
    path = write(tmp_path, registry.host, repo, world.trusted_root(ca=stranger), IDENTITY)
    tag, message = evaluate(tmp_path, path)
    assert tag is None
    assert "the certificate does not chain to the trust root" in message
    args = ["get", "policies", str(path), "--state", str(tmp_path / "s.db"), "-o", "json"]
    assert main(args) == 0
    (item,) = json.loads(capsys.readouterr().out)["items"]
    shown = item["status"]["conditions"][0]["message"]
    assert shown.startswith(
        "no eligible tag; held back: 1.0.0 (not signed keyless: no valid signature (1 checked; "
        "the certificate does not chain to the trust root: "
    )
    path = write(tmp_path, registry.host, repo, world.trusted_root(), IDENTITY)
    assert evaluate(tmp_path, path)[0] == "1.0.0"


def test_keyless_signatures_found_as_oci_referrers(
    registry: RegistryServer, tmp_path: Path
) -> None:
    world = Sigstore()
    repo = images.unique_repo("keyless")
    v1 = images.push_image(registry, repo, "1.0.0")
    body = cosign.payload(f"{registry.host}/{repo}", v1.digest)
    signed = world.sign(body, WHO, ISSUER, SIGNED_AT)
    cosign.push_referrer_signature(
        registry, v1, None, signature=signed.signature, notes=signed.annotations
    )
    images.push_image(registry, repo, "2.0.0")
    path = write(tmp_path, registry.host, repo, world.trusted_root(), IDENTITY)
    before = VERIFIED.verifications
    tag, message = evaluate(tmp_path, path)
    assert (tag, message.partition("held back: ")[2]) == (
        "1.0.0",
        "2.0.0 (not signed keyless: no signature)",
    )
    # A verified keyless signature is remembered under its trust root and identity.
    assert evaluate(tmp_path, path)[0] == "1.0.0"
    assert VERIFIED.verifications - before == 3


PAYLOAD = b'{"critical":{}}'


def test_each_verification_step_refuses() -> None:
    world = Sigstore()
    root = load_trust_root(world.trusted_root())
    who = Identity(subject=WHO, issuer=ISSUER)
    good = world.sign(PAYLOAD, WHO, ISSUER, SIGNED_AT)
    assert keyless_problem(PAYLOAD, good.signature, good.annotations, root, who) is None
    assert keyless_problem(PAYLOAD, b"x" + good.signature, good.annotations, root, who) == (
        "the Rekor entry is for another signature"
    )
    # The SET no longer covers the entry once the integrated time is moved.
    bundle = json.loads(good.annotations["dev.sigstore.cosign/bundle"])
    bundle["Payload"]["integratedTime"] += 60
    moved = good.annotations | {"dev.sigstore.cosign/bundle": json.dumps(bundle)}
    assert keyless_problem(PAYLOAD, good.signature, moved, root, who) == (
        "the Rekor signed entry timestamp does not verify"
    )
    # The certificate of another signature, logged and all, does not fit this one's entry.
    other = world.sign(PAYLOAD, WHO, ISSUER, SIGNED_AT)
    swapped = good.annotations | {
        "dev.sigstore.cosign/certificate": other.annotations["dev.sigstore.cosign/certificate"]
    }
    assert keyless_problem(PAYLOAD, good.signature, swapped, root, who) == (
        "the Rekor entry is for another certificate"
    )
    # An SCT from a CT log the trust root does not hold (same CA and Rekor keys).
    rogue_ct = Sigstore(root_key=world.root_key, ca_key=world.ca_key, rekor_key=world.rekor_key)
    unlogged = rogue_ct.sign(PAYLOAD, WHO, ISSUER, SIGNED_AT)
    assert keyless_problem(PAYLOAD, unlogged.signature, unlogged.annotations, root, who) == (
        "no embedded SCT verifies with a CT log of the trust root"
    )
    no_sct = world.sign(PAYLOAD, WHO, ISSUER, SIGNED_AT, sct=False)
    assert keyless_problem(PAYLOAD, no_sct.signature, no_sct.annotations, root, who) == (
        "the certificate has no embedded SCT"
    )
    # The signature must verify with the certificate's key (entry re-signed by the log).
    forged = world.rekor_bundle(_cert(good), other.signature, PAYLOAD, SIGNED_AT)
    notes = good.annotations | {"dev.sigstore.cosign/bundle": json.dumps(forged)}
    assert keyless_problem(PAYLOAD, other.signature, notes, root, who) == (
        "the signature does not verify with the certificate's key"
    )


def _cert(signed: Signed) -> x509.Certificate:
    pem = signed.annotations["dev.sigstore.cosign/certificate"]
    return x509.load_pem_x509_certificate(pem.encode())


@pytest.mark.parametrize(
    ("notes", "reason"),
    [
        (
            {"dev.sigstore.cosign/certificate": None},
            "no dev.sigstore.cosign/certificate annotation",
        ),
        ({"dev.sigstore.cosign/certificate": "x"}, "the certificate is not a PEM certificate"),
        ({"dev.sigstore.cosign/certificate": "C" * 100_000}, "annotation too large"),
        ({"dev.sigstore.cosign/bundle": "[" * 60_000}, "the Rekor bundle is malformed"),
        ({"dev.sigstore.cosign/bundle": '{"Payload": 1}'}, "the Rekor bundle is malformed"),
        ({"dev.sigstore.cosign/bundle": None}, "no dev.sigstore.cosign/bundle annotation"),
    ],
)
def test_hostile_annotations_are_refused(notes: dict[str, object], reason: str) -> None:
    world = Sigstore()
    good = world.sign(PAYLOAD, WHO, ISSUER, SIGNED_AT)
    merged = {k: v for k, v in (good.annotations | notes).items() if v is not None}
    root = load_trust_root(world.trusted_root())
    problem = keyless_problem(PAYLOAD, good.signature, merged, root, Identity(WHO, None, ISSUER))
    assert problem is not None
    assert reason in problem


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[", "trust root is not JSON"),
        (b"[]", "not a JSON object"),
        (b"{}", "trust root has no certificateAuthorities"),
        (b'{"tlogs": [{"publicKey": {"rawBytes": "AAAA"}}]}', "tlogs[0].publicKey is not a"),
        (b'{"certificateAuthorities": [{"certChain": {"certificates": []}}]}', "is empty"),
    ],
)
def test_bad_trust_roots_are_named(data: bytes, reason: str) -> None:
    with pytest.raises(TrustRootError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        load_trust_root(data)


@pytest.mark.parametrize(
    ("notes", "message"),
    [
        ({"verify-certificate-identity": WHO}, "needs image-automation.io/verify-trusted-root"),
        (
            {"verify-trusted-root": "s", "verify-certificate-identity": WHO},
            "give exactly one of verify-certificate-oidc-issuer and",
        ),
        (
            {"verify-trusted-root": "s", "verify-certificate-oidc-issuer": ISSUER},
            "give exactly one of verify-certificate-identity and",
        ),
        (
            {
                "verify-trusted-root": "s",
                "verify-certificate-identity-regexp": "(",
                "verify-certificate-oidc-issuer": ISSUER,
            },
            "verify-certificate-identity-regexp: invalid regexp",
        ),
    ],
)
def test_keyless_annotations_are_checked(
    tmp_path: Path, notes: dict[str, str], message: str
) -> None:
    full = {f"image-automation.io/{k}": v for k, v in notes.items()}
    (tmp_path / "p.yaml").write_text(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n"
        f"metadata:\n  name: app\n  namespace: apps\n  annotations: {json.dumps(full)}\n"
        "spec:\n  imageRepositoryRef: {name: app}\n  policy: {semver: {range: '>=1.0.0'}}\n"
    )
    with pytest.raises(ConfigErrors, match=message):
        load_config([tmp_path / "p.yaml"])


def test_config_check_names_a_missing_trust_root_secret(tmp_path: Path) -> None:
    path = write(tmp_path, "127.0.0.1:1", "x/y", b"{}", IDENTITY)
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(secrets.read_text().replace("name: sigstore", "name: other"))
    config = load_config([path], [secrets])
    found = [(e.field, e.message) for e in crosscheck(config)]
    assert [f for f, _ in found] == ["metadata.annotations.image-automation.io/verify-trusted-root"]
    assert "Secret apps/sigstore not found" in found[0][1]


def test_a_bad_trust_root_is_the_policy_error(registry: RegistryServer, tmp_path: Path) -> None:
    repo = images.unique_repo("keyless")
    images.push_image(registry, repo, "1.0.0")
    path = write(tmp_path, registry.host, repo, b'{"tlogs": 3}', IDENTITY)
    tag, message = evaluate(tmp_path, path)
    assert tag is None
    assert "trust root: tlogs is not a list of objects" in message
