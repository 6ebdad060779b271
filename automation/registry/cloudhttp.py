"""Small JSON requests to a cloud's identity endpoints (metadata servers, Microsoft Entra ID).

In: a request. Out: the decoded JSON object, or a `RegistryError` naming only the endpoint's
host and the HTTP status: identity endpoints answer with tokens, so bodies are never quoted.
Bodies are capped; a hostile or broken endpoint cannot exhaust memory or stall a scan for
longer than the timeout.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from automation.errors import RegistryPermanentError, RegistryTransientError
from automation.registry.bodies import IDENTITY, read_capped

BODY_CAP = 256 << 10
# POST a form to the registry itself (ACR's /oauth2/exchange): path, form -> status, body.
FormPost = Callable[[str, dict[str, str]], Awaitable[tuple[int, bytes]]]
TIMEOUT = httpx.Timeout(10.0, read=20.0)


async def fetch_json(
    request: httpx.Request,
    *,
    what: str,
    registry: str,
    trust_env: bool,
    require: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Send `request` (no redirects followed), check 200 and return the JSON object.

    `require`: a response header (name, value) that proves the right kind of server answered.
    """
    where = f"{what} at {request.url.host}"
    try:
        async with httpx.AsyncClient(
            timeout=TIMEOUT, trust_env=trust_env, headers=IDENTITY
        ) as http:
            response = await http.send(request, stream=True)
            try:
                body = await read_capped(response, BODY_CAP, where, registry=registry)
            finally:
                await response.aclose()
    except httpx.HTTPError as err:
        msg = f"{where}: {err.__class__.__name__}"
        raise RegistryTransientError(msg, registry=registry) from err
    if require is not None and response.headers.get(require[0]) != require[1]:
        msg = f"{where}: answer lacks the {require[0]} header; not the expected server"
        raise RegistryPermanentError(msg, registry=registry)
    return decode_json(response.status_code, body, where=where, registry=registry)


def decode_json(status: int, body: bytes, *, where: str, registry: str) -> dict[str, Any]:
    if status in (400, 401, 403):
        raise RegistryPermanentError(
            f"{where} refused the request", registry=registry, status=status
        )
    if status != 200:
        raise RegistryTransientError(f"{where} failed", registry=registry, status=status)
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:  # nesting past the stack
        raise RegistryTransientError(f"{where}: not JSON", registry=registry) from err
    if not isinstance(doc, dict):
        raise RegistryTransientError(f"{where}: not a JSON object", registry=registry)
    return doc


def token_field(doc: dict[str, Any], name: str, *, where: str, registry: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value or len(value) > BODY_CAP:
        raise RegistryTransientError(f"{where}: answer has no {name}", registry=registry)
    return value


def seconds_field(doc: dict[str, Any], name: str, default: float) -> float:
    """`expires_in` as a number or a numeric string (IMDS sends strings); bounded."""
    value = doc.get(name)
    try:
        seconds = float(value) if isinstance(value, int | float | str) else default
    except ValueError:
        seconds = default
    return min(max(seconds, 0.0), 7 * 86400.0) if seconds == seconds else default
