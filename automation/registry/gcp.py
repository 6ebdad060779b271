"""Google Artifact Registry / GCR login: an ADC access token (a credentials file, else the
metadata server).

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

from automation.registry import gcpfiles
from automation.registry.cloudhttp import fetch_json, seconds_field, token_field
from automation.registry.credentials import Credentials

GCP_USER = "oauth2accesstoken"
DEFAULT_METADATA_HOST = "metadata.google.internal"
TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"


def metadata_host() -> str:
    return os.environ.get("GCE_METADATA_HOST") or DEFAULT_METADATA_HOST


async def access_token(host: str) -> tuple[Credentials, float]:
    """An ADC token for `host`: from the credentials file if there is one (`gcpfiles`), else
    the default service account's token from the metadata server."""
    from_file = await gcpfiles.file_token(host)
    if from_file is not None:
        return Credentials(username=GCP_USER, password=from_file[0]), from_file[1]
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
