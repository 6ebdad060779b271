"""`pin` over a directory of manifests: how long resolution and rewriting take.

Starts a real registry (the test rig's), seeds one repository with TAGS tags, writes FILES
Deployments with CONTAINERS image references each (drawn from the tags, so references repeat),
then times `pin_paths` with `--dry-run` (nothing written, so each round sees the same input)
at concurrency 1 and at the default, and `find_images` alone (parse cost). Best of --rounds.

    python benchmarks/pin.py [--files 300] [--containers 4] [--tags 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automation.manifests.images import find_images
from automation.pinning.access import DEFAULT_CONCURRENCY, RegistryAccess, registry_options
from automation.pinning.run import pin_paths
from tests.rig import images
from tests.rig.registry import running_registry


def write_manifests(root: Path, host: str, files: int, containers: int, tags: int) -> None:
    rng = random.Random(7)
    for number in range(files):
        lines = ["apiVersion: apps/v1", "kind: Deployment", "spec:", "  template:", "    spec:"]
        lines.append("      containers:")
        for c in range(containers):
            tag = f"1.{rng.randrange(tags)}"
            lines += [f"      - name: c{c}", f"        image: {host}/bench/app:{tag}"]
        (root / f"deploy-{number:04d}.yaml").write_text("\n".join(lines) + "\n")


def best(rounds: int, action: object) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--containers", type=int, default=4)
    parser.add_argument("--tags", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_registry(Path(tmp, "reg")) as server:
        images.push_tags(server, "bench/app", [f"1.{n}" for n in range(args.tags)], workers=8)
        root = Path(tmp, "manifests")
        root.mkdir()
        write_manifests(root, server.host, args.files, args.containers, args.tags)
        texts = [p.read_text() for p in sorted(root.iterdir())]
        sites = sum(len(find_images(t)) for t in texts)
        parse = best(args.rounds, lambda: [find_images(t) for t in texts])
        report = asyncio.run(
            pin_paths([root], RegistryAccess(registry_options(None, True)), dry_run=True)
        )
        unique = len({c.old for c in report.changes})
        print(f"files={args.files} sites={sites} unique_refs={unique}")
        print(f"find_images: {parse * 1000:.1f} ms total, {parse / args.files * 1e6:.0f} us/file")
        for concurrency in (1, DEFAULT_CONCURRENCY):
            access = RegistryAccess(registry_options(None, True, concurrency=concurrency))
            elapsed = best(
                args.rounds, lambda a=access: asyncio.run(pin_paths([root], a, dry_run=True))
            )
            print(
                f"pin --dry-run concurrency={concurrency}: {elapsed:.3f} s "
                f"({unique / elapsed:.0f} refs/s)"
            )


if __name__ == "__main__":
    main()
