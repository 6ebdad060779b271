"""The token-auth registry and its issuer: distribution really verifies what the issuer signs."""

from __future__ import annotations

import httpx
import pytest

from tests.rig import certs, images
from tests.rig.images import list_tags, unique_repo
from tests.rig.registry import RegistryServer
from tests.rig.tokens import TokenIssuer


def tags_status(server: RegistryServer, repo: str, token: str) -> int:
    """Status of a tag listing presented with ``token`` (200 allowed, 401 refused)."""
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{server.url}/v2/{repo}/tags/list", headers=headers).status_code


def test_token_issuer_rejects_wrong_password(registry_token: RegistryServer) -> None:
    issuer = registry_token.issuer
    assert issuer is not None and registry_token.token_realm is not None
    params = {"service": issuer.service, "scope": "repository:x/y:pull"}

    wrong = httpx.get(registry_token.token_realm, params=params, auth=("rig-user", "nope"))
    right = httpx.get(
        registry_token.token_realm,
        params=params,
        auth=(registry_token.username or "", registry_token.password or ""),
    )

    assert wrong.status_code == 401
    assert "token" not in wrong.json()
    assert right.status_code == 200
    assert right.json()["token"] == right.json()["access_token"]
    assert right.json()["expires_in"] > 0


def test_token_registry_challenges_with_realm_service_and_scope(
    registry_token: RegistryServer,
) -> None:
    repo = unique_repo()
    response = httpx.get(f"{registry_token.url}/v2/{repo}/tags/list")

    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert f'realm="{registry_token.token_realm}"' in challenge
    assert 'service="rig-registry"' in challenge
    assert f'scope="repository:{repo}:pull"' in challenge


def test_token_registry_counts_one_token_per_scope(registry_token: RegistryServer) -> None:
    issuer = registry_token.issuer
    assert issuer is not None
    repo = unique_repo()
    scope = f"repository:{repo}:pull,push"

    images.push_tags(registry_token, repo, ["a", "b", "c"])

    assert issuer.count_for(scope) == 1
    assert sorted(list_tags(registry_token, repo)) == ["a", "b", "c"]  # a new client: one more
    assert issuer.count_for(scope) == 2


def test_token_registry_enforces_the_granted_scope(registry_token: RegistryServer) -> None:
    issuer = registry_token.issuer
    assert issuer is not None
    repo, other = unique_repo(), unique_repo()
    images.push_image(registry_token, repo, "v1")
    pull_other = issuer.mint(
        "rig-user", [{"type": "repository", "name": other, "actions": ["pull"]}]
    )
    pull_repo = issuer.mint("rig-user", [{"type": "repository", "name": repo, "actions": ["pull"]}])

    assert tags_status(registry_token, repo, pull_other) == 401
    assert tags_status(registry_token, repo, pull_repo) == 200


def test_anonymous_token_grants_nothing(registry_token: RegistryServer) -> None:
    issuer = registry_token.issuer
    assert issuer is not None and registry_token.token_realm is not None
    repo = unique_repo()
    images.push_image(registry_token, repo, "v1")
    scope = f"repository:{repo}:pull"
    token = httpx.get(
        registry_token.token_realm, params={"service": issuer.service, "scope": scope}
    ).json()["token"]

    assert tags_status(registry_token, repo, token) == 401
    assert issuer.requests[-1].username is None
    assert issuer.requests[-1].grant == "anonymous"


def test_registry_refuses_tokens_from_an_untrusted_signer(registry_token: RegistryServer) -> None:
    repo = unique_repo()
    images.push_image(registry_token, repo, "v1")
    rogue_ca = certs.new_ca("rogue CA")
    rogue = TokenIssuer(
        issuer="rig-token-issuer",
        service="rig-registry",
        users={},
        signer=certs.issue(rogue_ca, "rogue signer", server_auth=False),
    )
    rogue.stop()  # never served; only its signing key is used
    token = rogue.mint("rig-user", [{"type": "repository", "name": repo, "actions": ["pull"]}])

    assert tags_status(registry_token, repo, token) == 401


def oauth_form(server: RegistryServer, **fields: str) -> httpx.Response:
    assert server.token_realm is not None
    form = {"service": "rig-registry", "client_id": "rig-tests"} | fields
    return httpx.post(server.token_realm, data=form)


def test_oauth_password_grant_issues_a_working_token(registry_token: RegistryServer) -> None:
    repo = unique_repo()
    images.push_image(registry_token, repo, "v1")
    scope = f"repository:{repo}:pull"

    answer = oauth_form(
        registry_token,
        grant_type="password",
        username=registry_token.username or "",
        password=registry_token.password or "",
        scope=scope,
    )
    wrong = oauth_form(registry_token, grant_type="password", username="rig-user", password="x")

    assert answer.status_code == 200
    assert "refresh_token" not in answer.json()  # only with access_type=offline
    assert tags_status(registry_token, repo, answer.json()["access_token"]) == 200
    assert wrong.status_code == 401


def test_identity_token_is_an_oauth_refresh_token(registry_token: RegistryServer) -> None:
    issuer = registry_token.issuer
    assert issuer is not None
    repo = unique_repo()
    images.push_image(registry_token, repo, "v1")
    identity = issuer.new_refresh_token(registry_token.username or "")
    scope = f"repository:{repo}:pull"

    answer = oauth_form(
        registry_token,
        grant_type="refresh_token",
        refresh_token=identity,
        scope=scope,
        access_type="offline",
    )
    unknown = oauth_form(registry_token, grant_type="refresh_token", refresh_token="forged")

    assert answer.status_code == 200
    assert answer.json()["refresh_token"] not in ("", identity)
    assert tags_status(registry_token, repo, answer.json()["access_token"]) == 200
    assert issuer.requests[-2].grant == "refresh_token"
    assert unknown.status_code == 401


@pytest.mark.parametrize(
    "fields",
    [{"grant_type": "password", "client_id": ""}, {"grant_type": "authorization_code"}],
)
def test_oauth_form_without_client_id_or_with_other_grants_is_a_bad_request(
    registry_token: RegistryServer, fields: dict[str, str]
) -> None:
    assert oauth_form(registry_token, **fields).status_code == 400


def test_issuer_rejects_an_unknown_service(registry_token: RegistryServer) -> None:
    assert registry_token.token_realm is not None
    auth = (registry_token.username or "", registry_token.password or "")
    response = httpx.get(registry_token.token_realm, params={"service": "other"}, auth=auth)
    assert response.status_code == 400
