"""Azure Container Registry login: a Microsoft Entra ID token exchanged for an ACR refresh token.

In: the registry host and a way to POST a form to it. Out: `Credentials` (user
`00000000-0000-0000-0000-000000000000`, the ACR refresh token as password, as Flux and
`az acr login` do) and their expiry (epoch seconds, the refresh token's `exp` claim).

The Entra ID token comes from, in azure-identity's DefaultAzureCredential order:
- workload identity / a federated token: `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_CLIENT_ID`,
  `AZURE_TENANT_ID` (+ `AZURE_AUTHORITY_HOST`), the OAuth2 client-credentials grant with a
  JWT client assertion (learn.microsoft.com/entra/identity-platform/
  v2-oauth2-client-creds-grant-flow);
- environment: `AZURE_CLIENT_SECRET` with the same client and tenant, the same grant;
- managed identity: the instance metadata service, `GET /metadata/identity/oauth2/token`
  with `Metadata: true` (learn.microsoft.com/entra/identity/managed-identities-azure-resources/
  how-to-use-vm-token); `AZURE_POD_IDENTITY_AUTHORITY_HOST` overrides its address.
The exchange is ACR's documented `POST /oauth2/exchange` (github.com/Azure/acr
docs/AAD-OAuth.md): `grant_type=access_token`, `service`, `tenant`, `access_token`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from pathlib import Path

import httpx

from automation.registry.cloudhttp import (
    BODY_CAP,
    FormPost,
    decode_json,
    fetch_json,
    seconds_field,
    token_field,
)
from automation.registry.credentials import Credentials, CredentialsError

ACR_USER = "00000000-0000-0000-0000-000000000000"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com/"
DEFAULT_IMDS = "http://169.254.169.254"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The Resource Manager audience of each cloud, which ACR's exchange accepts (fluxcd/pkg
# auth/azure uses the same).
_AUDIENCES = {
    ".azurecr.cn": "https://management.chinacloudapi.cn",
    ".azurecr.us": "https://management.usgovcloudapi.net",
    ".azurecr.de": "https://management.microsoftazure.de",
}
_PUBLIC_AUDIENCE = "https://management.azure.com"


def audience(host: str) -> str:
    bare = host.rsplit(":", 1)[0].lower()
    return next((a for s, a in _AUDIENCES.items() if bare.endswith(s)), _PUBLIC_AUDIENCE)


async def entra_token(host: str) -> tuple[str, float]:
    """An Entra ID access token for Resource Manager and its expiry (epoch seconds)."""
    env = os.environ
    client_id, tenant = env.get("AZURE_CLIENT_ID", ""), env.get("AZURE_TENANT_ID", "")
    form = {
        "client_id": client_id,
        "grant_type": "client_credentials",
        "scope": audience(host) + "/.default",
    }
    if (token_file := env.get("AZURE_FEDERATED_TOKEN_FILE")) and client_id and tenant:
        try:
            assertion = Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as err:
            msg = f"provider azure: cannot read AZURE_FEDERATED_TOKEN_FILE ({err.strerror})"
            raise CredentialsError(msg, registry=host) from err
        form |= {"client_assertion": assertion, "client_assertion_type": ASSERTION_TYPE}
    elif (secret := env.get("AZURE_CLIENT_SECRET")) and client_id and tenant:
        form |= {"client_secret": secret}
    else:
        return await _managed_identity(host, client_id)
    authority = (env.get("AZURE_AUTHORITY_HOST") or DEFAULT_AUTHORITY).rstrip("/")
    url = httpx.URL(f"{authority}/{tenant}/oauth2/v2.0/token")
    if url.scheme != "https" and not _loopback(url):
        raise CredentialsError("provider azure: AZURE_AUTHORITY_HOST must be https", registry=host)
    started = time.time()
    doc = await fetch_json(
        httpx.Request("POST", url, data=form), what="Entra ID", registry=host, trust_env=True
    )
    token = token_field(doc, "access_token", where="Entra ID", registry=host)
    return token, started + seconds_field(doc, "expires_in", 0.0)


def _loopback(url: httpx.URL) -> bool:
    return url.host in ("127.0.0.1", "localhost", "::1")


async def _managed_identity(host: str, client_id: str) -> tuple[str, float]:
    base = (os.environ.get("AZURE_POD_IDENTITY_AUTHORITY_HOST") or DEFAULT_IMDS).rstrip("/")
    params = {"api-version": "2018-02-01", "resource": audience(host) + "/"}
    if client_id:
        params["client_id"] = client_id
    url = httpx.URL(f"{base}/metadata/identity/oauth2/token", params=params)
    started = time.time()
    request = httpx.Request("GET", url, headers={"Metadata": "true"})
    doc = await fetch_json(request, what="Azure IMDS", registry=host, trust_env=False)
    token = token_field(doc, "access_token", where="Azure IMDS", registry=host)
    return token, started + seconds_field(doc, "expires_in", 0.0)


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, unverified (only to know when to log in again)."""
    parts = token.split(".")
    if len(parts) != 3 or len(parts[1]) > BODY_CAP:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


async def registry_login(host: str, post: FormPost) -> tuple[Credentials, float]:
    """Entra ID token -> `POST https://<host>/oauth2/exchange` -> ACR refresh token."""
    token, token_expiry = await entra_token(host)
    form = {"grant_type": "access_token", "service": host.rsplit(":", 1)[0], "access_token": token}
    if tenant := os.environ.get("AZURE_TENANT_ID"):
        form["tenant"] = tenant
    status, body = await post("/oauth2/exchange", form)
    where = "ACR token exchange"
    doc = decode_json(status, body, where=where, registry=host)
    refresh = token_field(doc, "refresh_token", where=where, registry=host)
    expiry = jwt_expiry(refresh) or token_expiry
    return Credentials(username=ACR_USER, password=refresh), expiry
