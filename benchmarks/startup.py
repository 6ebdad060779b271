"""Start-up as users pay it: `image-automation --help` (and `validate`) as fresh processes.

Whole processes, cold (empty HOME, interleaved rounds, medians; see coldrun.py), next to the
reference process `python -c pass` (the same interpreter and venv, so the same `site`
start-up). Target: `--help` <= 0.12 s. Also shows which heavy libraries each run imported
(`-X importtime` of one more run), since those are what a short run must not pay for.

    python benchmarks/startup.py [--rounds 15] [--baseline OTHER-CLI]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.coldrun import CLI, ROOT, interleave, load_line, run_cold, table

HEAVY = ("pygit2", "httpx", "apscheduler", "ruamel", "pydantic", "jinja2", "re2")
REFERENCE = "reference: python -c pass"
DEMO = {"IMAGE_AUTOMATION_ALLOW_FILE_REMOTES": "1"}  # the demo policies push to a file:// remote


def heavy_imports(argv: list[str]) -> list[str]:
    """Top-level heavy packages a run imports, from `python -X importtime` on stderr."""
    script = f"import sys; sys.argv = {['image-automation', *argv]!r}; "
    script += "from automation.cli import main; sys.exit(main())"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    names = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    return [name for name in HEAVY if name in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--baseline", metavar="CLI", help="also run this image-automation (before)")
    args = parser.parse_args()
    policies = str(ROOT / "policies")
    cases = {
        REFERENCE: lambda: run_cold([sys.executable, "-c", "pass"]),
        "image-automation --help": lambda: run_cold([CLI, "--help"]),
        "image-automation validate policies/": lambda: run_cold(
            [CLI, "validate", policies], env=DEMO
        ),
    }
    if args.baseline:
        baseline = args.baseline
        cases["baseline: --help"] = lambda: run_cold([baseline, "--help"])
        # its own checkout's policies/ (BASELINE is CHECKOUT/.venv/bin/image-automation)
        theirs = str(Path(baseline).parents[2] / "policies")
        cases["baseline: validate policies/"] = lambda: run_cold(
            [baseline, "validate", theirs], env=DEMO
        )
    print(load_line())
    results = interleave(cases, args.rounds)
    for text in table(results, REFERENCE):
        print(text)
    help_wall = results["image-automation --help"].median()[0]
    print(f"--help median {help_wall:.3f}s (target <= 0.12 s)")
    for argv in (["--help"], ["validate", policies]):
        imported = ", ".join(heavy_imports(argv)) or "none"
        print(f"heavy libraries imported by {' '.join(argv[:1])}: {imported}")


if __name__ == "__main__":
    main()
