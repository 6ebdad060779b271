"""The daemon at scale: 1,000 ImageRepositories and 1,000 ImagePolicies on a local registry.

Starts a real registry (the test rig), seeds REPOS repositories with TAGS tags each, writes one
ImageRepository (interval INTERVAL) and one semver ImagePolicy per repository, then runs
`image-automation run` as a child process for DURATION seconds and prints:
  CPU:    the child's CPU use per 1 s sample (/proc/<pid>/stat): mean over the steady state,
          median ("idle between scans", target < 5 % of one core) and the busiest second;
  memory: peak RSS (VmHWM, target < 300 MB);
  lag:    how late jobs started against their scheduled fire time, from the daemon's own
          per-reload-cycle lines (target < 1 s), for the start-up burst and the steady state.
Also the number of scans completed (from the state store), to show the work was done.

    python benchmarks/daemon.py [--repos 1000] [--tags 10] [--interval 30s] [--duration 180]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan import seed  # benchmarks/scan.py: tags via the registry HTTP API

from automation.state import open_store
from tests.rig.registry import RegistryServer, running_registry

TICKS = os.sysconf("SC_CLK_TCK")


def write_policies(folder: Path, server: RegistryServer, repos: list[str], interval: str) -> None:
    docs = []
    for i, repo in enumerate(repos):
        docs.append(
            f"apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
            f"metadata: {{name: r{i}, namespace: bench}}\n"
            f"spec: {{image: '{server.host}/{repo}', interval: {interval}, insecure: true}}\n"
            f"---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n"
            f"metadata: {{name: p{i}, namespace: bench}}\n"
            f"spec:\n  imageRepositoryRef: {{name: r{i}}}\n"
            f"  policy: {{semver: {{range: '>=1.0.0'}}}}\n"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench.yaml").write_text("---\n".join(docs))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def lag_lines(log: Path) -> list[dict[str, Any]]:
    out = []
    for raw in log.read_text(errors="replace").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if "lag_max" in line:
            out.append(line)
    return out


def run(args: argparse.Namespace, work: Path) -> None:
    repos = [f"bench/app-{i:04d}" for i in range(args.repos)]
    with running_registry(work / "registry") as server:
        started = time.monotonic()
        asyncio.run(seed(server, repos, args.tags))
        print(f"seeded {args.repos} repositories x {args.tags} tags in "
              f"{time.monotonic() - started:.1f}s")  # fmt: skip
        write_policies(work / "policies", server, repos, args.interval)
        log = work / "daemon.log"
        argv = [
            sys.executable, "-m", "automation", "--log-format", "json", "run",
            str(work / "policies"), "--state", str(work / "state.db"),
            "--cache", str(work / "cache"), "--listen", "off", "--reload-interval", "10s",
        ]  # fmt: skip
        with log.open("wb") as out:
            child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            samples = sample(child, args.duration)
            peak = peak_rss_mb(child.pid)
        finally:
            child.send_signal(signal.SIGTERM)
            code = child.wait(timeout=60)
        report(args, samples, peak, lag_lines(log), work, code)


def sample(child: subprocess.Popen[bytes], duration: float) -> list[tuple[float, float]]:
    """(elapsed, CPU fraction of one core) per second."""
    out: list[tuple[float, float]] = []
    t0 = last_t = time.monotonic()
    last_cpu = cpu_seconds(child.pid)
    while time.monotonic() - t0 < duration and child.poll() is None:
        time.sleep(1.0)
        now, cpu = time.monotonic(), cpu_seconds(child.pid)
        out.append((now - t0, (cpu - last_cpu) / (now - last_t)))
        last_t, last_cpu = now, cpu
    return out


def report(
    args: argparse.Namespace,
    samples: list[tuple[float, float]],
    peak: float,
    lags: list[dict[str, Any]],
    work: Path,
    code: int,
) -> None:
    steady = sorted(c for t, c in samples if t > args.warmup) or [0.0]
    mean = sum(steady) / len(steady)
    ran = samples[-1][0] if samples else 0.0
    print(f"daemon: {args.repos} ImageRepositories + {args.repos} ImagePolicies, "
          f"interval {args.interval}, ran {ran:.0f}s, exit {code}")  # fmt: skip
    print(f"CPU:    steady state (after {args.warmup:.0f}s) mean {mean * 100:.1f}% of one core, "
          f"median 1 s sample {steady[len(steady) // 2] * 100:.1f}% (idle between scans), "
          f"busiest second {steady[-1] * 100:.1f}%")  # fmt: skip
    print(f"memory: peak RSS {peak:.0f} MB")
    if lags:
        first, rest = lags[0], lags[1:] or lags[:1]
        print(f"lag:    first window ({first['jobs']} starts, start-up burst): "
              f"p99 {first['lag_p99']:.3f}s max {first['lag_max']:.3f}s")  # fmt: skip
        print(f"lag:    steady state ({sum(x['jobs'] for x in rest)} starts): "
              f"p99 {max(x['lag_p99'] for x in rest):.3f}s "
              f"max {max(x['lag_max'] for x in rest):.3f}s")  # fmt: skip
    store = open_store(work / "state.db")
    scans = store.list_scans()
    policies = [p for p in store.list_policies() if p.latest_ref is not None]
    store.close()
    print(f"work:   {len(scans)} repositories scanned, {len(policies)} policies with a latestRef")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--tags", type=int, default=10)
    parser.add_argument("--interval", default="30s")
    parser.add_argument("--duration", type=float, default=180.0)
    parser.add_argument("--warmup", type=float, default=40.0)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.workdir:
        run(args, args.workdir)
        return
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
