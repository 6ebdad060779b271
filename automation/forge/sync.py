"""One open request per branch: create it, or update it when its text changed; close the rest.

In: a ``Forge`` and the ``RequestSpec`` the automation wants. Out: a ``RequestOutcome``
saying what was done (created, updated, unchanged) with the request, and the requests it
closed as superseded (this automation's, by the body marker, on another branch).
"""

from __future__ import annotations

from dataclasses import dataclass

from automation.forge.model import Forge, OpenRequest, RequestSpec


@dataclass(frozen=True)
class RequestOutcome:
    action: str  # created | updated | unchanged
    request: OpenRequest
    closed: tuple[OpenRequest, ...] = ()
    auto_merge: bool = False

    def summary(self) -> str:
        text = f"{self.action} request #{self.request.number} {self.request.url}".rstrip()
        if self.closed:
            text += "; closed superseded " + ", ".join(f"#{r.number}" for r in self.closed)
        return text


def _same_text(request: OpenRequest, wanted: OpenRequest) -> bool:
    return request.title == wanted.title and request.body.strip() == wanted.body.strip()


def sync_request(
    forge: Forge, spec: RequestSpec, *, close_superseded: bool = True
) -> RequestOutcome:
    """Make the forge hold exactly one open request from ``spec.head`` into ``spec.base``."""
    existing = [r for r in forge.open_requests(spec.base) if r.same_repository]
    mine = [r for r in existing if r.head == spec.head]
    superseded = (
        tuple(r for r in existing if r.head != spec.head and spec.marker in r.body)
        if close_superseded
        else ()
    )
    if mine:
        current = mine[0]
        wanted = OpenRequest(
            current.number,
            current.url,
            spec.head,
            spec.base,
            forge.stored_title(spec),
            spec.full_body,
        )
        if _same_text(current, wanted):
            outcome = RequestOutcome("unchanged", current)
        else:
            outcome = RequestOutcome("updated", forge.update(current, spec))
    else:
        outcome = RequestOutcome("created", forge.create(spec))
    for request in superseded:
        forge.close(request)
    merged = (
        spec.auto_merge and outcome.action == "created" and forge.enable_auto_merge(outcome.request)
    )
    return RequestOutcome(outcome.action, outcome.request, superseded, merged)
