"""Pull/merge requests for automations that have a ChangeRequest: branch, push, request.

In: the Config, an ImageUpdateAutomation, a synced ``Workspace`` at the checkout commit.
Out: ``RequestRun`` (the branch pushed or found up to date, and what the forge did), or
None when the automation has no ChangeRequest (it pushes as Flux does).

Branch name, title and body are templates with the commit message's data; an empty title
is the commit message's first line, an empty body the whole message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from automation.changeset import ChangeSet
from automation.config import Config, ImageUpdateAutomation
from automation.config.request import ChangeRequest
from automation.errors import StalledError
from automation.forge import OpenRequest, RequestOutcome, RequestSpec, open_forge, sync_request
from automation.git import (
    MessageTemplate,
    MessageTemplateError,
    RequestBranch,
    Workspace,
    push_request_branch,
)
from automation.git.push import Apply
from automation.sourcelinks import SourceChange
from automation.steps.gitplan import GitPlan, git_plan

TOKEN_KEY = "token"


@dataclass(frozen=True)
class RequestRun:
    branch: RequestBranch
    outcome: RequestOutcome | None

    def summary(self) -> str:
        text = self.branch.summary()
        return f"{text}; {self.outcome.summary()}" if self.outcome else text


def change_request_for(config: Config, auto: ImageUpdateAutomation) -> ChangeRequest | None:
    """The ChangeRequest in the automation's namespace that names it (first by name)."""
    for key, request in sorted(config.change_requests.items()):
        if key.namespace == auto.metadata.namespace and (
            request.spec.automation_ref.name == auto.metadata.name
        ):
            return request
    return None


class _RequestTemplate:
    """A ChangeRequest template: the commit message's engine and data, its own error text."""

    def __init__(
        self,
        text: str,
        auto: ImageUpdateAutomation,
        field: str,
        sources: Mapping[str, SourceChange] | None = None,
    ) -> None:
        self.field = field
        values = dict(auto.spec.git.commit.message_template_values)
        try:
            self.template = MessageTemplate(
                text, auto.metadata.namespace, auto.metadata.name, values, sources or {}
            )
        except MessageTemplateError as err:
            raise self._error(err) from None

    def _error(self, err: MessageTemplateError) -> MessageTemplateError:
        text = str(err).removeprefix("commit message template: ")
        return MessageTemplateError(f"ChangeRequest {self.field} template: {text}", err.line)

    def __call__(self, changes: ChangeSet) -> str:
        try:
            return self.template(changes)
        except MessageTemplateError as err:
            raise self._error(err) from None


def _template(
    text: str,
    auto: ImageUpdateAutomation,
    field: str = "",
    sources: Mapping[str, SourceChange] | None = None,
) -> _RequestTemplate:
    return _RequestTemplate(text, auto, field, sources)


def _token(config: Config, request: ChangeRequest) -> str:
    secret = config.secret(
        request.metadata.namespace, request.spec.secret_ref.name, needed_by=request
    )
    token = secret.values.get(TOKEN_KEY, b"").decode("utf-8", "replace").strip()
    if not token:
        raise StalledError(
            f"ChangeRequest {request.key}: Secret {secret.metadata.name} has no {TOKEN_KEY!r} key"
        )
    return token


def _ca(config: Config, request: ChangeRequest) -> bytes:
    ref = request.spec.cert_secret_ref
    if ref is None:
        return b""
    secret = config.secret(request.metadata.namespace, ref.name, needed_by=request)
    return secret.values.get("ca.crt", b"")


def request_spec(
    request: ChangeRequest,
    auto: ImageUpdateAutomation,
    head: str,
    base: str,
    changes: ChangeSet,
    sources: Mapping[str, SourceChange] | None = None,
) -> RequestSpec:
    """What the request should say; ``sources`` (by policy key) feed ``.Sources``."""
    spec = request.spec
    message = auto_message(auto).with_sources(sources or {})(changes)
    title = _template(spec.title, auto, "spec.title", sources)(changes) if spec.title else message
    body = _template(spec.body, auto, "spec.body", sources)(changes) if spec.body else message
    return RequestSpec(
        key=str(auto.key),
        head=head,
        base=base,
        title=title.strip(),
        body=body.strip(),
        labels=tuple(spec.labels),
        assignees=tuple(spec.assignees),
        reviewers=tuple(spec.reviewers),
        draft=spec.draft,
        auto_merge=spec.auto_merge,
    )


def auto_message(auto: ImageUpdateAutomation) -> MessageTemplate:
    commit = auto.spec.git.commit
    values = dict(commit.message_template_values)
    return MessageTemplate(
        commit.message_template, auto.metadata.namespace, auto.metadata.name, values
    )


def run_request(
    config: Config,
    auto: ImageUpdateAutomation,
    request: ChangeRequest,
    plan: GitPlan,
    ws: Workspace,
    base: str,
    apply: Apply,
    sources: Mapping[str, SourceChange] | None = None,
) -> RequestRun | None:
    checkout = plan.checkout.branch
    if not checkout:
        raise StalledError(
            f"ChangeRequest {request.key}: a request needs a checkout branch to merge into"
        )
    branch_name = _template(request.spec.branch, auto, "spec.branch", sources)
    pushed = push_request_branch(
        ws, base, apply, plan.commit, lambda c: branch_name(c).strip(), checkout
    )
    if pushed is None:
        return None
    spec = request_spec(request, auto, pushed.branch, checkout, pushed.changes, sources)
    forge, http = open_forge(
        request.spec.provider,
        request.spec.api_base,
        request.spec.repository,
        _token(config, request),
        verify=not request.spec.insecure,
        ca_pem=_ca(config, request),
    )
    try:
        outcome = sync_request(forge, spec, close_superseded=request.spec.close_superseded)
    finally:
        http.close()
    return RequestRun(pushed, outcome)


def open_requests(config: Config) -> list[tuple[str, list[OpenRequest]]]:
    """Per automation with a ChangeRequest: its open requests (by marker), from the forge."""
    found = []
    for key, auto in sorted(config.automations.items()):
        request = change_request_for(config, auto)
        if request is None:
            continue
        spec = request.spec
        base = git_plan(config, auto).checkout.branch or ""
        marker = RequestSpec(str(key), "", base, "", "").marker
        forge, http = open_forge(
            spec.provider,
            spec.api_base,
            spec.repository,
            _token(config, request),
            verify=not spec.insecure,
            ca_pem=_ca(config, request),
        )
        try:
            mine = [r for r in forge.open_requests(base) if marker in r.body]
        finally:
            http.close()
        found.append((str(key), mine))
    return found
