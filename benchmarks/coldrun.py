"""Whole fresh processes, cold: what users and schedulers (cron, CI) actually run.

Each run gets its own empty HOME (no state, no caches, no clones), and the cases of one
benchmark are interleaved round by round, so a busy machine slows them alike and the ratio
between them stays meaningful. Medians of wall time, CPU time (user + system of the process
and its children) and peak RSS are reported side by side.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLI = str(BIN / "image-automation")


@dataclass
class Runs:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def median(self) -> tuple[float, float, float]:
        return (
            statistics.median(self.wall),
            statistics.median(self.cpu),
            statistics.median(self.rss_mb),
        )


def run_cold(argv: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] = {}) -> Runs:
    """One fresh process under an empty HOME; returns its wall, CPU and peak RSS."""
    home = Path(tempfile.mkdtemp(prefix="cold-home-"))
    try:
        environ = {
            "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            **env,
        }
        started = time.perf_counter()
        process = subprocess.Popen(
            list(argv),
            cwd=cwd or home,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert process.stderr is not None
        errors = process.stderr.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError(f"{argv[:3]} exited {process.returncode}: {errors[-2000:]!r}")
        return Runs([wall], [usage.ru_utime + usage.ru_stime], [usage.ru_maxrss / 1024])
    finally:
        shutil.rmtree(home, ignore_errors=True)


def interleave(
    cases: Mapping[str, Callable[[], Runs]],
    rounds: int,
    before: Callable[[], object] = lambda: None,
) -> dict[str, Runs]:
    """`rounds` rounds, each running every case once in turn."""
    results = {label: Runs() for label in cases}
    for _ in range(rounds):
        for label, case in cases.items():
            before()
            one = case()
            results[label].wall += one.wall
            results[label].cpu += one.cpu
            results[label].rss_mb += one.rss_mb
    return results


def table(results: Mapping[str, Runs], reference: str, target: float | None = None) -> list[str]:
    """Median wall / CPU / RSS per case and the wall ratio to `reference`."""
    ref_wall = results[reference].median()[0]
    lines = [f"{'whole process, cold (median)':<52} {'wall':>8} {'cpu':>8} {'rss':>8}  ratio"]
    for label, runs in results.items():
        wall, cpu, rss = runs.median()
        ratio = "" if label == reference else f"  {wall / ref_wall:.2f}x"
        goal = f" (target <= {target}x)" if target and label != reference else ""
        lines.append(f"{label:<52} {wall:7.3f}s {cpu:7.3f}s {rss:6.1f}MB{ratio}{goal}")
    return lines


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"
