"""The tests' Sigstore-like world is what the reference Python verifier (the `sigstore`
package) accepts, and our keyless verifier agrees with it, case by case: so the keyless tests
are not checking our code against our own reading of the formats only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sigstore.errors import Error as SigstoreError
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier
from sigstore.verify.policy import Identity as SigstoreIdentity

from automation.registry.keyless import Identity, keyless_problem
from automation.registry.trustroot import load_trust_root
from tests.rig.fulcio import Signed, Sigstore

WHEN = datetime(2026, 11, 21, 11, tzinfo=UTC)
WHO, ISSUER = "release@example.com", "https://issuer.example"
PAYLOAD = b'{"critical":{}}'
WORLD = Sigstore()

Case = Callable[[], tuple[Sigstore, Signed, str, str]]
CASES: dict[str, tuple[Case, bool]] = {
    "valid": (lambda: (WORLD, WORLD.sign(PAYLOAD, WHO, ISSUER, WHEN), WHO, ISSUER), True),
    "other identity": (
        lambda: (WORLD, WORLD.sign(PAYLOAD, WHO, ISSUER, WHEN), "x@y.z", ISSUER),
        False,
    ),
    "other issuer": (
        lambda: (WORLD, WORLD.sign(PAYLOAD, WHO, ISSUER, WHEN), WHO, "https://x"),
        False,
    ),
    "uri identity": (
        lambda: (
            WORLD,
            WORLD.sign(PAYLOAD, "https://ci.example/wf", ISSUER, WHEN),
            "https://ci.example/wf",
            ISSUER,
        ),
        True,
    ),
    "expired at signing": (
        lambda: (
            WORLD,
            WORLD.sign(PAYLOAD, WHO, ISSUER, WHEN, cert_start=WHEN - timedelta(minutes=30)),
            WHO,
            ISSUER,
        ),
        False,
    ),
    "no SCT": (
        lambda: (WORLD, WORLD.sign(PAYLOAD, WHO, ISSUER, WHEN, sct=False), WHO, ISSUER),
        False,
    ),
    "SCT from an unknown log": (
        lambda: (
            WORLD,
            Sigstore(WORLD.root_key, WORLD.ca_key, rekor_key=WORLD.rekor_key).sign(
                PAYLOAD, WHO, ISSUER, WHEN
            ),
            WHO,
            ISSUER,
        ),
        False,
    ),
    "another CA": (
        lambda: (
            WORLD,
            Sigstore(rekor_key=WORLD.rekor_key, ct_key=WORLD.ct_key).sign(
                PAYLOAD, WHO, ISSUER, WHEN
            ),
            WHO,
            ISSUER,
        ),
        False,
    ),
}


def _sigstore_accepts(world: Sigstore, signed: Signed, who: str, issuer: str, tmp: Path) -> bool:
    root_file = tmp / "trusted_root.json"
    root_file.write_bytes(world.trusted_root())
    verifier = Verifier(trusted_root=TrustedRoot.from_file(str(root_file)))
    bundle = Bundle.from_json(world.sigstore_bundle(signed, PAYLOAD))
    try:
        verifier.verify_artifact(PAYLOAD, bundle, SigstoreIdentity(identity=who, issuer=issuer))
    except SigstoreError:
        return False
    return True


@pytest.mark.parametrize("name", sorted(CASES))
def test_our_verifier_agrees_with_sigstore(name: str, tmp_path: Path) -> None:
    make, valid = CASES[name]
    world, signed, who, issuer = make()
    ours = keyless_problem(
        PAYLOAD,
        signed.signature,
        signed.annotations,
        load_trust_root(world.trusted_root()),
        Identity(subject=who, issuer=issuer),
    )
    assert (ours is None) is valid, ours
    assert _sigstore_accepts(world, signed, who, issuer, tmp_path) is valid
