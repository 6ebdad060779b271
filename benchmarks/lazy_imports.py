"""What the optional or lazy imports of the release-gate and cloud-login code would cost.

`provider: aws` loads botocore only when used; `get automations` loads the crontab parser
(APScheduler) only for automations with window annotations. This prints, for each import,
the whole-process cold time (a fresh interpreter, median of RUNS) next to the reference
(`import automation.cli`, what every command pays), and the warm in-process time of importing
it again (already in `sys.modules`).

    python benchmarks/lazy_imports.py [--runs 7]
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import time

MODULES = [
    "automation.cli",
    "automation.commands.get",
    "apscheduler.triggers.cron",
    "botocore.session",
]


def cold(statement: str, runs: int) -> float:
    """Median wall time of a fresh interpreter running `statement`, minus an empty one."""

    def once(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - started

    empty = statistics.median(once("pass") for _ in range(runs))
    return statistics.median(once(statement) for _ in range(runs)) - empty


def warm(module: str) -> float:
    importlib.import_module(module)
    started = time.perf_counter()
    importlib.import_module(module)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    reference = cold("import automation.cli", runs)
    print(f"{'import':32} {'cold ms':>9} {'x ref':>7} {'warm us':>9}")
    for module in MODULES:
        seconds = cold(f"import {module}", runs)
        print(
            f"{module:32} {seconds * 1000:9.1f} {seconds / reference:7.2f} "
            f"{warm(module) * 1e6:9.1f}"
        )
    both = cold("import automation.commands.get, apscheduler.triggers.cron", runs)
    get = cold("import automation.commands.get", runs)
    print(f"{'  crontab parser on top of get':32} {(both - get) * 1000:9.1f}")


if __name__ == "__main__":
    main()
