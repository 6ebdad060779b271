"""Cold scan of many repositories: image-automation's `scan_many` against the bare minimum.

Starts a real registry (Debian's docker-registry, via the test rig), seeds REPOS x TAGS tags
over the HTTP API, then times, in the same run:
  floor: the same `GET /v2/<name>/tags/list` requests from a plain concurrent httpx loop;
  scan:  `scan_many` with default ScanOptions (plus insecure, the registry is plain HTTP),
         i.e. probe, retries, rate limit, tag grammar checks, exclusion, sort, revision.
Also `scan_many` with the rate cap off, to show what the default token bucket costs.
Seeding runs in a child process, so the peak RSS printed (target < 200 MB) is the scanning
process's own; `--workdir DIR` keeps the seeded storage for the next run.
Best of `--rounds` alternating runs; ratio target <= 1.5.

Then the same as whole fresh processes, cold (empty HOME, interleaved rounds, medians):
`image-automation scan --force` over REPOS ImageRepository objects (default exclusion list)
next to a bare httpx loop in a fresh interpreter (16 threads, GET tags/list + json.loads),
the reference process. Target: scan <= 1.3x the reference, peak RSS about 74 MB.

    python benchmarks/scan.py [--repos 500] [--tags 100] [--rounds 3] [--workdir DIR]
                              [--process-rounds 5] [--only-process] [--baseline OTHER-CLI]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automation.reference import parse_repository
from automation.registry import ScanOptions, ScanTarget, scan_many
from automation.registry.options import DEFAULT_BURST, DEFAULT_RATE
from benchmarks.coldrun import CLI, interleave, load_line, run_cold
from benchmarks.coldrun import table as process_table
from tests.rig import images
from tests.rig.registry import RegistryServer, running_registry

SEED_CONCURRENCY = 32


async def seed(server: RegistryServer, repos: list[str], tags: int) -> None:
    """Each repository gets `tags` tags on one small manifest (blobs mounted, not re-sent)."""
    layer = images.make_layer(b"benchmark layer\n")
    config = images.make_config(layer, ("linux", "amd64"))
    manifest = images.make_manifest(config, layer, images.OCI_MANIFEST)
    headers = {"Content-Type": images.OCI_MANIFEST}
    limits = httpx.Limits(max_connections=SEED_CONCURRENCY)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as http:
        with server.client() as sync_http:  # the first repository gets the real blobs
            images.upload_blob(sync_http, repos[0], config)
            images.upload_blob(sync_http, repos[0], layer)
        gate = asyncio.Semaphore(SEED_CONCURRENCY)

        async def call(method: str, url: str, **kwargs: object) -> None:
            async with gate:
                response = await http.request(method, url, **kwargs)  # type: ignore[arg-type]
            if response.status_code >= 300:
                raise RuntimeError(f"{method} {url}: HTTP {response.status_code}")

        async def one(repo: str) -> None:
            for blob in (config, layer):
                digest = images.sha256_digest(blob)
                await call("POST", f"/v2/{repo}/blobs/uploads/?mount={digest}&from={repos[0]}")
            await asyncio.gather(
                *(
                    call(
                        "PUT",
                        f"/v2/{repo}/manifests/{i}.0.{i % 7}",
                        content=manifest,
                        headers=headers,
                    )
                    for i in range(tags)
                )
            )

        await asyncio.gather(*(one(repo) for repo in repos))


async def floor(server: RegistryServer, repos: list[str], concurrency: int) -> tuple[float, int]:
    """The bare minimum: one client, a semaphore, GET + json.loads per repository."""
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    total = 0
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as http:
        gate = asyncio.Semaphore(concurrency)

        async def one(repo: str) -> int:
            async with gate:
                response = await http.get(f"/v2/{repo}/tags/list")
            response.raise_for_status()
            return len(json.loads(response.content)["tags"])

        total = sum(await asyncio.gather(*(one(repo) for repo in repos)))
    return time.perf_counter() - started, total


async def scan(server: RegistryServer, repos: list[str], options: ScanOptions) -> tuple[float, int]:
    targets = [
        ScanTarget(repo, parse_repository(f"{server.host}/{repo}"), (), options) for repo in repos
    ]
    started = time.perf_counter()
    outcomes = await scan_many(targets)
    elapsed = time.perf_counter() - started
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        raise RuntimeError(f"{len(failed)} scans failed, e.g. {failed[0].error}")
    return elapsed, sum(o.result.tag_count for o in outcomes if o.result is not None)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def seed_in_child(server: RegistryServer, repos: list[str], tags: int) -> None:
    child = multiprocessing.get_context("fork").Process(
        target=lambda: asyncio.run(seed(server, repos, tags))
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"seeding failed (exit {child.exitcode})")


def line(label: str, times: list[float]) -> str:
    runs = ", ".join(f"{t:.3f}" for t in times)
    return f"{label:<44} {min(times):.3f}s  (runs: {runs})"


BARE_LOOP = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
import httpx
base, names = sys.argv[1], sys.argv[2:]
limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
with httpx.Client(base_url=base, limits=limits, timeout=60) as http:
    def one(name):
        response = http.get(f"/v2/{name}/tags/list")
        response.raise_for_status()
        return len(json.loads(response.content)["tags"])
    with ThreadPoolExecutor(16) as pool:
        total = sum(pool.map(one, names))
assert total == %d, total
"""


