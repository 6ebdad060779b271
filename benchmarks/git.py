"""Steady-state git cycle on a 10,000-file repository: automation.git vs the git CLI.

One cycle = fetch the branch (another client pushed one commit since the last cycle),
hard-reset + clean the work tree, rewrite one YAML file, commit, push. Both contenders run
in the same process, interleaved, against the same remote (file:// and smart HTTP with
basic auth); the numbers are medians over the rounds. The CLI contender does the same
steps with plain git commands: fetch, reset --hard, clean -ffdx, add -A, commit, push.

Also printed, to justify the per-operation choices in automation/git:
- the steps of our cycle (fetch / reset+clean / apply / commit / push);
- pygit2's own fetch+push (``Remote.fetch`` / ``Remote.push``) for the same cycle, in a
  quiet process and next to one CPU-bound Python thread.

Usage: python benchmarks/git.py [--files 10000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automation.changeset import Change, ChangeSet, ObjectId, build_changeset
from automation.git import (
    Author,
    CheckoutRef,
    CommitOptions,
    GitAuth,
    MessageTemplate,
    PushTarget,
    Workspace,
    push_with_retry,
)
from tests.rig import git_remotes as rig
from tests.rig.ports import free_port, is_listening
from tests.rig.procs import start_process

MAIN = CheckoutRef(branch="main")
APP = ObjectId("apps/v1", "Deployment", "default", "app")
OPTIONS = CommitOptions(Author("Bench", "bench@example.com"), MessageTemplate("", "ns", "bench"))


def make_tree(root: Path, files: int) -> None:
    for i in range(files):
        path = root / f"apps/team{i % 50:02d}/svc{i // 50:04d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: svc{i}\n")
    (root / "app.yaml").write_text("image: app:0\n")


class Other:
    """Another client that pushes one small commit before every cycle (not timed)."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.work = workdir
        self.count = 0
        rig.git("clone", "--quiet", url, str(workdir))

    def push(self) -> None:
        self.count += 1
        rig.git("fetch", "--quiet", "origin", "main", cwd=self.work)
        rig.git("reset", "--quiet", "--hard", "FETCH_HEAD", cwd=self.work)
        (self.work / "other.txt").write_text(f"{self.count}\n")
        rig.git("add", "other.txt", cwd=self.work)
        rig.git("commit", "--quiet", "-m", f"other {self.count}", cwd=self.work)
        rig.git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=self.work)


def apply_tag(tag: str) -> Callable[[Path], ChangeSet]:
    def apply(root: Path) -> ChangeSet:
        path = root / "app.yaml"
        old = path.read_text().split(": ", 1)[1].strip()
        path.write_text(f"image: {tag}\n")
        return build_changeset([("app.yaml", APP, Change(old, tag, "ns:app"))])

    return apply


class Steps:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.times.setdefault(name, []).append(time.perf_counter() - start)


def ours(cache: Path, url: str, auth: GitAuth, tag: str) -> float:
    start = time.perf_counter()
    with Workspace.open(cache, url, auth) as ws:
        base = ws.sync(MAIN)
        result = push_with_retry(
            ws, PushTarget("main"), apply_tag(tag), OPTIONS, base=base, checkout_branch="main"
        )
    assert result is not None and result.attempts == 1
    return time.perf_counter() - start


def ours_steps(cache: Path, url: str, auth: GitAuth, tag: str, steps: Steps) -> None:
    from automation.git.commit import create_commit

    with Workspace.open(cache, url, auth) as ws:
        with steps.step("fetch"):
            sha = ws.fetch_branch("main")
        assert sha
        with steps.step("reset+clean"):
            ws.reset(sha)
        with steps.step("apply"):
            changes = apply_tag(tag)(ws.path)
        with steps.step("commit"):
            commit = create_commit(
                ws.repo, sha, changes.paths, OPTIONS.message(changes), OPTIONS.author
            )
            assert commit
            ws.set_branch("main", commit)
        with steps.step("push"):
            assert not any(u.rejected for u in ws.push(["refs/heads/main:refs/heads/main"], {}))


def cli(work: Path, env: dict[str, str], tag: str) -> float:
    start = time.perf_counter()
    rig.git("fetch", "--quiet", "origin", "main", cwd=work, env=env)
    rig.git("reset", "--quiet", "--hard", "FETCH_HEAD", cwd=work)
    rig.git("clean", "-ffdxq", cwd=work)
    (work / "app.yaml").write_text(f"image: {tag}\n")
    rig.git("add", "-A", cwd=work)
    rig.git("commit", "--quiet", "-m", f"bump {tag}", cwd=work)
    rig.git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=work, env=env)
    return time.perf_counter() - start


