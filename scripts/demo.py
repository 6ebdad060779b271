"""End-to-end demo: registry + git remote on this machine, then scan -> commit -> push.

Uses the test rig to start Debian's docker-registry on a free loopback port and to push real
images; the example policies/ are copied with the registry's address filled in (they name
127.0.0.1:5000). Run through scripts/demo.sh, which installs what is missing first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.rig.images import push_image  # noqa: E402
from tests.rig.registry import running_registry  # noqa: E402

DEMO = Path(os.environ.get("DEMO_DIR", "/tmp/image-automation-demo"))
REMOTE = DEMO / "remote" / "fleet.git"  # the URL policies/git-repository.yaml names

PODINFO = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: apps
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: podinfo
          # the tag and digest below are kept up to date by image-automation
          image: {registry}/stefanprodan/podinfo:6.0.0 # {{"$imagepolicy": "apps:podinfo"}}
          ports:
            - containerPort: 9898
"""

WEBAPP = """\
# Helm-style values: split fields, each with its own marker.
image:
    repository: {registry}/acme/webapp # {{"$imagepolicy": "apps:webapp-main:name"}}
    tag: main-0000000-1700000000 # {{"$imagepolicy": "apps:webapp-main:tag"}}
release:
    tag: "2026-10-01" # {{"$imagepolicy": "apps:webapp-release:tag"}}
"""


def step(text: str) -> None:
    bold, plain = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")
    print(f"\n{bold}== {text}{plain}", flush=True)


def sh(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout


def cli(*args: str) -> None:
    print("$ image-automation " + " ".join(args), flush=True)
    command = [sys.executable, "-m", "automation", *args]
    code = subprocess.run(command, cwd=DEMO, check=False).returncode
    if code != 0:
        raise SystemExit(f"demo: image-automation {args[0]} exited {code}")


def seed_remote(registry: str) -> None:
    sh("git", "init", "--quiet", "--bare", "--initial-branch=main", str(REMOTE))
    work = DEMO / "seed"
    (work / "clusters" / "apps").mkdir(parents=True)
    (work / "clusters" / "apps" / "podinfo.yaml").write_text(PODINFO.format(registry=registry))
    (work / "clusters" / "apps" / "webapp-values.yaml").write_text(WEBAPP.format(registry=registry))
    sh("git", "init", "--quiet", "--initial-branch=main", cwd=work)
    sh("git", "add", ".", cwd=work)
    sh(
        "git",
        "-c",
        "user.name=demo",
        "-c",
        "user.email=demo@example.com",
        "commit",
        "--quiet",
        "-m",
        "Add apps",
        cwd=work,
    )
    sh("git", "push", "--quiet", REMOTE.as_uri(), "HEAD:main", cwd=work)


def copy_policies(registry: str) -> None:
    target = DEMO / "policies"
    shutil.copytree(ROOT / "policies", target)
    for path in target.glob("*.yaml"):
        path.write_text(path.read_text().replace("127.0.0.1:5000", registry))


def main() -> None:
    if DEMO.exists():
        shutil.rmtree(DEMO)
    DEMO.mkdir(parents=True)
    os.environ["IMAGE_AUTOMATION_STATE"] = str(DEMO / "state.db")
    # The demo's fleet repository is a local bare repo: the operator allows file:// remotes.
    os.environ["IMAGE_AUTOMATION_ALLOW_FILE_REMOTES"] = "1"
    os.environ["XDG_CACHE_HOME"] = str(DEMO / "cache")
    with running_registry(DEMO / "registry") as server:
        step(f"registry on {server.url}; pushing images")
        for tag in ("5.2.0", "6.0.0", "6.0.3", "6.1.0", "7.0.0-rc.1", "latest"):
            push_image(server, "stefanprodan/podinfo", tag)
        for tag in (
            "main-1a2b3c4-1700000000",
            "main-5d6e7f8-1700003600",
            "sha-5d6e7f8",
            "2026-10-01",
            "2026-11-15",
            "2026-11-15.sig",
        ):
            push_image(server, "acme/webapp", tag)
        seed_remote(server.host)
        copy_policies(server.host)

        step("validate the example policies")
        cli("validate", "policies")
        step("reconcile: scan -> policies -> update -> commit -> push")
        cli("reconcile", "policies")
        step(f"the commit pushed to {REMOTE}")
        print(
            sh(
                "git",
                "log",
                "-1",
                "--format=commit %H%nAuthor: %an <%ae>%n%n%B",
                "refs/heads/main",
                cwd=REMOTE,
            )
        )
        print(sh("git", "diff", "HEAD~1", "HEAD", cwd=REMOTE))
        cli("get", "policies", "policies")

        step("a new podinfo release appears: 6.1.1 (--all: its scan interval has not passed)")
        pushed = push_image(server, "stefanprodan/podinfo", "6.1.1")
        cli("reconcile", "policies", "--all")
        content = sh("git", "show", "refs/heads/main:clusters/apps/podinfo.yaml", cwd=REMOTE)
        assert f"podinfo:6.1.1@{pushed.digest}" in content, content
        print(textwrap.indent(sh("git", "log", "--oneline", "refs/heads/main", cwd=REMOTE), "  "))
        cli("history", "apps/podinfo")
    step(f"done: registry stopped; remote, state and policies are in {DEMO}")


if __name__ == "__main__":
    main()
