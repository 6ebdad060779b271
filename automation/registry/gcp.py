"""Google Artifact Registry / GCR login: an access token from the metadata server.

In: the registry host. Out: `Credentials` (user `oauth2accesstoken`, the token as password,
as Flux and `gcloud auth configure-docker` do) and their expiry (epoch seconds). The request
is the documented one (cloud.google.com/compute/docs/access/authenticate-workloads):
`GET http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token`
with `Metadata-Flavor: Google`; the answer must carry the same header and
`{"access_token", "expires_in", "token_type"}`. `GCE_METADATA_HOST` overrides the host, as
google-auth honours it. Never through a proxy: the token must not leave the node.
"""

from __future__ import annotations

import os
import time

import httpx

from automation.errors import RegistryPermanentError
from automation.registry.cloudhttp import fetch_json, seconds_field, token_field
from automation.registry.credentials import Credentials

GCP_USER = "oauth2accesstoken"
DEFAULT_METADATA_HOST = "metadata.google.internal"
TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"


def metadata_host() -> str:
    return os.environ.get("GCE_METADATA_HOST") or DEFAULT_METADATA_HOST


async def access_token(host: str) -> tuple[Credentials, float]:
    """The default service account's token from the metadata server, for `host`."""
    if os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"):
        msg = (
            "provider gcp: credentials files (GOOGLE_APPLICATION_CREDENTIALS) are not "
            "supported; use the metadata server (workload identity)"
        )
        raise RegistryPermanentError(msg, registry=host)
    url = httpx.URL(f"http://{metadata_host()}{TOKEN_PATH}")
    request = httpx.Request("GET", url, headers={"Metadata-Flavor": "Google"})
    started = time.time()
    where = f"GCP metadata server {url.host}"
    doc = await fetch_json(
        request,
        what="GCP metadata server",
        registry=host,
        trust_env=False,
        require=("Metadata-Flavor", "Google"),
    )
    token = token_field(doc, "access_token", where=where, registry=host)
    expires_in = seconds_field(doc, "expires_in", 0.0)
    return Credentials(username=GCP_USER, password=token), started + expires_in
