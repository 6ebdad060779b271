"""The git stage: the only importer of pygit2.

A cycle: ``ls_remote`` (skip when idle) -> ``Workspace.open`` -> ``sync`` ->
``push_with_retry`` (apply, commit, sign, push, retry on a moved remote).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from automation.git.auth import NO_AUTH, GitAuth, git_auth_from_secret, proxy_from_secret
    from automation.git.commit import Author
    from automation.git.idle import LastRun, is_idle, may_skip, source_revision
    from automation.git.message import MessageTemplate, MessageTemplateError
    from automation.git.push import CommitOptions, PushResult, PushTarget, push_with_retry
    from automation.git.refs import (
        CheckoutError,
        CheckoutRef,
        effective_checkout,
        resolve_push_branch,
    )
    from automation.git.remote_heads import branch_head, ls_remote
    from automation.git.request_branch import RequestBranch, push_request_branch
    from automation.git.signing import SigningError, SigningKey, signing_key_from_secret
    from automation.git.verify import VerificationError, verify_commit, verify_head
    from automation.git.workspace import Workspace

__all__ = [
    "NO_AUTH",
    "Author",
    "CheckoutError",
    "CheckoutRef",
    "CommitOptions",
    "GitAuth",
    "LastRun",
    "MessageTemplate",
    "MessageTemplateError",
    "PushResult",
    "PushTarget",
    "RequestBranch",
    "SigningError",
    "SigningKey",
    "VerificationError",
    "Workspace",
    "branch_head",
    "effective_checkout",
    "git_auth_from_secret",
    "is_idle",
    "ls_remote",
    "may_skip",
    "proxy_from_secret",
    "push_request_branch",
    "push_with_retry",
    "resolve_push_branch",
    "signing_key_from_secret",
    "source_revision",
    "verify_commit",
    "verify_head",
]

# Re-exports load on first use, so that importing one pure module of this package (as
# `validate` does) does not load pygit2 through this file. Name -> submodule.
_HOMES: dict[str, str] = {
    "NO_AUTH": "auth",
    "GitAuth": "auth",
    "git_auth_from_secret": "auth",
    "proxy_from_secret": "auth",
    "Author": "commit",
    "LastRun": "idle",
    "is_idle": "idle",
    "may_skip": "idle",
    "source_revision": "idle",
    "MessageTemplate": "message",
    "MessageTemplateError": "message",
    "CommitOptions": "push",
    "PushResult": "push",
    "PushTarget": "push",
    "push_with_retry": "push",
    "CheckoutError": "refs",
    "CheckoutRef": "refs",
    "effective_checkout": "refs",
    "resolve_push_branch": "refs",
    "branch_head": "remote_heads",
    "ls_remote": "remote_heads",
    "RequestBranch": "request_branch",
    "push_request_branch": "request_branch",
    "SigningError": "signing",
    "SigningKey": "signing",
    "signing_key_from_secret": "signing",
    "VerificationError": "verify",
    "verify_commit": "verify",
    "verify_head": "verify",
    "Workspace": "workspace",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
