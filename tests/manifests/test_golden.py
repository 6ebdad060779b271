"""Golden directories: `testdata/<case>/original` updated with `refs.json` must equal `expected`
byte for byte (every file, changed or not), with both composers, and a second run changes
nothing. Set GOLDEN_REGENERATE=1 to rewrite `expected/` (then review the diff by eye)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from automation.manifests.apply import UpdateResult, apply_refs
from automation.manifests.document import update_text
from automation.manifests.locate import HAVE_C_COMPOSER
from automation.reference import LatestRef

TESTDATA = Path(__file__).parent / "testdata"
CASES = sorted(p.name for p in TESTDATA.iterdir() if (p / "original").is_dir())
REGENERATE = os.environ.get("GOLDEN_REGENERATE") == "1"


def parse_ref(text: str) -> LatestRef:
    image, _, digest = text.partition("@")
    colon = image.rfind(":")
    return LatestRef(image[:colon], image[colon + 1 :], digest)


def load_case(case: str) -> tuple[dict[str, LatestRef], str, str]:
    spec = json.loads((TESTDATA / case / "refs.json").read_text())
    refs = {name: parse_ref(value) for name, value in spec["refs"].items()}
    return refs, spec["namespace"], spec.get("update_path", ".")


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def run_case(case: str, work: Path) -> UpdateResult:
    shutil.copytree(TESTDATA / case / "original", work, symlinks=True)
    refs, namespace, update_path = load_case(case)
    return apply_refs(work, update_path, refs, namespace=namespace)


@pytest.mark.parametrize("case", CASES)
def test_golden_case(case: str, tmp_path: Path) -> None:
    work = tmp_path / "repo"
    result = run_case(case, work)
    expected = TESTDATA / case / "expected"
    if REGENERATE:
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(work, expected, symlinks=True)
    assert tree(work) == tree(expected)
    assert result.changes or case in {"not-markers"}

    refs, namespace, update_path = load_case(case)
    again = apply_refs(work, update_path, refs, namespace=namespace)
    assert not again.changes, "a second run must find nothing to change"
    assert tree(work) == tree(expected)


# Cases where the walk (update.path, .sourceignore) decides which files change are left out.
TEXT_CASES = [c for c in CASES if c != "ignore" and load_case(c)[2] == "."]


@pytest.mark.parametrize("pure", [True, False] if HAVE_C_COMPOSER else [True])
@pytest.mark.parametrize("case", TEXT_CASES)
def test_golden_text_level_both_composers(case: str, pure: bool) -> None:
    """The pure-Python composer (the fallback without ruamel.yaml.clib) gives the same bytes."""
    refs, namespace, _ = load_case(case)
    original = TESTDATA / case / "original"
    expected = TESTDATA / case / "expected"
    for rel, data in tree(original).items():
        if b'"$imagepolicy"' not in data:
            continue
        update = update_text(data.decode("utf-8"), refs, namespace=namespace, pure=pure)
        assert update.text.encode("utf-8") == (expected / rel).read_bytes(), rel
