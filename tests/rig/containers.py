"""Build and run the project's container image for real, with no image registry in reach.

Debian's ``buildah`` builds the Dockerfile (``--isolation chroot``: no daemon, no runtime) FROM a
Debian bookworm base that ``mmdebstrap --variant=minbase`` makes here from Debian's packages,
through the same apt sources this machine uses. The built image runs with ``buildah run
--isolation chroot``, which shares the host's network, so the program inside reaches the rig's
registry and git servers on 127.0.0.1.

Bootstrapping a base takes ~40 s, so it is kept between test runs in buildah's own storage under
``$IMAGE_AUTOMATION_TEST_CACHE`` (default ``~/.cache/image-automation-tests``), tagged with the
ISO week and a hash of the suite, package list and apt sources: a new week or a changed list
makes a new base (fresh security updates) and drops the old one. The project image is built
without a layer cache each time, so what the test runs is what the Dockerfile makes today.
Storage uses the overlay driver where the kernel allows it, else vfs.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

BASE_SUITE = "bookworm"
# What the program runs besides Python: git, OpenSSH, gpg (see the Dockerfile's runtime stage).
BASE_PACKAGES = ("python3", "ca-certificates", "git", "openssh-client", "gnupg")
BASE_REPOSITORY = "localhost/image-automation-test-base"
APT_SOURCES = Path("/etc/apt")
SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BOOTSTRAP_TIMEOUT = 600.0
BUILD_TIMEOUT = 900.0


class ContainerToolError(RuntimeError):
    """buildah or mmdebstrap is missing or failed; the message carries its output."""


@dataclass(frozen=True)
class Buildah:
    """One buildah storage (root, runroot, driver); every call names it explicitly."""

    root: Path
    runroot: Path
    driver: str

    def argv(self, *args: str) -> list[str]:
        return [
            "buildah",
            "--root",
            str(self.root),
            "--runroot",
            str(self.runroot),
            "--storage-driver",
            self.driver,
            *args,
        ]

    def __call__(
        self, *args: str, timeout: float = 120.0, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return _run(self.argv(*args), timeout=timeout, check=check)

    def has_image(self, name: str) -> bool:
        return self("inspect", "--type", "image", name, check=False).returncode == 0

    def inspect(self, name: str) -> dict[str, object]:
        data: dict[str, object] = json.loads(self("inspect", "--type", "image", name).stdout)
        return data


def _run(
    argv: Sequence[str], *, timeout: float, check: bool = True
) -> subprocess.CompletedProcess[str]:
    if shutil.which(argv[0]) is None:
        raise ContainerToolError(f"{argv[0]} not found: install it (scripts/setup.sh does)")
    done = subprocess.run(
        list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if check and done.returncode != 0:
        raise ContainerToolError(
            f"{' '.join(argv[:6])} ... exited {done.returncode}:\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


def cache_dir() -> Path:
    configured = os.environ.get("IMAGE_AUTOMATION_TEST_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "image-automation-tests"


def storage(cache: Path) -> Buildah:
    """Overlay storage if a scratch container can be mounted with it here, else vfs
    (``$IMAGE_AUTOMATION_TEST_STORAGE_DRIVER`` forces one)."""
    forced = os.environ.get("IMAGE_AUTOMATION_TEST_STORAGE_DRIVER")
    for driver in (forced,) if forced else ("overlay", "vfs"):
        buildah = Buildah(cache / f"buildah-{driver}", cache / f"buildah-{driver}-run", driver)
        container = buildah("from", "scratch", check=False)
        if container.returncode != 0:
            continue
        name = container.stdout.strip()
        mounted = buildah("mount", name, check=False).returncode == 0
        buildah("rm", name, check=False)
        if mounted:
            return buildah
    raise ContainerToolError(f"buildah cannot use the {forced or 'overlay or vfs'} storage driver")


def apt_source_files(suite: str = BASE_SUITE, etc_apt: Path = APT_SOURCES) -> list[Path]:
    """The host's apt source files (one-line or deb822) that serve ``suite``: mmdebstrap takes
    them as its mirrors, so the base comes from the same mirror as the host's packages."""
    candidates = [etc_apt / "sources.list"]
    listing = etc_apt / "sources.list.d"
    if listing.is_dir():
        candidates += sorted(
            p for p in listing.iterdir() if p.suffix in (".list", ".sources") and p.is_file()
        )
    pattern = re.compile(rf"^(?!\s*#).*\b{re.escape(suite)}\b", re.MULTILINE)
    found = [p for p in candidates if p.is_file() and pattern.search(p.read_text())]
    if not found:
        raise ContainerToolError(f"no apt source under {etc_apt} serves {suite}")
    return found


