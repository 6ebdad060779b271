"""Signed images only: an unsigned newer tag is never selected while a signed older one is;
a tampered or foreign signature is refused. Images and signatures are real pushes to the rig's
registry, signed with keys the tests make (cosign's layout, see tests/rig/cosign.py)."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from automation.cli import main
from automation.config import load_config
from automation.reconcile import reconcile
from automation.reference import parse_repository
from automation.registry import Credentials, CredentialSources, RegistryClient, ScanOptions
from automation.registry.signatures import (
    MAX_LAYERS,
    SIMPLE_SIGNING,
    VERIFIED,
    SigningKeyError,
    _candidates,
    _names_digest,
    load_keys,
    signature_problem,
)
from automation.state import open_store
from automation.steps.cycle import refresh_cycle
from tests.rig import cosign, images
from tests.rig.git_remotes import GitRemote, read_file_at, seed
from tests.rig.registry import RegistryServer

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def write(tmp_path: Path, host: str, repo: str, pems: dict[str, bytes]) -> Path:
    path = tmp_path / "policies"
    path.mkdir(exist_ok=True)
    data = "\n".join(f"  {k}: {base64.b64encode(v).decode()}" for k, v in pems.items())
    (path / "p.yaml").write_text(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
        "metadata: {name: app, namespace: apps}\n"
        f"spec: {{image: {host}/{repo}, interval: 1h, insecure: true}}\n---\n"
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n"
        "metadata:\n  name: app\n  namespace: apps\n"
        "  annotations: {image-automation.io/verify-signatures: cosign-keys}\n"
        "spec:\n  imageRepositoryRef: {name: app}\n  policy: {semver: {range: '>=1.0.0'}}\n"
    )
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: cosign-keys, namespace: apps}\n"
        f"data:\n{data}\n"
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


def test_only_signed_tags_are_selected(registry: RegistryServer, tmp_path: Path) -> None:
    key, other = cosign.new_key(), cosign.new_key()
    repo = images.unique_repo("signed")
    v1 = images.push_image(registry, repo, "1.0.0")
    images.push_image(registry, repo, "1.1.0")  # unsigned
    v12 = images.push_image(registry, repo, "1.2.0")
    v13 = images.push_image(registry, repo, "1.3.0")
    v14 = images.push_image(registry, repo, "1.4.0")
    cosign.push_signature(registry, repo, v1.digest, key)
    cosign.push_signature(registry, repo, v12.digest, other)  # a key we do not trust
    # Tampered: a valid signature over a payload naming 1.0.0's digest, reused for 1.3.0.
    stolen = cosign.payload(f"{registry.host}/{repo}", v1.digest)
    cosign.push_signature(
        registry, repo, v13.digest, key, body=stolen, signature=cosign.sign_bytes(key, stolen)
    )
    # Tampered: the payload names 1.4.0 but the signature is over different bytes.
    cosign.push_signature(registry, repo, v14.digest, key, signature=cosign.sign_bytes(key, b"x"))
    path = write(tmp_path, registry.host, repo, {"cosign.pub": cosign.public_pem(key)})

    tag, message = evaluate(tmp_path, path)
    assert tag == "1.0.0"
    assert message.endswith(
        "held back: 1.4.0 (not signed: no valid signature (1 checked)), "
        "1.3.0 (not signed: no valid signature (1 checked)), "
        "1.2.0 (not signed: no valid signature (1 checked)), "
        "1.1.0 (not signed: no signature)"
    )
    # Signing 1.2.0 with the trusted key (a second key in the Secret works too) moves it.
    second = ed25519.Ed25519PrivateKey.generate()
    cosign.push_signature(registry, repo, v12.digest, second)
    pems = {"cosign.pub": cosign.public_pem(key), "team.pub": cosign.public_pem(second)}
    path = write(tmp_path, registry.host, repo, pems)
    assert evaluate(tmp_path, path)[0] == "1.2.0"


def test_no_signed_tag_keeps_nothing_selected(registry: RegistryServer, tmp_path: Path) -> None:
    repo = images.unique_repo("signed")
    images.push_image(registry, repo, "1.0.0")
    path = write(tmp_path, registry.host, repo, {"cosign.pub": cosign.public_pem(cosign.new_key())})
    tag, message = evaluate(tmp_path, path)
    assert tag is None
    assert message == "no eligible tag; held back: 1.0.0 (not signed: no signature)"


def test_wrong_signature_type_is_refused(registry: RegistryServer) -> None:
    key = cosign.new_key()
    repo = images.unique_repo("signed")
    pushed = images.push_image(registry, repo, "1.0.0")
    body = cosign.payload(f"{registry.host}/{repo}", pushed.digest, kind="something else")
    cosign.push_signature(registry, repo, pushed.digest, key, body=body)

    async def check() -> str | None:
        async with RegistryClient(registry.host, ScanOptions(insecure=True)) as client:
            image = parse_repository(f"{registry.host}/{repo}")
            keys = load_keys({"k.pub": cosign.public_pem(key)})
            return await signature_problem(client, image, pushed.digest, keys)

    assert asyncio.run(check()) == "no valid signature (1 checked)"


@pytest.mark.parametrize(
    "pem", [b"", b"not a key", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]
)
def test_bad_public_key_names_the_entry(pem: bytes) -> None:
    with pytest.raises(SigningKeyError, match=r"team\.pub"):
        load_keys({"team.pub": pem})


def test_hostile_signature_documents_are_bounded() -> None:
    assert _candidates(b"[" * 100_000) == []
    assert _names_digest(b"[" * 100_000, "sha256:" + "0" * 64) is False
    layer = {
        "mediaType": SIMPLE_SIGNING,
        "digest": "sha256:" + "1" * 64,
        "annotations": {"dev.cosignproject.cosign/signature": "c2ln"},
    }
    many = json.dumps({"layers": [layer] * 10_000}).encode()
    assert len(_candidates(many)) == MAX_LAYERS


DEPLOY = 'image: {image}:1.0.0 # {{"$imagepolicy": "apps:app"}}\n'


def test_reconcile_writes_the_signed_tag_never_the_unsigned_newer_one(
    registry: RegistryServer, bare_remote: GitRemote, tmp_path: Path
) -> None:
    key = cosign.new_key()
    repo = images.unique_repo("signed")
    v1 = images.push_image(registry, repo, "1.0.0")
    v11 = images.push_image(registry, repo, "1.1.0")
    images.push_image(registry, repo, "2.0.0")  # newest, unsigned
    cosign.push_signature(registry, repo, v1.digest, key)
    cosign.push_signature(registry, repo, v11.digest, key)
    seed(bare_remote, {"app.yaml": DEPLOY.format(image=f"{registry.host}/{repo}")}, "a")
    path = write(tmp_path, registry.host, repo, {"cosign.pub": cosign.public_pem(key)})
    (path / "git.yaml").write_text(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
        "metadata: {name: fleet, namespace: apps}\n"
        f"spec: {{url: '{bare_remote.file_url}', ref: {{branch: main}}}}\n---\n"
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\n"
        "metadata: {name: fleet, namespace: apps}\n"
        "spec:\n  interval: 1h\n  sourceRef: {kind: GitRepository, name: fleet}\n"
        "  git:\n    commit: {author: {name: bot, email: bot@example.com}}\n"
        "    push: {branch: main}\n  update: {path: ./, strategy: Setters}\n"
    )
    config = load_config([path], [tmp_path / "secrets.yaml"])  # Secrets from a secrets path
    store = open_store(tmp_path / "s.db")
    report = reconcile(config, store, cache=tmp_path / "cache", now=NOW)
    assert [a.error for a in report.automations] == [""]
    written = read_file_at(bare_remote, "main", "app.yaml")
    assert f"{registry.host}/{repo}:1.1.0" in written
    assert "2.0.0" not in written


def test_signatures_found_as_oci_referrers(registry: RegistryServer, tmp_path: Path) -> None:
    key = cosign.new_key()
    repo = images.unique_repo("referrers")
    v1 = images.push_image(registry, repo, "1.0.0")
    v2 = images.push_image(registry, repo, "2.0.0")
    cosign.push_referrer_signature(registry, v1, key)
    # 2.0.0's referrers: a signature by another key, and one over 1.0.0's payload.
    cosign.push_referrer_signature(registry, v2, cosign.new_key())
    stolen = cosign.payload(f"{registry.host}/{repo}", v1.digest)
    cosign.push_referrer_signature(
        registry, v2, key, body=stolen, signature=cosign.sign_bytes(key, stolen)
    )
    path = write(tmp_path, registry.host, repo, {"cosign.pub": cosign.public_pem(key)})
    tag, message = evaluate(tmp_path, path)
    assert tag == "1.0.0"
    assert message.endswith("held back: 2.0.0 (not signed: no valid signature (2 checked))")
    cosign.push_referrer_signature(registry, v2, key)
    assert evaluate(tmp_path, path)[0] == "2.0.0"


def test_signature_lookup_on_a_token_auth_registry(registry_token: RegistryServer) -> None:
    key = cosign.new_key()
    repo = images.unique_repo("signed")
    signed = images.push_image(registry_token, repo, "1.0.0")
    unsigned = images.push_image(registry_token, repo, "2.0.0")
    cosign.push_referrer_signature(registry_token, signed, key)
    creds = Credentials(
        username=registry_token.username or "", password=registry_token.password or ""
    )
    options = ScanOptions(insecure=True, credentials=CredentialSources(explicit=creds))

    async def check(digest: str) -> str | None:
        async with RegistryClient(registry_token.host, options) as client:
            image = parse_repository(f"{registry_token.host}/{repo}")
            keys = load_keys({"k.pub": cosign.public_pem(key)})
            return await signature_problem(client, image, digest, keys)

    assert asyncio.run(check(signed.digest)) is None
    assert asyncio.run(check(unsigned.digest)) == "no signature"


def test_policy_test_verbose_names_the_signature_gate(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = cosign.new_key()
    repo = images.unique_repo("signed")
    cosign.push_signature(registry, repo, images.push_image(registry, repo, "1.0.0").digest, key)
    images.push_image(registry, repo, "1.1.0")
    path = write(tmp_path, registry.host, repo, {"cosign.pub": cosign.public_pem(key)})
    assert evaluate(tmp_path, path)[0] == "1.0.0"
    args = ["policy", "test", "--name", "apps/app", "--policies", str(path), "-v"]
    args += ["--state", str(tmp_path / "s.db"), "--tags", "1.0.0,1.1.0", "-o", "json"]
    assert main(args) == 0
    note = json.loads(capsys.readouterr().out)["releaseGates"]
    assert note.startswith("release gates (signatures by the keys in Secret cosign-keys)")
    assert note.endswith("last evaluation held back 1.1.0 (not signed: no signature)")


def test_a_verified_signature_is_not_checked_again(
    registry: RegistryServer, tmp_path: Path
) -> None:
    key = cosign.new_key()
    repo = images.unique_repo("signed")
    cosign.push_signature(registry, repo, images.push_image(registry, repo, "1.0.0").digest, key)
    images.push_image(registry, repo, "1.1.0")  # unsigned: checked on every evaluation
    path = write(tmp_path, registry.host, repo, {"cosign.pub": cosign.public_pem(key)})
    before = VERIFIED.verifications
    assert evaluate(tmp_path, path)[0] == "1.0.0"
    assert VERIFIED.verifications - before == 2
    assert evaluate(tmp_path, path)[0] == "1.0.0"
    assert VERIFIED.verifications - before == 3  # only 1.1.0 again
    # Another key set is another question.
    other = {"cosign.pub": cosign.public_pem(key), "b.pub": cosign.public_pem(cosign.new_key())}
    path = write(tmp_path, registry.host, repo, other)
    assert evaluate(tmp_path, path)[0] == "1.0.0"
    assert VERIFIED.verifications - before == 5
