"""Each forge's client against the local server that follows its REST reference
(tests/rig/forge_*.py): pagination, superseded requests, drafts, auto-merge, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from automation.forge import (
    Forge,
    ForgeError,
    ForgeTransientError,
    RequestSpec,
    open_forge,
    sync_request,
)
from tests.rig.certs import localhost_server_cert, new_ca
from tests.rig.forge_servers import serve_forge
from tests.rig.forges import TOKEN, ForgeRig
from tests.rig.git_remotes import GitRemote, clone_and_commit


@pytest.fixture(params=["github", "gitlab", "gitea"])
def rig(request: pytest.FixtureRequest, bare_remote: GitRemote) -> Iterator[ForgeRig]:
    yield from serve_forge(request.param, bare_remote.path)


@pytest.fixture
def forge(rig: ForgeRig) -> Iterator[Forge]:
    client, http = open_forge(rig.kind, rig.url, rig.repository, TOKEN)
    yield client
    http.close()


def spec(head: str, **kw: object) -> RequestSpec:
    return RequestSpec("apps/fleet", head, "main", "Update images", "body", **kw)  # type: ignore[arg-type]


def branch(remote: GitRemote, name: str) -> str:
    clone_and_commit(remote, {f"{name}.txt": name}, f"on {name}", branch=name)
    return name


def test_open_requests_follow_every_page(rig: ForgeRig, forge: Forge) -> None:
    for i in range(130):  # more than one page of 100 (GitHub, GitLab) or 50 (Gitea)
        rig.add_pull(f"other-{i}", "main", f"t{i}")
    rig.add_pull("elsewhere", "release", "another base")
    found = forge.open_requests("main")
    assert [r.head for r in found] == [f"other-{i}" for i in range(130)]
    lists = [ex for ex in rig.log if ex.method == "GET"]
    assert len(lists) >= 2 and all("page" in ex.query for ex in lists[1:])


def test_superseded_requests_of_this_automation_are_closed_others_kept(
    rig: ForgeRig, forge: Forge, bare_remote: GitRemote
) -> None:
    old = rig.add_pull(
        "image-updates/old", "main", "old", "x <!-- image-automation: apps/fleet -->"
    )
    human = rig.add_pull("feature", "main", "a human's", "no marker")
    other = rig.add_pull("image-updates/b", "main", "b", "<!-- image-automation: apps/other -->")
    outcome = sync_request(forge, spec(branch(bare_remote, "image-updates/new")))
    assert outcome.action == "created" and [r.number for r in outcome.closed] == [old.number]
    assert (old.state, human.state, other.state) == ("closed", "open", "open")


def test_draft_and_auto_merge_in_each_forges_own_way(
    rig: ForgeRig, forge: Forge, bare_remote: GitRemote
) -> None:
    outcome = sync_request(forge, spec(branch(bare_remote, "b1"), draft=True, auto_merge=True))
    [pull] = rig.pulls
    assert outcome.auto_merge and pull.auto_merge
    if rig.kind == "github":
        assert pull.draft and pull.title == "Update images"
    else:
        assert pull.title == {"gitlab": "Draft: ", "gitea": "WIP: "}[rig.kind] + "Update images"
    again = sync_request(forge, spec("b1", draft=True))
    assert again.action == "unchanged"  # the stored draft title is what we asked for


def test_a_head_branch_that_was_never_pushed_is_refused_by_the_forge(forge: Forge) -> None:
    with pytest.raises(ForgeError, match=r"POST .*: HTTP (422|400|404)"):
        sync_request(forge, spec("not-pushed"))


def test_a_wrong_token_is_refused_and_not_quoted(rig: ForgeRig) -> None:
    client, http = open_forge(rig.kind, rig.url, rig.repository, "nope-123")
    with pytest.raises(ForgeError, match="HTTP 401") as err:
        client.open_requests("main")
    http.close()
    assert "nope-123" not in str(err.value)


def test_a_forks_request_from_a_branch_of_the_same_name_is_never_touched(
    rig: ForgeRig, forge: Forge, bare_remote: GitRemote
) -> None:
    marker = "<!-- image-automation: apps/fleet -->"
    fork = rig.add_pull("image-updates/x", "main", "looks like ours", f"evil {marker}")
    fork.fork = "mallory/fleet"
    outcome = sync_request(forge, spec(branch(bare_remote, "image-updates/x"), auto_merge=True))
    assert outcome.action == "created" and outcome.closed == ()
    assert (fork.title, fork.state, fork.auto_merge) == ("looks like ours", "open", False)
    assert rig.pulls[-1].head == "image-updates/x" and not rig.pulls[-1].fork


def test_https_with_a_private_ca_from_the_ca_secret(bare_remote: GitRemote, tmp_path: Path) -> None:
    ca = new_ca()
    tls = localhost_server_cert(ca).write(tmp_path, "forge")
    for rig in serve_forge("gitea", bare_remote.path, tls):
        client, http = open_forge("gitea", rig.url, rig.repository, TOKEN, ca_pem=ca.cert_pem)
        assert client.open_requests("main") == []
        http.close()
        untrusted, http = open_forge("gitea", rig.url, rig.repository, TOKEN)
        with pytest.raises(ForgeTransientError, match="ConnectError"):
            untrusted.open_requests("main")
        http.close()
        assert len(rig.log) == 1  # the untrusted attempt never sent its request


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_an_exhausted_rate_limit_is_transient(kind: str, bare_remote: GitRemote) -> None:
    for rig in serve_forge(kind, bare_remote.path):
        rig.rate_limit = 1
        client, http = open_forge(kind, rig.url, rig.repository, TOKEN)
        assert client.open_requests("main") == []
        with pytest.raises(ForgeTransientError, match=r"HTTP (403|429).*rate limited") as err:
            client.open_requests("main")
        http.close()
        assert err.value.retryable