def base_tag(sources: Sequence[Path], today: datetime.date | None = None) -> str:
    """``BASE_REPOSITORY:<ISO week>-<hash of suite, packages and sources>``."""
    year, week, _ = (today or datetime.date.today()).isocalendar()
    digest = hashlib.sha256()
    for part in (BASE_SUITE, "minbase", *BASE_PACKAGES):
        digest.update(part.encode() + b"\0")
    for path in sources:
        digest.update(path.read_bytes() + b"\0")
    return f"{BASE_REPOSITORY}:{year}-w{week:02d}-{digest.hexdigest()[:12]}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_base(buildah: Buildah) -> str:
    """The cached base image's name, bootstrapping it first when this week has none."""
    sources = apt_source_files()
    tag = base_tag(sources)
    with _locked(buildah.root.parent / "base.lock"):
        if not buildah.has_image(tag):
            _bootstrap(buildah, tag, sources)
            _drop_other_bases(buildah, keep=tag)
    return tag


def _bootstrap(buildah: Buildah, tag: str, sources: Sequence[Path]) -> None:
    with tempfile.TemporaryDirectory(prefix="ia-base-") as work:
        tarball = Path(work) / "base.tar"
        _run(
            [
                "mmdebstrap",
                "--variant=minbase",
                "--include=" + ",".join(BASE_PACKAGES),
                "--format=tar",
                BASE_SUITE,
                str(tarball),
                *map(str, sources),
            ],
            timeout=BOOTSTRAP_TIMEOUT,
        )
        container = buildah("from", "scratch").stdout.strip()
        try:
            buildah("add", container, str(tarball), "/", timeout=300.0)
            buildah(
                "config",
                "--env",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "--cmd",
                "/bin/bash",
                container,
            )
            buildah("commit", "--quiet", container, tag, timeout=300.0)
        finally:
            buildah("rm", container, check=False)


def _drop_other_bases(buildah: Buildah, keep: str) -> None:
    listing = buildah("images", "--format", "{{.Name}}:{{.Tag}}", check=False).stdout.split()
    for name in listing:
        if name.startswith(BASE_REPOSITORY + ":") and name != keep:
            buildah("rmi", name, check=False)  # in use by another run: left for next time


def build_image(buildah: Buildah, context: Path, base: str, tag: str) -> None:
    """``buildah bud`` the project's Dockerfile FROM ``base``. The system CA bundle goes in as
    the ``pip-ca`` build secret, for a network whose HTTPS goes through an inspecting proxy."""
    args = [
        "bud",
        "--isolation",
        "chroot",
        "--pull=never",
        "--no-cache",
        "--force-rm",
        "--build-arg",
        f"BASE={base}",
    ]
    if SYSTEM_CA_BUNDLE.is_file():
        args += ["--secret", f"id=pip-ca,src={SYSTEM_CA_BUNDLE}"]
    args += ["-t", tag, "-f", str(context / "Dockerfile"), str(context)]
    buildah(*args, timeout=BUILD_TIMEOUT)


def image_size(buildah: Buildah, tag: str) -> str:
    """The image's uncompressed size as ``buildah images`` shows it (e.g. "337 MB")."""
    rows: list[dict[str, object]] = json.loads(buildah("images", "--json", tag).stdout)
    return str(rows[0]["size"])


@dataclass(frozen=True)
class Container:
    """A working container from the built image; ``run`` executes a command inside it."""

    buildah: Buildah
    name: str

    def run(
        self, *argv: str, mounts: Sequence[str] = (), timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        args = ["run", "--isolation", "chroot"]
        for mount in mounts:
            args += ["-v", mount]
        return self.buildah(*args, self.name, "--", *argv, timeout=timeout, check=False)


@contextlib.contextmanager
def container(buildah: Buildah, image: str) -> Iterator[Container]:
    name = buildah("from", "--pull=never", image).stdout.strip()
    try:
        yield Container(buildah, name)
    finally:
        buildah("rm", name, check=False)
