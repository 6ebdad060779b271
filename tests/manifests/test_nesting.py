"""Hostile manifests: alias bombs, deep nesting and huge files are errors on that file only."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from automation.manifests.apply import apply_refs
from automation.manifests.images import find_images
from automation.manifests.locate import YamlSyntaxError, locate
from automation.manifests.nesting import MAX_BYTES, MAX_DEPTH
from automation.reference import LatestRef

REFS = {"p": LatestRef("nginx", "1.27.3")}
MARKED = 'image: nginx:1.0.0 # {"$imagepolicy": "apps:p"}\n'
MARK = ' # {"$imagepolicy": "apps:p"}'


def alias_bomb(levels: int = 6) -> str:
    """~700 bytes naming 9^7 scalars through nested aliases, with a marker on every line so
    that no subtree can be skipped as unmarked. (Expanding them took 5.6 s; each further
    level multiplies that by 9.)"""
    lines = [f"a0: &a0 [x, x, x, x, x, x, x, x, x]{MARK}"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + f"]{MARK}")
    return "\n".join(lines) + "\n" + MARKED


@pytest.mark.parametrize("pure", [False, True])
def test_an_alias_bomb_is_walked_once_per_node(pure: bool) -> None:
    text = alias_bomb()
    assert len(text) < 800
    start = time.perf_counter()
    located = locate(text, pure=pure)
    assert time.perf_counter() - start < 0.2
    assert [c.value for c in located.candidates][-1] == "nginx:1.0.0"


def test_an_alias_bomb_costs_the_image_finder_nothing_either() -> None:
    start = time.perf_counter()
    sites = find_images(alias_bomb())
    assert time.perf_counter() - start < 0.2
    assert [s.reference for s in sites] == ["nginx:1.0.0"]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 500,
        "[" * 5000,
        "a: " + "[" * 150 + "]" * 150 + MARK + "\n",
        "- " * (MAX_DEPTH + 1) + "x" + MARK + "\n",
        "".join(f"{' ' * (2 * i)}k{i}:\n" for i in range(MAX_DEPTH + 5)) + "  " * 105 + "x: 1\n",
    ],
)
@pytest.mark.parametrize("pure", [False, True])
def test_deep_nesting_is_a_syntax_error_fast(text: str, pure: bool) -> None:
    best = float("inf")
    for _ in range(3):  # the best of three: a busy machine may pause one run, never all
        start = time.perf_counter()
        with pytest.raises(YamlSyntaxError, match=r"nested|levels"):
            locate(text, pure=pure)
        best = min(best, time.perf_counter() - start)
    assert best < 0.5


def test_nesting_within_the_limit_still_works() -> None:
    depth = MAX_DEPTH - 2
    text = "a: " + "[" * depth + "x" + "]" * depth + "\n" + MARKED
    assert [c.value for c in locate(text).candidates] == ["nginx:1.0.0"]


def test_a_hundred_thousand_levels_do_not_crash_the_process() -> None:
    """The C composer recursed on the C stack: this took the whole process down (SIGSEGV)."""
    code = (
        "from automation.manifests.locate import locate, YamlSyntaxError\n"
        "for text in ('[' * 100000 + ']' * 100000, '- ' * 100000 + 'x'):\n"
        "    try:\n"
        "        locate(text)\n"
        "    except YamlSyntaxError as err:\n"
        "        print(err)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.count("refused unparsed") == 2


def test_hostile_files_are_problems_of_their_own_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "brackets.yaml").write_text("[" * 500 + MARK + "\n")
    (tmp_path / "bomb.yaml").write_text(alias_bomb())
    (tmp_path / "deep.yaml").write_text("- " * 100_000 + "x" + MARK + "\n")
    with (tmp_path / "huge.yaml").open("w") as out:
        out.write(MARKED)
        out.write("# padding\n" * (MAX_BYTES // 10))
    (tmp_path / "good.yaml").write_text(MARKED)
    start = time.perf_counter()
    result = apply_refs(tmp_path, ".", REFS, namespace="apps")
    assert time.perf_counter() - start < 2.0
    assert result.changes.paths == ("bomb.yaml", "good.yaml")
    problems = {p.path: p.message for p in result.problem_files}
    assert sorted(problems) == ["brackets.yaml", "deep.yaml", "huge.yaml"]
    assert "nested" in problems["brackets.yaml"]
    assert "nested or indented" in problems["deep.yaml"]
    assert f"larger than {MAX_BYTES} bytes" in problems["huge.yaml"]
