"""Benchmark: a full manifest update run against reading every file once.

Generates a repository of 10,000 YAML files (1,000 carrying markers: Deployments with a full
marker, Helm values files with `:name` and `:tag` markers) and prints the time to walk and
read every file once, next to:

- a full update run (every marker gets a new value, 1,000 files rewritten), and
- a run with nothing to change,

each measured cold (first run in the process: every marked file is read by the line reader,
`outline.locate_plain`, or parsed when it is not plainly written) and warm (the
long-running service case: `apply_refs` runs after every fetch and the located spans of
unchanged or just-written files are remembered). Full runs are also shown without the time
spent writing files (`FileReplacer.replace`), which is mostly the filesystem's: freeing an
inode per file (a rename over it) cost 1-4 ms a file on ext4 with `discard`, which is why
the replacer reuses one. Dirty pages are flushed (os.sync) before each timed run, as
minutes pass between runs in practice.

Targets: full run <= 3x the read time, no-change run <= 1.5x.

Then the same as whole fresh processes, cold (empty HOME, interleaved rounds, medians; see
coldrun.py), as a user or CI job runs it: `image-automation update DIR --ref ...` with one
`--ref` per marked policy, a new version each round, then the same command again (nothing
to change), next to the reference process: a fresh interpreter that walks the tree and reads
every file once. Targets: update <= 2x the reference, the no-change run <= 1.3x.

    python benchmarks/update.py [--files 10000] [--marked 1000] [--repeat 5] [--dir /dev/shm]
                                [--parser-only]   # as before the line reader: parse every file
                                [--process-rounds 5] [--only-process] [--baseline OTHER-CLI]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import automation.manifests.document as document_module
from automation.manifests.apply import apply_refs
from automation.manifests.document import DEFAULT_CACHE
from automation.manifests.locate import HAVE_C_COMPOSER
from automation.manifests.replace import FileReplacer
from automation.reference import LatestRef
from benchmarks.coldrun import CLI, interleave, load_line, run_cold
from benchmarks.coldrun import table as process_table

NAMESPACE = "apps"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
  namespace: team-{d}
  labels:
    app.kubernetes.io/name: svc-{i}
    app.kubernetes.io/part-of: shop
spec:
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: svc-{i}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: svc-{i}
    spec:
      containers:
        - name: app
          image: {image}{marker}
          ports:
            - containerPort: 8080
              name: http
          env:
            - name: LOG_LEVEL
              value: info
            - name: FEATURE_FLAGS
              value: "a,b,c"
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 256Mi
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
"""

VALUES = """\
# Helm values for svc-{i}
replicaCount: 2
image:
  registry: ghcr.io{reg_marker}
  repository: acme/svc-{i}{name_marker}
  tag: "{tag}"{tag_marker}
  pullPolicy: IfNotPresent
service:
  type: ClusterIP
  port: 80
ingress:
  enabled: false
resources: {{}}
nodeSelector: {{}}
tolerations: []
"""


def marker(policy: str, suffix: str = "") -> str:
    value = f"{NAMESPACE}:{policy}" + (f":{suffix}" if suffix else "")
    return f' # {{"$imagepolicy": "{value}"}}'