def pygit2_cycle(repo: pygit2.Repository, callbacks: pygit2.RemoteCallbacks, tag: str) -> float:
    start = time.perf_counter()
    remote = repo.remotes["origin"]
    remote.fetch(["+refs/heads/main:refs/heads/main"], callbacks=callbacks)
    oid = repo.references["refs/heads/main"].target
    repo.set_head(oid)
    repo.reset(oid, pygit2.enums.ResetMode.HARD)
    (Path(repo.workdir) / "app.yaml").write_text(f"image: {tag}\n")
    repo.index.add("app.yaml")
    repo.index.write()
    tree = repo.index.write_tree()
    person = pygit2.Signature("Bench", "bench@example.com")
    commit = repo.create_commit(None, person, person, f"bump {tag}", tree, [oid])
    repo.references.create("refs/heads/main", commit, force=True)
    remote.push(["refs/heads/main:refs/heads/main"], callbacks=callbacks)
    return time.perf_counter() - start


@contextmanager
def busy_thread() -> Iterator[None]:
    stop = threading.Event()

    def spin() -> None:
        n = 0
        while not stop.is_set():
            n += 1

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def bench_transport(label: str, url: str, auth: GitAuth, tmp: Path, rounds: int) -> None:
    # The baseline keeps credentials in the URL (a throwaway clone): the simplest CLI setup.
    cli_url = url.replace("://", f"://{auth.username}:{auth.password}@") if auth.password else url
    cli_env: dict[str, str] = {}
    other = Other(cli_url, tmp / f"{label}-other")
    cli_work = tmp / f"{label}-cli"
    rig.git("clone", "--quiet", cli_url, str(cli_work), env=cli_env)
    cache = tmp / f"{label}-cache"
    with Workspace.open(cache, url, auth) as ws:  # warm-up: the first (full) fetch
        ws.sync(MAIN)
    mine: list[float] = []
    theirs: list[float] = []
    for i in range(rounds):
        other.push()
        mine.append(ours(cache, url, auth, f"app:{label}-ours-{i}"))
        other.push()
        theirs.append(cli(cli_work, cli_env, f"app:{label}-cli-{i}"))
    steps = Steps()
    for i in range(rounds):
        other.push()
        ours_steps(cache, url, auth, f"app:{label}-steps-{i}", steps)
    ratio = statistics.median(mine) / statistics.median(theirs)
    print(f"\n[{label}] {rounds} rounds, median wall time per cycle")
    print(f"  automation.git : {median_ms(mine):7.1f} ms")
    print(f"  git CLI        : {median_ms(theirs):7.1f} ms")
    print(f"  ratio          : {ratio:7.2f}x (target <= 1.30x)")
    print(
        "  our steps      : "
        + ", ".join(f"{k} {median_ms(v):.1f} ms" for k, v in steps.times.items())
    )

    repo = pygit2.clone_repository(
        cli_url if label == "file" else url,
        str(tmp / f"{label}-pygit2"),
        callbacks=_callbacks(auth),
    )
    quiet = []
    for i in range(rounds):
        other.push()
        quiet.append(pygit2_cycle(repo, _callbacks(auth), f"app:{label}-p-{i}"))
    busy = []
    with busy_thread():
        for i in range(max(3, rounds // 3)):
            other.push()
            busy.append(pygit2_cycle(repo, _callbacks(auth), f"app:{label}-pb-{i}"))
        cli_busy = []
        for i in range(max(3, rounds // 3)):
            other.push()
            cli_busy.append(ours(cache, url, auth, f"app:{label}-ob-{i}"))
    print(f"  pygit2 network cycle, quiet process : {median_ms(quiet):7.1f} ms")
    print(f"  pygit2 network cycle, 1 busy thread : {median_ms(busy):7.1f} ms")
    print(f"  automation.git cycle, 1 busy thread : {median_ms(cli_busy):7.1f} ms")


def _callbacks(auth: GitAuth) -> pygit2.RemoteCallbacks:
    if auth.password:
        return pygit2.RemoteCallbacks(credentials=pygit2.UserPass(auth.username, auth.password))
    return pygit2.RemoteCallbacks()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    # The file:// rounds use a local bare repository: the operator's switch allows it.
    os.environ["IMAGE_AUTOMATION_ALLOW_FILE_REMOTES"] = "1"
    with tempfile.TemporaryDirectory(prefix="bench-git-") as name:
        tmp = Path(name)
        tree = tmp / "tree"
        make_tree(tree, args.files)
        start = time.perf_counter()
        bare = rig.init_bare(tmp / "root" / "repo.git")
        rig.seed(bare, tree, "10k files")
        print(f"repository: {args.files} files, seeded in {time.perf_counter() - start:.1f} s")
        bench_transport("file", bare.as_uri(), GitAuth(), tmp, args.rounds)
        port = free_port()
        server = start_process(
            "git-http",
            [
                sys.executable,
                str(Path(rig.__file__).with_name("git_http_server.py")),
                str(bare.parent),
                str(port),
            ],
            log_path=tmp / "http.log",
            ready=lambda: is_listening(port),
            env={
                "GIT_HTTP_USER": "bench",
                "GIT_HTTP_PASSWORD": "bench-pass",
                "PATH": "/usr/bin:/bin",
            },
        )
        try:
            url = f"http://127.0.0.1:{port}/repo.git"
            bench_transport("http", url, GitAuth("bench", "bench-pass"), tmp, args.rounds)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
