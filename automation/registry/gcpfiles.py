"""Application Default Credentials from a file: a service account key or a user's refresh token.

In: the path in `GOOGLE_APPLICATION_CREDENTIALS` (or gcloud's well-known
`~/.config/gcloud/application_default_credentials.json`). Out: an access token for the
`cloud-platform` scope and its expiry, or None when no file is configured (then the metadata
server is asked, as ADC does). Requests are the documented ones:
- `service_account`: a JWT signed RS256 with the key (`iss` = client_email, `scope`, `aud` =
  token_uri, one hour) exchanged with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
  (developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests);
- `authorized_user`: `grant_type=refresh_token` with client id and secret
  (developers.google.com/identity/protocols/oauth2/web-server#offline).
Other types (external_account, impersonation) are refused with a clear error. The file is the
operator's: its `token_uri` is trusted, but must be https unless it is a loopback address.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from automation.registry.cloudhttp import fetch_json, seconds_field, token_field
from automation.registry.credentials import CredentialsError

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_FILE_CAP = 64 << 10


def credentials_file() -> Path | None:
    """ADC's file, in its order: the environment variable, then gcloud's well-known file."""
    named = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if named:
        return Path(named)
    config = os.environ.get("CLOUDSDK_CONFIG") or str(Path.home() / ".config" / "gcloud")
    well_known = Path(config) / "application_default_credentials.json"
    return well_known if well_known.is_file() else None


def _read(path: Path, host: str) -> dict[str, Any]:
    try:
        data = path.read_bytes()[: _FILE_CAP + 1]
        doc = json.loads(data) if len(data) <= _FILE_CAP else None
    except OSError as err:
        raise CredentialsError(
            f"provider gcp: cannot read {path} ({err.strerror})", registry=host
        ) from err
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise CredentialsError(f"provider gcp: {path} is not JSON", registry=host) from err
    if not isinstance(doc, dict):
        raise CredentialsError(f"provider gcp: {path} is not a credentials file", registry=host)
    return doc


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _assertion(doc: dict[str, Any], token_uri: str, now: float, host: str) -> str:
    try:
        key = serialization.load_pem_private_key(str(doc["private_key"]).encode(), None)
        email = str(doc["client_email"])
    except (KeyError, ValueError, TypeError) as err:
        raise CredentialsError(
            "provider gcp: service account key is unreadable", registry=host
        ) from err
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CredentialsError("provider gcp: service account key is not RSA", registry=host)
    header = {"alg": "RS256", "typ": "JWT", "kid": str(doc.get("private_key_id", ""))}
    claims = {
        "iss": email,
        "scope": SCOPE,
        "aud": token_uri,
        "iat": int(now),
        "exp": int(now) + 3600,
    }
    signing_input = ".".join(
        _b64(json.dumps(p, separators=(",", ":")).encode()) for p in (header, claims)
    )
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _token_uri(doc: dict[str, Any], host: str) -> httpx.URL:
    url = httpx.URL(str(doc.get("token_uri") or DEFAULT_TOKEN_URI))
    if url.scheme != "https" and url.host not in ("127.0.0.1", "localhost", "::1"):
        raise CredentialsError("provider gcp: token_uri must be https", registry=host)
    return url


async def file_token(host: str) -> tuple[str, float] | None:
    """An access token from the ADC file, or None when there is no file."""
    path = credentials_file()
    if path is None:
        return None
    doc = _read(path, host)
    kind = doc.get("type")
    url = _token_uri(doc, host)
    now = time.time()
    if kind == "service_account":
        form = {"grant_type": JWT_BEARER, "assertion": _assertion(doc, str(url), now, host)}
    elif kind == "authorized_user":
        form = {
            "grant_type": "refresh_token",
            "client_id": str(doc.get("client_id", "")),
            "client_secret": str(doc.get("client_secret", "")),
            "refresh_token": str(doc.get("refresh_token", "")),
        }
    else:
        shown = str(kind)[:40]
        raise CredentialsError(
            f"provider gcp: credentials of type {shown!r} are not supported", registry=host
        )
    request = httpx.Request("POST", url, data=form)
    answer = await fetch_json(
        request, what="Google OAuth token endpoint", registry=host, trust_env=True
    )
    token = token_field(answer, "access_token", where="Google OAuth token endpoint", registry=host)
    return token, now + seconds_field(answer, "expires_in", 0.0)