def generate(root: Path, files: int, marked: int) -> None:
    (root / ".sourceignore").write_text("# not deployed\n/drafts/\n*.tmpl.yaml\n")
    per_dir = 100
    every = max(files // marked, 1)
    for i in range(files):
        d = i // per_dir
        directory = root / f"team-{d:03d}"
        directory.mkdir(exist_ok=True)
        is_marked = i % every == 0 and i // every < marked
        policy = f"svc-{i}"
        if i % 2:
            text = DEPLOYMENT.format(
                i=i,
                d=d,
                image=f"ghcr.io/acme/svc-{i}:1.0.0",
                marker=marker(policy) if is_marked else "",
            )
            (directory / f"deploy-{i}.yaml").write_text(text)
        else:
            text = VALUES.format(
                i=i,
                tag="1.0.0",
                reg_marker="",
                name_marker=marker(policy, "name") if is_marked else "",
                tag_marker=marker(policy, "tag") if is_marked else "",
            )
            (directory / f"values-{i}.yml").write_text(text)


def read_all(root: Path) -> int:
    total = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as handle:
                total += len(handle.read())
    return total


class WriteTimer:
    """Wraps `FileReplacer.replace` to add up the time spent writing files."""

    def __init__(self) -> None:
        self.seconds = 0.0
        original = FileReplacer.replace

        def replace(replacer: FileReplacer, path: Path, data: bytes) -> None:
            start = time.perf_counter()
            original(replacer, path, data)
            self.seconds += time.perf_counter() - start

        FileReplacer.replace = replace  # type: ignore[method-assign]


def timed(fn: Callable[[], object], repeat: int, before: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def refs_for(files: int, version: str) -> dict[str, LatestRef]:
    return {f"svc-{i}": LatestRef(f"acme/svc-{i}", version) for i in range(files)}


def row(label: str, times: list[float], read: list[float], target: float | None = None) -> str:
    """Median and best time; the ratio to the read time, median/median and best/best."""
    median, best = statistics.median(times), min(times)
    ratios = f"{median / statistics.median(read):5.2f}x / {best / min(read):5.2f}x"
    goal = f"  (target <= {target}x)" if target else ""
    return f"{label:<34} median {median * 1e3:7.1f} ms  best {best * 1e3:7.1f} ms  {ratios}{goal}"


READ_ALL = """
import os, sys
total = 0
for dirpath, _dirs, names in os.walk(sys.argv[1]):
    for name in names:
        with open(os.path.join(dirpath, name), "rb") as handle:
            total += len(handle.read())
"""
REFERENCE = "reference: read every file once"


def marked_policies(files: int, marked: int) -> list[int]:
    every = max(files // marked, 1)
    return [i for i in range(files) if i % every == 0 and i // every < marked]


def whole_process(
    root: Path, files: int, marked: int, rounds: int, baseline: str | None = None
) -> None:
    """`update` with a new version, then again with nothing to change, as fresh processes."""
    policies = marked_policies(files, marked)
    versions = iter(range(100, 10_000))
    argv: list[str] = []

    def update(version: int | None, cli: str = CLI) -> list[str]:
        nonlocal argv
        if version is not None:
            refs = [f"--ref={NAMESPACE}:svc-{i}=acme/svc-{i}:3.{version}.0" for i in policies]
            argv = ["update", str(root), "--namespace", NAMESPACE, *refs]
        return [cli, *argv]

    cases = {
        REFERENCE: lambda: run_cold([sys.executable, "-c", READ_ALL, str(root)]),
        "image-automation update (1,000 files change)": lambda: run_cold(update(next(versions))),
        "the same update again (nothing to change)": lambda: run_cold(update(None)),
    }
    if baseline:
        cases["baseline: update (1,000 files change)"] = lambda: run_cold(
            update(next(versions), baseline)
        )
        cases["baseline: the same update again"] = lambda: run_cold(update(None, baseline))
    results = interleave(cases, rounds, before=os.sync)
    print(load_line())
    for text in process_table(results, REFERENCE, None):
        print(text)
    ref_wall = results[REFERENCE].median()[0]
    update_ratio = results["image-automation update (1,000 files change)"].median()[0] / ref_wall
    again_ratio = results["the same update again (nothing to change)"].median()[0] / ref_wall
    print(
        f"ratio update/read: {update_ratio:.2f}x (target <= 2x)   "
        f"no-change/read: {again_ratio:.2f}x (target <= 1.3x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--marked", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", default=None, help="where to create the repository")
    parser.add_argument(
        "--parser-only",
        action="store_true",
        help="parse every marked file (no line reader): the numbers before it existed",
    )
    parser.add_argument("--process-rounds", type=int, default=5, help="whole-process rounds")
    parser.add_argument("--only-process", action="store_true", help="skip the in-process runs")
    parser.add_argument("--baseline", metavar="CLI", help="also run this image-automation (before)")
    args = parser.parse_args()
    if args.parser_only:
        document_module.locate_plain = lambda text: None
    timer = WriteTimer()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        generate(root, args.files, args.marked)
        size = read_all(root)
        print(f"files: {args.files} ({args.marked} with markers), bytes: {size:,}")
        whole_process(root, args.files, args.marked, args.process_rounds, args.baseline)
        if args.only_process:
            return
        read = timed(lambda: read_all(root), args.repeat, lambda: None)
        versions = (f"2.{n}.0" for n in range(10_000))
        rows: list[str] = []

        def full_run(cold: bool) -> tuple[list[float], list[float]]:
            totals, writes = [], []
            for _ in range(args.repeat):
                refs = refs_for(args.files, next(versions))
                os.sync()
                if cold:
                    DEFAULT_CACHE.clear()
                timer.seconds = 0.0
                start = time.perf_counter()
                result = apply_refs(root, ".", refs, namespace=NAMESPACE)
                totals.append(time.perf_counter() - start)
                writes.append(timer.seconds)
                assert len(result.changes.paths) == args.marked, "every marked file changes"
            return totals, writes

        def no_change_run(cold: bool) -> list[float]:
            same = refs_for(args.files, "9.9.9")
            apply_refs(root, ".", same, namespace=NAMESPACE)

            def before() -> None:
                os.sync()
                if cold:
                    DEFAULT_CACHE.clear()

            def run() -> None:
                assert not apply_refs(root, ".", same, namespace=NAMESPACE).changes

            return timed(run, args.repeat, before)

        for cold in (True, False):
            label = "cold" if cold else "warm"
            totals, writes = full_run(cold)
            rows.append(row(f"full run, {label}", totals, read, 3))
            computed = [t - w for t, w in zip(totals, writes, strict=True)]
            rows.append(row(f"full run, {label}, without writes", computed, read, 3))
            rows.append(row(f"no-change run, {label}", no_change_run(cold), read, 1.5))

    reader = "off (--parser-only)" if args.parser_only else "on"
    where = args.dir or tempfile.gettempdir()
    print(f"C composer: {HAVE_C_COMPOSER}   line reader: {reader}   repository: {where}")
    print(f"{'':<34} {'':<15}  {'':<13}  ratio to read: median / best")
    print(row("read every file once", read, read))
    for line in rows:
        print(line)


if __name__ == "__main__":
    main()
