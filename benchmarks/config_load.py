"""Loading policy files: our loader next to a plain libyaml load of the same files.

Run: python benchmarks/config_load.py [objects]
Writes `objects` policy objects (ImageRepository + ImagePolicy pairs, 100 per file) to a
temporary directory, then prints, side by side:
- in-process (warm, best of 5): our documents with lines, the full `load_config` (typed,
  validated) and the reference `yaml.load_all(..., Loader=yaml.CSafeLoader)`;
- whole-process cold (fresh interpreter each run, interleaved, median of 5): the same three.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from automation.config import load_config
from automation.config.documents import read_documents, yaml_files

PAIR = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app-{n}
  namespace: team-{ns}
  labels: {{app: app-{n}, tier: backend}}
spec:
  image: registry.example.com/org/app-{n}
  interval: 5m
  timeout: 60s
  exclusionList: ['^.*\\.sig$', '^sha-']
  secretRef:
    name: pull-secret
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app-{n}
  namespace: team-{ns}
spec:
  imageRepositoryRef:
    name: app-{n}
  filterTags:
    pattern: '^v(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$'
    extract: '$version'
  policy:
    semver:
      range: '>=1.0.0 <2.0.0'
"""

SNIPPETS = {
    "ours: documents with lines": (
        "from automation.config.documents import read_documents, yaml_files; "
        "[list(read_documents(f)) for f in yaml_files([Path(sys.argv[1])])]"
    ),
    "ours: load_config (typed)": (
        "from automation.config import load_config; load_config([Path(sys.argv[1])])"
    ),
    "reference: yaml CSafeLoader": (
        "import yaml; [list(yaml.load_all(f.read_text(), Loader=yaml.CSafeLoader)) "
        "for f in sorted(Path(sys.argv[1]).rglob('*.yaml'))]"
    ),
}


def write_policies(root: Path, objects: int) -> None:
    pairs = objects // 2
    for start in range(0, pairs, 50):
        text = "---\n".join(
            PAIR.format(n=n, ns=n % 7) for n in range(start, min(start + 50, pairs))
        )
        (root / f"policies-{start // 50:04d}.yaml").write_text(text)


def best(rounds: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def cold(root: Path, rounds: int) -> dict[str, float]:
    runs: dict[str, list[float]] = {label: [] for label in SNIPPETS}
    runs["python -c pass"] = []
    for _ in range(rounds):  # interleaved, so machine noise hits every line alike
        for label in runs:
            code = "pass" if label == "python -c pass" else SNIPPETS[label]
            argv = [
                sys.executable,
                "-c",
                f"import sys; from pathlib import Path; {code}",
                str(root),
            ]
            start = time.perf_counter()
            subprocess.run(argv, check=True)
            runs[label].append(time.perf_counter() - start)
    return {label: statistics.median(times) for label, times in runs.items()}


def main() -> None:
    objects = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_policies(root, objects)
        files = list(yaml_files([root]))
        size = sum(f.stat().st_size for f in files)
        print(f"{objects} objects in {len(files)} files, {size / 1e6:.1f} MB")
        warm = {
            "ours: documents with lines": best(5, lambda: [list(read_documents(f)) for f in files]),
            "ours: load_config (typed)": best(5, lambda: load_config([root])),
            "reference: yaml CSafeLoader": best(
                5,
                lambda: [
                    list(yaml.load_all(f.read_text(), Loader=yaml.CSafeLoader)) for f in files
                ],
            ),
        }
        whole = cold(root, 5)
        ref_warm = warm["reference: yaml CSafeLoader"]
        ref_cold = whole["reference: yaml CSafeLoader"]
        print(f"{'':32} {'in-process':>12} {'ratio':>7} {'whole process':>15} {'ratio':>7}")
        for label, seconds in warm.items():
            print(
                f"{label:32} {seconds:>11.3f}s {seconds / ref_warm:>6.2f}x "
                f"{whole[label]:>14.3f}s {whole[label] / ref_cold:>6.2f}x"
            )
        print(f"{'python -c pass':32} {'':>12} {'':>7} {whole['python -c pass']:>14.3f}s")


if __name__ == "__main__":
    main()