def write_policies(directory: Path, host: str, repos: list[str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    objects = [
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
        f"metadata:\n  name: {repo.replace('/', '-')}\n  namespace: bench\n"
        f"spec:\n  image: {host}/{repo}\n  interval: 5m\n  insecure: true\n"
        for repo in repos
    ]
    (directory / "repositories.yaml").write_text("---\n".join(objects))


def whole_process(
    server: RegistryServer, repos: list[str], tags: int, rounds: int, baseline: str | None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        policies = Path(tmp) / "policies"
        write_policies(policies, server.host, repos)
        bare = BARE_LOOP % (len(repos) * tags)
        cases = {
            "reference: bare httpx loop, 16 threads": lambda: run_cold(
                [sys.executable, "-c", bare, server.url, *repos]
            ),
            "image-automation scan --force": lambda: run_cold(
                [CLI, "scan", str(policies), "--force", "-o", "json"]
            ),
        }
        if baseline:
            cases[f"baseline: {baseline} scan --force"] = lambda: run_cold(
                [baseline, "scan", str(policies), "--force", "-o", "json"]
            )
        results = interleave(cases, rounds)
    for text in process_table(results, "reference: bare httpx loop, 16 threads", 1.3):
        print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=500)
    parser.add_argument("--tags", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs; best of each")
    parser.add_argument("--workdir", type=Path, help="keep (and reuse) the seeded registry here")
    parser.add_argument("--process-rounds", type=int, default=5, help="whole-process rounds")
    parser.add_argument("--only-process", action="store_true", help="skip the in-process runs")
    parser.add_argument("--baseline", metavar="CLI", help="also run this image-automation (before)")
    args = parser.parse_args()
    default = ScanOptions(insecure=True)
    uncapped = ScanOptions(insecure=True, rate=None)
    repos = [f"bench/app-{i:04d}" for i in range(args.repos)]
    expected = args.repos * args.tags
    with contextlib.ExitStack() as stack:
        workdir = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        workdir.mkdir(parents=True, exist_ok=True)
        server = stack.enter_context(running_registry(workdir))
        marker = workdir / f"seeded-{args.repos}x{args.tags}"
        if marker.exists():
            print(f"reusing {args.repos} repos x {args.tags} tags seeded in {workdir}")
        else:
            started = time.perf_counter()
            seed_in_child(server, repos, args.tags)
            marker.touch()
            elapsed = time.perf_counter() - started
            print(f"seeded {args.repos} repos x {args.tags} tags in {elapsed:.1f}s")
        print(load_line())
        whole_process(server, repos, args.tags, args.process_rounds, args.baseline)
        if args.only_process:
            return
        times: dict[str, list[float]] = {"floor": [], "default": [], "uncapped": []}
        runs: dict[str, Callable[[], Coroutine[Any, Any, tuple[float, int]]]] = {
            "floor": lambda: floor(server, repos, default.concurrency),
            "default": lambda: scan(server, repos, default),
            "uncapped": lambda: scan(server, repos, uncapped),
        }
        for _ in range(args.rounds):
            for label, run in runs.items():
                elapsed, found = asyncio.run(run())
                assert found == expected, (label, found)
                times[label].append(elapsed)
    best = {label: min(values) for label, values in times.items()}
    print(line(f"floor: plain httpx loop, concurrency {default.concurrency}", times["floor"]))
    label = f"scan_many, defaults ({DEFAULT_RATE:g}/s, burst {DEFAULT_BURST})"
    print(line(label, times["default"]))
    print(line("scan_many, rate cap off", times["uncapped"]))
    print(
        f"ratio default/floor: {best['default'] / best['floor']:.2f}   "
        f"uncapped/floor: {best['uncapped'] / best['floor']:.2f}   (target <= 1.5)"
    )
    print(f"peak RSS of the scanning process: {peak_rss_mb():.1f} MB (target < 200)")


if __name__ == "__main__":
    main()
