"""One page of `GET /v2/<name>/tags/list`: its JSON body and its `Link` to the next page.

In: the raw body bytes and response headers. Out: `CheckedTags` (grammar-checked) and the
absolute URL of the next page, resolved against the page's own URL (so a relative link
keeps host and port). Garbage becomes a `RegistryDataError`, never a crash.
"""

from __future__ import annotations

import json

import httpx

from automation.errors import RegistryError
from automation.registry.faults import RegistryDataError
from automation.registry.headers import HeaderTooLargeError, next_link
from automation.registry.tags import CheckedTags, check_tags

MAX_PAGES = 100_000


def check_page(body: bytes, *, registry: str, repository: str) -> CheckedTags:
    """`{"name": ..., "tags": [...]}` -> checked tags. `"tags": null` is an empty repository."""

    def bad(reason: str) -> RegistryError:
        return RegistryDataError(f"list tags: {reason}", registry=registry, repository=repository)

    try:
        doc = json.loads(body)
    except RecursionError as err:  # nesting past the interpreter's stack
        raise bad("response is JSON nested too deeply") from err
    except (ValueError, UnicodeDecodeError) as err:
        shape = "empty body" if not body.strip() else "not JSON (truncated, or an error page?)"
        raise bad(f"response is {shape}") from err
    if not isinstance(doc, dict):
        raise bad(f"expected a JSON object, got {type(doc).__name__}")
    tags = doc.get("tags")
    if tags is None:
        return CheckedTags(valid=[], dropped=0, dropped_samples=())
    if not isinstance(tags, list):
        raise bad(f"'tags' is {type(tags).__name__}, expected a list")
    return check_tags(tags)


def next_page_url(
    current: httpx.URL,
    headers: httpx.Headers,
    insecure: bool,
    *,
    registry: str,
    repository: str,
) -> httpx.URL | None:
    """The `rel="next"` target, or None on the last page."""
    try:
        target = next_link(headers.get_list("link"))
    except HeaderTooLargeError as err:
        raise RegistryDataError(
            f"list tags: {err}", registry=registry, repository=repository
        ) from err
    if not target:
        return None
    try:
        url = current.join(target)
    except httpx.InvalidURL as err:
        raise RegistryDataError(
            "list tags: invalid pagination link", registry=registry, repository=repository
        ) from err
    if url.scheme not in ("http", "https") or (
        url.scheme == "http" and current.scheme == "https" and not insecure
    ):
        raise RegistryDataError(
            f"list tags: pagination link to an unsupported or plain-HTTP URL ({url.scheme}:)",
            registry=registry,
            repository=repository,
        )
    return url


def pagination_loop_error(pages: int, *, registry: str, repository: str) -> RegistryError:
    reason = "pagination repeats a page" if pages < MAX_PAGES else f"over {MAX_PAGES} pages"
    return RegistryDataError(f"list tags: {reason}", registry=registry, repository=repository)
