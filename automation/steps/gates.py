"""Release gates an ImagePolicy may add (beyond Flux): minimum release age, signatures.

In: the policy (its annotations), its repository, an `Inspector` that asks the registry, and
`now`. Out: `select_eligible` -> the latest tag that passes every gate, and the newer tags held
back, each with why (`1.2.0 (built 1h ago; minimum release age 72h)`). Without gates this is
`select_latest`. At most `MAX_HELD` tags are tried per evaluation, so a repository full of
unsigned or young tags costs a bounded number of registry requests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from automation.config import Config, ImagePolicy, ImageRepository
from automation.config.duration import format_duration
from automation.errors import NoMatchingTagError
from automation.policy import select_latest
from automation.registry.keyless import Identity, KeylessVerifier
from automation.registry.signatures import PublicKey, Verifier, load_keys
from automation.registry.trustroot import load_trust_root

MAX_HELD = 20
TRUSTED_ROOT_ENTRY = "trusted_root.json"

# tag -> why it is not eligible, or None
Gate = Callable[[str], Awaitable[str | None]]


class Inspector(Protocol):
    """What the gates ask the registry (`steps.scan.DigestResolver` answers)."""

    async def created(self, repo: ImageRepository, tag: str) -> datetime | None: ...

    async def signature_problem(
        self, repo: ImageRepository, tag: str, keys: list[PublicKey] | Verifier
    ) -> str | None: ...


def _age(now: datetime, built: datetime) -> str:
    return format_duration(timedelta(seconds=max(0, int((now - built).total_seconds()))))


def build_gates(
    config: Config,
    policy: ImagePolicy,
    repo: ImageRepository,
    inspector: Inspector | None,
    now: datetime,
) -> list[Gate]:
    """The gates the policy's annotations ask for (none without an inspector)."""
    if inspector is None:
        return []
    gates: list[Gate] = []
    secret_name = policy.signature_secret
    if secret_name is not None:
        secret = config.secret(policy.metadata.namespace, secret_name, needed_by=policy)
        keys = load_keys({k: v for k, v in secret.values.items() if k.endswith(".pub")})
        if not keys:
            raise NoMatchingTagError(f"Secret {secret_name} holds no *.pub public key")

        async def signed(tag: str) -> str | None:
            problem = await inspector.signature_problem(repo, tag, keys)
            return None if problem is None else f"not signed: {problem}"

        gates.append(signed)
    keyless = _keyless_verifier(config, policy)
    if keyless is not None:

        async def signed_keyless(tag: str) -> str | None:
            problem = await inspector.signature_problem(repo, tag, keyless)
            return None if problem is None else f"not signed keyless: {problem}"

        gates.append(signed_keyless)
    minimum = policy.min_release_age
    if minimum is not None:
        limit = format_duration(minimum)

        async def old_enough(tag: str) -> str | None:
            built = await inspector.created(repo, tag)
            if built is None:
                return f"no created time; minimum release age {limit}"
            if now - built < minimum:
                return f"built {_age(now, built)} ago; minimum release age {limit}"
            return None

        gates.append(old_enough)
    return gates


def _keyless_verifier(config: Config, policy: ImagePolicy) -> KeylessVerifier | None:
    """The trust root (a Secret's `trusted_root.json`) and identity the annotations name."""
    secret_name = policy.keyless_root_secret
    if secret_name is None:
        return None
    secret = config.secret(policy.metadata.namespace, secret_name, needed_by=policy)
    data = secret.values.get(TRUSTED_ROOT_ENTRY)
    if data is None:
        raise NoMatchingTagError(f"Secret {secret_name} holds no {TRUSTED_ROOT_ENTRY}")
    wanted = policy.keyless_identity
    identity = Identity(
        subject=wanted.get("certificate-identity"),
        subject_regexp=wanted.get("certificate-identity-regexp"),
        issuer=wanted.get("certificate-oidc-issuer"),
        issuer_regexp=wanted.get("certificate-oidc-issuer-regexp"),
    )
    return KeylessVerifier(load_trust_root(data), identity, data)


def held_note(held: list[str]) -> str:
    return f"held back: {', '.join(held)}" if held else ""


async def select_eligible(
    policy: ImagePolicy, tags: list[str], gates: list[Gate]
) -> tuple[str, list[str]]:
    """The latest tag passing every gate, and the newer ones held back (with reasons)."""
    if not gates:
        return select_latest(policy.spec, tags).tag, []
    remaining: list[str] = list(tags)
    held: list[str] = []
    for _ in range(MAX_HELD):
        try:
            tag = select_latest(policy.spec, remaining).tag
        except NoMatchingTagError:
            if not held:
                raise
            raise NoMatchingTagError(f"no eligible tag; {held_note(held)}") from None
        for gate in gates:
            reason = await gate(tag)
            if reason is not None:
                held.append(f"{tag} ({reason})")
                break
        else:
            return tag, held
        remaining = [t for t in remaining if t != tag]
    raise NoMatchingTagError(f"no eligible tag among the {MAX_HELD} newest; {held_note(held)}")
