"""End to end as a pipeline runs it: one cold `image-automation reconcile`, commit and push.

Starts a real registry (the test rig's) with REPOS repositories of TAGS tags each, and a bare
git remote (file://) holding FILES Deployments with two marked containers each (2 x FILES
image references over the REPOS images, all at the oldest tag). The policy files: one
ImageRepository and one semver ImagePolicy per repository, the GitRepository and one
ImageUpdateAutomation. Each round restores the remote, then runs, as a fresh process under an
empty HOME (no state, no clone cache): `image-automation reconcile POLICIES --all`: scan
every repository, select the latest tags, clone, rewrite every reference, commit and push.
The round checks that the remote got the commit.

The reference process: Renovate's dry-run lookup of the same images (`--renovate BIN`, e.g.
node_modules/.bin/renovate from `npm install renovate@44`), run on a checkout of the
manifests with the local platform; it only looks the updates up, commits nothing. Without
`--renovate`, the figure measured for the same work when this target was set (Renovate 44:
11.9 s, 693 MB) is printed for comparison, marked as not measured in this run.
Target: image-automation >= 15x faster than the reference.

    python benchmarks/endtoend.py [--repos 50] [--tags 5] [--files 500] [--rounds 5]
                                  [--renovate PATH] [--baseline OTHER-CLI]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.coldrun import CLI, Runs, interleave, load_line, run_cold, table
from benchmarks.scan import seed_in_child
from tests.rig.registry import RegistryServer, running_registry

NAMESPACE = "bench"
OURS = "image-automation reconcile (cold)"
RENOVATE = "reference: renovate --dry-run=lookup (cold)"
QUOTED = (11.9, 693.0)  # Renovate 44 on the same work, when the target was set


def deployment(i: int, host: str, repos: int) -> str:
    containers = []
    for c in range(2):
        app = (2 * i + c) % repos
        marker = f'{{"$imagepolicy": "{NAMESPACE}:app-{app:02d}"}}'
        containers.append(
            f"        - name: c{c}\n          image: {host}/bench/app-{app:02d}:1.0.0 # {marker}\n"
        )
    return (
        "apiVersion: apps/v1\nkind: Deployment\n"
        f"metadata:\n  name: svc-{i}\n  namespace: {NAMESPACE}\n"
        "spec:\n  template:\n    spec:\n      containers:\n" + "".join(containers)
    )


def policies(directory: Path, host: str, repos: int, remote: Path) -> None:
    directory.mkdir()
    objects = []
    for r in range(repos):
        objects.append(
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
            f"metadata:\n  name: app-{r:02d}\n  namespace: {NAMESPACE}\n"
            f"spec:\n  image: {host}/bench/app-{r:02d}\n  interval: 5m\n  insecure: true\n"
        )
        objects.append(
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n"
            f"metadata:\n  name: app-{r:02d}\n  namespace: {NAMESPACE}\n"
            f"spec:\n  imageRepositoryRef:\n    name: app-{r:02d}\n"
            "  policy:\n    semver:\n      range: '>=1.0.0'\n"
        )
    objects.append(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
        f"metadata:\n  name: fleet\n  namespace: {NAMESPACE}\n"
        f"spec:\n  url: file://{remote}\n  interval: 5m\n  ref:\n    branch: main\n"
    )
    objects.append(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\n"
        f"metadata:\n  name: fleet\n  namespace: {NAMESPACE}\n"
        "spec:\n  interval: 5m\n  sourceRef:\n    kind: GitRepository\n    name: fleet\n"
        "  git:\n    checkout:\n      ref:\n        branch: main\n"
        "    commit:\n      author:\n        name: bench\n        email: bench@example.com\n"
        "    push:\n      branch: main\n"
        "  update:\n    strategy: Setters\n    path: ./clusters\n"
    )
    (directory / "objects.yaml").write_text("---\n".join(objects))


def git(*args: str, cwd: Path) -> str:
    env = {
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def manifests(work: Path, host: str, repos: int, files: int) -> None:
    """A work tree with FILES Deployments under clusters/, committed on `main`."""
    for i in range(files):
        directory = work / "clusters" / f"team-{i % 10}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"svc-{i}.yaml").write_text(deployment(i, host, repos))
    git("init", "-q", "-b", "main", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "manifests", cwd=work)


def renovate_case(renovate: str, work: Path, server: RegistryServer) -> Runs:
    config = {
        "onboarding": False,
        "requireConfig": "optional",
        "enabledManagers": ["kubernetes"],
        "kubernetes": {"fileMatch": ["\\.yaml$"]},
        "hostRules": [{"matchHost": server.host, "insecureRegistry": True}],
    }
    (work / "renovate.json").write_text(json.dumps(config))
    argv = [renovate, "--platform=local", "--dry-run=lookup", "--print-config=false"]
    return run_cold(argv, cwd=work, env={"LOG_LEVEL": "warn", "RENOVATE_CONFIG_FILE": ""})


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--tags", type=int, default=5)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--renovate", metavar="PATH", help="the renovate CLI to run as reference")
    parser.add_argument("--baseline", metavar="CLI", help="also run this image-automation (before)")
    args = parser.parse_args()
    repos = [f"bench/app-{r:02d}" for r in range(args.repos)]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with running_registry(tmp / "registry") as server:
            seed_in_child(server, repos, args.tags)
            work = tmp / "work"
            work.mkdir()
            manifests(work, server.host, args.repos, args.files)
            pristine = tmp / "pristine.git"
            git("clone", "-q", "--bare", str(work), str(pristine), cwd=tmp)
            remote = tmp / "remote.git"
            policies(tmp / "policies", server.host, args.repos, remote)

            def restore() -> None:
                shutil.rmtree(remote, ignore_errors=True)
                shutil.copytree(pristine, remote)

            def ours(cli: str = CLI) -> Runs:
                argv = [cli, "reconcile", str(tmp / "policies"), "--all", "-o", "json"]
                runs = run_cold(argv, env={"IMAGE_AUTOMATION_ALLOW_FILE_REMOTES": "1"})
                commits = git("rev-list", "--count", "main", cwd=remote).strip()
                assert commits == "2", f"expected the update commit on the remote, got {commits}"
                return runs

            cases = {OURS: ours}
            if args.baseline:
                baseline = args.baseline
                cases[f"baseline: {baseline}"] = lambda: ours(baseline)
            if args.renovate:
                renovate = args.renovate
                cases[RENOVATE] = lambda: renovate_case(renovate, work, server)
            print(load_line())
            refs = 2 * args.files
            print(f"{args.repos} repos x {args.tags} tags, {args.files} files, {refs} references")
            results = interleave(cases, args.rounds, before=restore)
    if args.renovate:
        for text in table(results, RENOVATE):
            print(text)
        wall = results[RENOVATE].median()[0] / results[OURS].median()[0]
        print(f"image-automation is {wall:.1f}x faster than the reference (target >= 15x)")
        return
    for label, runs in results.items():
        median_wall, cpu, rss = runs.median()
        print(f"{label:<52} {median_wall:7.3f}s {cpu:7.3f}s {rss:6.1f}MB")
    wall = results[OURS].median()[0]
    quoted_wall, quoted_rss = QUOTED
    print(
        f"{'Renovate 44 dry-run lookup (quoted, not run here)':<52} {quoted_wall:7.3f}s"
        f" {'':>8} {quoted_rss:6.1f}MB  {quoted_wall / wall:.1f}x ours (target >= 15x)"
    )


if __name__ == "__main__":
    main()
