"""Credentials from a Flux-style secret never show up in reprs or scrubbed text."""

from __future__ import annotations

import base64

import pytest

from automation.errors import GitAuthError
from automation.git import GitAuth, git_auth_from_secret

KEY = (
    b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAsecretkeymaterial\n"
    b"-----END OPENSSH PRIVATE KEY-----\n"
)


def test_reads_flux_secret_keys() -> None:
    auth = git_auth_from_secret(
        {
            "username": b"bot\n",
            "password": b"hunter22",
            "identity": KEY,
            "known_hosts": b"github.com ssh-ed25519 AAAA\n",
            "ca.crt": b"-----BEGIN CERTIFICATE-----\n",
            "unrelated": b"x",
        }
    )
    assert (auth.username, auth.password) == ("bot", "hunter22")
    assert auth.identity == KEY
    assert auth.known_hosts.startswith(b"github.com")
    assert auth.ca_bundle.startswith(b"-----BEGIN CERTIFICATE")


def test_bearer_token() -> None:
    assert git_auth_from_secret({"bearerToken": b"tok-123456"}).bearer_token == "tok-123456"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"password": b"p4ssword"}, "'username' is missing"),
        ({"username": b"u", "password": b"p", "bearerToken": b"t"}, "either"),
        ({"identity": b"not a key"}, "not a PEM/OpenSSH private key"),
        ({"username": b"\xff"}, "not valid UTF-8"),
        (
            {"username": b"u", "password": b"a\nurl=https://evil"},
            "'password' must be a single line",
        ),
    ],
)
def test_bad_secrets_are_named(values: dict[str, bytes], message: str) -> None:
    with pytest.raises(GitAuthError, match=message):
        git_auth_from_secret(values)


def test_repr_and_scrub_hide_every_secret() -> None:
    auth = GitAuth(username="bot", password="hunter22", identity=KEY)
    basic = base64.b64encode(b"bot:hunter22").decode()
    assert "hunter22" not in repr(auth) and "secretkeymaterial" not in repr(auth)
    text = f"fatal: hunter22 Basic {basic} line AAAAsecretkeymaterial"
    scrubbed = auth.scrub(text)
    assert "hunter22" not in scrubbed
    assert basic not in scrubbed
    assert "secretkeymaterial" not in scrubbed
    assert scrubbed.startswith("fatal: *** Basic ***")
